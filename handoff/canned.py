"""Canned responses for agents, one text per language, kept in the database so that an admin's
change reaches the next chat an agent opens. The YAML file (`HANDOFF_CANNED_RESPONSES`) seeds
them once, into an empty table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common.protocol import LANGUAGES
from handoff.models import CannedResponse


class CannedResponsesInvalid(ValueError):
    """The file is not a list of {key, text: {en, fa, ar, he}}."""


@dataclass(frozen=True)
class Canned:
    key: str
    texts: dict[str, str]


def read_file(path: Path) -> tuple[Canned, ...]:
    """Read and check the seed file; every response must exist in every language."""
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


def seed(session: Session, path: Path) -> int:
    """Fill an empty table from the file; returns how many were added (0 when not empty)."""
    if session.scalar(select(func.count(CannedResponse.id))):
        return 0
    entries = read_file(path)
    session.add_all(CannedResponse(key=entry.key, texts=entry.texts) for entry in entries)
    session.commit()
    return len(entries)


def all_responses(session: Session) -> list[CannedResponse]:
    """In the order they were made (the seed file's first)."""
    return list(session.scalars(select(CannedResponse).order_by(CannedResponse.id)))
