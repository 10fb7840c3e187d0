"""The library table: rows, sorting and filtering over in-memory columns, matching the CLI query."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from player.library.table_model import COLUMN_KEYS
from recommender.core.errors import UsageError
from recommender.library.columns import load_library_columns
from recommender.library.tracks import find_tracks
from tests.library_factory import insert_library

QUERIES = [
    "night",
    "night blue",
    '"blue river"',
    "artist:ka",
    "album:golden -rain",
    "genre:jazz",
    "year:1990..1999",
    "year:..1970 -genre:rock",
    "year:2001",
    "-night -blue",
    "title:é",
    "ö",
]


def _col(name: str) -> int:
    return COLUMN_KEYS.index(name)


def test_model_shows_every_present_track(make_window, store):
    insert_library(store, 500)
    store.conn.execute("UPDATE tracks SET missing = 1 WHERE id <= 10")
    window = make_window(sound=False)
    assert window.model.rowCount() == 490
    assert window.count_label.text() == "490 tracks"


def test_sorting_by_title_and_year_orders_rows(make_window, store):
    insert_library(store, 400, seed=3)
    window = make_window(sound=False)
    model = window.model
    model.sort(_col("title"), Qt.SortOrder.AscendingOrder)
    titles = [model.index(r, _col("title")).data() for r in range(model.rowCount())]
    assert titles == sorted(titles, key=str.casefold)
    model.sort(_col("year"), Qt.SortOrder.DescendingOrder)
    years = [int(model.index(r, _col("year")).data()) for r in range(model.rowCount())]
    assert years == sorted(years, reverse=True)
    assert years[0] > years[-1]


def test_play_counts_column_sorts_most_played_first(make_window, store):
    insert_library(store, 300, plays=600)
    window = make_window(sound=False)
    window.model.sort(_col("plays"), Qt.SortOrder.DescendingOrder)
    top = window.model.track_id(0)
    (most,) = store.conn.execute(
        "SELECT count(*) FROM plays GROUP BY track_id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    (count,) = store.conn.execute(
        "SELECT count(*) FROM plays WHERE track_id = ?", (top,)
    ).fetchone()
    assert count == most > 1


@pytest.mark.parametrize("query", QUERIES)
def test_in_memory_filter_matches_the_cli_query(store, query):
    insert_library(store, 3000, seed=11)
    columns = load_library_columns(store)
    from recommender.library.columns import LibraryFilter

    mask = LibraryFilter(columns).mask(query)
    shown = set(columns.ids[mask].tolist())
    expected = {t.id for t in find_tracks(store, query)}
    assert shown == expected
    assert 0 < len(expected) < 3000 or query in ("title:é", "ö", "year:2001")


def test_typing_narrows_and_widens_the_view(qtbot, make_window, store):
    insert_library(store, 2000)
    window = make_window(sound=False)
    for text in ("n", "ni", "nig", "night"):
        with qtbot.waitSignal(window.filterApplied, timeout=3000):
            window.search.setText(text)
    narrow = window.model.rowCount()
    expected = {t.id for t in find_tracks(store, "night")}
    assert set(window.model.visible_ids().tolist()) == expected
    with qtbot.waitSignal(window.filterApplied, timeout=3000):
        window.search.setText("nigh")
    assert window.model.rowCount() >= narrow
    assert window.count_label.text().endswith("of 2,000 tracks")


def test_bad_year_range_keeps_rows_and_says_why(qtbot, make_window, store):
    insert_library(store, 200)
    window = make_window(sound=False)
    window.search.setText("year:19")
    window.apply_search()
    assert window.model.rowCount() == 200
    assert "bad year" in window.statusBar().currentMessage()
    with pytest.raises(UsageError):
        window.model.set_query("year:abc")


def test_browser_limits_rows_to_one_artist(qtbot, make_window, store):
    insert_library(store, 600)
    window = make_window(sound=False)
    browser = window.browser
    entry = browser.model.index(1, 0)
    artist = entry.data(Qt.ItemDataRole.UserRole)
    browser.list.setCurrentIndex(entry)
    ids = set(window.model.visible_ids().tolist())
    expected = {
        tid
        for (tid,) in store.conn.execute(
            "SELECT id FROM tracks WHERE coalesce(albumartist, artist) = ?", (artist,)
        )
    }
    assert ids == expected and 0 < len(ids) < 600


def test_a_recorded_play_updates_its_row_and_does_not_reset_the_table(qtbot, store):
    from player.library.table_model import LibraryModel
    from recommender.history.plays import record_play

    insert_library(store, 60)
    model = LibraryModel()  # no window: the model alone, over the loaded columns
    model.set_columns(load_library_columns(store))
    model.sort(_col("title"), Qt.SortOrder.AscendingOrder)
    row = 7
    tid = model.track_id(row)
    before = model.index(row, _col("plays")).data()
    resets, changed = [], []
    model.modelReset.connect(lambda: resets.append("reset"))
    model.layoutChanged.connect(lambda *_: resets.append("layout"))
    model.dataChanged.connect(lambda top, bottom, *_: changed.append((top.row(), bottom.row())))
    play = record_play(store, tid, 200.0, duration=200.0, completed=True)
    model.plays_recorded([play])
    assert resets == [] and changed == [(row, row)]
    assert model.index(row, _col("plays")).data() == str(int(before or 0) + 1)
    assert model.index(row, _col("last_played")).data() != ""
    assert model.track_id(row) == tid


def test_plays_column_counts_listens_and_skips_are_shown_apart(
    qtbot, make_window, store, music_dir
):
    """Two 8-second skips used to read "Plays 2"; now Plays stays empty and Skips (a column
    that is off by default) says 2, and a skip made now counts there too."""
    from tests.audio_factory import write_audio
    from tests.library_factory import insert_file

    path = write_audio(music_dir / "long.ogg", seconds=8.0, freq=440)
    tid = insert_file(store, path, title="Long", artist="A", album="B", duration=200.0)
    other = insert_file(store, music_dir / "other.ogg", title="Other", artist="A", album="B")
    store.conn.executemany(
        "INSERT INTO plays(track_id, started_at, seconds_played, completed, skipped) "
        "VALUES (?, ?, ?, ?, ?)",
        [(tid, 1000, 8, 0, 1), (tid, 2000, 8, 0, 1), (other, 3000, 190, 1, 0)],
    )
    store.conn.commit()
    window = make_window()
    model, header = window.model, window.table.horizontalHeader()
    assert header.isSectionHidden(_col("skips")) and not header.isSectionHidden(_col("plays"))
    row, other_row = model.row_of_track(tid), model.row_of_track(other)
    qtbot.waitUntil(lambda: model.index(other_row, _col("plays")).data() == "1", timeout=5000)
    assert model.index(row, _col("plays")).data() == ""
    assert model.index(row, _col("skips")).data() == "2"

    window.play_library_row(row)
    qtbot.waitUntil(lambda: window.playback.position_ms() >= 500, timeout=10_000)
    with qtbot.waitSignal(window.events.playsRecorded, timeout=5000) as rec:
        window.playback.stop()
    assert [p.skipped for p in rec.args[0].plays] == [True]
    assert model.index(row, _col("plays")).data() == ""
    assert model.index(row, _col("skips")).data() == "3"


def test_tracks_without_an_artist_read_unknown_artist_and_have_a_browser_entry(
    qtbot, make_window, store
):
    insert_library(store, 30)
    store.conn.execute("UPDATE tracks SET artist = NULL, albumartist = NULL WHERE id <= 4")
    window = make_window(sound=False)
    row = window.model.row_of_track(2)
    assert window.model.index(row, _col("artist")).data() == "Unknown artist"
    browser = window.browser
    texts = [browser.model.index(i, 0).data() for i in range(browser.model.rowCount())]
    assert "Unknown artist  (4)" in texts and not any("None" in t for t in texts)
    browser.list.setCurrentIndex(browser.model.index(texts.index("Unknown artist  (4)"), 0))
    assert sorted(window.model.visible_ids().tolist()) == [1, 2, 3, 4]
