"""The README's layout table names every top-level file and folder of the repository, and
nothing that is not there (besides the folders the system makes at run time)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MADE_AT_RUN_TIME = {"artifacts", "var"}
SELF_EXPLAINING = {"README.md", ".gitignore"}


def layout_entries() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name.rstrip("/") for row in rows for name in re.findall(r"`([^`]+)`", row)}


def top_level() -> set[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {name.split("/", 1)[0] for name in listed.splitlines()} - SELF_EXPLAINING


def test_the_layout_table_matches_the_tree() -> None:
    entries = layout_entries()
    assert top_level() - entries == set(), "in the tree but not in the README's layout"
    assert entries - top_level() - MADE_AT_RUN_TIME == set(), "in the layout but not in the tree"
