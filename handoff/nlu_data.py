"""Writes the trainers' decisions into the bot's NLU data, as a careful trainer would by hand.

Each language's examples live in `data/nlu/<language>.yml`. Accepted messages are appended to
their intent's block with ruamel.yaml's round trip, so the file's comments, order, quoting and
layout stay as they were, and the change is an ordinary diff of the repository's files, ready
to commit. A new intent is added to the NLU file and to the domain's intents. A message is not
written when the data already has it in any language (after normalisation), when it is a
sentence of the held-out sets (tests/nlu_holdout/: training on them would void the evaluation
that judges the new model), or when Rasa would read it as an entity annotation. Each file is
replaced whole (tools/files.py): an interrupted write leaves the old one.
"""

from __future__ import annotations

import difflib
import io
import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from common.protocol import LANGUAGES
from common.text import ANNOTATION, comparable, plain
from tools import files

INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
MAX_CHARACTERS = 500
VALIDATE_SECONDS = 300
# Rasa's environment: the edited project's own, else the one beside this service
REPO = Path(__file__).resolve().parent.parent
_COLOURS = re.compile(r"\x1b\[[0-9;]*m")
# what Rasa's start-up prints that says nothing about the data: TensorFlow's log, deprecation
# warnings of its libraries, and the source lines Python echoes under a warning
_NOISE = re.compile(r"tensorflow|Deprecat|declare_namespace|^\s{2}|^To enable|rebuild TensorFlow")


class InvalidIntent(ValueError):
    """Not a name Rasa and the domain accept for an intent."""


@dataclass
class Written:
    """What one decision did to the data: the messages added and those left out, and why."""

    language: str
    intent: str
    added: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)
    held_out: list[str] = field(default_factory=list)
    unusable: list[str] = field(default_factory=list)  # empty, too long, or an annotation
    new_intent: bool = False
    diff: str = ""


@dataclass(frozen=True)
class Validation:
    ok: bool
    output: str  # the end of `rasa data validate`'s output


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=2, offset=0)
    yaml.width = 4096
    return yaml


def _dump(document: Any) -> str:
    out = io.StringIO()
    _yaml().dump(document, out)
    return out.getvalue()


def _examples(block: Any) -> list[str]:
    return [line.strip()[2:] for line in str(block.get("examples") or "").splitlines()
            if line.strip().startswith("- ")]


def one_line(text: str) -> str:
    """A message as an example: one line, single spaces."""
    return " ".join(text.split())


class NluData:
    """The NLU files, domain and held-out sets of one project directory."""

    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir
        self.nlu_dir = project_dir / "data" / "nlu"
        self.domain = project_dir / "domain.yml"
        self.holdout = project_dir / "tests" / "nlu_holdout"
        self._writing = threading.Lock()  # two trainers' decisions are written one by one

    def path(self, language: str) -> Path:
        if language not in LANGUAGES:
            raise ValueError(f"no NLU data for language {language!r}")
        return self.nlu_dir / f"{language}.yml"

    def intents(self) -> list[str]:
        """The domain's intents, in its order."""
        return [str(name) for name in _yaml().load(self.domain.read_text())["intents"]]

    def _sentences(self, paths: list[Path]) -> set[str]:
        found = set()
        for path in paths:
            for block in _yaml().load(path.read_text()).get("nlu") or []:
                if "intent" in block:
                    found |= {comparable(plain(example)) for example in _examples(block)}
        return found

    def add(self, language: str, intent: str, messages: list[str]) -> Written:
        """Append `messages` to `intent` in `language`'s file (the intent is made if new)."""
        if not INTENT_NAME.match(intent) or intent == "nlu_fallback":
            raise InvalidIntent(f"{intent!r} is not an intent name (a-z, 0-9 and _)")
        with self._writing:
            return self._add(language, intent, messages)

    def _add(self, language: str, intent: str, messages: list[str]) -> Written:
        path = self.path(language)
        written = Written(language, intent)
        known = self._sentences(sorted(self.nlu_dir.glob("*.yml")))
        held_out = self._sentences(sorted(self.holdout.glob("*/*.yml")))
        for message in messages:
            example = one_line(message)
            form = comparable(example)
            if not form or len(example) > MAX_CHARACTERS or ANNOTATION.search(example):
                written.unusable.append(message)
            elif form in held_out:
                written.held_out.append(message)
            elif form in known:
                written.already_there.append(message)
            else:
                known.add(form)
                written.added.append(example)
        if not written.added:
            return written
        before = path.read_text()
        document = _yaml().load(before)
        blocks = document["nlu"]
        block = next((b for b in blocks if b.get("intent") == intent), None)
        lines = "".join(f"- {example}\n" for example in written.added)
        if block is None:
            blocks.append({"intent": intent, "examples": LiteralScalarString(lines)})
        else:
            old = str(block["examples"])
            block["examples"] = LiteralScalarString(old + ("" if old.endswith("\n") else "\n")
                                                    + lines)
        after = _dump(document)
        diffs = [self._diff(path, before, after)]
        if intent not in self.intents():
            written.new_intent = True
            domain_before = self.domain.read_text()
            domain = _yaml().load(domain_before)
            domain["intents"].append(intent)
            domain_after = _dump(domain)
            files.write_text(self.domain, domain_after)
            diffs.append(self._diff(self.domain, domain_before, domain_after))
        files.write_text(path, after)
        written.diff = "".join(diffs)
        return written

    def _diff(self, path: Path, before: str, after: str) -> str:
        name = str(path.relative_to(self.project_dir))
        return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                            after.splitlines(keepends=True),
                                            f"a/{name}", f"b/{name}"))

    def validate(self) -> Validation:
        """`rasa data validate` on the project, with Rasa's own environment."""
        rasa = next((place / ".venv-rasa" / "bin" / "rasa" for place in (self.project_dir, REPO)
                     if (place / ".venv-rasa" / "bin" / "rasa").exists()), None)
        if rasa is None:
            return Validation(False, "Rasa's environment (.venv-rasa) is not installed: make setup")
        try:
            done = subprocess.run([str(rasa), "data", "validate"], cwd=self.project_dir,
                                  capture_output=True, text=True, timeout=VALIDATE_SECONDS,
                                  env={"RASA_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin"})
        except subprocess.TimeoutExpired:
            return Validation(False, f"rasa data validate took over {VALIDATE_SECONDS} s")
        plain = _COLOURS.sub("", done.stdout + done.stderr)
        output = "\n".join(line for line in plain.splitlines()
                           if line.strip() and not _NOISE.search(line))
        return Validation(done.returncode == 0, output[-4000:])
