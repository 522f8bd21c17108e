"""Running Rasa's CLI from the benchmarks, with its own training cache."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tools.model import ROOT

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"


def rasa(*args: str, cache: Path) -> None:
    """Run `rasa <args>`; an empty `cache` folder makes training times real (no reuse of Rasa's
    cache or of stored embeddings)."""
    env = os.environ | {"RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT),
                        "RASA_CACHE_DIRECTORY": str(cache),
                        "NLU_EMBEDDING_STORE": str(cache / "embeddings.sqlite3")}
    result = subprocess.run([str(RASA), *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"rasa {' '.join(args[:2])} failed:\n{result.stdout[-3000:]}")
