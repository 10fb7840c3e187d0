"""Generated audio and library rows for the sound tests: tones, coloured noises, clicks."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import soundfile as sf

from recommender.library.store import Store


def tone(seconds: float, rate: int, pitch_hz: float, seed: int = 0) -> np.ndarray:
    """A harmonic tone with slow vibrato (a sustained instrument)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * pitch_hz * (t + 0.002 * np.sin(2 * np.pi * 5 * t))
    out = sum(np.sin(k * phase + rng.uniform(0, 6)) / k for k in range(1, 6))
    return (0.2 * out).astype(np.float32)


def coloured_noise(seconds: float, rate: int, exponent: float, seed: int = 0) -> np.ndarray:
    """Noise with a 1/f**exponent power spectrum: 0 white, 1 pink, 2 brown."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    spectrum = rng.normal(size=n // 2 + 1) + 1j * rng.normal(size=n // 2 + 1)
    freqs = np.maximum(np.fft.rfftfreq(n, 1 / rate), 20.0)
    noise = np.fft.irfft(spectrum / freqs ** (exponent / 2), n)
    return (0.3 * noise / np.abs(noise).max()).astype(np.float32)


def clicks(seconds: float, rate: int, per_second: float, seed: int = 0) -> np.ndarray:
    """A regular click track with a little jitter (a metronome)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * rate), np.float32)
    step = int(rate / per_second)
    for start in range(0, len(out) - 200, step):
        at = start + int(rng.integers(0, 50))
        out[at : at + 200] += np.hanning(200).astype(np.float32) * 0.8
    return out


def write(path: Path, audio: np.ndarray, rate: int, channels: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.repeat(audio[:, None], channels, axis=1) if channels > 1 else audio
    sf.write(str(path), data, rate)
    return path


def add_track(store: Store, path: Path, artist: str = "", title: str = "", missing: bool = False):
    """Index one file the way a scan would (only the columns analysis and similarity read)."""
    now = time.time()
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO tracks(path, size, mtime, artist, title, added_at, updated_at, missing) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(path),
                path.stat().st_size if path.exists() else 0,
                now,
                artist or None,
                title or None,
                now,
                now,
                int(missing),
            ),
        )
        return cur.lastrowid
