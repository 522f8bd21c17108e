"""Train the Rasa model unless one for the current inputs already exists."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tools.model import MODELS, ROOT, fingerprint, model_path

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
LOG = ROOT / "var" / "logs" / "train.log"


def train() -> int:
    target = model_path()
    if target.exists():
        print(f"model up to date: {target.relative_to(ROOT)}")
        return 0
    LOG.parent.mkdir(parents=True, exist_ok=True)
    print(f"training {target.relative_to(ROOT)} (log: {LOG.relative_to(ROOT)}) ...", flush=True)
    env = os.environ | {"RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    command = [
        str(RASA), "train", "--out", str(MODELS), "--fixed-model-name", fingerprint(),
    ]
    started = time.monotonic()
    with LOG.open("w") as log:
        result = subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode != 0 or not target.exists():
        print(f"training failed; the end of {LOG}:", file=sys.stderr)
        print("".join(LOG.read_text().splitlines(keepends=True)[-30:]), file=sys.stderr)
        return result.returncode or 1
    print(f"trained in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(train())
