"""Canned responses for agents, per language, from a YAML file the team edits."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from common.protocol import LANGUAGES


class CannedResponsesInvalid(ValueError):
    """The file is not a list of {key, text: {en, fa, ar, he}}."""


@dataclass(frozen=True)
class Canned:
    key: str
    texts: dict[str, str]


@lru_cache(maxsize=8)
def load(path: Path) -> tuple[Canned, ...]:
    """Read and check the file once; every response must exist in every language."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(entries, list):
        raise CannedResponsesInvalid(f"{path}: expected a list of responses")
    loaded = []
    for entry in entries:
        texts = entry.get("text") if isinstance(entry, dict) else None
        if not isinstance(texts, dict) or not entry.get("key"):
            raise CannedResponsesInvalid(f"{path}: each response needs a key and a text")
        missing = [lang for lang in LANGUAGES if not str(texts.get(lang) or "").strip()]
        if missing:
            raise CannedResponsesInvalid(f"{path}: {entry['key']} has no text in {missing}")
        loaded.append(Canned(str(entry["key"]), {lang: str(texts[lang]) for lang in LANGUAGES}))
    return tuple(loaded)
