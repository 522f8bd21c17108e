"""Where the trained model for the current training data lives.

The model is named after a fingerprint of everything that shapes it, so `make run`, `make test`
and CI train once and reuse the model until the data, the config or our NLU components change.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
_INPUTS = ("config.yml", "domain.yml", "data", "nlu", "common")


def _input_files() -> list[Path]:
    files: list[Path] = []
    for name in _INPUTS:
        path = ROOT / name
        if path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        elif path.is_file():
            files.append(path)
    return sorted(files)


def fingerprint() -> str:
    """Return a hash over the names and contents of the files that shape the model."""
    digest = hashlib.sha256()
    for path in _input_files():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def model_path() -> Path:
    """Return the path the model for the current inputs has, whether or not it exists yet."""
    return MODELS / f"{fingerprint()}.tar.gz"
