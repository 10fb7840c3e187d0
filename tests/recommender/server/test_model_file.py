"""The model file written one member at a time: streamed or whole, the same file and version;
a write that fails leaves the model a replica serves as it was."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.server.model import build_model_from_files, load_model, version_prefix
from recommender.server.model_file import INDEX_DTYPE, VALUE_DTYPE, ModelWriter, Spool
from tests.recommender.remote_fakes import write_listens


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "l.jsonl"
    write_listens(path, users=40)
    return build_model_from_files([path])


def _chunked(array: np.ndarray, size: int):
    for start in range(0, len(array), size):
        yield array[start : start + size]


def test_a_model_streamed_in_chunks_is_the_model_saved_whole(model, tmp_path):
    model.save(tmp_path / "whole.npz")
    with ModelWriter(tmp_path / "streamed.npz", version_prefix(model.listens)) as writer:
        for name, array in model.file_arrays():
            writer.stream(name, array.dtype, len(array), _chunked(array, 7))
        version = writer.finish({"users": model.users, "listens": model.listens, "format": 2})
    whole, streamed = load_model(tmp_path / "whole.npz"), load_model(tmp_path / "streamed.npz")
    assert version == whole.version == streamed.version == model.version
    assert list(streamed.keys) == list(model.keys)
    assert (abs(streamed.neighbours - model.neighbours)).max() == 0
    assert (abs(streamed.profiles - model.profiles)).max() == 0
    seeds = [("Artist 1-2", "Song 1-10", None)]
    for cf in ("item", "user", "blend"):
        assert streamed.recommend(seeds, k=8, cf=cf) == model.recommend(seeds, k=8, cf=cf)


def test_a_different_model_gets_a_different_version(model, tmp_path):
    arrays = dict(model.file_arrays())
    arrays["data"] = arrays["data"] * np.float32(0.5)
    with ModelWriter(tmp_path / "other.npz", version_prefix(model.listens)) as writer:
        for name, array in arrays.items():
            writer.write(name, array)
        version = writer.finish({"users": model.users, "listens": model.listens, "format": 2})
    assert version != model.version


def test_a_failed_write_keeps_the_served_model_and_leaves_no_half_file(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    before = path.read_bytes()

    def broken():
        yield np.arange(3, dtype=INDEX_DTYPE)
        raise OSError(28, "No space left on device")

    prefix = version_prefix(model.listens)
    with pytest.raises(OSError, match="No space"), ModelWriter(path, prefix) as writer:
        writer.write("keys", model.keys)
        writer.stream("indices", INDEX_DTYPE, 10, broken())
    with pytest.raises(ValueError, match="3 values where 10"), ModelWriter(path, prefix) as writer:
        writer.stream("indices", INDEX_DTYPE, 10, [np.arange(3)])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert load_model(path).version == model.version


def test_spooled_values_come_back_in_order(tmp_path):
    spool = Spool(tmp_path, VALUE_DTYPE)
    values = np.linspace(0, 1, 10_001, dtype=np.float64)
    for chunk in _chunked(values, 333):
        spool.add(chunk)
    back = np.concatenate(list(spool.chunks()))
    spool.close()
    assert spool.length == len(values)
    assert np.array_equal(back, values.astype(VALUE_DTYPE))
    assert list(tmp_path.iterdir()) == []


def test_members_out_of_order_are_refused_before_anything_lands(model, tmp_path):
    """The version hashes the members in order: a writer that swapped two would give the same
    model another version, so the order is enforced, not hoped for."""
    path = tmp_path / "model.npz"
    arrays = dict(model.file_arrays())
    with pytest.raises(ValueError, match="'keys' out of order"), ModelWriter(path, "p") as writer:
        writer.write("artists", arrays["artists"])
        writer.write("keys", arrays["keys"])
    assert [p.name for p in tmp_path.iterdir()] == ["l.jsonl"]  # no model, no half file
