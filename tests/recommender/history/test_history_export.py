"""`history export` as ListenBrainz judges it, and one history imported from two services."""

from __future__ import annotations

import json
import time
import uuid

from recommender.history.imports import export_listens, import_listens
from recommender.history.plays import record_play
from tests.recommender.history_factory import add_tracks

T0 = 1_700_000_000
LISTEN_MINIMUM_TS = 1_033_410_600


def listenbrainz_refuses(listen: dict) -> str | None:
    """ListenBrainz's `validate_listen` for an "import" listen (api_tools.py), restated: why
    it would answer 400, or None."""
    if set(listen) != {"listened_at", "track_metadata"}:
        return "top-level keys"
    if not isinstance(listen["listened_at"], int) or listen["listened_at"] < LISTEN_MINIMUM_TS:
        return "listened_at"
    if listen["listened_at"] >= time.time() + 3600:
        return "listened_at in the future"
    meta = listen["track_metadata"]
    for key in ("artist_name", "track_name"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            return key
    if "release_name" in meta and not isinstance(meta["release_name"], str):
        return "release_name"
    info = meta.get("additional_info", {})
    if "duration" in info and "duration_ms" in info:
        return "both durations"
    for key in ("duration", "duration_ms"):
        if key in info and not (isinstance(info[key], int) and info[key] > 0):
            return key
    for key in ("release_mbid", "recording_mbid", "release_group_mbid", "track_mbid"):
        if info.get(key):
            try:
                uuid.UUID(info[key])
            except ValueError:
                return key
    if any("\x00" in text for text in _strings(listen)):
        return "NUL"
    return None


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _untagged(store, path, artist=None, albumartist=None, title=None):
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO tracks(path, size, mtime, duration, title, artist, albumartist, "
            "mb_recording_id, added_at, updated_at) VALUES (?, 1, 0, 200, ?, ?, ?, ?, 0, 0)",
            (path, title, artist, albumartist, "not-a-uuid"),
        )
    return int(cur.lastrowid)


def test_export_leaves_out_what_listenbrainz_refuses_and_says_so(store, tmp_path):
    (tagged,) = add_tracks(store, [("Air", "Sexy Boy")])
    no_artist = _untagged(store, "/music/rip/track01.flac", title="Track 1")
    album_artist_only = _untagged(store, "/music/va/02.flac", albumartist="Air", title="Kelly")
    record_play(store, tagged, 200, started_at=T0)
    record_play(store, no_artist, 200, started_at=T0 + 300)
    record_play(store, album_artist_only, 200, started_at=T0 + 600)
    record_play(store, tagged, 200, started_at=946_684_800)  # 2000-01-01: a wrong clock
    out = tmp_path / "listens.jsonl"
    report = export_listens(store, out)
    assert report.written == 2
    assert report.left_out == {
        "no artist tag (ListenBrainz needs artist_name)": 1,
        "played before 2002-10-01, which ListenBrainz refuses": 1,
    }
    listens = [json.loads(line) for line in out.read_text().splitlines()]
    assert [listenbrainz_refuses(x) for x in listens] == [None, None]
    assert [x["track_metadata"]["artist_name"] for x in listens] == ["Air", "Air"]
    assert "recording_mbid" not in listens[1]["track_metadata"]["additional_info"]


def test_exported_skips_come_back_as_skips(store, tmp_path):
    song, other = add_tracks(store, [("Air", "Sexy Boy"), ("Air", "Kelly Watch the Stars")])
    record_play(store, song, 12.0, started_at=T0)  # a skip
    record_play(store, other, 200.0, started_at=T0 + 60)
    out = tmp_path / "listens.jsonl"
    without = export_listens(store, out)
    assert without.written == 1
    assert export_listens(store, out, include_skips=True).written == 2
    skip = json.loads(out.read_text().splitlines()[0])
    info = skip["track_metadata"]["additional_info"]
    assert (info["duration_ms"], info["duration_played"], info["tonearm_skipped"]) == (
        200_000,
        12,
        True,
    )
    assert listenbrainz_refuses(skip) is None
    store.conn.execute("DELETE FROM plays")
    assert import_listens(store, out).added == 2
    rows = store.conn.execute(
        "SELECT track_id, seconds_played, completed, skipped FROM plays ORDER BY started_at"
    ).fetchall()
    assert rows == [(song, 12.0, 0, 1), (other, 200.0, 1, 0)]


def test_reimport_reports_a_line_that_was_spoiled(store, tmp_path):
    (song,) = add_tracks(store, [("Air", "Sexy Boy")])
    for n in range(3):
        record_play(store, song, 200, started_at=T0 + n * 600)
    out = tmp_path / "listens.jsonl"
    export_listens(store, out)
    lines = out.read_text().splitlines()
    lines[1] = lines[1].replace('"Air"', '""')
    out.write_text("\n".join(lines) + "\n")
    store.conn.execute("DELETE FROM plays")
    report = import_listens(store, out)
    assert (report.read, report.added, report.dropped) == (2, 2, 1)
    assert report.drop_reasons == ("listens.jsonl line 2: no artist_name",)


def test_payload_export_is_submit_documents_within_listenbrainz_limits(store, tmp_path):
    ids = add_tracks(store, [(f"Artist {n}", f"Song {n}") for n in range(50)])
    (huge,) = add_tracks(store, [("Air", "Remix " * 2000)])  # a 12,000-character title tag
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO plays(track_id, started_at, seconds_played, completed, skipped) "
            "VALUES (?, ?, 200, 1, 0)",
            [(ids[n % 50], T0 + n * 250) for n in range(2345)] + [(huge, T0 - 500)],
        )
    folder = tmp_path / "to-submit"
    report = export_listens(store, folder, form="payload")
    assert report.written == 2345
    assert report.left_out == {"larger than ListenBrainz's 10,240 bytes a listen": 1}
    assert [p.name for p in report.files] == [
        "listens-0001.json",
        "listens-0002.json",
        "listens-0003.json",
    ]
    sizes = []
    for path in report.files:
        raw = path.read_bytes()
        document = json.loads(raw)
        assert document["listen_type"] == "import"
        n = len(document["payload"])
        assert 0 < n <= 1000 and len(raw) <= n * 10240 and len(raw) <= 10_240_000
        assert all(listenbrainz_refuses(x) is None for x in document["payload"])
        sizes.append(n)
    assert sizes == [1000, 1000, 345]
    store.conn.execute("DELETE FROM plays")
    assert sum(import_listens(store, path).added for path in report.files) == 2345


