"""Each setting is read from its variable, and a bad or missing one is named in the error."""

from __future__ import annotations

import pytest

from handoff.settings import InvalidSettings, load_settings

REQUIRED = {
    "HANDOFF_EVENTS_URL": "sqlite:///var/events.db",
    "RASA_JWT_SECRET": "r" * 32,
    "HANDOFF_ACTION_SECRET": "a" * 16,
    "HANDOFF_JWT_SECRET": "j" * 32,
    "HANDOFF_ADMIN_TOKEN": "b" * 16,
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_values_come_from_their_variables(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("HANDOFF_TOKEN_TTL_MINUTES", "60")
    environment.setenv("RASA_URL", "http://rasa:5005/")
    settings = load_settings()
    assert settings.token_ttl_minutes == 60
    assert settings.rasa_url == "http://rasa:5005"
    assert settings.widget_socket_url == "http://rasa:5005"  # follows RASA_URL unless set
    environment.setenv("HANDOFF_WIDGET_SOCKET_URL", "https://bot.example.com")
    assert load_settings().widget_socket_url == "https://bot.example.com"


def test_a_bad_or_missing_value_names_its_variable(environment: pytest.MonkeyPatch) -> None:
    environment.delenv("HANDOFF_EVENTS_URL")
    environment.setenv("HANDOFF_JWT_SECRET", "j" * 31)
    environment.setenv("HANDOFF_ADMIN_TOKEN", "short")
    environment.setenv("HANDOFF_POLL_INTERVAL", "fast")
    with pytest.raises(InvalidSettings) as raised:
        load_settings()
    problems = dict(line.strip().split(": ", 1) for line in str(raised.value).splitlines()[1:])
    assert problems["HANDOFF_EVENTS_URL"] == "Field required"
    assert "at least 32 characters" in problems["HANDOFF_JWT_SECRET"]
    assert "at least 16 characters" in problems["HANDOFF_ADMIN_TOKEN"]
    assert "valid number" in problems["HANDOFF_POLL_INTERVAL"]
