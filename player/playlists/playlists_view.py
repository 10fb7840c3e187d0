"""The Playlists tab: saved and smart playlists on the left, the chosen one's tracks on the right.

Every read runs in a job on `ctx.jobs` and every edit on `ctx.writer` (one thread, so edits
land in order); the view shows a drag's result at once and re-reads after the write. Smart
playlists are re-read when a play is recorded or the library changes, since their rule (not
stored items) decides what they hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGridLayout,
    QInputDialog,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from player.playlists.smart_playlist_dialog import SmartPlaylistDialog
from player.widgets.formatting import TRACK_IDS_MIME, count_of, format_duration
from player.widgets.headings import heading_label
from player.widgets.track_menu import build_track_menu
from recommender.library.store import Store
from recommender.library.tracks import artist_and_title, get_tracks
from recommender.playlists.edit import PlaylistInfo, create_playlist, list_playlists
from recommender.playlists.files import import_playlist_file, write_playlist_file
from recommender.playlists.saved import (
    add_tracks,
    delete_playlist,
    move_items,
    moved,
    remove_items,
    rename_playlist,
)
from recommender.playlists.smart import (
    SmartRule,
    create_smart_playlist,
    playlist_contents,
    smart_rule,
    update_smart_rule,
)

if TYPE_CHECKING:
    from player.workers.context import ViewContext

PLAYLIST_ROWS_MIME = "application/x-tonearm-playlist-rows"
SMART_REFRESH_DELAY_MS = 250
"""Coalesce a burst of plays or a scan's signals into one re-read of a smart playlist."""
FILE_FILTER = "Playlists (*.m3u8 *.m3u *.xspf *.pls)"


@dataclass(frozen=True)
class PlaylistEntry:
    track_id: int
    label: str
    duration: float | None


@dataclass(frozen=True)
class PlaylistContents:
    info: PlaylistInfo
    entries: list[PlaylistEntry]
    rule: SmartRule | None


def read_contents(store: Store, info: PlaylistInfo) -> PlaylistContents:
    """A playlist's entries with what the list shows (runs in a job)."""
    ids = playlist_contents(store, info.id)
    tracks = get_tracks(store, ids)
    entries = []
    for tid in ids:
        t = tracks.get(tid)
        if t is None:
            entries.append(PlaylistEntry(tid, f"Track {tid} (no longer in the library)", None))
            continue
        label = artist_and_title(t)
        entries.append(PlaylistEntry(tid, label + ("  (missing)" if t.missing else ""), t.duration))
    return PlaylistContents(info, entries, smart_rule(store, info.id))


class PlaylistTracksModel(QAbstractListModel):
    """The chosen playlist's entries; rows are positions (a track may appear twice)."""

    moveRequested = Signal(list, int)  # positions, drop position
    dropTracks = Signal(list, int)  # track ids from the library, drop position

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.entries: list[PlaylistEntry] = []
        self.editable = False

    def set_entries(self, entries: list[PlaylistEntry], editable: bool) -> None:
        self.beginResetModel()
        self.entries = list(entries)
        self.editable = editable
        self.endResetModel()

    def track_ids(self) -> list[int]:
        return [e.track_id for e in self.entries]

    def apply_move(self, positions: list[int], to: int) -> int:
        """Show a move at once (the write follows); returns where the block starts."""
        by_pos = list(range(len(self.entries)))
        order, start = moved(by_pos, positions, to)
        self.beginResetModel()
        self.entries = [self.entries[i] for i in order]
        self.endResetModel()
        return start

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0):
        if not index.isValid() or index.row() >= len(self.entries):
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            length = format_duration(entry.duration) if entry.duration else ""
            return f"{index.row() + 1}.  {entry.label}" + (f"  ({length})" if length else "")
        if role == Qt.ItemDataRole.UserRole:
            return entry.track_id
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if not self.editable:
            return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base
        base |= Qt.ItemFlag.ItemIsDropEnabled
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:
        return [PLAYLIST_ROWS_MIME, TRACK_IDS_MIME]

    def mimeData(self, indexes) -> QMimeData:
        rows = sorted({i.row() for i in indexes})
        mime = QMimeData()
        mime.setData(PLAYLIST_ROWS_MIME, ",".join(map(str, rows)).encode())
        ids = ",".join(str(self.entries[r].track_id) for r in rows)
        mime.setData(TRACK_IDS_MIME, ids.encode())  # so rows can be dropped on the queue
        return mime

    def dropMimeData(self, data: QMimeData, action, row: int, column: int, parent) -> bool:
        if not self.editable:
            return False
        if row < 0:
            row = parent.row() if parent.isValid() else len(self.entries)
        if data.hasFormat(PLAYLIST_ROWS_MIME):
            raw = bytes(data.data(PLAYLIST_ROWS_MIME)).decode()
            self.moveRequested.emit([int(r) for r in raw.split(",") if r], row)
            return True
        if data.hasFormat(TRACK_IDS_MIME):
            raw = bytes(data.data(TRACK_IDS_MIME)).decode()
            self.dropTracks.emit([int(t) for t in raw.split(",") if t], row)
            return True
        return False

    def removeRows(self, row: int, count: int, parent=QModelIndex()) -> bool:  # noqa: B008
        return False  # a move is done by moveRequested, not by Qt's remove-after-copy


