"""Rendered-MIDI training audio: each synthetic album keeps its style, each piece its length."""

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("mido")

from recommender.train.synth_midi import compose, random_style


def test_a_piece_lasts_as_long_as_asked_and_plays_its_albums_instruments() -> None:
    style = replace(random_style(np.random.default_rng(4)), drums="rock", tempo_bpm=120.0)
    midi = compose(style, 30.0, np.random.default_rng(0))
    assert 29.0 <= midi.length <= 34.0  # whole bars: up to one bar (2 s at 120 bpm) more
    messages = [m for track in midi.tracks for m in track]
    programs = {m.channel: m.program for m in messages if m.type == "program_change"}
    assert programs == {0: style.lead, 1: style.pad, 2: style.bass}
    channels = {m.channel for m in messages if m.type == "note_on"}
    assert channels == {0, 1, 2, 9}  # lead, chords, bass, drums


def test_without_drums_no_drum_channel_and_the_same_seed_writes_the_same_notes() -> None:
    style = replace(random_style(np.random.default_rng(5)), drums="none")

    def notes(seed: int) -> list:
        midi = compose(style, 10.0, np.random.default_rng(seed))
        return [(m.channel, m.note, m.time) for m in midi.tracks[0] if m.type == "note_on"]

    assert 9 not in {channel for channel, _, _ in notes(1)}
    assert notes(1) == notes(1) != notes(2)
