"""The window keeps its shape: every view at three window sizes, both themes, side panels
opened and closed; the window size stays the user's and no label is cut off."""

from __future__ import annotations

import contextlib

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QLabel

from player.settings.theme import apply_theme
from tests.player.discovery_library import make_discovery_library

WINDOW_SIZES = ((1024, 700), (1280, 800), (1920, 1080))


@pytest.fixture
def themed(request):
    apply_theme(request.param)
    yield request.param
    apply_theme("system")


def open_window(qtbot, data_dir, store, size):
    from player.discovery.for_you_view import install_for_you
    from player.discovery.mixes_view import install_mixes
    from player.discovery.sound_map import install_sound_map
    from player.discovery.track_discovery import install_track_discovery
    from player.history.history_view import install_history
    from player.playback.null_backend import null_player_and_output
    from player.playlists.playlists_view import install_playlists
    from player.shell.main_window import MainWindow
    from recommender.core.settings import Settings

    make_discovery_library(store, 120)
    window = MainWindow(data_dir, Settings.load(data_dir), store,
                        media_backend=null_player_and_output)  # fmt: skip
    qtbot.addWidget(window)
    ctx = window.context
    for install in (install_for_you, install_mixes, install_playlists, install_history,
                    install_sound_map):  # fmt: skip
        install(ctx)
    discovery = install_track_discovery(ctx)
    window.resize(*size)
    with qtbot.waitSignal(window.libraryLoaded, timeout=10_000):
        window.show()
        window.start(first_run_dialog=False, startup_scan=False)
    qtbot.waitExposed(window)
    return window, discovery


def cut_labels(window) -> list[str]:
    """Visible labels whose text needs more room than they were given."""
    cut = []
    for label in window.findChildren(QLabel):
        if not label.isVisibleTo(window) or not label.text() or label.pixmap().width():
            continue
        if _inside_scroll_area(label):
            continue  # a scroll area may hold more than it shows
        rect = label.contentsRect()
        if label.wordWrap() or label.textFormat() == Qt.TextFormat.RichText:
            if label.heightForWidth(rect.width()) > rect.height() + 1:
                cut.append(f"{label.text()!r}: needs {label.heightForWidth(rect.width())} px "
                           f"high, has {rect.height()}")  # fmt: skip
            continue
        lines = label.text().split("\n")
        needed = max(label.fontMetrics().horizontalAdvance(line) for line in lines)
        if needed > rect.width() + 1:
            cut.append(f"{label.text()!r}: needs {needed} px wide, has {rect.width()}")
        if label.minimumSizeHint().height() > label.height() + 1:
            cut.append(f"{label.text()!r}: needs {label.minimumSizeHint().height()} px high, "
                       f"has {label.height()}")  # fmt: skip
    return cut


def assert_nothing_cut(qtbot, window, what: str) -> None:
    """Labels filled by a background read get their text a moment after the view is shown and
    are laid out on the next pass; a label still cut after that is a real fault."""
    with contextlib.suppress(AssertionError):
        qtbot.waitUntil(lambda: not cut_labels(window), timeout=2_000)
    assert not cut_labels(window), f"{what}: {cut_labels(window)}"


