"""The deployment files (deploy/) describe the scale-out profile that the tests run.

Images cannot be built here, so these tests hold the files to what `make run-scaled` starts
(tools/scaled.py), which tests/e2e/test_scaled.py drives: the same processes with the same
commands, each replica on its tier's port behind the balancer, and every variable a tier reads
that the profile sets.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from handoff.settings import Settings
from tools.model import ROOT
from tools.scaled import REPLICAS, ScaledConfig

DEPLOY = ROOT / "deploy"
HELM = DEPLOY / "helm" / "handoff-desk"
TIERS = ("rasa", "actions", "handoff")
FRONT_PORTS = {"rasa": 5005, "actions": 5055, "handoff": 8000}
ENVIRON = re.compile(r"""environ(?:\.get)?\(\s*["']([A-Z][A-Z0-9_]+)["']"""
                     r"""|environ\[["']([A-Z][A-Z0-9_]+)["']\]""")


def placeholders(path: Path) -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)\}", path.read_text(encoding="utf-8")))


def read_in(folder: str) -> set[str]:
    """The variables the code of `folder` reads from its environment."""
    names: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        for match in ENVIRON.finditer(path.read_text(encoding="utf-8")):
            names.add(match.group(1) or match.group(2))
    return names


def handoff_reads() -> set[str]:
    names = set()
    for field in Settings.model_fields.values():
        choices = getattr(field.validation_alias, "choices", None)
        names.update([field.alias] if field.alias else [])
        names.update(c for c in choices or () if isinstance(c, str) and c.isupper())
    return names


READS = {
    "rasa": lambda: placeholders(ROOT / "endpoints.scaled.yml") | read_in("rasa_runtime"),
    "actions": lambda: read_in("actions"),
    "handoff": handoff_reads,
}


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ScaledConfig:
    """The profile as `make run-scaled` configures it, without this machine's environment."""
    monkeypatch.setattr("os.environ", {})
    return ScaledConfig(var_dir=tmp_path)


def expected(profile: ScaledConfig, tier: str) -> set[str]:
    """What the profile sets of what the tier reads."""
    names = set(profile.environment()) | set(profile.process_environment(f"{tier}-1"))
    return names & READS[tier]()


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.scaled.yml").read_text(encoding="utf-8"))


def test_compose_runs_the_profiles_processes_with_their_commands(profile: ScaledConfig) -> None:
    services = compose()["services"]
    commands = profile.commands()
    assert set(commands) <= set(services)
    for name, command in commands.items():
        theirs = services[name]["command"]
        if name == "balancer":
            assert theirs[0] == "haproxy" and theirs[1] == "-f" and command[1] == "-f"
            continue
        ours = [str(part) for part in command[1:]]
        assert theirs[1:3] == ours[:2], name  # python -m <the same module>
        assert theirs[0] == "python"
        options = dict(zip(theirs[3::2], theirs[4::2], strict=False))
        mine = dict(zip(ours[2::2], ours[3::2], strict=False))
        assert options.keys() == mine.keys(), name
        tier = name.rpartition("-")[0]
        if "--port" in options:
            assert options["--port"] == str(FRONT_PORTS[tier])


def test_compose_balancer_fronts_every_replica_on_the_profiles_ports(
        profile: ScaledConfig) -> None:
    balancer = compose()["services"]["balancer"]
    environment = balancer["environment"]
    assert placeholders(DEPLOY / "haproxy.cfg") <= set(environment)
    # only the public front is published (tests/security/test_deploy_exposure.py)
    assert [int(port.split(":")[1]) for port in balancer["ports"]] == [profile.handoff_port]
    for port in (profile.rasa_port, profile.actions_port, profile.stats_port):
        assert str(port) in environment.values()
    for tier in TIERS:
        for replica in REPLICAS:
            assert environment[f"{tier.upper()}_{replica}"] == \
                f"{tier}-{replica}:{FRONT_PORTS[tier]}"
    assert environment["RASA_PORT"] == str(profile.rasa_port)


@pytest.mark.parametrize("tier", TIERS)
def test_compose_gives_each_tier_the_variables_the_profile_sets(
        profile: ScaledConfig, tier: str) -> None:
    services = compose()["services"]
    wanted = expected(profile, tier)
    assert wanted, tier
    for replica in REPLICAS:
        assert wanted <= set(services[f"{tier}-{replica}"]["environment"]), \
            (tier, sorted(wanted - set(services[f"{tier}-{replica}"]["environment"])))
    ours = profile.environment()
    for name in ("RASA_ENDPOINTS", "RASA_REDIS_LOCK_DB"):
        assert services["rasa-1"]["environment"][name] == ours[name]
    rasa, handoff = services["rasa-1"]["environment"], services["handoff-1"]["environment"]
    assert rasa["RASA_RABBITMQ_QUEUE"] == handoff["HANDOFF_RABBITMQ_QUEUE"]
    assert rasa["RASA_RABBITMQ_EXCHANGE"] == handoff["HANDOFF_RABBITMQ_EXCHANGE"]


def helm_tier(tier: str) -> tuple[list[str], set[str]]:
    """A tier's command and the variables its Deployment and ConfigMap give it."""
    deployment = (HELM / "templates" / f"{tier}.yaml").read_text(encoding="utf-8")
    command = re.search(r"command: \[(.*)\]", deployment).group(1)
    names = set(re.findall(r"name: ([A-Z][A-Z0-9_]+)", deployment))
    for document in (HELM / "templates" / "config.yaml").read_text(encoding="utf-8").split("---"):
        if f"name: {{{{ .Release.Name }}}}-{tier}\n" in document:
            names |= set(re.findall(r"^  ([A-Z][A-Z0-9_]+):", document, re.MULTILINE))
    return [part.strip().strip('"') for part in command.split(",")], names


@pytest.mark.parametrize("tier", TIERS)
def test_the_helm_chart_runs_each_tier_like_the_profile(profile: ScaledConfig, tier: str) -> None:
    values = yaml.safe_load((HELM / "values.yaml").read_text(encoding="utf-8"))
    assert values["replicas"][tier] == len(REPLICAS)
    command, names = helm_tier(tier)
    ours = [str(part) for part in profile.commands()[f"{tier}-1"][1:]]
    assert command[1:3] == ours[:2]
    if "--port" in command:
        assert command[command.index("--port") + 1] == str(FRONT_PORTS[tier])
    wanted = expected(profile, tier)
    assert wanted <= names, (tier, sorted(wanted - names))
