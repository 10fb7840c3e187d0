"""`embed_tracks` and `tonearm analyze` on generated audio: results, errors, resumability."""

import json
from pathlib import Path

import numpy as np
import pytest

from recommender.cli.main import main
from recommender.core.errors import ModelError
from recommender.library.store import Store, open_store
from recommender.sound.analyze import embed_chunk, embed_tracks, tracks_to_embed
from recommender.sound.model import MODEL_PATH, SoundModel
from tests.recommender.generated_audio import add_track, clicks, coloured_noise, tone, write

pytestmark = pytest.mark.skipif(not MODEL_PATH.exists(), reason="no shipped sound model")

RATE = 22050


@pytest.fixture(scope="module")
def model() -> SoundModel:
    return SoundModel(MODEL_PATH)


def _library(store: Store, folder: Path, n_good: int = 5) -> dict[str, int]:
    ids = {}
    for i in range(n_good):
        path = write(folder / f"tone{i}.flac", tone(12, RATE, 200 + 40 * i, seed=i), RATE)
        ids[f"tone{i}"] = add_track(store, path, "Gen", f"Tone {i}")
    ids["silent"] = add_track(store, write(folder / "silent.wav", np.zeros(RATE * 8), RATE))
    garbage = folder / "garbage.mp3"
    garbage.write_bytes(b"\x00not audio" * 1000)
    ids["garbage"] = add_track(store, garbage)
    ids["gone"] = add_track(store, folder / "gone.ogg", missing=True)
    return ids


def _count(store: Store, table: str) -> int:
    return store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_embeds_good_files_and_records_bad_ones_with_reasons(
    store: Store, tmp_path: Path, model: SoundModel
) -> None:
    ids = _library(store, tmp_path / "music")
    summary = embed_tracks(store, model, workers=0)
    assert (summary.embedded, summary.failed, summary.pending) == (5, 2, 0)
    reasons = dict(store.conn.execute("SELECT track_id, reason FROM analysis_errors"))
    assert reasons[ids["silent"]] == "silent"
    assert "garbage.mp3" in reasons[ids["garbage"]]
    rows = store.conn.execute("SELECT track_id, model_version, dim, vector FROM embeddings")
    for track_id, version, dim, blob in rows:
        assert version == model.version
        vector = np.frombuffer(blob, dtype="<f4")
        assert vector.shape == (dim,) and abs(np.linalg.norm(vector) - 1) < 1e-5
        assert track_id not in (ids["silent"], ids["garbage"], ids["gone"])


def test_second_run_does_nothing_and_retry_errors_tries_failures_again(
    store: Store, tmp_path: Path, model: SoundModel
) -> None:
    _library(store, tmp_path / "music")
    embed_tracks(store, model, workers=0)
    again = embed_tracks(store, model, workers=0)
    assert (again.embedded, again.failed) == (0, 0)
    retried = embed_tracks(store, model, workers=0, retry_errors=True)
    assert (retried.embedded, retried.failed) == (0, 2)


def test_cancelled_run_keeps_finished_chunks_and_next_run_completes(
    store: Store, tmp_path: Path, model: SoundModel
) -> None:
    for i in range(9):
        path = write(tmp_path / f"n{i}.wav", coloured_noise(6, RATE, i % 3, seed=i), RATE)
        add_track(store, path)
    calls = []

    def cancel_after_first_chunk() -> bool:
        calls.append(1)
        return _count(store, "embeddings") > 0

    first = embed_tracks(store, model, cancel=cancel_after_first_chunk, workers=0, chunk_tracks=4)
    assert first.cancelled and first.embedded == 4 and first.pending == 5
    assert _count(store, "embeddings") == 4
    assert len(tracks_to_embed(store, model.version)) == 5
    second = embed_tracks(store, model, workers=0, chunk_tracks=4)
    assert second.embedded == 5 and _count(store, "embeddings") == 9


