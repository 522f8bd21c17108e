"""Train the Rasa model unless one for the current inputs already exists.

    .venv/bin/python -m tools.train [--project DIR]

The full output of Rasa goes to var/logs/train.log (or DIR/var/logs/); the terminal shows one
updating line: the phase, and the percentage while sentences are embedded. The trainers' page
runs the same command and reads the same lines. The last line names the model.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from nlu.sentence_embeddings import DEFAULT_STORE, STORE_VARIABLE
from tools import files
from tools.model import ROOT, fingerprint, keep_data, model_path

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
# what of Rasa's output shows on the terminal: the embedding's progress and each component started
PROGRESS = re.compile(rb"embedding sentences: [^\r\n]*|Starting to train component '[^']+'")


def train(project: Path = ROOT) -> int:
    target = model_path(project)
    if target.exists():
        print(f"model up to date: {target}")
        return 0
    log = project / "var" / "logs" / "train.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"training {target.name} (log: {log}) ...", flush=True)
    # our components come from this repository; the embeddings made here are kept for the next run
    env = os.environ | {"RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT),
                        STORE_VARIABLE: os.environ.get(STORE_VARIABLE) or str(ROOT / DEFAULT_STORE)}
    # Rasa writes into a folder of its own beside the models; the model takes its name only when
    # complete (an interrupted run would otherwise leave a broken model that looks up to date)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".training-"))
    command = [
        str(RASA), "train", "--out", str(staging),
        "--fixed-model-name", fingerprint(project),
    ]
    started = time.monotonic()
    try:
        with log.open("wb") as output, subprocess.Popen(
                command, cwd=project, env=env, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT) as rasa:
            _relay(rasa.stdout, output)
            returncode = rasa.wait()
        trained = staging / target.name
        if returncode != 0 or not trained.exists():
            print(f"training failed; the end of {log}:", file=sys.stderr)
            print("".join(log.read_text().splitlines(keepends=True)[-30:]), file=sys.stderr)
            return returncode or 1
        keep_data(project, target)
        files.install(trained, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"trained in {time.monotonic() - started:.0f} s: {target}")
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
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, default=ROOT)
    sys.exit(train(parser.parse_args().project.resolve()))
