#!/usr/bin/env python3
"""Prove Tonearm keeps to itself: no network call and no file written outside its own folders.

Each probe runs one Tonearm command under `strace -f` (native code and every child process
included, which a Python audit hook cannot see) with a fresh HOME, XDG folders and TMPDIR, and
the remote service off. It fails on any connect/sendto/sendmsg to an internet address (DNS
lookups included: glibc's resolver talks to the name server over UDP/TCP) and on any file opened
for writing, created, renamed or linked outside Tonearm's own folders.

Usage: scripts/privacy_check.py [TONEARM ...]   (default: this interpreter, -m player). CI runs
it on the bundle: `scripts/privacy_check.py dist/Tonearm/tonearm`. The tests import it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

TRACE_CALLS = (
    "connect,sendto,sendmsg,sendmmsg,open,openat,openat2,creat,mkdir,mkdirat,"
    "rename,renameat,renameat2,link,linkat,symlink,symlinkat"
)
# Paths the system itself owns: devices, kernel views, pipes; writing there is not storage.
SYSTEM_PREFIXES = ("/dev/", "/proc/", "/sys/")
WRITE_FLAGS = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND")
LINE = re.compile(r"^(?P<pid>\d+)\s+(?P<call>\w+)\((?P<args>.*)")
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
FAILED_CALL = re.compile(r"\) = -1 E[A-Z]+ \([^()]*\)$")
INET = re.compile(r"sa_family=AF_INET6?\b")
GUI_WAIT_S = 90.0
APP_MIN_RUN_S = 15.0


@dataclass
class Probe:
    """What one traced command did that it should not have."""

    name: str
    returncode: int | None = None
    network: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def clean(self) -> bool:
        return not (self.network or self.writes or self.leftovers) and self.returncode == 0

    def summary(self) -> str:
        verdict = "ok" if self.clean else "FAILED"
        lines = [f"privacy: {verdict:<6} {self.name} (exit {self.returncode}) {self.note}".rstrip()]
        lines += [f"  network: {n}" for n in self.network[:20]]
        lines += [f"  wrote outside Tonearm's folders: {w}" for w in self.writes[:20]]
        lines += [f"  left behind: {p}" for p in self.leftovers[:20]]
        return "\n".join(lines)


@dataclass
class Sandbox:
    """A fresh HOME with the XDG folders inside it; Tonearm may write only to `allowed`."""

    root: Path

    def __post_init__(self) -> None:
        self.home = self.root / "home"
        self.tmp = self.root / "tmp"
        self.runtime = self.root / "run"
        self.data = self.root / "data"
        self.music = self.root / "music"
        for folder in (self.home, self.tmp, self.runtime, self.music):
            folder.mkdir(parents=True, exist_ok=True)
        self.runtime.chmod(0o700)

    @property
    def allowed(self) -> tuple[Path, ...]:
        """Tonearm's own folders: its data folder (explicit or default), config, cache, the
        Qt settings file named after it, its runtime socket folder and temporary files."""
        home = self.home
        return (
            self.data,
            home / ".local/share/tonearm",
            home / ".config/tonearm",
            home / ".config/Tonearm",  # QSettings(organization "Tonearm"): window geometry
            home / ".cache/tonearm",
            self.runtime,
            self.tmp,  # tempfile and multiprocessing; must be empty again at exit
        )

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("XDG_", "TONEARM_", "ORT_")) and k not in ("HOME", "TMPDIR")
        }
        env.update(
            HOME=str(self.home),
            TMPDIR=str(self.tmp),
            XDG_RUNTIME_DIR=str(self.runtime),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_DATA_HOME=str(self.home / ".local/share"),
            QT_QPA_PLATFORM="offscreen",
            PYTHONDONTWRITEBYTECODE="1",
        )
        return env

    def is_allowed(self, path: str) -> bool:
        if path.startswith(SYSTEM_PREFIXES) or not path.startswith("/"):
            return True
        resolved = Path(os.path.normpath(path))
        return any(resolved == a or a in resolved.parents for a in self.allowed)


def make_music(folder: Path, count: int = 3, seconds: float = 6.0) -> list[Path]:
    """A few tagged tones in the formats analysis decodes differently (FLAC, Ogg, MP3)."""
    import numpy as np
    import soundfile as sf
    from mutagen import File as MutagenFile

    rate = 22050
    t = np.arange(int(seconds * rate)) / rate
    paths = []
    for i, suffix in zip(range(count), (".flac", ".ogg", ".mp3"), strict=False):
        path = folder / f"Probe Artist - Tone {i}{suffix}"
        sf.write(str(path), (0.3 * np.sin(2 * np.pi * (220 + 110 * i) * t)).astype("float32"), rate)
        audio = MutagenFile(str(path), easy=True)
        if audio is not None:
            if audio.tags is None:
                audio.add_tags()
            audio["artist"], audio["title"] = "Probe Artist", f"Tone {i}"
            audio.save()
        paths.append(path)
    return paths


def parse_trace(text: str, box: Sandbox) -> tuple[list[str], list[str]]:
    """(network calls, writes outside Tonearm's folders) in an `strace -f -o` log."""
    network, writes = [], []
    for line in text.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        call, args = match["call"], match["args"]
        if call in ("connect", "sendto", "sendmsg", "sendmmsg"):
            if INET.search(args):
                network.append(line.strip())
            continue
        if call.startswith("open") and not WRITE_FLAGS.search(args) and call != "creat":
            continue
        if call in ("mkdir", "mkdirat", "link", "linkat", "symlink", "symlinkat"):
            paths = QUOTED.findall(args)[-1:]  # the new name
        elif call.startswith("rename"):
            paths = QUOTED.findall(args)[-1:]
        else:
            paths = QUOTED.findall(args)[:1]
        if FAILED_CALL.search(args) and call.startswith(("mkdir", "open")):
            continue  # refused by the system (EEXIST, EACCES): nothing was written
        writes += [f"{call} {p}" for p in paths if not box.is_allowed(_unescape(p))]
    return network, writes


def _unescape(path: str) -> str:
    return path.encode("latin-1", "backslashreplace").decode("unicode_escape", "replace")


def leftovers(box: Sandbox) -> list[str]:
    """Files a finished run left in HOME or TMPDIR outside Tonearm's folders (or in TMPDIR)."""
    found = []
    for base in (box.home, box.tmp):
        for path in base.rglob("*"):
            if path.is_dir() and not path.is_symlink():
                continue
            inside = any(a == path or a in path.parents for a in box.allowed if a != box.tmp)
            # The single-instance socket of an app stopped by a signal; the next start reuses it.
            own_socket = path.parent == box.tmp and path.name.startswith("tonearm-")
            if not (inside or own_socket):
                found.append(str(path.relative_to(box.root)))
    return sorted(found)


def traced(
    name: str,
    argv: Sequence[str],
    box: Sandbox,
    *,
    timeout_s: float,
    until: Callable[[], bool] | None = None,
    min_run_s: float = 0.0,
) -> Probe:
    """Run argv under strace; with `until`, stop it (SIGTERM) once until() holds and it has run
    min_run_s (onnxruntime's uploader first looked up its host about 8 s after start), or at
    timeout."""
    log = box.root / f"strace-{name}.log"
    cmd = ["strace", "-f", "-qq", "-s", "4096", "-e", f"trace={TRACE_CALLS}", "-o", str(log)]
    proc = subprocess.Popen(
        [*cmd, *argv],
        env=box.env(),
        cwd=box.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    probe = Probe(name)
    try:
        if until is None:
            output, _ = proc.communicate(timeout=timeout_s)
        else:
            started = time.monotonic()
            deadline = started + timeout_s
            while proc.poll() is None and time.monotonic() < deadline:
                if time.monotonic() - started >= min_run_s and until():
                    break
                time.sleep(0.25)
            reached = until()
            for child in _children(proc.pid):
                os.kill(child, signal.SIGTERM)
            output, _ = proc.communicate(timeout=30)
            if not reached:
                probe.note = "(never got there)"
                proc.returncode = proc.returncode or 1
            else:
                proc.returncode = 0  # stopped on purpose
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        probe.note = f"(timed out after {timeout_s:.0f} s)"
        proc.returncode = proc.returncode or 124
    probe.returncode = proc.returncode
    probe.network, probe.writes = parse_trace(log.read_text(errors="replace"), box)
    probe.leftovers = leftovers(box)
    if probe.returncode != 0:
        probe.note += "\n" + output.decode(errors="replace")[-3000:]
    return probe


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _embedded(data_dir: Path) -> int:
    db = data_dir / "library.db"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2) as conn:
            return conn.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    except sqlite3.Error:
        return 0


def probe_all(tonearm: Sequence[str], root: Path, *, which: Sequence[str] = ()) -> list[Probe]:
    """The three runs the privacy promise covers: --self-test, scan + analyze, the app."""
    probes = []
    wanted = set(which) or {"self-test", "analyze", "app"}
    if "self-test" in wanted:
        box = Sandbox(root / "self-test")
        probes.append(traced("self-test", [*tonearm, "--self-test"], box, timeout_s=300))
    if "analyze" in wanted:
        box = Sandbox(root / "analyze")
        make_music(box.music)
        data = ["--data-dir", str(box.data)]
        scan = traced("scan", [*tonearm, *data, "scan", str(box.music)], box, timeout_s=120)
        probes.append(scan)
        probes.append(traced("analyze", [*tonearm, *data, "analyze"], box, timeout_s=300))
    if "app" in wanted:
        box = Sandbox(root / "app")
        tracks = make_music(box.music)
        box.data.mkdir()
        settings = {"library_folders": [str(box.music)], "remote_enabled": False}
        (box.data / "settings.json").write_text(json.dumps(settings))
        probe = traced(
            "app",
            [*tonearm, "--data-dir", str(box.data)],
            box,
            timeout_s=GUI_WAIT_S,
            until=lambda: _embedded(box.data) >= len(tracks),
            min_run_s=APP_MIN_RUN_S,
        )
        probe.note = f"(stopped after scanning and analysing {len(tracks)} tracks) {probe.note}"
        probes.append(probe)
    return probes


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    tonearm = args or [sys.executable, "-m", "player"]
    if os.path.exists(tonearm[0]):  # the probes run in their own folders
        tonearm[0] = os.path.abspath(tonearm[0])
    if shutil.which("strace") is None:
        print("privacy: strace is not installed (apt-get install strace)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="tonearm-privacy-") as tmp:
        probes = probe_all(tonearm, Path(tmp))
    for probe in probes:
        print(probe.summary())
    return 0 if all(p.clean for p in probes) else 1


if __name__ == "__main__":
    sys.exit(main())