def test_worker_processes_give_the_same_vectors_as_in_process(
    store: Store, tmp_path: Path, model: SoundModel
) -> None:
    for i in range(6):
        add_track(store, write(tmp_path / f"c{i}.ogg", clicks(10, RATE, 2 + i, seed=i), RATE))
    progress = []
    summary = embed_tracks(store, model, progress.append, workers=2, chunk_tracks=2)
    assert summary.embedded == 6
    assert progress[-1].done == progress[-1].total == 6
    stored = {
        t: np.frombuffer(v, dtype="<f4")
        for t, v in store.conn.execute("SELECT track_id, vector FROM embeddings")
    }
    items = [(t, p) for t, p, _ in tracks_to_embed(store, "another-version")]
    for track_id, vector in embed_chunk(model, items).vectors:
        np.testing.assert_allclose(stored[track_id], vector, atol=1e-5)


def test_missing_model_file_is_a_clear_model_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="missing"):
        embed_tracks(store, tmp_path / "nope.onnx")


def test_broken_model_file_is_a_model_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot be loaded"):
        SoundModel(broken)


def test_similar_generators_come_out_closer_than_different_ones(
    tmp_path: Path, model: SoundModel
) -> None:
    kinds = {
        "tone": [tone(15, RATE, hz, seed=i) for i, hz in enumerate((196, 247, 294))],
        "white": [coloured_noise(15, RATE, 0.0, seed=i) for i in range(3)],
        "brown": [coloured_noise(15, RATE, 2.0, seed=i) for i in range(3)],
        "clicks": [clicks(15, RATE, bps, seed=i) for i, bps in enumerate((2, 2.5, 3))],
    }
    items, labels = [], []
    for kind, audios in kinds.items():
        for i, audio in enumerate(audios):
            items.append((len(items), str(write(tmp_path / f"{kind}{i}.wav", audio, RATE))))
            labels.append(kind)
    result = embed_chunk(model, items)
    assert not result.errors
    vectors = np.stack([v for _, v in sorted(result.vectors)])
    sims = vectors @ vectors.T
    labels_arr = np.array(labels)
    for kind in kinds:
        mine = labels_arr == kind
        within = sims[np.ix_(mine, mine)][~np.eye(mine.sum(), dtype=bool)].mean()
        between = sims[np.ix_(mine, ~mine)].mean()
        assert within > between, f"{kind}: within {within:.3f} <= between {between:.3f}"


def test_cli_analyze_then_similar_and_export(tmp_path: Path, capsys) -> None:
    data = tmp_path / "data"
    with open_store(data) as store:
        ids = _library(store, tmp_path / "music", n_good=4)
    assert main(["--data-dir", str(data), "analyze", "--workers", "0"]) == 0
    out = capsys.readouterr().out
    assert "embedded 4, failed 2" in out and "silent" in out
    assert main(["--data-dir", str(data), "similar", str(ids["tone0"]), "-n", "2"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "Tone 0" in lines[0] and len(lines) == 4
    assert lines[2].lstrip().startswith("top ") and "cos " in lines[2]  # calibrated, then raw
    assert main(["--data-dir", str(data), "similar", str(ids["tone0"]), "--json"]) == 0
    neighbours = json.loads(capsys.readouterr().out)["neighbours"]
    assert all(0 <= n["percentile"] <= 100 and -1 <= n["cosine"] <= 1 for n in neighbours)
    assert neighbours[0]["percentile"] >= neighbours[-1]["percentile"]
    assert neighbours[0]["cosine"] >= neighbours[-1]["cosine"]
    npz = tmp_path / "emb.npz"
    assert main(["--data-dir", str(data), "export", "embeddings", "--out", str(npz)]) == 0
    with np.load(npz) as exported:
        assert exported["vectors"].shape[0] == 4 and len(exported["paths"]) == 4
    jsonl = tmp_path / "emb.jsonl"
    assert main(["--data-dir", str(data), "export", "embeddings", "--out", str(jsonl)]) == 0
    assert len(jsonl.read_text().splitlines()) == 4


def test_cli_missing_model_exits_with_message(tmp_path: Path, capsys) -> None:
    code = main(["--data-dir", str(tmp_path / "d"), "analyze", "--model", str(tmp_path / "x")])
    assert code == ModelError.exit_code
    assert "missing" in capsys.readouterr().err
