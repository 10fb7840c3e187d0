"""Faults analysis meets: damaged models, non-finite vectors, odd file names, orphaned workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from recommender.core.errors import ModelError
from recommender.library.scan import scan_folders
from recommender.library.store import open_store
from recommender.sound.analyze import ChunkResult, embed_tracks, save_chunk
from recommender.sound.model import CHECKSUM_KEY, MODEL_PATH, SoundModel, file_checksum
from tests.recommender.generated_audio import tone, write

pytestmark = pytest.mark.skipif(not MODEL_PATH.exists(), reason="no shipped sound model")
RATE = 22050
ROOT = Path(__file__).resolve().parents[3]


def _onnx():
    return pytest.importorskip("onnx")


def _resealed(proto, path: Path) -> Path:
    """Save `proto` with a correct checksum for its (changed) bytes: only the output check
    can catch what is wrong with it."""
    from recommender.sound.model import CHECKSUM_PLACEHOLDER, seal_model

    for entry in proto.metadata_props:
        if entry.key == CHECKSUM_KEY:
            entry.value = CHECKSUM_PLACEHOLDER
    _onnx().save(proto, str(path))
    seal_model(path)
    return path


def test_shipped_model_records_a_checksum_that_matches_its_bytes() -> None:
    model = SoundModel(MODEL_PATH)
    recorded = model.session.get_modelmeta().custom_metadata_map[CHECKSUM_KEY]
    assert file_checksum(MODEL_PATH.read_bytes(), recorded) == recorded


def test_model_with_flipped_bytes_is_refused_on_load(tmp_path: Path) -> None:
    data = bytearray(MODEL_PATH.read_bytes())
    data[len(data) // 2] ^= 0x10  # inside the weights: onnxruntime alone would load it
    damaged = tmp_path / "flipped.onnx"
    damaged.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="damaged: its checksum does not match"):
        SoundModel(damaged)


def test_model_with_nan_weights_is_refused_even_with_a_valid_checksum(tmp_path: Path) -> None:
    onnx = _onnx()
    from onnx import numpy_helper

    proto = onnx.load(str(MODEL_PATH))
    biggest = max(proto.graph.initializer, key=lambda t: int(np.prod(t.dims)))
    weights = numpy_helper.to_array(biggest).copy()
    weights.flat[:] = np.nan
    biggest.CopyFrom(numpy_helper.from_array(weights, biggest.name))
    with pytest.raises(ModelError, match="non-finite"):
        SoundModel(_resealed(proto, tmp_path / "nan.onnx"))


def test_model_without_checksum_is_refused(tmp_path: Path) -> None:
    onnx = _onnx()
    proto = onnx.load(str(MODEL_PATH))
    keep = [e for e in proto.metadata_props if e.key != CHECKSUM_KEY]
    del proto.metadata_props[:]
    proto.metadata_props.extend(keep)
    onnx.save(proto, str(tmp_path / "plain.onnx"))
    with pytest.raises(ModelError, match="records no checksum"):
        SoundModel(tmp_path / "plain.onnx")


def test_non_finite_vectors_are_never_stored(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    path = write(tmp_path / "a.flac", tone(8, RATE, 300), RATE)
    store.conn.execute(
        "INSERT INTO tracks(path, size, mtime, added_at, updated_at) VALUES (?, 1, 0, 0, 0)",
        (str(path),),
    )
    bad = np.full(128, np.nan, np.float32)
    save_chunk(store, "v", ChunkResult([(1, bad)], [], 0, 0, 0))
    assert store.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 0
    reason = store.conn.execute("SELECT reason FROM analysis_errors").fetchone()[0]
    assert "non-finite" in reason
    store.close()


def test_files_with_non_utf8_names_are_analysed(tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    for i, suffix in enumerate((".flac", ".ogg", ".mp3")):
        temp = write(tmp_path / f"t{suffix}", tone(8, RATE, 220 + 60 * i, seed=i), RATE)
        os.rename(temp, os.fsencode(music) + b"/caf\xe9 " + str(i).encode() + suffix.encode())
    store = open_store(tmp_path / "data")
    scan_folders(store, [str(music)])
    summary = embed_tracks(store, workers=0)
    assert (summary.embedded, summary.failed) == (3, 0), summary.errors
    store.close()


def test_analysis_workers_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    music = tmp_path / "music"
    for i in range(40):
        write(music / f"t{i:02}.flac", tone(20, RATE, 200 + 7 * i, seed=i), RATE)
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cli = [sys.executable, "-m", "recommender", "--data-dir", str(data)]
    subprocess.run([*cli, "scan", str(music)], env=env, check=True, capture_output=True)
    parent = subprocess.Popen(
        [*cli, "analyze", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        workers = _wait_for_children(parent.pid, 2, limit_s=60)
        assert workers, "the analysis never started its worker processes"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.1)
        assert not [p for p in workers if _alive(p)], "workers outlived their killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()


def _wait_for_children(pid: int, count: int, limit_s: float) -> list[int]:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            children = [
                int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            ]
        except OSError:
            return []
        # multiprocessing's resource tracker is a child too; workers are the rest
        if len(children) >= count + 1:
            return children
        time.sleep(0.1)
    return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"
