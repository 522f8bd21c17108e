"""Files replaced whole or not at all: the NLU data, the domain and the models.

A file is written under a temporary name in its own folder, flushed to the disk, and renamed
over the old one (os.replace is atomic on one file system); the folder is flushed too, so the
rename survives a crash. A write that fails or is interrupted leaves the old file as it was and
no half-written one beside it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def install(written: Path, path: Path) -> None:
    """Put the finished file `written` (in `path`'s folder) in the place of `path`."""
    with open(written, "rb") as done:
        os.fsync(done.fileno())
    os.replace(written, path)
    _sync_folder(path.parent)


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Replace `path`'s content with `text`, atomically, keeping its mode (a file that did not
    exist yet is made readable by its owner only)."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding=encoding, newline="") as out:
            out.write(text)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        install(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
