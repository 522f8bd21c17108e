"""The action server answers only Rasa, which sends ACTION_SERVER_TOKEN (actions/server.py);
without that token it does not start."""

from __future__ import annotations

import pytest

from actions import server


def test_without_its_token_it_stops_and_names_it(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    assert server.main(["--port", "1"]) == 2
    assert "ACTION_SERVER_TOKEN" in capsys.readouterr().err


class _Request:
    def __init__(self, authorization: str | None) -> None:
        self.headers = {"Authorization": authorization} if authorization else {}


@pytest.mark.parametrize(("header", "allowed"), [
    ("Bearer s3cret", True), ("Bearer s3cret ", False), ("s3cret", False),
    ("Bearer other", False), (None, False), ("Bearer ü", False)])
def test_only_the_bearer_token_is_taken(header: str | None, allowed: bool) -> None:
    assert server.authorized(_Request(header), "s3cret") is allowed  # type: ignore[arg-type]
