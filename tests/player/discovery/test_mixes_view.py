"""The Mixes tab: named tiles with their top artists; clicking one plays that mix."""

from __future__ import annotations

from player.discovery.mixes_view import install_mixes
from tests.player.discovery_library import make_discovery_library


def test_mix_tiles_show_names_and_artists_and_a_click_plays_the_mix(qtbot, make_window, store):
    make_discovery_library(store)
    window = make_window()
    install_mixes(window)
    view = window.mixes_view
    with qtbot.waitSignal(view.loaded, timeout=20_000) as loaded:
        window.show_view(view)
    mixes = loaded.args[0]
    assert len(view.tiles) == len(mixes) >= 3
    tile = view.tiles[1]
    assert tile.name_label.text() == mixes[1].name
    assert mixes[1].top_artists[0] in tile.detail_label.text()
    tile.click()
    assert window.list_context == "mix"
    assert window.order.library.tolist() == list(mixes[1].track_ids)
    assert window.order.current().track_id == mixes[1].track_ids[0]


def test_an_empty_library_says_there_are_no_mixes_yet(qtbot, make_window, store):
    window = make_window()
    install_mixes(window)
    view = window.mixes_view
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        window.show_view(view)
    assert view.tiles == [] and "No mixes yet" in view.note.text()
