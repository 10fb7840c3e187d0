"""The query language users type in `tonearm tracks` and the search box."""

from __future__ import annotations

import pytest

from recommender.core.errors import UsageError
from recommender.library.tracks import find_tracks


@pytest.fixture
def library(store):
    rows = [
        ("/m/1.flac", "Blue in Green", "Miles Davis", "Kind of Blue", "Jazz", 1959),
        ("/m/2.flac", "So What", "Miles Davis", "Kind of Blue", "Jazz", 1959),
        ("/m/3.flac", "Teen Spirit", "Nirvana", "Nevermind", "Grunge", 1991),
        ("/m/4.flac", "Jóga", "Björk", "Homogenic", "Electronic", 1997),
        ("/m/5.flac", "100% Pure", "Weird_Al", "Odd", "Comedy", 2003),
    ]
    for path, title, artist, album, genre, year in rows:
        store.conn.execute(
            "INSERT INTO tracks(path, size, mtime, title, artist, album, genre, year, added_at, "
            "updated_at) VALUES (?, 1, 1, ?, ?, ?, ?, ?, 0, 0)",
            (path, title, artist, album, genre, year),
        )
    return store


def titles(store, query: str) -> set[str]:
    return {t.title for t in find_tracks(store, query)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("miles", {"Blue in Green", "So What"}),
        ("blue green", {"Blue in Green"}),
        ('"so what"', {"So What"}),
        ("artist:nirvana", {"Teen Spirit"}),
        ("genre:jazz year:1950..1965", {"Blue in Green", "So What"}),
        ("year:1990..", {"Teen Spirit", "Jóga", "100% Pure"}),
        ("year:..1960", {"Blue in Green", "So What"}),
        ("year:1997", {"Jóga"}),
        ("-miles", {"Teen Spirit", "Jóga", "100% Pure"}),
        ("BJÖRK", {"Jóga"}),
        ("100%", {"100% Pure"}),
        ("weird_al", {"100% Pure"}),
        ("album:blue -title:so", {"Blue in Green"}),
    ],
)
def test_query_matches_what_a_user_expects(library, query, expected):
    assert titles(library, query) == expected


def test_percent_and_underscore_are_literal(library):
    assert titles(library, "weird%al") == set()


def test_bad_year_range_says_how_to_write_one(library):
    with pytest.raises(UsageError, match=r"1990\.\.1999"):
        find_tracks(library, "year:nineties")


def test_a_track_can_be_named_by_id_path_or_artist_and_title(library):
    from recommender.core.errors import NotFoundError
    from recommender.library.tracks import resolve_track

    assert resolve_track(library, "3").title == "Teen Spirit"
    assert resolve_track(library, "/m/2.flac").title == "So What"
    assert resolve_track(library, "miles davis - blue in green").title == "Blue in Green"
    with pytest.raises(NotFoundError, match="artist - title"):
        resolve_track(library, "Nobody - Nothing")


def _memory_titles(store, query: str) -> set[str]:
    from recommender.library.columns import LibraryFilter, load_library_columns

    columns = load_library_columns(store, use_cache=False)
    mask = LibraryFilter(columns).mask(query)
    rows = range(len(columns)) if mask is None else mask.nonzero()[0]
    return {columns.title[i] for i in rows}


@pytest.mark.parametrize("query", ["artist:BJÖRK", "artist:bjork", "BJORK joga", "title:JÓGA"])
def test_case_and_accents_fold_the_same_in_the_cli_and_the_search_box(library, query):
    assert titles(library, query) == {"Jóga"}
    assert _memory_titles(library, query) == {"Jóga"}


def test_a_seed_or_a_name_folds_like_the_search(library):
    from recommender.library.tracks import resolve_track, tracks_by_artist

    assert resolve_track(library, "BJÖRK - joga").title == "Jóga"
    assert [t.title for t in tracks_by_artist(library, "bjork")] == ["Jóga"]
