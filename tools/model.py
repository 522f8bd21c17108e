"""Where the trained model for the current training data lives.

The model is named after a fingerprint of everything that shapes it, so `make run`, `make test`
and CI train once and reuse the model until the data, the config or our NLU components change.
A project is a folder with config.yml, domain.yml and data/ (by default this repository; the
trainers' page may edit a copy); its models go to its models/ folder. Beside each model,
`<name>.data/` keeps the NLU data and config it was trained on, so a later report can
cross-validate the model it replaces.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
_PROJECT_INPUTS = ("config.yml", "domain.yml", "data")  # from the project
_CODE_INPUTS = ("nlu", "common")  # our components, from this repository


def _files(root: Path, names: tuple[str, ...]) -> list[tuple[str, Path]]:
    files: list[tuple[str, Path]] = []
    for name in names:
        path = root / name
        if path.is_dir():
            files.extend((str(p.relative_to(root)), p) for p in path.rglob("*")
                         if p.is_file() and "__pycache__" not in p.parts)
        elif path.is_file():
            files.append((name, path))
    return files


def fingerprint(project: Path = ROOT) -> str:
    """Return a hash over the names and contents of the files that shape the model."""
    digest = hashlib.sha256()
    for name, path in sorted(_files(project, _PROJECT_INPUTS) + _files(ROOT, _CODE_INPUTS)):
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def model_path(project: Path = ROOT) -> Path:
    """Return the path the model for the current inputs has, whether or not it exists yet."""
    return project / "models" / f"{fingerprint(project)}.tar.gz"


def data_of(model: Path) -> Path:
    """The folder beside `model` with the NLU data (nlu/) and config.yml it was trained on."""
    return model.with_name(model.name.removesuffix(".tar.gz") + ".data")


def keep_data(project: Path, model: Path) -> None:
    """Copy the project's NLU data and config beside its newly trained model: into a new folder
    first, which then takes the place of any older copy (never a half-copied folder)."""
    target = data_of(model)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        shutil.copytree(project / "data" / "nlu", staging / "nlu")
        shutil.copy2(project / "config.yml", staging / "config.yml")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
