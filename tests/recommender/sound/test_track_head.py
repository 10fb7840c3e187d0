"""The shipped model's track head: the CNN's pooled vector beside the track's timbre."""

from pathlib import Path

import numpy as np
import pytest

from recommender.core.errors import ModelError
from recommender.sound import frontend
from recommender.sound.model import MODEL_PATH, SoundModel, TrackHead
from recommender.sound.timbre import (
    GAUSSIAN_SPD,
    LOG_EUCLIDEAN,
    TIMBRE_KINDS,
    timbre_dim,
    timbre_vector,
)
from tests.recommender.generated_audio import coloured_noise, tone, write

RATE = 22050


@pytest.fixture(scope="module")
def model() -> SoundModel:
    return SoundModel(MODEL_PATH)


def test_the_shipped_model_stores_its_cnn_beside_the_timbre(model: SoundModel, tmp_path: Path):
    assert model.head is not None
    assert model.head.timbre == GAUSSIAN_SPD
    assert model.track_dim == model.dim + timbre_dim(GAUSSIAN_SPD)
    path = write(tmp_path / "song.flac", tone(40, RATE, 330), RATE)
    vector = model.track_vector(model.track_patches(path))
    assert vector.shape == (model.track_dim,)
    assert vector.dtype == np.float32
    assert np.isfinite(vector).all()
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_a_sound_is_nearer_another_take_of_itself_than_a_different_sound(
    model: SoundModel, tmp_path: Path
):
    def vector(name: str, audio: np.ndarray) -> np.ndarray:
        return model.track_vector(model.track_patches(write(tmp_path / name, audio, RATE)))

    hiss = vector("hiss.flac", coloured_noise(40, RATE, 0.0, seed=1))
    hiss_again = vector("hiss-again.flac", coloured_noise(40, RATE, 0.0, seed=2))
    rumble = vector("rumble.flac", coloured_noise(40, RATE, 2.0, seed=3))
    assert float(hiss @ hiss_again) > float(hiss @ rumble) + 0.1


@pytest.mark.parametrize("kind", TIMBRE_KINDS)
def test_timbre_sees_brightness(kind: str):
    patches = [
        frontend.log_mel_patches(coloured_noise(3.2, frontend.SAMPLE_RATE_HZ, e, seed=s)[None])
        for e, s in ((0.0, 1), (0.0, 2), (2.0, 3))
    ]
    bright, bright_again, dull = (timbre_vector(p, kind) for p in patches)
    assert bright.shape == (timbre_dim(kind),)
    assert np.linalg.norm(bright - bright_again) < np.linalg.norm(bright - dull) / 2


@pytest.mark.parametrize("kind", TIMBRE_KINDS)
def test_a_silent_band_gives_a_finite_timbre(kind: str):
    flat = np.full((2, frontend.N_MELS, frontend.PATCH_FRAMES), np.log(frontend.LOG_FLOOR))
    assert np.isfinite(timbre_vector(flat, kind)).all()


def test_the_spd_timbre_reads_a_shift_of_the_mean_against_the_spread():
    # The same change of the mean (a spectral tilt: brighter) matters more to a narrow
    # distribution than to a wide one, as the KL divergence between the Gaussians says; the
    # log-Euclidean vector cannot tell.
    rng = np.random.default_rng(0)
    base = rng.normal(size=(1, frontend.N_MELS, frontend.PATCH_FRAMES))
    tilt = np.linspace(-1.0, 1.0, frontend.N_MELS)[None, :, None]

    def distance(kind: str, spread: float) -> float:
        patches = base * spread
        shifted = patches + tilt
        return float(np.linalg.norm(timbre_vector(patches, kind) - timbre_vector(shifted, kind)))

    assert distance(GAUSSIAN_SPD, 0.5) > 1.5 * distance(GAUSSIAN_SPD, 2.0)
    assert distance(LOG_EUCLIDEAN, 0.5) == pytest.approx(distance(LOG_EUCLIDEAN, 2.0))


def test_a_head_from_before_the_spd_timbre_still_loads():
    dim, old = 4, timbre_dim(LOG_EUCLIDEAN)
    text = (
        f'{{"cnn_centre": {[0.0] * dim}, "cnn_spread": {[1.0] * dim},'
        f' "timbre_centre": {[0.0] * old}, "timbre_spread": {[1.0] * old}, "cnn_weight": 0.55}}'
    )
    head = TrackHead.from_metadata(text, dim, Path("sound-cnn-5.onnx"))
    assert head is not None and head.timbre == LOG_EUCLIDEAN
    with pytest.raises(ModelError, match="damaged track head"):  # its sizes, another timbre
        TrackHead.from_metadata(text[:-1] + ', "timbre": "gaussian-spd"}', dim, Path("m.onnx"))


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        '{"cnn_weight": 0.5}',
        '{"cnn_centre": [0], "cnn_spread": [1], "timbre_centre": [0], "timbre_spread": [1],'
        ' "cnn_weight": 0.5}',
        '{"cnn_centre": [0], "cnn_spread": [1], "timbre_centre": [0], "timbre_spread": [1],'
        ' "cnn_weight": 0.5, "timbre": "chroma"}',
    ],
)
def test_a_damaged_head_is_refused_with_one_line(text: str):
    with pytest.raises(ModelError, match="damaged track head") as caught:
        TrackHead.from_metadata(text, 128, Path("model.onnx"))
    assert "\n" not in str(caught.value)


def test_a_head_written_into_a_model_file_is_sealed_and_read_back(
    model: SoundModel, tmp_path: Path
):
    pytest.importorskip("onnx")
    from recommender.train.head import write_head

    assert model.head is not None
    louder = TrackHead(
        model.head.cnn_centre,
        model.head.cnn_spread,
        model.head.timbre_centre,
        model.head.timbre_spread,
        cnn_weight=1.0,
        timbre=model.head.timbre,
    )
    out = tmp_path / "cnn-only.onnx"
    write_head(MODEL_PATH, out, louder, "test-head", 3, model.encoder_of)
    written = SoundModel(out)  # a wrong checksum would refuse to load
    assert (written.version, written.excerpts) == ("test-head", 3)
    assert written.encoder_of == model.encoder_of != written.version
    song = write(tmp_path / "song.flac", tone(40, RATE, 220), RATE)
    vector = written.track_vector(written.track_patches(song))
    assert np.allclose(vector[written.dim :], 0.0)  # weight 1.0: the timbre counts for nothing

    broken = TrackHead(
        louder.cnn_centre,
        louder.cnn_spread * 0,
        louder.timbre_centre,
        louder.timbre_spread,
        0.5,
        louder.timbre,
    )
    write_head(MODEL_PATH, tmp_path / "broken.onnx", broken, "broken", 10, model.version)
    with pytest.raises(ModelError, match="damaged track head"):
        SoundModel(tmp_path / "broken.onnx")
