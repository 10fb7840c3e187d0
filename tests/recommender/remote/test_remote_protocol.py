"""The protocol's shared pieces: the matching key and the strict check of answers."""

from __future__ import annotations

import pytest

from recommender.remote.protocol import ProtocolViolation, normalise_artist_title, parse_answer


@pytest.mark.parametrize(
    "a, b",
    [
        (("Beyoncé", "Halo"), ("BEYONCE", "halo")),
        (("The Beatles", "Let It Be - Remastered 2009"), ("Beatles", "Let it be")),
        (("Daft Punk feat. Pharrell", "Get Lucky (Radio Edit)"), ("Daft Punk", "Get Lucky")),
        (("Simon & Garfunkel", "The Boxer"), ("Simon and Garfunkel", "the boxer")),
    ],
)
def test_same_song_spelled_differently_gets_one_key(a, b):
    assert normalise_artist_title(*a) == normalise_artist_title(*b)


@pytest.mark.parametrize(
    "a, b",
    [
        (("Billy Idol", "Dancing with Myself"), ("Billy Idol", "Dancing")),
        (("A", "Song"), ("A Song", "")),
    ],
)
def test_different_songs_keep_different_keys(a, b):
    assert normalise_artist_title(*a) != normalise_artist_title(*b)


def _answer(**item):
    base = {"artist": "a", "title": "t", "mbid": None, "score": 1.0, "reason": ""}
    return {"protocol": 1, "model": {"name": "m", "version": "1"}, "items": [{**base, **item}]}


def test_valid_answer_parses_and_ignores_unknown_keys():
    data = _answer(extra_field=1)
    data["future"] = {"x": 1}
    answer = parse_answer(data, k=5)
    assert answer.items[0].title == "t" and answer.model_name == "m"


@pytest.mark.parametrize(
    "item",
    [
        {"score": True},
        {"score": "1"},
        {"artist": ""},
        {"title": "x" * 301},
        {"title": "bell\x07"},
        {"mbid": "not-an-id"},
        {"reason": 5},
    ],
)
def test_wrong_items_are_refused(item):
    with pytest.raises(ProtocolViolation):
        parse_answer(_answer(**item), k=5)


def test_more_items_than_asked_are_refused():
    data = _answer()
    data["items"] *= 3
    with pytest.raises(ProtocolViolation, match="3 items"):
        parse_answer(data, k=2)