class PlaylistsView(QWidget):
    listsShown = Signal()  # the playlist list was (re)filled
    tracksShown = Signal(int)  # a playlist's tracks were (re)shown: its id

    def __init__(self, ctx: ViewContext, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.playlists: list[PlaylistInfo] = []
        self.contents: PlaylistContents | None = None
        self._list_token = 0
        self._tracks_token = 0
        self._want_id: int | None = None
        self._build()
        self.smart_timer = QTimer(self)
        self.smart_timer.setSingleShot(True)
        self.smart_timer.setInterval(SMART_REFRESH_DELAY_MS)
        self.smart_timer.timeout.connect(self._refresh_smart)
        ctx.events.playsRecorded.connect(lambda _plays: self.smart_timer.start())
        ctx.events.tracksChanged.connect(lambda _change: self.isVisible() and self.refresh())
        ctx.events.playlistsChanged.connect(lambda _change: self.isVisible() and self.refresh())

    # --- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        self.lists = QListWidget()
        self.lists.setAlternatingRowColors(True)
        self.lists.currentItemChanged.connect(lambda _cur, _prev: self._selection_changed())
        self.lists.itemDoubleClicked.connect(lambda _item: self.play_from(0))
        self.lists.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.lists.customContextMenuRequested.connect(self._playlist_menu)
        new = QPushButton("New…")
        new.clicked.connect(lambda: self.new_playlist())
        smart = QPushButton("New smart…")
        smart.clicked.connect(lambda: self.new_smart_playlist())
        import_button = QPushButton("Import…")
        import_button.clicked.connect(lambda: self.import_file())
        # Two rows of buttons: in one row they made the tab (and so the window) at least
        # 707 px wide, and opening a side panel then widened the window.
        buttons = QGridLayout()
        buttons.addWidget(new, 0, 0)
        buttons.addWidget(smart, 0, 1)
        buttons.addWidget(import_button, 1, 0)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 4, 4)
        heading = heading_label("Playlists")
        left_layout.addWidget(heading)
        left_layout.addWidget(self.lists, 1)
        left_layout.addLayout(buttons)

        self.title = QLabel("No playlist chosen")
        big = QFont(heading.font())
        big.setPointSizeF(big.pointSizeF() * 1.25)
        self.title.setFont(big)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.model = PlaylistTracksModel(self)
        self.model.moveRequested.connect(self.move_rows)
        self.model.dropTracks.connect(self.insert_tracks)
        self.tracks = QListView()
        self.tracks.setModel(self.model)
        self.tracks.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tracks.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.tracks.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.tracks.setDropIndicatorShown(True)
        self.tracks.setUniformItemSizes(True)
        self.tracks.setAlternatingRowColors(True)
        self.tracks.doubleClicked.connect(lambda idx: self.play_from(idx.row()))
        self.tracks.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tracks.customContextMenuRequested.connect(self._tracks_menu)
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.tracks)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.remove_selected)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            sc = QShortcut(QKeySequence(key), self.tracks)
            sc.setContext(Qt.ShortcutContext.WidgetShortcut)
            sc.activated.connect(lambda: self.play_from(max(0, self.tracks.currentIndex().row())))

        self.play_button = QPushButton("Play")
        self.play_button.clicked.connect(lambda: self.play_from(0))
        self.rename_button = QPushButton("Rename…")
        self.rename_button.clicked.connect(lambda: self.rename_current())
        self.edit_button = QPushButton("Edit rule…")
        self.edit_button.clicked.connect(lambda: self.edit_rule())
        self.export_button = QPushButton("Export…")
        self.export_button.clicked.connect(lambda: self.export_current())
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(lambda: self.delete_current())
        actions = QGridLayout()
        actions.addWidget(self.play_button, 0, 0)
        actions.addWidget(self.rename_button, 0, 1)
        actions.addWidget(self.edit_button, 0, 2)
        actions.addWidget(self.export_button, 1, 0)
        actions.addWidget(self.delete_button, 1, 2)
        actions.setColumnStretch(3, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 4, 4, 4)
        right_layout.addWidget(self.title)
        right_layout.addWidget(self.detail)
        right_layout.addWidget(self.tracks, 1)
        right_layout.addLayout(actions)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 600])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._update_buttons()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    # --- reading --------------------------------------------------------------------------
    def current_info(self) -> PlaylistInfo | None:
        item = self.lists.currentItem()
        if item is None:
            return None
        pid = item.data(Qt.ItemDataRole.UserRole)
        return next((p for p in self.playlists if p.id == pid), None)

    def refresh(self, select_id: int | None = None) -> None:
        """Re-read the playlists (and then the chosen one's tracks)."""
        if select_id is not None:
            self._want_id = select_id
        self._list_token += 1
        token = self._list_token
        self.ctx.jobs.start(
            lambda store, _job: list_playlists(store),
            data_dir=self.ctx.data_dir,
            on_done=lambda infos: self._lists_read(token, infos),
            on_error=self.ctx.show_message,
        )

    def _lists_read(self, token: int, infos: list[PlaylistInfo]) -> None:
        if token != self._list_token:
            return
        current = self.current_info()
        want = self._want_id if self._want_id is not None else (current.id if current else None)
        self._want_id = None
        self.playlists = infos
        self.lists.blockSignals(True)
        self.lists.clear()
        chosen = None
        for info in infos:
            item = QListWidgetItem(f"{info.name}" if not info.smart else f"✦ {info.name}")
            item.setData(Qt.ItemDataRole.UserRole, info.id)
            item.setToolTip("Smart playlist" if info.smart else count_of(info.size, "track"))
            self.lists.addItem(item)
            if info.id == want:
                chosen = item
        if chosen is None and self.lists.count():
            chosen = self.lists.item(0)
        self.lists.setCurrentItem(chosen)
        self.lists.blockSignals(False)
        self.listsShown.emit()
        self._selection_changed()

    def _selection_changed(self) -> None:
        info = self.current_info()
        self._update_buttons()
        if info is None:
            self.contents = None
            self.model.set_entries([], False)
            self.title.setText("No playlists yet" if not self.playlists else "No playlist chosen")
            self.detail.setText(
                "Make one with New…, from any track's menu (Add to playlist), or a smart one "
                "that fills itself from a query."
                if not self.playlists
                else ""
            )
            return
        self._load_tracks(info)

    def _load_tracks(self, info: PlaylistInfo) -> None:
        self._tracks_token += 1
        token = self._tracks_token
        self.ctx.jobs.start(
            lambda store, _job: read_contents(store, info),
            data_dir=self.ctx.data_dir,
            on_done=lambda contents: self._tracks_read(token, contents),
            on_error=self.ctx.show_message,
        )

    def _tracks_read(self, token: int, contents: PlaylistContents) -> None:
        if token != self._tracks_token:
            return
        self.contents = contents
        self.model.set_entries(contents.entries, editable=contents.rule is None)
        self.title.setText(contents.info.name)
        total = sum(e.duration or 0.0 for e in contents.entries)
        size = f"{count_of(len(contents.entries), 'track')} · {format_duration(total)}"
        if contents.rule is not None:
            self.detail.setText(f"Smart: {contents.rule.describe()}  ·  {size}")
        else:
            self.detail.setText(size + "  ·  drag to reorder, Delete removes")
        self._update_buttons()
        self.tracksShown.emit(contents.info.id)

    def _refresh_smart(self) -> None:
        """Plays and scans change what smart playlists hold; stored ones stay as they are. A
        hidden tab re-reads everything when it is shown."""
        info = self.current_info()
        if info is not None and info.smart and self.isVisible():
            self._load_tracks(info)

    def _update_buttons(self) -> None:
        info = self.current_info()
        for b in (self.play_button, self.rename_button, self.export_button, self.delete_button):
            b.setEnabled(info is not None)
        self.edit_button.setVisible(info is not None and info.smart)

    # --- writing --------------------------------------------------------------------------
    def _write(
        self, fn, playlist_id: int | None = None, *, message: str | None = None, select=None
    ) -> None:
        """Run `fn(store)` on the writer, then re-read; `select(result)` picks what to show.
        The change is announced for `playlist_id` (for a new playlist: what `select` picks)."""

        def done(result) -> None:
            if message:
                self.ctx.show_message(message.format(result=result))
            chosen = select(result) if select else None
            self.refresh(chosen)
            changed = playlist_id if playlist_id is not None else chosen
            if changed is not None:
                self.ctx.events.playlist_changed(changed)

        self.ctx.writer.start(
            lambda store, _job: fn(store),
            data_dir=self.ctx.data_dir,
            on_done=done,
            on_error=self.ctx.show_message,
        )

    def new_playlist(self, name: str | None = None, track_ids: list[int] | None = None) -> None:
        if name is None:
            name, ok = QInputDialog.getText(self, "New playlist", "Name:")
            if not ok or not name.strip():
                return
        ids = list(track_ids or [])

        def write(store: Store) -> int:
            pid = create_playlist(store, name)
            if ids:
                add_tracks(store, pid, ids)
            return pid

        self._write(write, select=lambda pid: pid)

    def new_smart_playlist(self, name: str | None = None, rule: SmartRule | None = None) -> None:
        if name is None or rule is None:
            dialog = SmartPlaylistDialog(self)
            if not dialog.exec():
                return
            name, rule = dialog.name.text(), dialog.rule()
        self._write(lambda store: create_smart_playlist(store, name, rule), select=lambda p: p)

    def edit_rule(self, rule: SmartRule | None = None) -> None:
        info = self.current_info()
        if info is None or not info.smart:
            return
        if rule is None:
            current = self.contents.rule if self.contents else None
            dialog = SmartPlaylistDialog(self, name=info.name, rule=current)
            dialog.name.setEnabled(False)
            if not dialog.exec():
                return
            rule = dialog.rule()
        self._write(lambda store: update_smart_rule(store, info.id, rule), info.id)

    def rename_current(self, name: str | None = None) -> None:
        info = self.current_info()
        if info is None:
            return
        if name is None:
            name, ok = QInputDialog.getText(self, "Rename playlist", "Name:", text=info.name)
            if not ok or not name.strip():
                return
        self._write(lambda store: rename_playlist(store, info.id, name), info.id)

    def delete_current(self, *, confirm: bool = True) -> None:
        info = self.current_info()
        if info is None:
            return
        if confirm:
            answer = QMessageBox.question(
                self, "Delete playlist", f"Delete the playlist “{info.name}”? Its tracks stay."
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._write(
            lambda store: delete_playlist(store, info.id), info.id, message=f"Deleted {info.name}"
        )

    def move_rows(self, positions: list[int], to: int) -> None:
        info = self.current_info()
        if info is None or info.smart:
            return
        start = self.model.apply_move(positions, to)
        selection = self.tracks.selectionModel()
        selection.clearSelection()
        for r in range(start, start + len(set(positions))):
            idx = self.model.index(r, 0)
            selection.select(idx, selection.SelectionFlag.Select)
        self._write(lambda store: move_items(store, info.id, positions, to), info.id)

    def insert_tracks(self, track_ids: list[int], at: int) -> None:
        """Tracks dropped from the library: appended, then moved to where they were dropped."""
        info = self.current_info()
        if info is None or info.smart or not track_ids:
            return
        end = len(self.model.entries)

        def write(store: Store) -> int:
            added = add_tracks(store, info.id, track_ids)
            move_items(store, info.id, range(end, end + added), at)
            return added

        self._write(write, info.id, message="{result} track(s) added to the playlist")

    def selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self.tracks.selectionModel().selectedRows())

    def remove_selected(self) -> None:
        self.remove_rows(self.selected_rows())

    def remove_rows(self, rows: list[int]) -> None:
        info = self.current_info()
        if info is None or info.smart or not rows:
            return
        self._write(lambda store: remove_items(store, info.id, rows), info.id)

    # --- files ----------------------------------------------------------------------------
    def import_file(self, path: Path | None = None) -> None:
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Import a playlist", "", FILE_FILTER)
            if not chosen:
                return
            path = Path(chosen)

        def done(result) -> None:
            text = f"Imported {path.name}: {result.found} track(s)"
            if result.not_found:
                text += f", {len(result.not_found)} not in the library"
            self.ctx.show_message(text)
            self.refresh(result.playlist_id)
            self.ctx.events.playlist_changed(result.playlist_id)

        self.ctx.writer.start(
            lambda store, _job: import_playlist_file(store, path),
            data_dir=self.ctx.data_dir,
            on_done=done,
            on_error=self.ctx.show_message,
        )

    def export_current(self, path: Path | None = None) -> None:
        info = self.current_info()
        if info is None:
            return
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self,
                "Export playlist",
                f"{info.name}.m3u8",
                "M3U8 (*.m3u8);;PLS (*.pls);;XSPF (*.xspf)",
            )
            if not chosen:
                return
            path = Path(chosen)

        def write(store: Store, _job) -> int:
            ids = playlist_contents(store, info.id)
            tracks = get_tracks(store, ids)
            write_playlist_file([tracks[t] for t in ids if t in tracks], path, name=info.name)
            return len(ids)

        self.ctx.jobs.start(
            write,
            data_dir=self.ctx.data_dir,
            on_done=lambda n: self.ctx.show_message(f"Exported {n} track(s) to {path}"),
            on_error=self.ctx.show_message,
        )

    # --- playing and menus ----------------------------------------------------------------
    def play_from(self, row: int) -> None:
        info = self.current_info()
        ids = self.model.track_ids()
        if info is not None and ids:
            self.ctx.play_tracks(ids, max(0, min(row, len(ids) - 1)), context=f"playlist:{info.id}")

    def _tracks_menu(self, pos) -> None:
        rows = self.selected_rows()
        if rows:
            self.tracks_menu(rows).popup(self.tracks.viewport().mapToGlobal(pos))

    def tracks_menu(self, rows: list[int]) -> QMenu:
        ids = [self.model.entries[r].track_id for r in rows]
        info = self.current_info()

        def entries(menu: QMenu) -> None:
            menu.addAction("Play from here", lambda: self.play_from(rows[0]))
            if info is not None and not info.smart:
                menu.addAction("Remove from playlist", lambda: self.remove_rows(rows))
            menu.addSeparator()

        ctx = self.ctx
        return build_track_menu(
            self, ids, ctx.track_actions(), ctx.track_menu_providers, extra_first=entries
        )

    def _playlist_menu(self, pos) -> None:
        if self.current_info() is None:
            return
        menu = QMenu(self)
        menu.addAction("Play", lambda: self.play_from(0))
        menu.addAction("Rename…", lambda: self.rename_current())
        if self.current_info().smart:
            menu.addAction("Edit rule…", lambda: self.edit_rule())
        menu.addAction("Export…", lambda: self.export_current())
        menu.addSeparator()
        menu.addAction("Delete", lambda: self.delete_current())
        menu.popup(self.lists.viewport().mapToGlobal(pos))


def install_playlists(ctx: ViewContext) -> PlaylistsView:
    view = PlaylistsView(ctx)
    ctx.add_view(view, "Playlists")
    return view
