"""`tonearm --help` and every `COMMAND --help` answer without loading the numeric libraries.

numpy, scipy, onnxruntime and sqlite-utils cost most of half a second to import; help, the
version and a mistyped option need none of them. Checked on what a process really loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from recommender.cli.recommend import PLAYLIST_MODES
from recommender.discovery.flow import MODES

ROOT = Path(__file__).parents[3]
HEAVY = ("numpy", "scipy", "onnxruntime", "sqlite_utils", "soundfile", "mutagen", "PySide6")

# In one process: every command path of the parser tree with --help, through the launcher
# `tonearm` runs, then the modules that ended up loaded.
_PROBE = """
import argparse, contextlib, io, json, sys
from player.shell.launcher import main
from recommender.cli.main import build_parser

def paths(parser, prefix):
    yield prefix
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from paths(sub, [*prefix, name])

helps = {}
for path in list(paths(build_parser(), [])) + [["--version"]]:
    argv = path if path == ["--version"] else [*path, "--help"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    helps[" ".join(argv)] = [code, out.getvalue()]
print(json.dumps({"helps": helps, "modules": sorted(sys.modules)}))
"""


def test_every_help_loads_no_numeric_library():
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    helps = probe["helps"]
    assert {"--help", "scan --help", "analyze --help", "playlist import --help"} <= set(helps)
    for argv, (code, text) in helps.items():
        assert code in (0, None), argv
        assert text.strip(), f"`tonearm {argv}` printed nothing"
    assert "usage: tonearm scan" in helps["scan --help"][1]
    assert [m for m in HEAVY if m in probe["modules"]] == []


def test_playlist_modes_offered_are_the_modes_the_generator_knows():
    assert PLAYLIST_MODES == MODES
