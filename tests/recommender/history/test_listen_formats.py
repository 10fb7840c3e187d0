"""Listening history in the formats other programs really write, each file written by hand the
way ListenBrainz (its user export, old export, API and submit documents), Rockbox and the
Last.fm export tools write it."""

from __future__ import annotations

import time
import zipfile

import pytest

from recommender.core.errors import UsageError
from recommender.history.imports import import_listens, read_listens
from tests.recommender.history_factory import add_tracks

T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC


def _track(store, artist, title, album, duration):
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO tracks(path, size, mtime, duration, title, artist, album, added_at, "
            "updated_at) VALUES (?, 1, 0, ?, ?, ?, ?, 0, 0)",
            (f"/music/{album}/{title} {duration:.0f}.flac", duration, title, artist, album),
        )
    return int(cur.lastrowid)


def _plays(store):
    return store.conn.execute(
        "SELECT track_id, started_at, skipped, seconds_played FROM plays ORDER BY started_at"
    ).fetchall()


# What a ListenBrainz user export (listenbrainz_<user>_<time>.zip, 2024 onwards) holds: the
# listens/<year>/<month>.jsonl lines from export.py (listened_at from Postgres' extract(epoch),
# mbid_mapping null when unmapped), beside user.json, feedback.jsonl and pinned_recording.jsonl.
EXPORT_NOVEMBER = (
    '{"listened_at": 1700000000.000000, "inserted_at": 1700000012.482913, "track_metadata": '
    '{"artist_name": "Portishead", "track_name": "Roads", "release_name": "Dummy", '
    '"recording_msid": "9e1e3a8c-5b0e-4a34-9c3e-3ad1d8f0e0c1", "additional_info": '
    '{"duration_ms": 305000, "media_player": "Strawberry", "submission_client": "Strawberry", '
    '"recording_msid": "9e1e3a8c-5b0e-4a34-9c3e-3ad1d8f0e0c1"}, "mbid_mapping": null}}\n'
    '{"listened_at": 1700000400.000000, "inserted_at": 1700000401.0, "track_metadata": '
    '{"artist_name": "Portishead", "track_name": "Glory Box", "release_name": "Dummy", '
    '"recording_msid": "1b2c3d4e-0000-4000-8000-000000000002", "additional_info": {}, '
    '"mbid_mapping": {"recording_name": "Glory Box", "recording_mbid": '
    '"7e1f5c9b-3f0c-4b1e-9a4f-6a0e2d9f7c11", "release_mbid": '
    '"76df3287-6cda-33eb-8e9a-044b5e15ffdd", "artist_mbids": '
    '["8f6bd1e4-fbe1-4f50-aa9b-94c450ec0f11"], "caa_id": 1, "caa_release_mbid": '
    '"76df3287-6cda-33eb-8e9a-044b5e15ffdd", "artists": [{"artist_credit_name": "Portishead", '
    '"join_phrase": "", "artist_mbid": "8f6bd1e4-fbe1-4f50-aa9b-94c450ec0f11"}]}}}\n'
)
EXPORT_DECEMBER = (
    '{"listened_at": 1701500000.000000, "inserted_at": 1701500001.0, "track_metadata": '
    '{"artist_name": "Massive Attack", "track_name": "Teardrop", "additional_info": '
    '{"duration": 330}, "mbid_mapping": null}}\n'
)


