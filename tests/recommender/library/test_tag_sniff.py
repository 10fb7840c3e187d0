"""The scan chooses a file's format from its first bytes as `mutagen.File` would, without
scoring all 24 formats; anything it is not sure of goes to `mutagen.File`."""

from __future__ import annotations

import shutil
from pathlib import Path

import mutagen
import pytest

from recommender.library.tags import HEADER_BYTES, read_tags, sniff_kind
from tests.audio_factory import make_track

COMMON = (".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav")
# Files whose tags come first, as ID3 before FLAC: by content, not by name.
ID3_FIRST = (".flac", ".wav")


def _header(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(HEADER_BYTES)


def _chosen_by_mutagen(path: Path) -> type | None:
    try:
        audio = mutagen.File(path)
    except mutagen.MutagenError:
        return None  # it picked a format by the name and failed: the sniff must not pick
    return None if audio is None else type(audio)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("formats")
    return {
        ext: make_track(folder, f"a{ext}", seconds=0.3, title="T", artist="A") for ext in COMMON
    }


def test_each_common_format_is_chosen_as_mutagen_chooses_it(files):
    for ext, path in files.items():
        assert sniff_kind(str(path), _header(path)) is type(mutagen.File(path)), ext


def test_a_file_named_for_another_format_is_left_to_mutagen_or_chosen_the_same(files, tmp_path):
    for content, path in files.items():
        for name in (*COMMON, ".oga", ".m4b", ".MP3", ".bin"):
            if name == content:
                continue
            renamed = tmp_path / f"x{content.strip('.')}{name}"
            shutil.copy(path, renamed)
            kind = sniff_kind(str(renamed), _header(renamed))
            assert kind is None or kind is _chosen_by_mutagen(renamed), (content, name)
    ogg_as_opus = tmp_path / "xogg.opus"
    assert sniff_kind(str(ogg_as_opus), _header(ogg_as_opus)).__name__ == "OggVorbis"


def test_an_id3_tag_in_front_of_another_format_is_left_to_mutagen(files, tmp_path):
    for ext in ID3_FIRST:
        path = tmp_path / f"id3{ext}"
        path.write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00" + files[ext].read_bytes())
        assert sniff_kind(str(path), _header(path)) is None


def test_what_a_sniffed_file_reads_is_what_mutagen_file_reads(files, monkeypatch):
    sniffed = {ext: read_tags(str(p)) for ext, p in files.items()}
    monkeypatch.setattr("recommender.library.tags.sniff_kind", lambda path, header: None)
    for ext, path in files.items():
        assert read_tags(str(path)) == sniffed[ext], ext
