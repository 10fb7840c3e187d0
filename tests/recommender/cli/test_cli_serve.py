"""`tonearm serve` without the server extra explains itself; the base CLI never imports it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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


def _serve_args(tmp_path: Path, *extra: str) -> list[str]:
    listens = tmp_path / "l.jsonl"
    listens.write_text('{"user": "u", "artist": "a", "title": "t"}\n')
    return ["serve", "--listens", str(listens), "--host", "0.0.0.0", *extra]


def test_serve_refuses_a_token_on_the_command_line_where_ps_shows_it(tmp_path, capsys):
    from recommender.cli.main import main

    assert main(_serve_args(tmp_path, "--token", "s3cret")) == 2
    err = capsys.readouterr().err
    assert "ps" in err and "--token-file" in err and "TONEARM_SERVER_TOKEN" in err


def test_serve_reads_its_token_from_a_file_or_the_environment(tmp_path, monkeypatch):
    import argparse

    from recommender.cli.serve import _read_token
    from recommender.core.errors import UsageError

    monkeypatch.delenv("TONEARM_SERVER_TOKEN", raising=False)
    token_file = tmp_path / "token"
    token_file.write_text("abc123\n")
    args = argparse.Namespace(token=None, token_file=str(token_file))
    assert _read_token(args) == "abc123"
    monkeypatch.setenv("TONEARM_SERVER_TOKEN", "from-env")
    assert _read_token(argparse.Namespace(token=None, token_file=None)) == "from-env"
    token_file.write_text("")
    with pytest.raises(UsageError, match="one token"):
        _read_token(args)
