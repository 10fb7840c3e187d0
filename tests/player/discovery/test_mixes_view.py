"""The Mixes tab: named tiles with their top artists; clicking one plays that mix (no window:
a fake context records what the view asks to play)."""

from __future__ import annotations

from player.discovery.mixes_view import install_mixes
from tests.player.discovery_library import make_discovery_library


def test_mix_tiles_show_names_and_artists_and_a_click_plays_the_mix(qtbot, make_app, store):
    make_discovery_library(store)
    app = make_app()
    view = install_mixes(app.ctx)
    with qtbot.waitSignal(view.loaded, timeout=20_000) as loaded:
        app.show_view(view)
    mixes = loaded.args[0]
    assert len(view.tiles) == len(mixes) >= 3
    tile = view.tiles[1]
    assert tile.name_label.text() == mixes[1].name
    assert mixes[1].top_artists[0] in tile.detail_label.text()
    tile.click()
    (played,) = app.played
    assert played.context == "mix"
    assert played.track_ids == list(mixes[1].track_ids)
    assert played.first == mixes[1].track_ids[0]


def test_an_empty_library_says_there_are_no_mixes_yet(qtbot, make_app, store):
    app = make_app()
    view = install_mixes(app.ctx)
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        app.show_view(view)
    assert view.tiles == [] and "No mixes yet" in view.note.text()
