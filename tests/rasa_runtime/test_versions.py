"""Start-up stops, naming the package, when Rasa or Sanic is not the release the fixes patch."""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata

import pytest

from rasa_runtime import versions


def installed(found: dict[str, str]) -> Callable[[str], str]:
    def version(name: str) -> str:
        if name not in found:
            raise metadata.PackageNotFoundError(name)
        return found[name]

    return version


def test_the_pinned_releases_pass() -> None:
    versions.check(installed({"rasa": "3.6.21", "sanic": "21.12.2"}))
    versions.check()  # and so does this environment, installed from requirements/rasa.lock


@pytest.mark.parametrize(("found", "named"), [
    ({"rasa": "3.6.20", "sanic": "21.12.2"}, "rasa 3.6.20"),
    ({"rasa": "3.6.21", "sanic": "22.12.0"}, "sanic 22.12.0"),
    ({"rasa": "3.6.21"}, "sanic not installed"),
])
def test_another_release_is_refused_by_name(found: dict[str, str], named: str) -> None:
    with pytest.raises(versions.UnsupportedVersion, match=named):
        versions.check(installed(found))
