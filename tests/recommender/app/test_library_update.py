"""A scan in the CLI or the GUI also matches imported listens that were waiting for files."""

import json

from recommender.app.library_update import update_library
from recommender.history.imports import import_listens
from tests.audio_factory import make_track


def test_scanning_a_new_file_matches_the_listens_imported_before_it(store, tmp_path, music_dir):
    listens = tmp_path / "listens.jsonl"
    meta = {"artist_name": "Portishead", "track_name": "Roads"}
    listens.write_text(json.dumps({"listened_at": 1_700_000_000, "track_metadata": meta}))
    assert import_listens(store, listens).unmatched == 1
    make_track(music_dir, "Dummy/11 Roads.flac", title="Roads", artist="Portishead")
    summary = update_library(store, [str(music_dir)])
    assert (summary.added, summary.rematched) == (1, 1)
    assert "1 imported listens matched" in summary.describe()
    assert store.conn.execute("SELECT count(*) FROM plays").fetchone()[0] == 1
