"""The one log-mel front end shared by training and runtime analysis.

Choices, and why:

- ``SAMPLE_RATE_HZ = 16000``: what separates soundtracks (instrumentation, timbre, texture,
  rhythm) lives below 8 kHz; 16 kHz halves the resampling, STFT and decoding work of 32 kHz and is
  what MusiCNN and many tagging models use.
- ``N_FFT = 1024`` (64 ms) with ``HOP = 384`` (24 ms, ~41.7 frames/s): long enough windows to
  resolve bass notes into separate mel bands, a hop fine enough for onsets and rhythm.
- ``N_MELS = 64`` from 30 Hz to 8 kHz: enough bands for timbre at a quarter of a 256-band input's
  cost; the CNN is small and must stay fast on one core.
- ``PATCH_FRAMES = 128`` (about 3.1 s): long enough to hold a bar of music at most tempi, short
  enough that a few patches spread over a track summarise it. Every patch is computed with
  ``center=False`` framing so a patch from a decoded excerpt equals a crop from a full-track
  spectrogram (training takes crops, analysis decodes excerpts).
- Excerpts of one patch each, spread over the middle 90 % of the track, so analysis seeks and
  decodes a fraction of the file. How many is the model's choice, recorded in its metadata
  (``excerpts``): the shipped ``sound-cnn-6`` takes 10 (31 s of audio; 12 scored 0.428
  validation mAP, 10 0.424, 6 0.410, and 10 keeps analysis above 20 tracks/s, docs/sound.md);
  older models, which record none, took ``N_EXCERPTS = 6``.

Decoding uses soundfile (libsndfile) for the formats it decodes fastest and PyAV (FFmpeg) for
Opus (FFmpeg's decoder takes half libsndfile's time) and the rest (MP4/AAC/ALAC/WMA and anything
libsndfile refuses); channels are averaged to mono as ``(L + R) / 2`` and resampled with soxr,
all excerpts of a track in one call, and not at all when the file is at 16 kHz already. The
log-mel runs in float32 (scipy's FFT keeps float32; numpy's works in float64, 4 times slower)
over all of a track's patches at once. Equal to the float64 reference within 1e-5, which moves
embeddings by less than 1e-4 (tested).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.fft
import soundfile as sf
import soxr

from recommender.core.errors import TonearmError

SAMPLE_RATE_HZ = 16000
N_FFT = 1024
HOP = 384
N_MELS = 64
FMIN_HZ = 30.0
FMAX_HZ = 8000.0
PATCH_FRAMES = 128
PATCH_SAMPLES = N_FFT + HOP * (PATCH_FRAMES - 1)  # 49,792 samples, about 3.11 s
PATCH_S = PATCH_SAMPLES / SAMPLE_RATE_HZ
N_EXCERPTS = 6  # for models that record no `excerpts` (before sound-cnn-4)
EDGE_FRACTION = 0.05  # skip intros and fade-outs
MIN_TRACK_S = 1.0  # shorter than this is a click, not music: reported as an error
SILENCE_RMS = 1e-4  # about -80 dBFS
LOG_FLOOR = 1e-6

# Formats libsndfile decodes well here (measured faster than FFmpeg for them); the rest go to PyAV.
# Opus it reads, but FFmpeg's decoder is about twice as fast (benchmarks/bench_analyze.py).
SOUNDFILE_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif"})
AV_SUFFIXES = frozenset({".opus"})
AV_PREROLL_S = 0.2  # decode from a little before an excerpt: Opus needs 80 ms to converge


log = logging.getLogger(__name__)
MPG123_MARK = b"libmpg123"
_STDERR_LOCK = threading.Lock()


class AnalysisError(TonearmError):
    """One file cannot be analysed; the reason is recorded and the run goes on."""


@dataclass(frozen=True)
class AudioInfo:
    """What the decoder needs to know to seek: duration, rate and channel count."""

    duration_s: float
    sample_rate: int
    channels: int


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (librosa's default)."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * (200.0 / 3)
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log_part, linear)


@functools.cache
def mel_filterbank() -> np.ndarray:
    """(N_MELS, N_FFT // 2 + 1) float32 Slaney-normalised triangles, equal to librosa's
    ``filters.mel`` defaults; built here so analysis never pays librosa's import time."""
    fft_hz = np.linspace(0, SAMPLE_RATE_HZ / 2, N_FFT // 2 + 1)
    mel_pts = np.linspace(_hz_to_mel(FMIN_HZ), _hz_to_mel(FMAX_HZ), N_MELS + 2)
    edges_hz = _mel_to_hz(mel_pts)
    widths = np.diff(edges_hz)
    ramps = edges_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]
    return weights.astype(np.float32)


@functools.cache
def _window() -> np.ndarray:
    return np.hanning(N_FFT + 1)[:-1].astype(np.float32)  # periodic Hann, as librosa uses


def log_mel(audio: np.ndarray) -> np.ndarray:
    """(N_MELS, frames) float32 log-mel of mono 16 kHz audio, framed without centring."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.shape[0] < N_FFT:
        audio = np.pad(audio, (0, N_FFT - audio.shape[0]))
    return _log_mel_frames(np.lib.stride_tricks.sliding_window_view(audio, N_FFT)[::HOP])


def log_mel_patches(patches: np.ndarray) -> np.ndarray:
    """(n, N_MELS, PATCH_FRAMES) log-mel of (n, PATCH_SAMPLES) audio, all patches at once."""
    frames = np.lib.stride_tricks.sliding_window_view(patches, N_FFT, axis=1)[:, ::HOP]
    return _log_mel_frames(frames)


def _log_mel_frames(frames: np.ndarray) -> np.ndarray:
    """Log-mel of (..., frames, N_FFT) float32 frames, as (..., N_MELS, frames)."""
    spectrum = scipy.fft.rfft(frames * _window(), axis=-1, workers=1)  # float32 in, complex64
    power = spectrum.real**2
    power += spectrum.imag**2
    mel = power @ mel_filterbank().T
    mel += np.float32(LOG_FLOOR)
    return np.log(mel, out=mel).swapaxes(-1, -2).astype(np.float32)


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average channels: (frames, channels) or (frames,) to (frames,) float32.

    Column sums, not ``mean(axis=1)``: numpy's reduction over a short inner axis costs 30 times
    as much for the same numbers."""
    samples = samples.astype(np.float32, copy=False)
    if samples.ndim == 1:
        return samples
    if samples.shape[1] == 1:
        return samples[:, 0]
    mono = samples[:, 0] + samples[:, 1]
    for channel in range(2, samples.shape[1]):
        mono += samples[:, channel]
    mono *= np.float32(1.0 / samples.shape[1])
    return mono


def resample(audio: np.ndarray, rate_hz: int) -> np.ndarray:
    """Mono audio at ``rate_hz`` to SAMPLE_RATE_HZ (soxr high quality)."""
    if rate_hz == SAMPLE_RATE_HZ:
        return audio
    return soxr.resample(audio, rate_hz, SAMPLE_RATE_HZ, quality="HQ").astype(np.float32)


def resample_excerpts(excerpts: list[np.ndarray], rate_hz: int) -> list[np.ndarray]:
    """Each mono excerpt to SAMPLE_RATE_HZ; equal lengths go through soxr as one multichannel
    call (its channels are independent, so the result is the same as one call each)."""
    if rate_hz == SAMPLE_RATE_HZ or not excerpts:
        return excerpts
    if len({e.shape[0] for e in excerpts}) > 1:
        return [resample(e, rate_hz) for e in excerpts]
    stacked = soxr.resample(np.stack(excerpts, axis=1), rate_hz, SAMPLE_RATE_HZ, quality="HQ")
    return list(np.ascontiguousarray(stacked.T, dtype=np.float32))


def excerpt_starts_s(duration_s: float, n: int = N_EXCERPTS) -> list[float]:
    """Start times of ``n`` patch-long excerpts spread evenly over the track's middle."""
    usable_s = duration_s * (1 - 2 * EDGE_FRACTION)
    if usable_s <= PATCH_S * n:
        # Short track: spread over all of it, overlapping if need be.
        span_s = max(duration_s - PATCH_S, 0.0)
        count = max(1, min(n, int(duration_s // PATCH_S)))
        return [span_s * (i + 0.5) / count for i in range(count)]
    first_s = duration_s * EDGE_FRACTION
    step_s = (usable_s - PATCH_S) / (n - 1)
    return [first_s + i * step_s for i in range(n)]


def _uses_soundfile(path: Path) -> bool:
    return path.suffix.lower() in SOUNDFILE_SUFFIXES


def _uses_av(path: Path) -> bool:
    return path.suffix.lower() in AV_SUFFIXES


@contextlib.contextmanager
def _quiet_mpg123(path: Path) -> Iterator[None]:
    """Keep libmpg123's notes off stderr while libsndfile decodes an MP3.

    libsndfile's built-in libmpg123 writes a line to file descriptor 2 for every frame it
    decodes without its bit reservoir after a seek ("part2_3_length ... too large"), harmless
    and about 30 a run, and libsndfile offers no switch to quiet its handle. So around MP3
    calls only, fd 2 goes to a temporary file; afterwards libmpg123's lines are logged at debug
    level and anything else written meanwhile (another thread's message) is passed on.
    """
    if path.suffix.lower() != ".mp3":
        yield
        return
    with _STDERR_LOCK, tempfile.TemporaryFile() as capture:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().splitlines(keepends=True)
    notes = [line for line in lines if MPG123_MARK in line]
    if notes:
        log.debug("libmpg123 on %s: %d notes, first: %r", path.name, len(notes), notes[0])
    others = b"".join(line for line in lines if MPG123_MARK not in line)
    if others:
        os.write(2, others)


def _native(path: Path) -> bytes:
    """The file name as the OS has it: a name that is not valid UTF-8 (Python holds it with
    surrogate escapes) cannot be encoded as UTF-8 text, but libsndfile takes the bytes as-is."""
    return os.fsencode(path)


@contextlib.contextmanager
def _av_open(path: Path) -> Iterator[Any]:
    """av.open over the path, or over an open file when the name is not valid UTF-8 (FFmpeg
    takes names as UTF-8 text)."""
    import av

    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        with open(path, "rb") as fh, av.open(fh) as container:
            yield container
        return
    with av.open(str(path)) as container:
        yield container


def probe(path: Path) -> AudioInfo:
    """Duration, sample rate and channels without decoding the audio."""
    # libsndfile for Opus too: its length leaves out the encoder's pre-skip, as its seeks do.
    if _uses_soundfile(path) or _uses_av(path):
        try:
            with _quiet_mpg123(path):
                info = sf.info(_native(path))
            if info.frames > 0 and info.samplerate > 0:
                return AudioInfo(info.frames / info.samplerate, info.samplerate, info.channels)
        except (sf.LibsndfileError, RuntimeError):
            pass  # fall back to FFmpeg below
    return _probe_av(path)


def _probe_av(path: Path) -> AudioInfo:
    import av

    try:
        with _av_open(path) as container:
            if not container.streams.audio:
                raise AnalysisError(f"no audio stream in {path.name}")
            stream = container.streams.audio[0]
            if stream.duration is not None and stream.time_base is not None:
                duration_s = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration_s = container.duration / 1_000_000
            else:
                raise AnalysisError(f"unknown duration for {path.name}")
            return AudioInfo(duration_s, stream.codec_context.sample_rate, stream.channels)
    except av.error.FFmpegError as exc:
        raise AnalysisError(f"cannot decode {path.name}: {exc}") from exc


def _read_soundfile(path: Path, starts_s: list[float], length_s: float) -> list[np.ndarray]:
    out = []
    with _quiet_mpg123(path), sf.SoundFile(_native(path)) as f:
        rate = f.samplerate
        n = int(np.ceil(length_s * rate))
        for start_s in starts_s:
            f.seek(min(int(start_s * rate), max(f.frames - 1, 0)))
            out.append(to_mono(f.read(n, dtype="float32", always_2d=True)))
    return resample_excerpts(out, rate)


def _read_av(path: Path, starts_s: list[float], length_s: float) -> list[np.ndarray]:
    """Excerpts through FFmpeg. Opus gives a frame every 20 ms (about 190 an excerpt), so each
    frame's planes are read as buffers, channel by channel, rather than by ``to_ndarray`` (which
    stacks them): the same samples, 12 % less CPU a file (174 against 198 ms, 10 Opus files)."""
    import av

    out = []
    with _av_open(path) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        to_float: av.AudioResampler | None = None  # only for decoders that give other formats
        n = int(np.ceil(length_s * rate))
        for start_s in starts_s:
            start = int(start_s * rate)  # in samples, as libsndfile seeks
            seek_s = max(start_s - AV_PREROLL_S, 0.0)
            container.seek(int(seek_s * 1_000_000), any_frame=False)  # lands on a frame before
            channels: list[list[np.ndarray]] = []
            first: int | None = None  # sample index of the first decoded sample
            have = 0
            for frame in container.decode(stream):
                if first is None:
                    pts = frame.pts
                    base = frame.time_base
                    first = round(pts * base * rate) if pts is not None and base else start
                if frame.format.name == "fltp":
                    frames = [frame]
                else:
                    to_float = to_float or av.AudioResampler(format="fltp")
                    frames = to_float.resample(frame)
                for planar in frames:
                    count = planar.samples
                    planes = [np.frombuffer(p, np.float32, count) for p in planar.planes]
                    channels = channels or [[] for _ in planes]
                    for kept, plane in zip(channels, planes, strict=True):
                        kept.append(plane)
                    have += count
                if have >= start - first + n:
                    break
            if not channels or first is None:
                out.append(np.zeros(0, np.float32))
                continue
            skip = max(start - first, 0)
            audio = np.stack([np.concatenate(c)[skip : skip + n] for c in channels], axis=1)
            out.append(to_mono(audio))
    return resample_excerpts(out, rate)


def read_excerpts(path: Path, starts_s: list[float], length_s: float) -> list[np.ndarray]:
    """Mono 16 kHz excerpts of ``length_s`` seconds at ``starts_s``, seeking instead of decoding
    the whole file."""
    if _uses_soundfile(path):
        try:
            return _read_soundfile(path, starts_s, length_s)
        except (sf.LibsndfileError, RuntimeError):
            pass  # libsndfile refused it; FFmpeg may not
    try:
        return _read_av(path, starts_s, length_s)
    except AnalysisError:
        raise
    except Exception as exc:  # FFmpeg raises many kinds; all mean the same to the user
        raise AnalysisError(f"cannot decode {path.name}: {exc}") from exc


def _fit_patch(audio: np.ndarray) -> np.ndarray:
    """Exactly PATCH_SAMPLES: tile a short excerpt (loops a short track), trim a long one."""
    if audio.shape[0] >= PATCH_SAMPLES:
        return audio[:PATCH_SAMPLES]
    reps = int(np.ceil(PATCH_SAMPLES / max(audio.shape[0], 1)))
    return np.tile(audio, reps)[:PATCH_SAMPLES]


def decode_excerpts(
    path: Path, info: AudioInfo | None = None, n_excerpts: int = N_EXCERPTS
) -> list[np.ndarray]:
    """The ``n_excerpts`` mono 16 kHz excerpts analysis listens to (the decode stage).

    Raises AnalysisError for a file that cannot be decoded or is shorter than MIN_TRACK_S.
    """
    path = Path(path)
    try:
        info = info or probe(path)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise AnalysisError(f"cannot read {path.name}: {exc}") from exc
    if info.duration_s < MIN_TRACK_S:
        raise AnalysisError(f"too short ({info.duration_s:.2f} s) to analyse")
    try:
        return read_excerpts(path, excerpt_starts_s(info.duration_s, n_excerpts), PATCH_S)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise AnalysisError(f"cannot decode {path.name}: {exc}") from exc


def patches_from_excerpts(excerpts: list[np.ndarray]) -> np.ndarray:
    """(patches, N_MELS, PATCH_FRAMES) log-mel of the audible excerpts (the features stage).

    Raises AnalysisError when nothing was decoded or everything heard is silent.
    """
    excerpts = [e for e in excerpts if e.shape[0] >= SAMPLE_RATE_HZ * MIN_TRACK_S / 2]
    if not excerpts:
        raise AnalysisError("decoded no audio")
    loud = [e for e in excerpts if float(np.sqrt(np.mean(e**2))) > SILENCE_RMS]
    if not loud:
        raise AnalysisError("silent")
    if not all(np.isfinite(e).all() for e in loud):
        raise AnalysisError("decoder returned invalid samples")
    return log_mel_patches(np.stack([_fit_patch(e) for e in loud]))


def track_patches(
    path: Path, info: AudioInfo | None = None, n_excerpts: int = N_EXCERPTS
) -> np.ndarray:
    """Decode and turn one file into log-mel patches; AnalysisError says why not."""
    return patches_from_excerpts(decode_excerpts(path, info, n_excerpts))


def full_track_log_mel(path: Path) -> np.ndarray:
    """(N_MELS, frames) log-mel of a whole file; used by training to draw random crops."""
    with _quiet_mpg123(path):
        samples, rate = sf.read(_native(path), dtype="float32", always_2d=True)
    return log_mel(resample(to_mono(samples), rate))
