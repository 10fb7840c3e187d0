import json

from recommender.cli.main import main
from recommender.evaluate.simulate import simulate, write_to_store
from recommender.library.store import open_store


def _library(data_dir):
    with open_store(data_dir) as store:
        write_to_store(store, simulate(400, 3000, 1, seed=7))


def test_recommend_radio_and_playlist_commands(data_dir, tmp_path, capsys):
    _library(data_dir)
    common = ["--data-dir", str(data_dir)]
    assert main(["recommend", "-n", "5", "--json", *common]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["source"] == "local"
    recs = answer["recommendations"]
    assert len(recs) == 5 and all(r["reasons"] and r["source"] == "local" for r in recs)
    assert main(["radio", "1", "-n", "7", "--json", *common]) == 0
    radio = json.loads(capsys.readouterr().out)
    assert radio["seed"]["kind"] == "track" and len(radio["tracks"]) == 7
    out = tmp_path / "p.xspf"
    assert (
        main(
            ["playlist", "--seed", "1", "--seed", "2", "--length", "12", "--out", str(out), *common]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["playlist", "import", str(out), "--json", *common]) == 0
    assert json.loads(capsys.readouterr().out)["found"] == 12
    assert main(["mixes", "-k", "3", "--json", *common]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3


def test_history_import_export_and_listing(data_dir, tmp_path, capsys):
    _library(data_dir)
    common = ["--data-dir", str(data_dir)]
    out = tmp_path / "listens.jsonl"
    assert main(["history", "export", "--out", str(out), *common]) == 0
    assert main(["history", "import", str(out), "--json", *common]) == 0
    capsys.readouterr()
    assert main(["history", "-n", "3", "--json", *common]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert len(listing["recent"]) == 3
    assert listing["stats"]["plays"] >= 3000
    assert main(["playlist", *common]) == 2
    assert "give --seed" in capsys.readouterr().err


def test_recommend_remote_falls_back_to_local_and_says_so(data_dir, capsys):
    import socket

    _library(data_dir)
    common = ["--data-dir", str(data_dir)]
    assert main(["recommend", "--remote", "-n", "3", "--json", *common]) == 0
    off = json.loads(capsys.readouterr().out)
    assert off["source"] == "local" and len(off["recommendations"]) == 3
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    assert main(["recommend", "--endpoint", endpoint, "-n", "3", "--json", *common]) == 0
    down = json.loads(capsys.readouterr().out)
    assert down["source"] == "local"
    assert down["reason"] and len(down["recommendations"]) == 3


def test_a_seed_without_an_artist_reads_unknown_artist_in_output_and_files(
    data_dir, tmp_path, capsys
):
    _library(data_dir)
    with open_store(data_dir) as store:
        store.conn.execute("UPDATE tracks SET artist = NULL, albumartist = NULL WHERE id = 1")
    common = ["--data-dir", str(data_dir)]
    assert main(["radio", "1", "-n", "3", *common]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("radio from track Unknown artist – ") and "None" not in first
    for ext in ("m3u8", "xspf"):
        out = tmp_path / f"p.{ext}"
        assert main(["playlist", "--seed", "1", "--length", "5", "--out", str(out), *common]) == 0
        text = out.read_text()
        assert "from Unknown artist - " in text and "None" not in text
    capsys.readouterr()


def test_recommend_says_why_nothing_is_left_when_everything_was_just_played(data_dir, capsys):
    """A library whose every track was played lately is not "empty": the message says so."""
    from recommender.history.plays import record_play
    from tests.recommender.history_factory import add_tracks

    with open_store(data_dir) as store:
        for track_id in add_tracks(
            store, [("Air", "Sexy Boy"), ("Air", "Kelly"), ("Can", "Vitamin C")]
        ):
            record_play(store, track_id, 200)
    assert main(["recommend", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "scan a music folder first" not in out
    assert "nothing new to recommend" in out


def test_history_names_an_untitled_track_by_its_file(data_dir, capsys):
    from recommender.history.plays import recent_plays

    _library(data_dir)
    with open_store(data_dir) as store:
        play = recent_plays(store, 1)[0]
        store.conn.execute("UPDATE tracks SET title = NULL WHERE id = ?", (play.play.track_id,))
        store.conn.commit()
        path = store.conn.execute(
            "SELECT path FROM tracks WHERE id = ?", (play.play.track_id,)
        ).fetchone()[0]
    assert main(["history", "-n", "1", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert path.rsplit("/", 1)[-1] in out and " - ?" not in out
