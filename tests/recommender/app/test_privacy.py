"""Nothing leaves the machine and nothing is written outside Tonearm's folders (docs/privacy.md).

The runs go through scripts/privacy_check.py, the same check CI runs on the bundle: strace sees
native code and child processes too, which a Python audit hook would miss.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("privacy_check", ROOT / "scripts/privacy_check.py")
privacy_check = importlib.util.module_from_spec(_spec)
sys.modules["privacy_check"] = privacy_check
_spec.loader.exec_module(privacy_check)

needs_strace = pytest.mark.skipif(
    shutil.which("strace") is None, reason="strace is not installed (scripts/setup-env adds it)"
)


def test_trace_parser_flags_internet_calls_and_foreign_writes(tmp_path: Path) -> None:
    box = privacy_check.Sandbox(tmp_path)
    home = box.home
    log = "\n".join(
        [
            f'10 connect(3, {{sa_family=AF_UNIX, sun_path="{box.runtime}/bus"}}, 110) = 0',
            '11 connect(8, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")'
            "}, 16) = 0",
            '11 sendto(8, "\\6mobile\\6events"..., 50, MSG_NOSIGNAL, NULL, 0) = 50',
            "12 connect(9, {sa_family=AF_INET6, sin6_port=htons(443)}, 28 <unfinished ...>",
            f'13 openat(AT_FDCWD, "{home}/.cache/Microsoft/id", O_WRONLY|O_CREAT, 0644) = 5',
            f'13 openat(AT_FDCWD, "{home}/.config/Tonearm/Tonearm.conf", O_RDWR|O_CREAT, 0644) = 6',
            f'13 openat(AT_FDCWD, "{home}/.bashrc", O_RDONLY|O_CLOEXEC) = 7',
            f'13 mkdir("{home}/.cache/Microsoft", 0777) = 0',
            f'13 mkdir("{home}/.cache", 0777) = -1 EEXIST (File exists)',
            f'13 rename("{box.data}/.settings-1.json", "{box.data}/settings.json") = 0',
            '13 openat(AT_FDCWD, "/dev/null", O_WRONLY) = 8',
        ]
    )
    network, writes = privacy_check.parse_trace(log, box)
    assert [line.split()[1].split("(")[0] for line in network] == ["connect", "connect"]
    assert writes == [
        f"openat {home}/.cache/Microsoft/id",
        f"mkdir {home}/.cache/Microsoft",
    ]


@needs_strace
def test_self_test_analyze_and_app_make_no_network_call_and_write_only_their_folders(
    tmp_path: Path,
) -> None:
    probes = privacy_check.probe_all([sys.executable, "-m", "player"], tmp_path)
    assert [p.name for p in probes] == ["self-test", "scan", "analyze", "app"]
    failed = [p.summary() for p in probes if not p.clean]
    assert not failed, "\n".join(failed)
