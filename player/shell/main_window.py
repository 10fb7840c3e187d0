"""The main window: browser | library table | queue, the now-playing bar, menus and shortcuts.

It wires widgets to the core; long work goes to `workers.background` jobs, every database write
to a single writer thread (so writes keep their order), and reads to small core functions.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QFileSystemWatcher, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QProgressBar,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from player.library.browser import BrowserPanel
from player.library.table_model import COLUMN_KEYS, COLUMNS, DEFAULT_HIDDEN, LibraryModel
from player.playback.decks import FinishedPlay, MediaBackend, Playback
from player.playback.now_playing import NowPlayingBar
from player.playback.play_order import Choice, PlayOrder
from player.playback.queue_panel import QueueModel, QueuePanel, list_title
from player.settings.dialogs import PropertiesDialog, SettingsDialog, WelcomeDialog
from player.settings.theme import apply_theme
from player.shell.about_dialog import AboutDialog, about_facts
from player.widgets.formatting import count_of
from player.widgets.track_menu import TrackActions, build_track_menu
from player.workers.background import JobRunner, library_dirs, load_cover_image
from player.workers.context import STATUS_MESSAGE_MS, ViewContext
from player.workers.events import JobFailed, LibraryEvents, PlaysRecorded, TracksChanged
from recommender.core.datadir import config_dir, default_music_dir
from recommender.core.errors import TonearmError
from recommender.core.progress import Progress
from recommender.core.settings import Settings
from recommender.history.play_queue import SavedQueue, load_queue, save_position, save_queue
from recommender.library.columns import (
    LibraryColumns,
    add_play_stats,
    read_track_columns,
    write_columns_cache,
)
from recommender.library.store import Store
from recommender.library.tracks import Track, get_track
from recommender.playlists.edit import append_to_playlist, create_playlist, list_playlists

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 30
"""Coalesce keystrokes typed faster than this; a filter over 100,000 rows takes a few ms."""
WATCH_DEBOUNCE_MS = 3000
"""Wait for a copy into the library to settle before rescanning."""
QUEUE_SAVE_DELAY_MS = 300
POSITION_SAVE_INTERVAL_MS = 10_000
FIRST_RUN_KEY = "first_run_done"
WORKER_THREADS = 4
SHUTDOWN_JOBS_WAIT_MS = 3000
"""How long quitting waits for running jobs (cover loads, a cancelled scan) to end."""
"""Jobs mostly wait on the disk or on worker processes; a long scan must not hold up covers."""
NO_AUDIO_TEXT = "No audio device"
NO_AUDIO_DETAIL = "No audio device found: tracks play on silently (plays are still counted)."
BROWSER_MIN_WIDTH_PX = 140
"""Artist names stay readable however the splitter is dragged (it once fell to 55 px)."""
SIDE_MIN_WIDTH_PX = 240


class MainWindow(QMainWindow):
    """The library table, queue and playback; features get `context`, never the window."""

    libraryLoaded = Signal(int)  # rows
    filterApplied = Signal(int)  # visible rows
    unplayableSkipped = Signal(int, str)  # track id, message
    queueSaved = Signal()
    closed = Signal()  # after shutdown: the app quits on it, whatever else is still open

    def __init__(
        self,
        data_dir: Path,
        settings: Settings,
        store: Store,
        parent=None,
        *,
        media_backend: MediaBackend | None = None,
    ) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.settings = settings
        self.store = store  # GUI-thread connection: single-row reads only
        self.setWindowTitle("Tonearm")
        self.jobs = JobRunner(WORKER_THREADS, self, name="jobs")
        self.writer = JobRunner(1, self, name="writer")
        self.events = LibraryEvents(self)
        self.view_state = QSettings(
            str(config_dir(data_dir) / "window.ini"), QSettings.Format.IniFormat
        )
        self.order = PlayOrder()
        self.list_context = "library"
        self.columns: LibraryColumns | None = None
        self._scan_job = None
        self._analysis_job = None
        self._analysis_unavailable = False
        self._rescan_again = False
        self._cover_token = 0
        self._peeked: Track | None = None
        self._loading = False
        self._reload_again = False
        self._welcome_pending = False

        self.playback = (
            Playback(self) if media_backend is None else Playback(self, backend=media_backend)
        )
        self._audible_backend = media_backend is None  # the null backend is silent on purpose
        self.playback.next_track = self._next_for_playback
        self.playback.peek_next = self._peek_for_playback
        self._build_widgets()
        self.context = self._make_context()
        self._build_menus()
        self._build_shortcuts()
        self._connect()
        self._restore_view_state()
        self.playback.set_volume(settings.volume)
        self.playback.set_replaygain(settings.replaygain_mode, settings.replaygain_preamp_db)
        self.now_playing.set_volume(settings.volume)

    # --- construction ---------------------------------------------------------------------
    def _make_context(self) -> ViewContext:
        """What features and views may use: services, player controls, extension points."""
        return ViewContext(
            data_dir=self.data_dir,
            store=self.store,
            jobs=self.jobs,
            writer=self.writer,
            events=self.events,
            window=self,
            get_settings=lambda: self.settings,
            show_message=self.show_message,
            playback=self.playback,
            order=self.order,
            play_tracks=self.play_list,
            list_context=lambda: self.list_context,
            add_to_queue=self.add_to_queue,
            next_track=self.next_track,
            previous_track=self.previous_track,
            set_volume=self.set_volume,
            set_shuffle=self.set_shuffle,
            set_repeat=self.set_repeat,
            track_actions=self.track_actions,
            add_view=self.add_view,
            show_view=self.show_view,
            add_side_panel=self.add_side_panel,
        )

    def _build_widgets(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText(
            "Search  (words, artist:, album:, genre:, year:1990..1999, -word)   Ctrl+F"
        )
        self.search.setClearButtonEnabled(True)
        self.model = LibraryModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setDragEnabled(True)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        vheader = self.table.verticalHeader()
        vheader.hide()
        vheader.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vheader.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.setSortIndicatorClearable(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        # The visible defaults add up to 724 px, so with the scroll bar they fit the 760 px
        # centre of the default 1280 px window (Length was cut off behind a scroll bar).
        widths = {"title": 200, "artist": 150, "album": 150, "year": 46, "genre": 84,
                  "duration": 54, "plays": 40, "last_played": 110, "added": 110,
                  "skips": 40}  # fmt: skip
        for i, key in enumerate(COLUMN_KEYS):
            header.resizeSection(i, widths.get(key, 120))  # a hidden extra column: any width
            header.setSectionHidden(i, key in DEFAULT_HIDDEN)
        self.table.setSortingEnabled(True)

        library_page = QWidget()
        centre_layout = QVBoxLayout(library_page)
        centre_layout.setContentsMargins(4, 4, 4, 4)
        centre_layout.addWidget(self.search)
        centre_layout.addWidget(self.table, 1)
        # The centre holds one tab per view (Library first); features add theirs with add_view.
        centre = QTabWidget()
        centre.setDocumentMode(True)
        # Scroll buttons would scroll the tabs to the current one, moving them under the
        # pointer (a click meant for History landed on Playlists); all tabs stay in view.
        centre.tabBar().setUsesScrollButtons(False)
        centre.addTab(library_page, "Library")
        self.views = centre

        self.browser = BrowserPanel()
        self.queue_model = QueueModel(self.order, self)
        self.queue_panel = QueuePanel(self.queue_model)
        # Side panels (More like this) open below the queue in its column, so opening one
        # never widens the window nor squeezes the browser; closing it gives the queue back.
        self.side_column = QSplitter(Qt.Orientation.Vertical)
        self.side_column.setChildrenCollapsible(False)
        self.side_column.addWidget(self.queue_panel)
        self.browser.setMinimumWidth(BROWSER_MIN_WIDTH_PX)
        self.side_column.setMinimumWidth(SIDE_MIN_WIDTH_PX)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.browser)
        self.splitter.addWidget(centre)
        self.splitter.addWidget(self.side_column)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([220, 760, 300])

        self.now_playing = NowPlayingBar()
        root = QWidget()
        layout = QVBoxLayout(root)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.now_playing)
        self.setCentralWidget(root)

        status = self.statusBar()
        self.count_label = QLabel("Loading library…")
        self.scan_label = QLabel()
        self.scan_progress = QProgressBar()
        self.scan_progress.setMaximumWidth(180)
        self.scan_progress.setTextVisible(False)
        self.scan_cancel = QToolButton()
        self.scan_cancel.setText("Cancel")
        self.scan_cancel.clicked.connect(self.cancel_scan)
        scan_box = QWidget()
        scan_layout = QHBoxLayout(scan_box)
        scan_layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.scan_label, self.scan_progress, self.scan_cancel):
            scan_layout.addWidget(w)
        self.scan_box = scan_box
        scan_box.hide()
        status.addPermanentWidget(scan_box)
        self.no_audio_label = QLabel()
        self.no_audio_label.hide()
        status.addPermanentWidget(self.no_audio_label)
        status.addPermanentWidget(self.count_label)

        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self.queue_timer = QTimer(self)
        self.queue_timer.setSingleShot(True)
        self.queue_timer.setInterval(QUEUE_SAVE_DELAY_MS)
        self.position_timer = QTimer(self)
        self.position_timer.setInterval(POSITION_SAVE_INTERVAL_MS)
        self.watch_timer = QTimer(self)
        self.watch_timer.setSingleShot(True)
        self.watch_timer.setInterval(WATCH_DEBOUNCE_MS)
        self.watcher = QFileSystemWatcher(self)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction("Add music folder…", self._add_folder)
        file_menu.addAction("Rescan library", self.rescan)
        file_menu.addSeparator()
        settings_action = file_menu.addAction("Settings…", self.open_settings)
        settings_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Preferences))
        file_menu.addSeparator()
        quit_action = file_menu.addAction("Quit", self.close)
        quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        play_menu = bar.addMenu("&Playback")
        play_menu.addAction("Play / pause\tSpace", self.playback.toggle)
        play_menu.addAction("Stop", self.playback.stop)
        play_menu.addAction("Next", self.next_track)
        play_menu.addAction("Previous", self.previous_track)
        play_menu.addSeparator()
        play_menu.addAction("Locate playing track\tCtrl+L", self.locate_playing)
        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction("Search\tCtrl+F", self.focus_search)
        self.columns_menu = self.view_menu.addMenu("Columns")
        self._column_actions: list[QAction] = []
        for i, (key, label) in enumerate(COLUMNS):
            action = QAction(label, self, checkable=True)
            action.toggled.connect(lambda on, col=i: self._set_column_visible(col, on))
            self._column_actions.append(action)
            self.columns_menu.addAction(action)
            del key
        self.view_menu.addAction("Album order (unsorted)", self._unsort)
        self.columns_menu.aboutToShow.connect(self._sync_column_actions)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction("About Tonearm", self.show_about)

    def _build_shortcuts(self) -> None:
        def shortcut(seq, slot, widget=None, context=Qt.ShortcutContext.WindowShortcut) -> None:
            sc = QShortcut(QKeySequence(seq), widget or self)
            sc.setContext(context)
            sc.activated.connect(slot)

        shortcut(Qt.Key.Key_Space, self.playback.toggle)
        shortcut("Ctrl+F", self.focus_search)
        shortcut("Ctrl+L", self.locate_playing)
        shortcut(Qt.Key.Key_MediaPlay, self.playback.toggle)
        shortcut(Qt.Key.Key_MediaTogglePlayPause, self.playback.toggle)
        shortcut(Qt.Key.Key_MediaPause, self.playback.toggle)
        shortcut(Qt.Key.Key_MediaStop, self.playback.stop)
        shortcut(Qt.Key.Key_MediaNext, self.next_track)
        shortcut(Qt.Key.Key_MediaPrevious, self.previous_track)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut(key, self._play_current_row, self.table, Qt.ShortcutContext.WidgetShortcut)
        shortcut(
            Qt.Key.Key_Down, self._search_to_table, self.search, Qt.ShortcutContext.WidgetShortcut
        )
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut(key, self._search_to_table, self.search, Qt.ShortcutContext.WidgetShortcut)

    def _connect(self) -> None:
        self.search.textChanged.connect(lambda _t: self.search_timer.start())
        self.search_timer.timeout.connect(self.apply_search)
        self.table.doubleClicked.connect(lambda idx: self.play_library_row(idx.row()))
        self.table.customContextMenuRequested.connect(self._library_menu)
        self.table.horizontalHeader().customContextMenuRequested.connect(self._header_menu)
        self.browser.browseChanged.connect(self._browse)
        self.queue_panel.playRequested.connect(self.play_queue_row)
        self.queue_panel.aheadPlayRequested.connect(self.play_ahead_row)
        self.queue_panel.context_menu_for = self._queue_menu
        self.queue_model.changed.connect(self.queue_timer.start)
        self.queue_timer.timeout.connect(self.save_queue_now)
        self.position_timer.timeout.connect(self._save_position)
        self.watch_timer.timeout.connect(self.rescan)
        self.watcher.directoryChanged.connect(lambda _p: self.watch_timer.start())

        np_bar = self.now_playing
        np_bar.playPauseClicked.connect(self.playback.toggle)
        np_bar.nextClicked.connect(self.next_track)
        np_bar.previousClicked.connect(self.previous_track)
        np_bar.seekRequested.connect(self.playback.seek)
        np_bar.volumeChanged.connect(self._volume_changed)
        np_bar.shuffleToggled.connect(self._set_shuffle)
        np_bar.repeatChanged.connect(self._set_repeat)
        pb = self.playback
        pb.trackChanged.connect(self._track_changed)
        pb.positionChanged.connect(np_bar.set_position)
        pb.stateChanged.connect(self._state_changed)
        pb.playFinished.connect(self._record_play)
        pb.unplayable.connect(self._unplayable)
        self.events.tracksChanged.connect(lambda _change: self.reload_library())
        self.events.playsRecorded.connect(self._plays_recorded)

    # --- start-up -------------------------------------------------------------------------
    def start(self, *, first_run_dialog: bool = True, startup_scan: bool = True) -> None:
        """After show(): load the library, restore the queue, rescan, maybe welcome."""
        self.reload_library()
        self._restore_queue()
        self.position_timer.start()
        if self.settings.library_folders and startup_scan:
            QTimer.singleShot(500, self.rescan)  # after first paint; unchanged files are cheap
        elif self.settings.library_folders:
            self._watch_folders()
        if self._audible_backend:
            QTimer.singleShot(0, self._say_if_silent)  # after the first paint
        self._welcome_pending = first_run_dialog and not self.settings.library_folders
        self._welcome_pending &= not self.settings.extra.get(FIRST_RUN_KEY)

    def _say_if_silent(self) -> None:
        """Once per start: with no audio device tracks play on without a sound."""
        from player.playback.media_objects import no_audio_device

        if getattr(self, "_shut_down", False) or not no_audio_device():
            return
        self.no_audio_label.setText(NO_AUDIO_TEXT)
        self.no_audio_label.setToolTip(NO_AUDIO_DETAIL)
        self.no_audio_label.show()
        self.show_message(NO_AUDIO_DETAIL)

    def show_welcome(self) -> WelcomeDialog:
        dialog = WelcomeDialog(str(default_music_dir()), self)
        dialog.finished.connect(lambda result: self._welcome_done(dialog, result))
        dialog.open()
        return dialog

    def _welcome_done(self, dialog: WelcomeDialog, result: int) -> None:
        self.settings.extra[FIRST_RUN_KEY] = True
        if result:
            self.settings.library_folders = dialog.folders.folders()
        self._save_settings()
        if result and self.settings.library_folders:
            self.rescan()

    def reload_library(self) -> None:
        """Load the columns in a worker; a second call while loading runs once more after."""
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        sort_key = self.model.sort_key

        def load(store: Store, _job) -> LibraryColumns:
            columns = read_track_columns(store)
            if sort_key and sort_key not in ("plays", "skips", "last_played"):
                columns.rank(sort_key)
            return columns

        self.jobs.start(
            load, data_dir=self.data_dir, on_done=self._library_loaded, on_error=self._load_failed
        )

    def _library_loaded(self, columns: LibraryColumns) -> None:
        """Phase one shown; phase two (plays, search strings, cache) follows in a worker."""
        playing = self.playback.track
        self.columns = columns
        self.model.set_columns(columns)
        self.model.set_playing(playing.id if playing else None)
        self.queue_model.set_columns(columns)
        self.queue_panel.ahead_model.set_columns(columns)
        self.browser.set_columns(columns)
        self._update_count()

        def enrich(store: Store, _job) -> LibraryColumns:
            add_play_stats(store, columns)
            columns.prepare_search()
            write_columns_cache(store, columns)
            return columns

        self.jobs.start(
            enrich, data_dir=self.data_dir, on_done=self._library_enriched,
            on_error=self._load_failed,
        )  # fmt: skip

    def _library_enriched(self, columns: LibraryColumns) -> None:
        self._loading = False
        if columns is self.columns:
            self.model.stats_changed()
        self.libraryLoaded.emit(len(columns))
        # A window closed before its library loaded must not open a dialog that keeps the
        # application running.
        if self._welcome_pending and not getattr(self, "_shut_down", False):
            self._welcome_pending = False
            if not len(columns):  # a library built by `tonearm scan` needs no welcome
                QTimer.singleShot(0, self.show_welcome)
        if self._reload_again:
            self._reload_again = False
            self.reload_library()

    def _load_failed(self, message: str) -> None:
        self._loading = False
        self.count_label.setText("Library not loaded")
        self.show_message(f"Could not load the library: {message}")

    def _restore_queue(self) -> None:
        try:
            saved = load_queue(self.store)
        except TonearmError as exc:
            self.show_message(f"Could not restore the queue: {exc}")
            return
        self.queue_model.beginResetModel()
        self.order.queue = saved.track_ids
        self.queue_model.endResetModel()
        self.order.shuffle, self.order.repeat = saved.shuffle, saved.repeat
        self.now_playing.shuffle_button.setChecked(saved.shuffle)
        self.now_playing.set_repeat(saved.repeat)
        if saved.current_track_id is None:
            return
        track = self._track(saved.current_track_id)
        if track is None:
            return
        self.order.set_playing(track.id)  # Next plays the top of the queue
        self.playback.play_track(track, "queue", start_ms=int(saved.position_s * 1000), paused=True)

    # --- library actions ------------------------------------------------------------------
    def apply_search(self) -> None:
        text = self.search.text()
        try:
            self.model.set_query(text)
        except TonearmError as exc:
            self.search.setStyleSheet("QLineEdit { border: 1px solid #c0392b; }")
            self.show_message(str(exc))
            return
        self.search.setStyleSheet("")
        self._update_count()
        self.filterApplied.emit(self.model.rowCount())

    def _browse(self, key: str | None, value: str | None) -> None:
        self.model.set_browse(key, value)
        self._update_count()

    def _update_count(self) -> None:
        total = len(self.columns) if self.columns is not None else 0
        shown = self.model.rowCount()
        if shown == total:
            self.count_label.setText(count_of(total, "track"))
        else:
            self.count_label.setText(f"{shown:,} of {total:,} tracks")

    def selected_library_rows(self) -> list[int]:
        return sorted(i.row() for i in self.table.selectionModel().selectedRows())

    def play_library_row(self, row: int) -> None:
        """Play a row, then carry on down the list as it is sorted and filtered now."""
        if not 0 <= row < self.model.rowCount():
            return
        self.list_context = "library"
        self.queue_panel.set_list_title(list_title("library"))
        choice = self.order.start_library(self.model.visible_ids(), row)
        self._play_choice(choice)

    def play_list(
        self,
        track_ids: list[int],
        index: int = 0,
        context: str = "playlist",
        *,
        title: str | None = None,
    ) -> None:
        """Play a list of tracks from `index` (playlists, radio): the hook other views use.
        `title` heads its next tracks under the queue ("Radio from …")."""
        if not track_ids:
            return
        self.list_context = context
        self.queue_panel.set_list_title(title or list_title(context))
        choice = self.order.start_library(np.asarray(track_ids, dtype=np.int64), index)
        self._play_choice(choice)

    def play_ahead_row(self, row: int) -> None:
        """Jump to a track of the list ahead (shown under the queue) and carry on from it."""
        ahead = self.order.ahead(row + 1)
        if row < len(ahead):
            index = self.order.library_index + 1 + row
            self.order.jump(Choice(ahead[row], "library", index))
            self._play_choice(self.order.current())

    def play_queue_row(self, row: int) -> None:
        if 0 <= row < len(self.order.queue):
            choice = self.order.start_queue(row)
            self.queue_model.refresh()
            self._play_choice(choice)
            self.queue_timer.start()

    def _play_current_row(self) -> None:
        idx = self.table.currentIndex()
        if idx.isValid():
            self.play_library_row(idx.row())

    def _context(self, choice: Choice) -> str:
        return "queue" if choice.source == "queue" else self.list_context

    def _play_choice(self, choice: Choice | None) -> None:
        if choice is None:
            return
        track = self._track(choice.track_id)
        if track is None:
            self.show_message(f"Track {choice.track_id} is no longer in the library")
            return
        self.playback.play_track(track, self._context(choice))

    def _track(self, track_id: int) -> Track | None:
        try:
            return get_track(self.store, track_id)
        except TonearmError:
            return None

    def _next_for_playback(self) -> tuple[Track, str] | None:
        """Called by Playback at the end of a track (and for a manual next)."""
        for _attempt in range(3):
            choice = self.order.advance(automatic=True)
            if choice is None:
                self.queue_model.refresh()
                return None
            track = self._track(choice.track_id)
            if track is not None:
                self.queue_model.refresh()
                self.queue_timer.start()
                return track, self._context(choice)
        return None

    def _peek_for_playback(self) -> Track | None:
        """Asked on every position report near the end: remember the last answer."""
        choice = self.order.peek_next(automatic=True)
        if choice is None:
            return None
        cached = self._peeked
        if cached is None or cached.id != choice.track_id:
            cached = self._peeked = self._track(choice.track_id)
        return cached

    def next_track(self) -> None:
        choice = self.order.advance(automatic=False)
        self.queue_model.refresh()
        if choice is None:
            self.playback.stop()
            return
        self.queue_timer.start()
        self._play_choice(choice)

    def previous_track(self) -> None:
        if self.playback.position_ms() > 3000:
            self.playback.seek(0)
            return
        choice = self.order.previous()
        self.queue_model.refresh()
        self._play_choice(choice)

    def play_now(self, track_ids: list[int]) -> None:
        """The first plays now; the rest go to the top of the queue."""
        self.queue_model.insert(0, track_ids)
        self.play_queue_row(0)

    def play_next(self, track_ids: list[int]) -> None:
        self.queue_model.insert(0, track_ids)
        self.show_message(f"{len(track_ids)} track(s) will play next", 3000)

    def add_to_queue(self, track_ids: list[int]) -> None:
        self.queue_model.insert(len(self.order.queue), track_ids)
        self.show_message(f"{len(track_ids)} track(s) added to the queue", 3000)

    def add_to_playlist(self, track_ids: list[int], playlist_id: int | None) -> None:
        if playlist_id is None:
            name, ok = QInputDialog.getText(self, "New playlist", "Name:")
            if not ok or not name.strip():
                return
        ids = list(track_ids)

        def write(store: Store, _job) -> tuple[int, int]:
            pid = playlist_id if playlist_id is not None else create_playlist(store, name)
            return pid, append_to_playlist(store, pid, ids)

        def done(result: tuple[int, int]) -> None:
            pid, added = result
            self.show_message(f"{added} track(s) added to the playlist")
            self.events.playlist_changed(pid)

        self.writer.start(write, data_dir=self.data_dir, on_done=done, on_error=self.show_message)

    def show_in_file_manager(self, track_id: int) -> None:
        track = self._track(track_id)
        if track is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(track.path)))

    def show_properties(self, track_id: int) -> PropertiesDialog | None:
        track = self._track(track_id)
        if track is None:
            return None
        dialog = PropertiesDialog(track, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def add_view(self, widget: QWidget, title: str) -> int:
        """A tab in the centre beside the library (For you, Mixes, Playlists, ...)."""
        return self.views.addTab(widget, title)

    def show_view(self, widget: QWidget) -> None:
        index = self.views.indexOf(widget)
        if index >= 0:
            self.views.setCurrentIndex(index)

    def add_side_panel(self, widget: QWidget) -> None:
        """A panel below the queue (e.g. "More like this"), hidden at first; it shows and hides
        itself, sharing the queue's column so the window keeps its width."""
        self.side_column.addWidget(widget)
        widget.hide()

    def track_actions(self) -> TrackActions:
        return TrackActions(
            play_now=self.play_now,
            play_next=self.play_next,
            add_to_queue=self.add_to_queue,
            add_to_playlist=self.add_to_playlist,
            show_in_file_manager=self.show_in_file_manager,
            properties=self.show_properties,
            playlists=lambda: list_playlists(self.store),
        )

    def library_menu(self, rows: list[int]) -> QMenu:
        ids = self.model.track_ids(rows)
        return build_track_menu(self, ids, self.track_actions(), self.context.track_menu_providers)

    def _library_menu(self, pos) -> None:
        rows = self.selected_library_rows()
        if rows:
            self.library_menu(rows).popup(self.table.viewport().mapToGlobal(pos))

    def _queue_menu(self, rows: list[int], global_pos) -> None:
        ids = [self.order.queue[r] for r in rows]

        def queue_entries(menu: QMenu) -> None:
            menu.addAction("Play from here", lambda: self.play_queue_row(rows[0]))
            menu.addAction("Remove from queue", lambda: self.queue_model.remove(rows))
            menu.addSeparator()

        providers = self.context.track_menu_providers
        build_track_menu(
            self, ids, self.track_actions(), providers, extra_first=queue_entries
        ).popup(global_pos)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _search_to_table(self) -> None:
        if self.model.rowCount():
            self.table.setFocus()
            if not self.table.currentIndex().isValid():
                self.table.setCurrentIndex(self.model.index(0, 0))
                self.table.selectRow(0)

    def locate_playing(self) -> None:
        """Select and scroll to the playing track, clearing the filter if it hides it."""
        track = self.playback.track
        if track is None:
            return
        row = self.model.row_of_track(track.id)
        if row is None and (self.search.text() or self.model.browsing):
            self.search.clear()
            self.browser.list.clearSelection()
            self.model.set_browse(None, None)
            self.apply_search()
            row = self.model.row_of_track(track.id)
        if row is None:
            self.show_message("The playing track is not in the library view")
            return
        index = self.model.index(row, 0)
        self.table.setCurrentIndex(index)
        self.table.selectRow(row)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.table.setFocus()

    # --- columns --------------------------------------------------------------------------
    def _set_column_visible(self, column: int, visible: bool) -> None:
        header = self.table.horizontalHeader()
        if not visible and header.count() - header.hiddenSectionCount() <= 1:
            return  # keep at least one column
        header.setSectionHidden(column, not visible)

    def _sync_column_actions(self) -> None:
        header = self.table.horizontalHeader()
        for i, action in enumerate(self._column_actions):
            action.blockSignals(True)
            action.setChecked(not header.isSectionHidden(i))
            action.blockSignals(False)

    def _header_menu(self, pos) -> None:
        self._sync_column_actions()
        menu = QMenu(self)
        for action in self._column_actions:
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction("Album order (unsorted)", self._unsort)
        menu.popup(self.table.horizontalHeader().mapToGlobal(pos))

    def _unsort(self) -> None:
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)

    # --- playback events ------------------------------------------------------------------
    def _track_changed(self, track: Track | None) -> None:
        self.now_playing.show_track(track)
        self.model.set_playing(track.id if track else None)
        self.queue_model.refresh()
        self.setWindowTitle(f"{track.display_title} — Tonearm" if track else "Tonearm")
        self._cover_token += 1
        if track is None:
            return
        token, path = self._cover_token, track.path
        self.jobs.start(
            lambda _job: load_cover_image(path),
            on_done=lambda image: self._cover_loaded(token, image),
        )

    def _cover_loaded(self, token: int, image) -> None:
        if token == self._cover_token:
            self.now_playing.set_cover(image)

    def _state_changed(self, state: str) -> None:
        self.now_playing.set_state(state)

    def _record_play(self, finished: FinishedPlay) -> None:
        from recommender.history.plays import record_play

        def write(store: Store, _job):
            return record_play(
                store,
                finished.track_id,
                finished.seconds_played,
                started_at=finished.started_at,
                duration=finished.duration,
                completed=finished.completed,
                context=finished.context,
            )

        self.writer.start(
            write,
            data_dir=self.data_dir,
            on_done=self.events.play_recorded,
            on_error=lambda m: self.show_message(f"Could not record a play: {m}"),
        )

    def _plays_recorded(self, recorded: PlaysRecorded) -> None:
        """A play updates its row (count, last played); the table is not reset."""
        self.model.plays_recorded(recorded.plays)

    def _unplayable(self, track: Track, message: str) -> None:
        self.model.mark_unplayable(track.id)
        self.show_message(f"Cannot play “{track.display_title}” ({message}); skipped")
        self.unplayableSkipped.emit(track.id, message)

    def _volume_changed(self, volume: float) -> None:
        self.settings.volume = volume
        self.playback.set_volume(volume)

    def set_volume(self, volume: float) -> None:
        """From outside the slider (MPRIS): the setting, the output and the slider."""
        self._volume_changed(volume)
        self.now_playing.set_volume(volume)

    def set_shuffle(self, on: bool) -> None:
        """From outside the button (MPRIS): the button, and through it the play order."""
        self.now_playing.shuffle_button.setChecked(on)

    def set_repeat(self, mode: str) -> None:
        """From outside the button (MPRIS): the button's label and the play order."""
        self.now_playing.set_repeat(mode)
        self._set_repeat(mode)

    def _set_shuffle(self, on: bool) -> None:
        self.order.set_shuffle(on)
        self.queue_timer.start()

    def _set_repeat(self, mode: str) -> None:
        self.order.set_repeat(mode)
        self.queue_timer.start()

    # --- persistence ----------------------------------------------------------------------
    def _saved_queue(self) -> SavedQueue:
        track = self.playback.track
        return SavedQueue(
            list(self.order.queue),
            track.id if track else None,
            self.playback.position_ms() / 1000.0,
            shuffle=self.order.shuffle,
            repeat=self.order.repeat,
        )

    def save_queue_now(self) -> None:
        saved = self._saved_queue()
        self.writer.start(
            lambda store, _job: save_queue(store, saved),
            data_dir=self.data_dir,
            on_done=lambda _r: self.queueSaved.emit(),
            on_error=lambda m: self.show_message(f"Could not save the queue: {m}"),
        )

    def _save_position(self) -> None:
        track = self.playback.track
        if track is None or not self.playback.is_playing():
            return
        tid, pos = track.id, self.playback.position_ms() / 1000.0
        self.writer.start(
            lambda store, _job: save_position(store, tid, pos), data_dir=self.data_dir
        )

    def _save_settings(self) -> None:
        try:
            self.settings.save(self.data_dir)
        except TonearmError as exc:  # a read-only folder, a full disk: the old file is kept
            self.show_message(f"Could not save settings: {exc}")

    def _restore_view_state(self) -> None:
        state = self.view_state
        geometry = state.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        header_state = state.value("library/header")
        if header_state is not None:
            header = self.table.horizontalHeader()
            header.restoreState(header_state)
            # A column added since the state was saved gets its default visibility (Qt shows
            # it); saves from before this key had the columns up to Added.
            saved = state.value("library/columns") or ",".join(
                COLUMN_KEYS[: COLUMN_KEYS.index("added") + 1]
            )
            for i, key in enumerate(COLUMN_KEYS):
                if key not in str(saved).split(","):
                    header.setSectionHidden(i, key in DEFAULT_HIDDEN)
        splitter = state.value("window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        self._stretch_title()

    def _stretch_title(self) -> None:
        """The Title column takes the width the others leave, so the columns fill the table
        at any window width (a restored header state brings back the saved modes)."""
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COLUMN_KEYS.index("title"), QHeaderView.ResizeMode.Stretch)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
        self.closed.emit()

    def shutdown(self) -> None:
        """Record the play in progress, save queue, position, settings and view state."""
        if getattr(self, "_shut_down", False):
            return
        self._shut_down = True
        saved = self._saved_queue()
        self.position_timer.stop()
        self.queue_timer.stop()
        self.cancel_scan()
        self.playback.shutdown()  # emits playFinished -> a writer job
        self.writer.wait_for_done()
        try:
            save_queue(self.store, saved)
        except TonearmError as exc:
            log.error("could not save the queue: %s", exc)
        self._save_settings()
        self.view_state.setValue("window/geometry", self.saveGeometry())
        self.view_state.setValue("library/header", self.table.horizontalHeader().saveState())
        self.view_state.setValue("library/columns", ",".join(COLUMN_KEYS))
        self.view_state.setValue("window/splitter", self.splitter.saveState())
        self.view_state.sync()
        self.jobs.cancel_all()
        self.jobs.wait_for_done(SHUTDOWN_JOBS_WAIT_MS)
        self.jobs.detach_all()  # a job still running after that reports to nobody
        self.writer.detach_all()
        self.events.close()

    def show_about(self) -> AboutDialog:
        """Help → About: filled in from a job (the model file and the library are on disk)."""
        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        data_dir = self.data_dir
        self.jobs.start(
            lambda store, _job: about_facts(store, data_dir),
            data_dir=data_dir,
            on_done=dialog.show_facts,
            on_error=lambda m: self.show_message(f"Could not read what About shows: {m}"),
        )
        dialog.open()
        return dialog

    # --- settings and scanning ------------------------------------------------------------
    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self)
        dialog.accepted.connect(lambda: self._settings_accepted(dialog))
        for add_section in self.context.settings_sections:
            try:
                add_section(dialog)
            except Exception:  # one broken section must not keep the settings from opening
                log.exception("a settings section could not be added")
        dialog.open()
        return dialog

    def _settings_accepted(self, dialog: SettingsDialog) -> None:
        result = dialog.result_settings()
        self.settings = result.settings
        self._save_settings()
        self.playback.set_replaygain(
            self.settings.replaygain_mode, self.settings.replaygain_preamp_db
        )
        apply_theme(self.settings.theme)
        if result.rescan:
            self.rescan()
        elif self.settings.analysis_enabled:
            self.start_analysis()
        if not self.settings.analysis_enabled and self._analysis_job is not None:
            self._analysis_job.cancel_event.set()

    def _add_folder(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        folder = QFileDialog.getExistingDirectory(self, "Add a music folder")
        if folder and folder not in self.settings.library_folders:
            self.settings.library_folders.append(folder)
            self._save_settings()
            self.rescan()

    def rescan(self) -> None:
        folders = [f for f in self.settings.library_folders if f]
        if not folders:
            self.show_message("No music folders yet: add one in Settings")
            return
        self.start_scan(folders)

    def start_scan(self, folders: list[str]) -> None:
        """Scan in a worker (tag reading in worker processes); progress and Cancel in the bar."""
        if self._scan_job is not None:
            self._rescan_again = True
            return
        from recommender.app.library_update import update_library

        self.scan_label.setText("Scanning…")
        self.scan_progress.setRange(0, 0)
        self.scan_box.show()

        def scan(store: Store, job):
            return update_library(store, folders, progress=job.report, cancel=job.cancelled)

        self._scan_job = self.jobs.start(
            scan,
            data_dir=self.data_dir,
            on_done=self._scan_done,
            on_error=self._scan_failed,
            on_progress=self._scan_progress,
        )

    def cancel_scan(self) -> None:
        """The status bar's Cancel: stops the scan or the analysis, whichever runs."""
        for job in (self._scan_job, self._analysis_job):
            if job is not None:
                job.cancel_event.set()
                self.scan_label.setText("Cancelling…")

    def _scan_progress(self, progress: Progress) -> None:
        if progress.total:
            self.scan_progress.setRange(0, progress.total)
            self.scan_progress.setValue(progress.done)
            self.scan_label.setText(
                f"{progress.phase.capitalize()} {progress.done:,}/{progress.total:,}"
            )
        else:
            self.scan_progress.setRange(0, 0)
            self.scan_label.setText(f"{progress.phase.capitalize()}… {progress.done:,} files")

    def _scan_done(self, summary) -> None:
        self._scan_job = None
        self.scan_box.hide()
        text = (
            f"Scan {'cancelled' if summary.cancelled else 'finished'} in {summary.seconds:.1f} s: "
            f"{summary.added:,} added, {summary.updated:,} updated, {summary.missing:,} missing"
        )
        if summary.errors:
            text += f", {summary.errors:,} could not be read"
        self.show_message(text)
        self.events.tracks_changed(
            TracksChanged(
                added=summary.added,
                updated=summary.updated + summary.moved + summary.returned,
                removed=summary.missing,
            )
        )  # the table reloads when the change is announced
        self._watch_folders()
        self.events.scan_finished(summary)
        self._after_scan()

    def _scan_failed(self, message: str) -> None:
        self._scan_job = None
        self.scan_box.hide()
        self.show_message(f"Scan failed: {message}")
        self.events.scan_finished(JobFailed(message))
        self._after_scan()

    def _after_scan(self) -> None:
        if self._rescan_again:
            self._rescan_again = False
            QTimer.singleShot(0, self.rescan)
        elif self.settings.analysis_enabled:
            self.start_analysis()

    def start_analysis(self) -> None:
        """Sound embeddings for tracks that lack them, in worker processes (if switched on)."""
        if self._analysis_job is not None or self._scan_job is not None:
            return
        if self._analysis_unavailable or getattr(self, "_shut_down", False):
            return

        def analyse(store: Store, job):
            from recommender.sound.analyze import embed_tracks  # onnxruntime: never on start-up

            return embed_tracks(store, progress=job.report, cancel=job.cancelled)

        self.scan_label.setText("Analysing…")
        self.scan_progress.setRange(0, 0)
        self.scan_box.show()
        self._analysis_job = self.jobs.start(
            analyse,
            data_dir=self.data_dir,
            on_done=self._analysis_done,
            on_error=self._analysis_failed,
            on_progress=self._scan_progress,
        )
        self.events.analysis_started(self._analysis_job)

    def _analysis_done(self, summary) -> None:
        self._analysis_job = None
        self.scan_box.hide()
        if summary.embedded or summary.failed:
            text = f"Sound analysis: {count_of(summary.embedded, 'track')} analysed"
            if summary.failed:
                text += f", {summary.failed:,} could not be decoded"
            self.show_message(text)
        self.events.embeddings_changed(summary.embedded)
        self.events.analysis_finished(summary)

    def _analysis_failed(self, message: str) -> None:
        """A missing or broken model: say so once per session, keep playing."""
        self._analysis_job = None
        self._analysis_unavailable = True
        self.scan_box.hide()
        self.show_message(f"Sound analysis is unavailable: {message}")
        self.events.analysis_finished(JobFailed(message))

    def _watch_folders(self) -> None:
        """Watch the library folders and their subfolders (listed in a worker)."""
        folders = list(self.settings.library_folders)
        self.jobs.start(lambda _job: library_dirs(folders), on_done=self._set_watched)

    def _set_watched(self, dirs: list[str]) -> None:
        old = self.watcher.directories()
        if old:
            self.watcher.removePaths(old)
        if dirs:
            self.watcher.addPaths(dirs)

    # --- messages -------------------------------------------------------------------------
    def show_message(self, text: str, timeout_ms: int = STATUS_MESSAGE_MS) -> None:
        self.statusBar().showMessage(text, timeout_ms)
