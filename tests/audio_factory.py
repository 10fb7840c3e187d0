"""Generated audio for tests: tones and noise written in many formats and tagged with mutagen.

Nothing here is downloaded; every file is made on the fly, a few KB each.
"""

from __future__ import annotations

import os
from pathlib import Path

import mutagen
import numpy as np
import soundfile as sf
from mutagen.apev2 import APEv2
from mutagen.asf import ASF
from mutagen.id3 import (
    APIC,
    ID3,
    TALB,
    TCOM,
    TCON,
    TDRC,
    TIT2,
    TPE1,
    TPE2,
    TPOS,
    TRCK,
    TXXX,
    UFID,
)
from mutagen.mp4 import MP4, MP4FreeForm

# extension -> (soundfile format, subtype, sample rate) for what libsndfile writes.
SOUNDFILE_FORMATS: dict[str, tuple[str, str, int]] = {
    ".wav": ("WAV", "PCM_16", 22050),
    ".flac": ("FLAC", "PCM_16", 22050),
    ".ogg": ("OGG", "VORBIS", 22050),
    ".opus": ("OGG", "OPUS", 48000),
    ".mp3": ("MP3", "MPEG_LAYER_III", 22050),
    ".aiff": ("AIFF", "PCM_16", 22050),
}
# extension -> (PyAV container format, codec) for what FFmpeg encodes.
AV_FORMATS: dict[str, tuple[str, str]] = {
    ".m4a": ("mp4", "aac"),
    ".alac.m4a": ("mp4", "alac"),
    ".wma": ("asf", "wmav2"),
    ".wv": ("wv", "wavpack"),
}
ALL_EXTENSIONS = (*SOUNDFILE_FORMATS, ".m4a", ".wma", ".wv")


def tone(seconds: float = 1.0, freq: float = 440.0, sr: int = 22050, channels: int = 1):
    """A sine with a little noise (so lossy encoders have something to do), float32."""
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(int(freq))
    x = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(t.size)
    x = x.astype(np.float32)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


