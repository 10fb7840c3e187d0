"""The fast front end (float32 FFT, (L+R)/2, batched resampling, FFmpeg for Opus) gives the
embeddings of the plain float64 one, within 1e-4, on every format analysis meets most."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from recommender.sound import frontend
from recommender.sound.model import MODEL_PATH, SoundModel, pool_track

RATE = 44100


def _stereo_music(seconds: float, rate: int) -> np.ndarray:
    """Chords, a decaying kick and noise bursts, different in the two channels."""
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * rate)) / rate
    chords = sum(0.1 * np.sin(2 * np.pi * hz * t) for hz in (131.0, 165.0, 196.0))
    kick = 0.3 * np.sin(2 * np.pi * 55 * t) * np.exp(-np.mod(t, 0.5) * 20)
    hats = 0.05 * rng.normal(size=t.size) * (np.mod(t, 0.25) < 0.03)
    return np.stack([chords + kick + hats, chords + kick - 0.5 * hats], axis=1).astype(np.float32)


FORMATS = {  # suffix: (soundfile format, subtype, rate)
    ".ogg": ("OGG", "VORBIS", RATE),
    ".opus": ("OGG", "OPUS", 48000),
    ".mp3": ("MP3", "MPEG_LAYER_III", RATE),
    ".flac": ("FLAC", "PCM_16", RATE),
    ".wav": ("WAV", "PCM_16", 16000),  # already at the model's rate: no resampling
}


def _reference_patches(path: Path) -> np.ndarray:
    """The front end before it was made fast: libsndfile for all, mean over channels, soxr one
    excerpt at a time, numpy's float64 FFT, one patch at a time."""
    info = sf.info(str(path))
    starts = frontend.excerpt_starts_s(info.frames / info.samplerate)
    patches = []
    with sf.SoundFile(str(path)) as f:
        n = int(np.ceil(frontend.PATCH_S * f.samplerate))
        for start_s in starts:
            f.seek(int(start_s * f.samplerate))
            mono = f.read(n, dtype="float32", always_2d=True).mean(axis=1)
            if f.samplerate != frontend.SAMPLE_RATE_HZ:
                mono = soxr.resample(mono, f.samplerate, frontend.SAMPLE_RATE_HZ, quality="HQ")
            audio = frontend._fit_patch(mono.astype(np.float32)).astype(np.float64)
            frames = np.lib.stride_tricks.sliding_window_view(audio, frontend.N_FFT)
            spectrum = np.fft.rfft(frames[:: frontend.HOP] * np.hanning(frontend.N_FFT + 1)[:-1])
            mel = (np.abs(spectrum) ** 2) @ frontend.mel_filterbank().T.astype(np.float64)
            patches.append(np.log(mel + frontend.LOG_FLOOR).T)
    return np.stack(patches).astype(np.float32)


@pytest.fixture(scope="module")
def model() -> SoundModel:
    if not MODEL_PATH.exists():
        pytest.skip("no shipped sound model")
    return SoundModel(MODEL_PATH)


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_fast_front_end_gives_the_reference_embedding(
    tmp_path: Path, suffix: str, model: SoundModel
) -> None:
    fmt, subtype, rate = FORMATS[suffix]
    audio = _stereo_music(40, RATE)
    if rate != RATE:
        audio = soxr.resample(audio, RATE, rate).astype(np.float32)
    path = tmp_path / f"track{suffix}"
    sf.write(str(path), audio, rate, format=fmt, subtype=subtype)

    fast = frontend.track_patches(path)
    reference = _reference_patches(path)
    assert (
        fast.shape
        == reference.shape
        == (frontend.N_EXCERPTS, frontend.N_MELS, frontend.PATCH_FRAMES)
    )
    if suffix != ".opus":  # same decoder: the log-mels themselves agree
        assert np.abs(fast - reference).max() < 1e-3
    fast_vector = pool_track(model.embed_patches(fast))
    reference_vector = pool_track(model.embed_patches(reference))
    assert np.abs(fast_vector - reference_vector).max() < 1e-4


def test_mixdown_is_the_channel_mean() -> None:
    rng = np.random.default_rng(1)
    for channels in (1, 2, 3, 6):
        samples = rng.normal(size=(1000, channels)).astype(np.float32)
        np.testing.assert_allclose(frontend.to_mono(samples), samples.mean(axis=1), atol=1e-6)


def test_batched_resampling_equals_one_call_per_excerpt() -> None:
    rng = np.random.default_rng(2)
    excerpts = [rng.normal(size=30_000).astype(np.float32) for _ in range(4)]
    batched = frontend.resample_excerpts(excerpts, 44100)
    for one, alone in zip(batched, excerpts, strict=True):
        np.testing.assert_allclose(one, frontend.resample(alone, 44100), atol=1e-6)