def _inside_scroll_area(widget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


@pytest.mark.parametrize("themed", ["light", "dark"], indirect=True)
@pytest.mark.parametrize("size", WINDOW_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_views_and_side_panels_keep_the_window_size(qtbot, data_dir, store, size, themed):
    window, discovery = open_window(qtbot, data_dir, store, size)
    panel = discovery.similar_panel
    tabs = window.views.tabBar()
    tab_places = [tabs.mapTo(window, tabs.tabRect(i).topLeft()) for i in range(tabs.count())]
    browser_width = window.browser.width()
    for i in range(window.views.count()):
        window.views.setCurrentIndex(i)
        QApplication.processEvents()
        name = window.views.tabText(i)
        assert (window.width(), window.height()) == size, name
        assert [tabs.mapTo(window, tabs.tabRect(t).topLeft()) for t in range(tabs.count())] == (
            tab_places
        ), f"the tabs moved when {name} was chosen"
        assert tabs.tabRect(tabs.count() - 1).right() <= tabs.width(), "a tab is out of view"
        with qtbot.waitSignal(panel.shown, timeout=10_000):
            panel.show_for(window.model.track_id(0))
        QApplication.processEvents()
        assert panel.isVisible()
        assert (window.width(), window.height()) == size, f"More like this over {name}"
        assert window.browser.width() == browser_width, (
            f"More like this over {name} squeezed the browser"
        )
        assert_nothing_cut(qtbot, window, f"{name} with More like this")
        panel.hide()
        QApplication.processEvents()
        assert (window.width(), window.height()) == size
        assert_nothing_cut(qtbot, window, name)
    window.shutdown()
    assert window.view_state.value("window/geometry") is not None
    restored_size = window.saveGeometry()
    assert restored_size == window.view_state.value("window/geometry")


def test_library_columns_fill_a_wide_window_and_plays_stay_in_view(qtbot, data_dir, store):
    from player.library.table_model import COLUMN_KEYS

    window, _discovery = open_window(qtbot, data_dir, store, (1920, 1080))
    header = window.table.horizontalHeader()
    viewport = window.table.viewport().width()
    assert abs(header.length() - viewport) <= 2, "the columns leave a gap"
    window.resize(1280, 800)
    QApplication.processEvents()
    plays = COLUMN_KEYS.index("plays")
    right = header.sectionViewportPosition(plays) + header.sectionSize(plays)
    assert right <= window.table.viewport().width()
    assert not window.table.horizontalScrollBar().isVisible()
    window.shutdown()


def test_counts_read_as_one_track_and_many_tracks():
    from player.widgets.formatting import count_of

    assert count_of(1, "track") == "1 track"
    assert count_of(0, "track") == "0 tracks"
    assert count_of(1204, "track") == "1,204 tracks"


def test_a_one_track_mix_with_a_long_name_shows_it_whole(qtbot):
    from player.discovery.mixes_view import MixTileButton
    from recommender.discovery.library_mixes import MixTile

    name = "Electronic / Thrash Metal / Ambient Soundtrack / Chiptune / Orchestral " * 2
    tile = MixTileButton(MixTile(name, 1, ("Nadia Kestrel",), (), (7,)), 0)
    qtbot.addWidget(tile)
    tile.resize(260, 120)
    tile.show()
    qtbot.waitExposed(tile)
    assert tile.detail_label.text().startswith("1 track ·")
    label = tile.name_label
    lines = label.text().split("\n")
    assert len(lines) == 2 and lines[-1].endswith("…") and name.startswith(lines[0])
    assert max(label.fontMetrics().horizontalAdvance(line) for line in lines) <= label.width()
    qtbot.waitUntil(lambda: label.sizeHint().height() <= label.height() + 1)  # not cut off
    assert label.geometry().top() >= 0 and tile.detail_label.geometry().bottom() < tile.height()
    assert name.strip() in tile.toolTip()


@pytest.mark.parametrize("themed", ["dark"], indirect=True)
def test_the_volume_icon_stands_out_on_the_dark_theme(qtbot, themed):
    from PySide6.QtGui import QPalette

    from player.playback.now_playing import NowPlayingBar

    bar = NowPlayingBar()
    qtbot.addWidget(bar)
    image = bar.volume_icon.pixmap().toImage()
    background = bar.palette().color(QPalette.ColorRole.Window).lightness()
    drawn = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    brightest = max(c.lightness() for c in drawn if c.alpha() > 200)
    assert brightest - background > 100  # light on dark, like the play button


def test_the_order_box_says_why_it_is_off_for_one_track(qtbot, make_window, store):
    from player.discovery.flow_playlist_dialog import FlowPlaylistDialog
    from player.discovery.track_discovery import install_track_discovery

    ids = make_discovery_library(store, 120)
    window = make_window()
    discovery = install_track_discovery(window.context)
    one = discovery.open_flow_playlist([ids[3]])
    assert isinstance(one, FlowPlaylistDialog)
    assert not one.mode.isEnabled()
    assert "two or more" in one.mode.toolTip() and one.mode_note.isVisibleTo(one)
    one.reject()
    two = discovery.open_flow_playlist([ids[3], ids[50]])
    assert two.mode.isEnabled() and not two.mode_note.isVisibleTo(two)
    two.reject()


def test_for_you_reasons_end_in_an_ellipsis_where_the_row_is_narrow(qtbot, data_dir, store):
    window, _discovery = open_window(qtbot, data_dir, store, (1024, 700))
    view = next(window.views.widget(i) for i in range(window.views.count())
                if window.views.tabText(i) == "For you")  # fmt: skip
    with qtbot.waitSignal(view.refreshed, timeout=30_000):
        window.show_view(view)
    rows = [r for r in view.rows() if r.isVisible()]
    assert rows
    for row in rows:
        label = row.reasons_label
        qtbot.waitUntil(lambda label=label: label.width() > 0)
        full = " · ".join(row.rec.reasons)
        assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width() + 1
        assert label.text() == full or label.text().endswith("…")
        assert label.height() >= label.fontMetrics().height()  # the line is not cut at the bottom
    assert any(row.reasons_label.text().endswith("…") for row in rows)
    window.shutdown()