def write_audio(
    path: str | os.PathLike[str],
    seconds: float = 1.0,
    freq: float = 440.0,
    channels: int = 1,
    codec_ext: str | None = None,
) -> Path:
    """Write a tone; the format follows `codec_ext` or the file's extension."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ext = codec_ext or path.suffix.lower()
    if ext in SOUNDFILE_FORMATS:
        fmt, subtype, sr = SOUNDFILE_FORMATS[ext]
        sf.write(path, tone(seconds, freq, sr, channels), sr, format=fmt, subtype=subtype)
        return path
    if ext in AV_FORMATS:
        _write_av(path, *AV_FORMATS[ext], seconds=seconds, freq=freq)
        return path
    raise ValueError(f"cannot generate {ext}")


def _write_av(path: Path, container: str, codec: str, *, seconds: float, freq: float) -> None:
    import av

    sr = 44100
    samples = tone(seconds, freq, sr, 1)
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=sr)
        stream.layout = "mono"
        stream.bit_rate = 96_000
        fmt = stream.codec_context.codec.audio_formats[0].name
        resampler = av.AudioResampler(format=fmt, layout="mono", rate=sr)
        frame_size = 1024
        for start in range(0, len(samples), frame_size):
            chunk = samples[start : start + frame_size]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = sr
            frame.pts = start
            for converted in resampler.resample(frame):
                for packet in stream.encode(converted):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def tag(path: str | os.PathLike[str], **fields: str) -> None:
    """Tag a file with the common fields (title, artist, album, albumartist, tracknumber,
    discnumber, date, genre, mb_recording_id, rg_track_gain, cover=bytes) in its native family."""
    path = str(path)
    audio = mutagen.File(path)
    if audio is None:
        raise ValueError(f"mutagen cannot open {path}")
    name = type(audio).__name__
    cover = fields.pop("cover", None)
    if name in ("MP3", "WAVE", "AIFF"):
        _tag_id3(audio, fields, cover)
    elif name in ("FLAC", "OggVorbis", "OggOpus", "OggSpeex", "OggFLAC"):
        keys = {"mb_recording_id": "musicbrainz_trackid", "rg_track_gain": "replaygain_track_gain"}
        for key, value in fields.items():
            audio[keys.get(key, key)] = value if isinstance(value, list) else [value]
        audio.save()
    elif name == "MP4":
        _tag_mp4(audio, fields, cover)
    elif name == "ASF":
        _tag_asf(path, fields)
    else:
        _tag_ape(path, fields)


def _tag_id3(audio, fields: dict, cover: bytes | None) -> None:
    if audio.tags is None:
        audio.add_tags()
    tags: ID3 = audio.tags
    frames = {
        "title": TIT2, "artist": TPE1, "album": TALB, "albumartist": TPE2,
        "tracknumber": TRCK, "discnumber": TPOS, "date": TDRC, "genre": TCON, "composer": TCOM,
    }  # fmt: skip
    for key, value in fields.items():
        values = value if isinstance(value, list) else [value]
        if key in frames:
            tags.add(frames[key](encoding=3, text=values))
        elif key == "mb_recording_id":
            tags.add(UFID(owner="http://musicbrainz.org", data=value.encode()))
        elif key == "rg_track_gain":
            tags.add(TXXX(encoding=3, desc="REPLAYGAIN_TRACK_GAIN", text=values))
    if cover:
        tags.add(APIC(encoding=3, mime="image/png", type=3, desc="front", data=cover))
    audio.save()


def _tag_mp4(audio, fields: dict, cover: bytes | None) -> None:
    if audio.tags is None:
        audio.add_tags()
    keys = {"title": "©nam", "artist": "©ART", "album": "©alb", "albumartist": "aART",
            "date": "©day", "genre": "©gen"}  # fmt: skip
    for key, value in fields.items():
        if key in keys:
            audio.tags[keys[key]] = value if isinstance(value, list) else [value]
        elif key == "tracknumber":
            number, _, total = value.partition("/")
            audio.tags["trkn"] = [(int(number), int(total or 0))]
        elif key == "mb_recording_id":
            audio.tags["----:com.apple.iTunes:MusicBrainz Track Id"] = [MP4FreeForm(value.encode())]
    if cover:
        from mutagen.mp4 import MP4Cover

        audio.tags["covr"] = [MP4Cover(cover, imageformat=MP4Cover.FORMAT_PNG)]
    MP4.save(audio)


def _tag_asf(path: str, fields: dict) -> None:
    audio = ASF(path)
    keys = {"title": "Title", "artist": "Author", "album": "WM/AlbumTitle",
            "albumartist": "WM/AlbumArtist", "tracknumber": "WM/TrackNumber",
            "date": "WM/Year", "genre": "WM/Genre",
            "mb_recording_id": "MusicBrainz/Track Id"}  # fmt: skip
    for key, value in fields.items():
        if key in keys:
            audio[keys[key]] = [value]
    audio.save()


def _tag_ape(path: str, fields: dict) -> None:
    try:
        tags = APEv2(path)
    except Exception:
        tags = APEv2()
    keys = {"title": "Title", "artist": "Artist", "album": "Album", "albumartist": "Album Artist",
            "tracknumber": "Track", "date": "Year", "genre": "Genre",
            "mb_recording_id": "MUSICBRAINZ_TRACKID"}  # fmt: skip
    for key, value in fields.items():
        if key in keys:
            tags[keys[key]] = value
    tags.save(path)


def make_track(
    root: Path,
    relpath: str,
    *,
    seconds: float = 1.0,
    freq: float = 440.0,
    codec_ext: str | None = None,
    **fields: str,
) -> Path:
    """Write and tag one file under `root`; returns its path."""
    path = write_audio(root / relpath, seconds=seconds, freq=freq, codec_ext=codec_ext)
    if fields:
        tag(path, **fields)
    return path


def make_bad_files(root: Path) -> dict[str, Path]:
    """Every kind of broken file a scan must survive, by what is wrong with it."""
    root.mkdir(parents=True, exist_ok=True)
    bad = {
        "empty": root / "empty.mp3",
        "random": root / "random bytes.mp3",
        "text": root / "notes.flac",
        "truncated_flac": root / "cut.flac",
        "truncated_mp3": root / "cut.mp3",
    }
    bad["empty"].write_bytes(b"")
    bad["random"].write_bytes(np.random.default_rng(1).bytes(30_000))
    bad["text"].write_text("these are not the droids\n" * 50)
    full = write_audio(root / "_full.flac", seconds=2.0)
    bad["truncated_flac"].write_bytes(full.read_bytes()[:60])
    full.unlink()
    full_mp3 = write_audio(root / "_full.mp3", seconds=20.0)
    bad["truncated_mp3"].write_bytes(full_mp3.read_bytes()[:6000])
    full_mp3.unlink()
    return bad
