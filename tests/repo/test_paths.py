"""Every path of this repository that a doc, a comment or a string names exists.

A reader follows the paths the README, `bench/README.md`, `docs/` and the code's comments give;
one that was renamed or never existed sends them nowhere. Generated places (`var/`, `models/`,
`artifacts/`) and patterns (`<language>`, `*`) are not checked.
"""

from __future__ import annotations

import re
import subprocess
from itertools import product
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ("var/", "models/", "artifacts/")
SKIPPED_FILES = ("handoff/web/widget/socket.io.min.js", "bench/data/", "tests/nlu_holdout/",
                 "data/nlu/")
TEXT = (".md", ".py", ".js", ".yml", ".yaml", ".ini", ".toml", ".html", ".css", ".in")


def tracked() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [name for name in listed.splitlines() if (ROOT / name).is_file()]


def top_level_dirs(files: list[str]) -> set[str]:
    return {name.split("/", 1)[0] for name in files if "/" in name}


def expand(path: str) -> list[str]:
    """`data/nlu/{en,fa}.yml` -> both files; `{language}` (a placeholder) -> nothing."""
    parts = re.split(r"\{([^{}]*)\}", path)
    if any(index % 2 and "," not in part for index, part in enumerate(parts)):
        return []
    choices = [[part] if index % 2 == 0 else part.split(",") for index, part in enumerate(parts)]
    return ["".join(chosen) for chosen in product(*choices)]


def named_paths(text: str, roots: set[str]) -> set[str]:
    pattern = re.compile(r"(?<![\w./-])((?:" + "|".join(map(re.escape, sorted(roots)))
                         + r")/[\w./{},-]*)")
    found = set()
    for match in pattern.finditer(text):
        path = match.group(1).rstrip(".,:;/-")
        after = text[match.end():match.end() + 1]
        if (after in "<*" and after) or path.startswith(GENERATED):
            continue
        found.update(expand(path))
    return found


def test_every_named_path_exists() -> None:
    files = tracked()
    roots = top_level_dirs(files) - {"shared"}
    missing = []
    for name in files:
        if name.startswith(SKIPPED_FILES) or not (name.endswith(TEXT) or "/" not in name):
            continue
        text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
        missing += [f"{name}: {path}" for path in sorted(named_paths(text, roots))
                    if not (ROOT / path).exists()]
    assert missing == []


def test_nothing_points_outside_the_repository() -> None:
    """A user has the clone only: no `../shared/` (the developers' design notes)."""
    offenders = [name for name in tracked() if name.endswith(TEXT) and not name.startswith(
        SKIPPED_FILES) and "../shared" in (ROOT / name).read_text(encoding="utf-8",
                                                                  errors="replace")]
    assert offenders == [] or offenders == ["tests/repo/test_paths.py"]
