"""`tonearm history import/export` as a person reads them."""

import json

from recommender.cli.main import main
from recommender.history.plays import record_play
from recommender.library.store import open_store
from tests.recommender.history_factory import add_tracks

T0 = 1_700_000_000


def test_import_names_dropped_lines_and_export_counts_what_was_left_out(data_dir, tmp_path, capsys):
    with open_store(data_dir) as store:
        (song,) = add_tracks(store, [("Air", "Sexy Boy")])
        with store.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO tracks(path, size, mtime, duration, added_at, updated_at) "
                "VALUES ('/music/untitled.flac', 1, 0, 100, 0, 0)"
            )
        record_play(store, int(cur.lastrowid), 100, started_at=T0 - 900)
    common = ["--data-dir", str(data_dir)]
    submit = tmp_path / "submit.json"
    submit.write_text(
        json.dumps(
            {
                "listen_type": "import",
                "payload": [
                    {"listened_at": T0, "track_metadata": {"artist_name": "Air",
                                                            "track_name": "Sexy Boy"}},
                    {"listened_at": T0 + 300, "track_metadata": {"track_name": "Kelly"}},
                ],
            }
        )
    )  # fmt: skip
    assert main(["history", "import", str(submit), *common]) == 0
    out = capsys.readouterr().out
    assert "read 1 listens: 1 matched" in out
    assert "dropped 1 lines that are no listen" in out
    assert "submit.json listen 2: no artist_name" in out
    folder = tmp_path / "payload"
    assert main(["history", "export", "--format", "payload", "--out", str(folder), *common]) == 0
    out = capsys.readouterr().out
    assert f"wrote 1 listens to 1 files in {folder}" in out
    assert "left out 1 plays ListenBrainz would refuse: 1 no artist tag" in out
    assert json.loads((folder / "listens-0001.json").read_text())["payload"][0]["listened_at"] == T0
    assert main(["history", "export", "--format", "payload", "--out", str(folder), *common]) == 2
    assert "must be a new or empty folder" in capsys.readouterr().err
    with open_store(data_dir) as store:
        assert (
            store.conn.execute("SELECT count(*) FROM plays WHERE track_id = ?", (song,)).fetchone()[
                0
            ]
            == 1
        )
