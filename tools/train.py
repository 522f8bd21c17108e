"""Train the Rasa model unless one for the current inputs already exists."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from typing import BinaryIO

from tools.model import MODELS, ROOT, fingerprint, model_path

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
LOG = ROOT / "var" / "logs" / "train.log"
# what of Rasa's output shows on the terminal: the embedding's progress and each component started
PROGRESS = re.compile(rb"embedding sentences: [^\r\n]*|Starting to train component '[^']+'")


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
    with LOG.open("wb") as log, subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as rasa:
        _relay(rasa.stdout, log)
        returncode = rasa.wait()
    if returncode != 0 or not target.exists():
        print(f"training failed; the end of {LOG}:", file=sys.stderr)
        print("".join(LOG.read_text().splitlines(keepends=True)[-30:]), file=sys.stderr)
        return returncode or 1
    print(f"trained in {time.monotonic() - started:.0f} s")
    return 0


def _relay(output: BinaryIO, log: BinaryIO) -> None:
    """All of Rasa's output to the log; one updating line of progress to the terminal."""
    pending = b""
    while chunk := os.read(output.fileno(), 65536):
        log.write(chunk)
        *segments, pending = re.split(rb"[\r\n]", pending + chunk)
        for segment in segments:
            if found := PROGRESS.search(segment):
                line = found.group().decode(errors="replace")
                line = line.replace("Starting to train", "training")
                sys.stderr.write(f"\r  {line[:70]:<70}")
                sys.stderr.flush()
    sys.stderr.write("\r" + " " * 72 + "\r")


if __name__ == "__main__":
    sys.exit(train())