def test_listenbrainz_user_export_zip_reads_the_monthly_files_only(store, tmp_path):
    roads, glory, teardrop = add_tracks(
        store,
        [("Portishead", "Roads"), ("Portishead", "Glory Box"), ("Massive Attack", "Teardrop")],
    )
    archive = tmp_path / "listenbrainz_me_1701600000.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("user.json", '{"user_id": 1234, "username": "me"}\n')
        z.writestr("listens/2023/11.jsonl", EXPORT_NOVEMBER)
        z.writestr("listens/2023/12.jsonl", EXPORT_DECEMBER)
        z.writestr(
            "feedback.jsonl",
            '{"recording_msid": "9e1e3a8c-5b0e-4a34-9c3e-3ad1d8f0e0c1", "recording_mbid": null, '
            '"score": 1, "created": 1700000100}\n',
        )
        z.writestr(
            "pinned_recording.jsonl",
            '{"recording_msid": null, "recording_mbid": "7e1f5c9b-3f0c-4b1e-9a4f-6a0e2d9f7c11", '
            '"blurb_content": "so good", "pinned_until": 1700600000, "created": 1700000500}\n',
        )
    report = import_listens(store, archive)
    assert (report.read, report.added, report.dropped) == (3, 3, 0)
    assert [(tid, at) for tid, at, _, _ in _plays(store)] == [
        (roads, T0),
        (glory, T0 + 400),
        (teardrop, 1701500000),
    ]


def test_old_one_file_export_api_answer_and_submit_document(store, tmp_path):
    """The pre-2024 "export listens" JSON array, GET /1/user/<name>/listens, and the
    submit-listens body (which ended in AttributeError before)."""
    roads, glory = add_tracks(store, [("Portishead", "Roads"), ("Portishead", "Glory Box")])
    listen = (
        '{{"track_metadata": {{"artist_name": "Portishead", "track_name": "{title}", '
        '"release_name": "Dummy", "additional_info": {{"listening_from": "spotify"}}}}, '
        '"listened_at": {at}, "recording_msid": "f3b5f7c2-9a40-4c1d-8ae2-2f3a3c1d0b1{n}", '
        '"user_name": "me", "inserted_at": {at}}}'
    )
    old = tmp_path / "me_lb-2024-05-01.json"
    old.write_text(
        "[" + listen.format(title="Roads", at=T0, n=1) + ","
        + listen.format(title="Glory Box", at=T0 + 400, n=2) + "]"
    )  # fmt: skip
    api = tmp_path / "listens-page.json"
    api.write_text(
        '{\n  "payload": {\n    "count": 1,\n    "latest_listen_ts": 1700009000,\n'
        '    "user_id": "me",\n    "listens": [' + listen.format(title="Roads", at=T0 + 9000, n=3)
        + "]\n  }\n}\n"
    )  # fmt: skip
    submit = tmp_path / "submit.json"
    submit.write_text(
        '{\n  "listen_type": "import",\n  "payload": [\n    {\n      "listened_at": 1700020000,\n'
        '      "track_metadata": {\n        "artist_name": "Portishead",\n'
        '        "track_name": "Glory Box",\n        "release_name": "Dummy",\n'
        '        "additional_info": {"duration_ms": "305000", "tracknumber": "11"}\n'
        "      }\n    }\n  ]\n}\n"
    )
    assert import_listens(store, old).added == 2
    assert import_listens(store, api).added == 1
    assert import_listens(store, submit).added == 1
    assert [tid for tid, *_ in _plays(store)] == [roads, glory, roads, glory]


def test_playing_now_and_broken_lines_are_reported_not_fatal(store, tmp_path):
    add_tracks(store, [("Air", "Sexy Boy")])
    playing = tmp_path / "now.json"
    playing.write_text(
        '{"listen_type": "playing_now", "payload": [{"track_metadata": '
        '{"artist_name": "Air", "track_name": "Sexy Boy"}}]}'
    )
    report = import_listens(store, playing)
    assert (report.read, report.dropped) == (0, 1)
    assert "playing_now" in report.drop_reasons[0]
    lines = tmp_path / "listens.jsonl"
    lines.write_text(
        f'{{"listened_at": {T0}, "track_metadata": {{"artist_name": "Air", '
        '"track_name": "Sexy Boy"}}\n'
        '{"listened_at": 1700000900, "track_metadata": {"artist_name": "Air", "track_na\n'
        '{"listened_at": 1700001800, "track_metadata": {"artist_name": "", "track_name": "X"}}\n'
    )
    report = import_listens(store, lines)
    assert (report.read, report.added, report.dropped) == (1, 1, 2)
    assert report.drop_reasons[0].startswith("listens.jsonl line 2: not JSON")
    assert report.drop_reasons[1] == "listens.jsonl line 3: no artist_name"


