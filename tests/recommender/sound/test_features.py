"""The log-mel front end on awkward inputs: rates, channel counts, silence, short and bad files."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from recommender.sound import frontend
from tests.recommender.generated_audio import coloured_noise, tone, write


def test_mel_filterbank_matches_librosa() -> None:
    librosa = pytest.importorskip("librosa")
    expected = librosa.filters.mel(
        sr=frontend.SAMPLE_RATE_HZ,
        n_fft=frontend.N_FFT,
        n_mels=frontend.N_MELS,
        fmin=frontend.FMIN_HZ,
        fmax=frontend.FMAX_HZ,
    )
    np.testing.assert_allclose(frontend.mel_filterbank(), expected, atol=1e-7)


def test_log_mel_matches_librosa_melspectrogram() -> None:
    librosa = pytest.importorskip("librosa")
    audio = coloured_noise(3.2, frontend.SAMPLE_RATE_HZ, 1.0)
    expected = librosa.feature.melspectrogram(
        y=audio,
        sr=frontend.SAMPLE_RATE_HZ,
        n_fft=frontend.N_FFT,
        hop_length=frontend.HOP,
        n_mels=frontend.N_MELS,
        fmin=frontend.FMIN_HZ,
        fmax=frontend.FMAX_HZ,
        center=False,
    )
    got = np.exp(frontend.log_mel(audio)) - frontend.LOG_FLOOR
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (44100, 2), (48000, 6), (192000, 2)])
def test_rates_and_channel_counts_give_full_patches(
    tmp_path: Path, rate: int, channels: int
) -> None:
    path = write(tmp_path / f"t{rate}.wav", tone(25, rate, 330), rate, channels)
    patches = frontend.track_patches(path)
    assert patches.shape == (frontend.N_EXCERPTS, frontend.N_MELS, frontend.PATCH_FRAMES)
    assert np.isfinite(patches).all()


def test_same_tone_at_8k_and_44k_has_similar_low_bands(tmp_path: Path) -> None:
    low = frontend.track_patches(write(tmp_path / "a.wav", tone(20, 8000, 220), 8000))
    high = frontend.track_patches(write(tmp_path / "b.wav", tone(20, 44100, 220), 44100))
    bands = frontend.N_MELS // 2  # below 4 kHz both carry the same music
    assert np.abs(low[:, :bands].mean() - high[:, :bands].mean()) < 0.5


def test_excerpts_are_spread_over_the_track_middle() -> None:
    starts = frontend.excerpt_starts_s(240.0)
    assert len(starts) == frontend.N_EXCERPTS
    assert starts[0] >= 240 * frontend.EDGE_FRACTION
    assert starts[-1] + frontend.PATCH_S <= 240 * (1 - frontend.EDGE_FRACTION) + 1e-6
    assert np.all(np.diff(starts) > frontend.PATCH_S)


def test_track_shorter_than_a_patch_is_looped_into_one(tmp_path: Path) -> None:
    path = write(tmp_path / "short.flac", tone(2.0, 44100, 440), 44100)
    assert frontend.track_patches(path).shape == (1, frontend.N_MELS, frontend.PATCH_FRAMES)


def test_click_shorter_than_a_second_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "click.wav", tone(0.3, 44100, 440), 44100)
    with pytest.raises(frontend.AnalysisError, match="too short"):
        frontend.track_patches(path)


def test_silence_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "silence.ogg", np.zeros(44100 * 20, np.float32), 44100)
    with pytest.raises(frontend.AnalysisError, match="silent"):
        frontend.track_patches(path)


@pytest.mark.parametrize("name", ["garbage.mp3", "garbage.m4a", "garbage.flac"])
def test_undecodable_file_is_an_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(0).bytes(50_000))
    with pytest.raises(frontend.AnalysisError):
        frontend.track_patches(path)


def test_pyav_seeking_reads_the_same_excerpts_as_soundfile(tmp_path: Path) -> None:
    path = write(tmp_path / "n.wav", coloured_noise(30, 44100, 1.0), 44100, 2)
    starts = [3.0, 11.5, 20.25]
    via_sf = frontend._read_soundfile(path, starts, frontend.PATCH_S)
    via_av = frontend._read_av(path, starts, frontend.PATCH_S)
    for a, b in zip(via_sf, via_av, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=1e-3)


def test_aac_in_mp4_decodes_through_pyav(tmp_path: Path) -> None:
    av = pytest.importorskip("av")
    path = tmp_path / "tone.m4a"
    rate = 44100
    audio = tone(12, rate, 330)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=rate, layout="stereo")
        for start in range(0, len(audio), 1024):
            chunk = audio[start : start + 1024]
            frame = av.AudioFrame.from_ndarray(
                np.stack([chunk, chunk]), format="fltp", layout="stereo"
            )
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    info = frontend.probe(path)
    assert abs(info.duration_s - 12) < 0.2
    patches = frontend.track_patches(path)
    assert patches.shape[0] == 3 and np.isfinite(patches).all()
    reference = frontend.track_patches(write(tmp_path / "tone.wav", audio, rate))
    assert np.abs(patches.mean(axis=(0, 2)) - reference.mean(axis=(0, 2))).max() < 1.0


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(frontend.AnalysisError):
        frontend.track_patches(tmp_path / "gone.ogg")


def test_opus_and_mp3_decode_with_seeking(tmp_path: Path) -> None:
    audio = tone(30, 48000, 440)
    opus = tmp_path / "x.opus"
    sf.write(str(opus), audio, 48000, format="OGG", subtype="OPUS")
    mp3 = tmp_path / "x.mp3"
    sf.write(str(mp3), audio, 48000, format="MP3", subtype="MPEG_LAYER_III")
    a, b = frontend.track_patches(opus), frontend.track_patches(mp3)
    assert a.shape == b.shape == (frontend.N_EXCERPTS, frontend.N_MELS, frontend.PATCH_FRAMES)
    bands = frontend.N_MELS // 2
    assert np.abs(a[:, :bands].mean() - b[:, :bands].mean()) < 0.5
