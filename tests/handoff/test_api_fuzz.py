"""The service's HTTP API fuzzed from its own OpenAPI schema (Schemathesis): whatever arrives,
no 5xx and no response that breaks the schema. Each operation is called as the caller it is
for (the action server, the bootstrap token, a signed-in admin, who also handles chats), so the
generated data reaches the endpoints' code, not only their authentication. Bounded: a fixed
number of examples per operation, on SQLite."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from handoff import accounts
from handoff.app import create_app
from handoff.settings import Settings
from tests.handoff.support import (
    ACTION,
    ADMIN,
    ADMIN_EMAIL,
    RasaEvents,
    admin_headers,
    bearer,
    escalate,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = 12  # per operation: about 40 operations in ~30 s


def _settings(tmp: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp / 'handoff.db'}",
                    events_url=f"sqlite:///{tmp / 'events.db'}", rasa_url="http://127.0.0.1:9",
                    rasa_jwt_secret="rasa-jwt-secret-for-tests-0123456789", action_secret=ACTION,
                    jwt_secret="jwt-secret-for-tests-0123456789abcdef", admin_token=ADMIN,
                    poll_interval=0.05, max_body_bytes=100_000, assigner_interval=0.1,
                    # the fuzzer signs in wrongly on purpose; it must not lock itself out
                    sign_in_account_limits="10000/minute", sign_in_address_limits="10000/minute",
                    # trainers' decisions go to a copy of the data, which has no Rasa beside it
                    project_dir=tmp / "project")


# Readiness answers 503 by design here (no Rasa runs: tests/handoff/test_health.py covers it);
# the inbox's validation runs Rasa's own check, half a minute a call (test_nlu_data.py has it),
# and starting a training run starts Rasa's training (test_training.py has it).
schema = schemathesis.openapi.from_dict(
    create_app(_settings(Path("/nonexistent"))).openapi()).exclude(
    path=["/readyz", "/api/v1/inbox/validate"]).exclude(path="/api/v1/training", method="POST")
# The callers' own credentials, not generated ones (those only ever meet a 401).
schema.config.generation.update(with_security_parameters=False)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for the whole run, with a handoff in it, so that ids can hit something."""
    tmp = tmp_path_factory.mktemp("fuzz")
    RasaEvents(f"sqlite:///{tmp / 'events.db'}")
    shutil.copytree(ROOT / "data", tmp / "project" / "data")
    shutil.copy(ROOT / "domain.yml", tmp / "project" / "domain.yml")
    with TestClient(create_app(_settings(tmp))) as client:
        escalate(client, "conv-fuzz")
        yield client


def _caller(path: str, method: str, client: TestClient) -> dict[str, str]:
    if path == "/api/v1/auth/bootstrap":
        return bearer(ADMIN)
    if (path == "/api/v1/handoffs" and method == "POST") or path.startswith(
            "/api/v1/conversations/"):
        return bearer(ACTION)
    return _admin(client)


def _admin(client: TestClient) -> dict[str, str]:
    """The admin's sign-in, restored if an earlier call signed it out, reset its password,
    deactivated or demoted it (the fuzzer calls those endpoints too)."""
    headers = admin_headers(client)
    if client.get("/api/v1/agents/me", headers=headers).json().get("role") == "admin":
        return headers
    services = client.app.state.services
    with services.sessions() as session:
        admin = accounts.find(session, ADMIN_EMAIL)
        admin.role, admin.active = "admin", True
        session.commit()
        token, _ = accounts.sign_in(session, admin, services.settings, None)
    client.admin_headers = bearer(token)
    return client.admin_headers


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error_or_an_off_schema_answer(case: schemathesis.Case,
                                                               fuzzed: TestClient) -> None:
    kwargs = case.as_transport_kwargs()
    kwargs["headers"] = dict(kwargs.get("headers") or {}) | _caller(case.path,
                                                                    case.method.upper(), fuzzed)
    response = fuzzed.request(**{key: value for key, value in kwargs.items()
                                 if key in ("method", "url", "headers", "params", "json",
                                            "content", "cookies", "data", "files")})
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
