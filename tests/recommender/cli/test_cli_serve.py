"""`tonearm serve` without the server extra explains itself; the base CLI never imports it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )


def test_serve_without_fastapi_names_the_extra(tmp_path):
    listens = tmp_path / "l.jsonl"
    listens.write_text('{"user": "u", "artist": "a", "title": "t"}\n')
    code = (
        "import sys; sys.modules['fastapi'] = None; sys.modules['uvicorn'] = None\n"
        "from recommender.cli.main import main\n"
        f"sys.exit(main(['serve', '--listens', {str(listens)!r}]))"
    )
    result = _run(code)
    assert result.returncode == 2
    assert "server' extra" in result.stderr and "tonearm[server]" in result.stderr


def test_cli_help_imports_neither_the_server_nor_the_http_client():
    code = (
        "import sys\n"
        "from recommender.cli.main import build_parser\n"
        "build_parser()\n"
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'httpx', 'recommender.server')"
        " if m in sys.modules))"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