def test_one_history_from_listenbrainz_and_lastfm_is_one_play_each(store, tmp_path):
    """800 listens exported by both services (Last.fm's clock a few seconds off), a play
    Tonearm recorded itself among them, and a real second listen ten minutes later."""
    ids = add_tracks(store, [(f"Artist {n % 40}", f"Song {n}") for n in range(200)])
    lb = tmp_path / "listenbrainz.jsonl"
    csv = tmp_path / "scrobbles.csv"
    lb_lines, csv_lines = [], ["uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid"]
    for n in range(800):
        at = T0 + n * 90  # back-to-back listens of different songs, 90 s apart
        song = n % 200
        lb_lines.append(
            json.dumps(
                {
                    "listened_at": at,
                    "track_metadata": {
                        "artist_name": f"Artist {song % 40}",
                        "track_name": f"Song {song}",
                        "additional_info": {"submission_client": "Web Scrobbler"},
                    },
                }
            )
        )
        csv_lines.append(f"{at + n % 40},14 Nov 2023 22:13,Artist {song % 40},,,,Song {song},")
    lb.write_text("\n".join(lb_lines) + "\n")
    csv.write_text("\n".join(csv_lines) + "\n")
    record_play(store, ids[0], 200, started_at=T0 + 5)  # heard in Tonearm, scrobbled too
    assert import_listens(store, lb).added == 799
    lastfm = import_listens(store, csv)
    assert (lastfm.matched, lastfm.added, lastfm.already_known) == (800, 0, 800)
    assert store.conn.execute("SELECT count(*) FROM plays").fetchone()[0] == 800
    again = tmp_path / "again.jsonl"
    again.write_text(lb_lines[0].replace(str(T0), str(T0 + 600)) + "\n")
    assert import_listens(store, again).added == 1
