"""Refuses to start Rasa when the installed Rasa or Sanic is not the one the fixes were written for.

Every fix in `rasa_runtime/fixes/` replaces a private function of a pinned release. On another
release it could silently do nothing, or break something, so start-up stops with a clear message
instead.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata

# distribution -> the version prefix the fixes were written and tested for
WRITTEN_FOR = {"rasa": "3.6.21", "sanic": "21.12."}


class UnsupportedVersion(RuntimeError):
    """An installed package is not the release the fixes patch."""


def check(installed: Callable[[str], str] = metadata.version) -> None:
    """Raise UnsupportedVersion naming every package whose release differs."""
    wrong = []
    for name, expected in WRITTEN_FOR.items():
        try:
            found = installed(name)
        except metadata.PackageNotFoundError:
            found = "not installed"
        if not (found == expected or (expected.endswith(".") and found.startswith(expected))):
            wrong.append(f"{name} {found} (the fixes were written for {expected.rstrip('.')}"
                         f"{'.x' if expected.endswith('.') else ''})")
    if wrong:
        raise UnsupportedVersion(
            "rasa_runtime: refusing to patch " + "; ".join(wrong) + ". Install the pinned "
            "versions (make setup, from requirements/rasa.lock), or review every module in "
            "rasa_runtime/fixes/ against the new release and update WRITTEN_FOR.")
