"""The window's first rows need Qt and numpy, not the discovery stack: scipy (0.2 s of a
0.4 s import here) and onnxruntime load with the first job that uses them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]
NOT_BEFORE_ROWS = ("scipy", "onnxruntime", "sklearn", "soundfile", "av")

_PROBE = """
import json, sys
import player.shell.main_window  # everything the window imports before it shows rows
print(json.dumps(sorted(sys.modules)))
"""


def test_the_window_imports_no_discovery_library_before_its_rows():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    assert "PySide6.QtWidgets" in loaded and "numpy" in loaded  # the probe saw the window's
    assert [m for m in NOT_BEFORE_ROWS if m in loaded] == []