SCROBBLER_LOG = (
    "#AUDIOSCROBBLER/1.1\n"
    "#TZ/{tz}\n"
    "#CLIENT/Rockbox ipodvideo $Revision$\n"
    "Portishead\tDummy\tRoads\t10\t305\tL\t1700000000\t\n"
    "Portishead\tDummy\tGlory Box\t11\t306\tS\t1700000400\t\n"
    "<Untagged>\t\tTRACK01\t\t200\tL\t1700000800\t\n"
    "Massive Attack\tMezzanine\tTeardrop\t3\t330\tL\t1700001200\t"
    "0d1a3f10-9a25-4c46-b2fd-1e6a1f0f7a9e\n"
)


def test_rockbox_scrobbler_log_keeps_skips_and_reports_untagged_files(store, tmp_path):
    roads, glory, teardrop = add_tracks(
        store,
        [("Portishead", "Roads"), ("Portishead", "Glory Box"), ("Massive Attack", "Teardrop")],
    )
    log = tmp_path / ".scrobbler.log"
    log.write_text(SCROBBLER_LOG.format(tz="UTC"))
    report = import_listens(store, log)
    assert (report.source, report.read, report.added, report.dropped) == ("scrobbler-log", 3, 3, 1)
    assert "untagged" in report.drop_reasons[0]
    plays = _plays(store)
    assert [(tid, at, skipped) for tid, at, skipped, _ in plays] == [
        (roads, T0, 0),
        (glory, T0 + 400, 1),
        (teardrop, T0 + 1200, 0),
    ]


@pytest.fixture
def berlin_clock(monkeypatch):
    """This machine's clock in Central Europe (UTC+1 in November)."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_scrobbler_log_with_unknown_zone_is_read_as_local_time(store, tmp_path, berlin_clock):
    (roads,) = add_tracks(store, [("Portishead", "Roads")])
    log = tmp_path / ".scrobbler.log"
    log.write_text(SCROBBLER_LOG.format(tz="UNKNOWN"))
    import_listens(store, log)
    assert _plays(store)[0][:2] == (roads, T0 - 3600)  # 23:13 on the device was 22:13 UTC


def test_unknown_files_get_an_error_that_names_what_tonearm_reads(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("buy milk\ncall the plumber\n")
    with pytest.raises(UsageError) as err:
        read_listens(notes)
    message = str(err.value)
    assert "is no listening history" in message and "line 1" not in message
    assert ".scrobbler.log" in message


def test_a_listen_goes_to_the_album_it_was_played_from(store, tmp_path):
    first = _track(store, "Band", "Song 1", "Album 1", 200.0)
    second = _track(store, "Band", "Song 1", "Album 2", 200.0)
    live = _track(store, "Band", "Song 2", "Live at the Hall", 420.0)
    studio = _track(store, "Band", "Song 2", "Song 2 (single)", 190.0)
    listens = tmp_path / "listens.jsonl"
    listens.write_text(
        f'{{"listened_at": {T0}, "track_metadata": {{"artist_name": "Band", '
        '"track_name": "Song 1", "release_name": "Album 2"}}\n'
        f'{{"listened_at": {T0 + 600}, "track_metadata": {{"artist_name": "Band", '
        '"track_name": "Song 2", "additional_info": {"duration_ms": 189000}}}\n'
        f'{{"listened_at": {T0 + 900}, "track_metadata": {{"artist_name": "Band", '
        '"track_name": "Song 2", "additional_info": {"duration_ms": 421000}}}\n'
    )
    import_listens(store, listens)
    assert [tid for tid, *_ in _plays(store)] == [second, studio, live]
    assert first not in [tid for tid, *_ in _plays(store)]
