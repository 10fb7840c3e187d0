import json

from recommender.history.imports import export_listens, import_listens, rematch_unmatched
from tests.recommender.history_factory import add_tracks

T0 = 1_700_000_000


def _lb_line(artist, title, when, **info):
    meta = {"artist_name": artist, "track_name": title, "additional_info": info}
    return json.dumps({"listened_at": when, "track_metadata": meta})


def test_listenbrainz_import_matches_tags_that_differ_in_case_or_feat(store, tmp_path):
    ids = add_tracks(store, [("Massive Attack", "Teardrop"), ("Gorillaz", "Feel Good Inc.")])
    listens = tmp_path / "listens.jsonl"
    listens.write_text(
        "\n".join(
            [
                _lb_line("MASSIVE ATTACK", "teardrop", T0),
                _lb_line("Gorillaz feat. De La Soul", "Feel Good Inc", T0 + 300),
                _lb_line("Nobody Here", "Unknown Song", T0 + 600),
            ]
        )
    )
    report = import_listens(store, listens)
    assert (report.read, report.matched, report.added, report.unmatched) == (3, 2, 2, 1)
    played = [r[0] for r in store.conn.execute("SELECT track_id FROM plays ORDER BY started_at")]
    assert played == ids
    again = import_listens(store, listens)
    assert again.added == 0 and again.already_known == 2


def test_unmatched_listens_match_after_the_track_is_added(store, tmp_path):
    listens = tmp_path / "listens.json"
    listens.write_text("[" + _lb_line("Portishead", "Roads", T0) + "]")
    assert import_listens(store, listens).unmatched == 1
    (tid,) = add_tracks(store, [("Portishead", "Roads (Live)")])
    assert rematch_unmatched(store) == 1
    assert store.conn.execute("SELECT track_id FROM plays").fetchall() == [(tid,)]
    assert store.conn.execute("SELECT count(*) FROM unmatched_listens").fetchone()[0] == 0


def test_lastfm_csv_with_and_without_header(store, tmp_path):
    ids = add_tracks(store, [("Björk", "Jóga"), ("Radiohead", "Reckoner")])
    headed = tmp_path / "scrobbles.csv"
    headed.write_text(
        "uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n"
        f"{T0},x,bjork,,Homogenic,,Joga,\n"
    )
    bare = tmp_path / "bare.csv"
    bare.write_text("Radiohead,In Rainbows,Reckoner,05 Mar 2021 20:15\n")
    assert import_listens(store, headed).added == 1
    assert import_listens(store, bare).added == 1
    assert sorted(r[0] for r in store.conn.execute("SELECT track_id FROM plays")) == ids


def test_export_writes_listenbrainz_jsonl_that_imports_back(store, tmp_path, data_dir):
    add_tracks(store, [("Air", "La Femme d'Argent"), ("Air", "Sexy Boy")])
    listens = tmp_path / "in.jsonl"
    listens.write_text(
        _lb_line("Air", "Sexy Boy", T0) + "\n" + _lb_line("Air", "La Femme d'Argent", T0 + 400)
    )
    import_listens(store, listens)
    out = tmp_path / "out.jsonl"
    assert export_listens(store, out).written == 2
    first = json.loads(out.read_text().splitlines()[0])
    assert first["listened_at"] == T0
    assert first["track_metadata"]["track_name"] == "Sexy Boy"
    assert first["track_metadata"]["additional_info"]["duration_ms"] == 200_000
    store.conn.execute("DELETE FROM plays")
    assert import_listens(store, out).added == 2


def test_listenbrainz_zip_export_of_monthly_files(store, tmp_path):
    import zipfile

    ids = add_tracks(store, [("Moderat", "A New Error"), ("Moderat", "Bad Kingdom")])
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("user.json", '{"user_name": "me"}')
        z.writestr("listens/2023/1.jsonl", _lb_line("Moderat", "A New Error", T0))
        z.writestr("listens/2023/2.jsonl", _lb_line("moderat", "bad kingdom", T0 + 999))
    assert import_listens(store, archive).added == 2
    assert sorted(r[0] for r in store.conn.execute("SELECT track_id FROM plays")) == ids


def test_listens_waiting_from_schema_3_keep_their_length(data_dir):
    """Schema 3 kept the track length of a waiting listen in `seconds_played`."""
    import sqlite3

    from recommender.library.schema import MIGRATIONS
    from recommender.library.store import DB_FILE, open_store

    conn = sqlite3.connect(data_dir / DB_FILE)
    for script in MIGRATIONS[:3]:
        conn.executescript(script)
    conn.execute("PRAGMA user_version = 3")
    conn.execute(
        "INSERT INTO unmatched_listens(source, listened_at, artist, title, seconds_played) "
        "VALUES ('listenbrainz', ?, 'Portishead', 'Roads', 305)",
        (T0,),
    )
    conn.commit()
    conn.close()
    with open_store(data_dir) as store:
        row = store.conn.execute("SELECT seconds_played, duration FROM unmatched_listens")
        assert row.fetchone() == (None, 305.0)
        (tid,) = add_tracks(store, [("Portishead", "Roads")])
        assert rematch_unmatched(store) == 1
        played = store.conn.execute("SELECT track_id, seconds_played, completed FROM plays")
        assert played.fetchall() == [(tid, 305.0, 1)]
