"""`make train` keeps all of Rasa's output in its log and shows the slow steps on the terminal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tools.train import _relay

RASA_LIKE = (r"import sys; sys.stdout.write('INFO rasa.engine  - Starting to train component "
             r"\'LogisticRegressionClassifier\'.\nDEBUG noise\n'); sys.stdout.flush(); "
             r"sys.stderr.write('embedding sentences: 64/500 (12 %, 90/s)\rembedding sentences: "
             r"500/500 (100 %, 95/s)\n')")


def test_the_log_gets_everything_and_the_terminal_the_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    child = subprocess.Popen([sys.executable, "-c", RASA_LIKE], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    with (tmp_path / "train.log").open("wb") as log:
        _relay(child.stdout, log)
    child.wait()
    logged = (tmp_path / "train.log").read_text()
    assert "DEBUG noise" in logged and "500/500" in logged
    shown = capsys.readouterr().err
    assert "training component 'LogisticRegressionClassifier'" in shown
    assert "embedding sentences: 64/500" in shown and "embedding sentences: 500/500" in shown
    assert "DEBUG noise" not in shown
