"""The "For you" tab: suggestions from the core with their reasons, and who answered.

Two steps, neither on the GUI thread: the local engine runs on the taste worker (it owns the
kept TasteModel), then `recommend_with_fallback` runs on the job pool (`ctx.jobs`) with that
answer as its local engine, so a slow or absent remote service never holds up radio or "More like
this". Remote "discover" items (not in the library) are listed apart and cannot be played.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from player.library.analysis_status import AnalysisStatus
from player.widgets.headings import VIEW_TITLE_SCALE, heading_label
from player.workers.taste_worker import TasteWorker
from recommender.discovery.recommend import dismiss, recommend
from recommender.discovery.recommendation import (
    SOURCE_BLENDED,
    SOURCE_LOCAL,
    SOURCE_REMOTE,
    Recommendation,
)
from recommender.library.tracks import artist_name
from recommender.remote.fallback import RemoteOutcome, recommend_with_fallback

if TYPE_CHECKING:
    from player.workers.context import ViewContext

SUGGESTIONS = 30
PLAY_CONTEXT = "for_you"
SOURCE_NAMES = {
    SOURCE_LOCAL: "local",
    SOURCE_REMOTE: "remote",
    SOURCE_BLENDED: "blended",
}
_SOURCE_COLOURS = {SOURCE_LOCAL: "#2e7d32", SOURCE_REMOTE: "#1565c0", SOURCE_BLENDED: "#6a1b9a"}


def source_badge(source: str) -> str:
    """A small coloured label (rich text) naming who answered."""
    colour = _SOURCE_COLOURS.get(source, "#555")
    name = SOURCE_NAMES.get(source, source)
    return f'<span style="color:white; background:{colour};">&nbsp;{name}&nbsp;</span>'


MIN_ELIDE_WIDTH_PX = 40
ROW_SLACK_PX = 4
"""Room for the descenders of the small reasons font under a rich-text title."""


class RecommendationRow(QWidget):
    """One suggestion: title and artist, its reasons, and what can be done with it."""

    def resizeEvent(self, event) -> None:
        """The reasons end in "…" where the row is too narrow (the tooltip has them all)."""
        super().resizeEvent(event)
        full = " · ".join(self.rec.reasons)
        width = self.reasons_label.contentsRect().width()
        if width < MIN_ELIDE_WIDTH_PX:  # not laid out yet
            return
        elided = self.reasons_label.fontMetrics().elidedText(
            full, Qt.TextElideMode.ElideRight, width
        )
        if elided != self.reasons_label.text():
            self.reasons_label.setText(elided)

    def row_size_hint(self) -> QSize:
        """The list item's size: the layout's hint measured after polishing, never lower than
        the two text lines need (the reasons line was cut off at the bottom)."""
        self.ensurePolished()
        for child in self.findChildren(QWidget):
            child.ensurePolished()
        hint = self.sizeHint()
        return QSize(hint.width(), max(hint.height(), _row_text_height(self)))

    playClicked = Signal(object)
    queueClicked = Signal(object)
    dismissClicked = Signal(object)

    def __init__(self, rec: Recommendation, *, show_source: bool, parent=None) -> None:
        super().__init__(parent)
        self.rec = rec
        track = rec.track
        title = (track.display_title if track else rec.title) or "?"
        artist = artist_name(track.artist, track.albumartist) if track else artist_name(rec.artist)
        self.title_label = QLabel(f"<b>{_esc(title)}</b>&nbsp;&nbsp;{_esc(artist)}")
        if track is not None and track.album:
            self.title_label.setText(self.title_label.text() + f" · <i>{_esc(track.album)}</i>")
        if not rec.playable:
            self.title_label.setText(
                '<span style="color:#b26a00;">Discover</span>&nbsp;&nbsp;'
                + self.title_label.text()
                + "&nbsp;&nbsp;<i>(not in your library)</i>"
            )
        self.reasons_label = QLabel(" · ".join(rec.reasons))
        self.reasons_label.setToolTip("\n".join(rec.reasons))
        for label in (self.title_label, self.reasons_label):  # clip to the view, never widen it
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.reasons_label.setEnabled(False)
        small = QFont(self.reasons_label.font())
        small.setPointSizeF(max(small.pointSizeF() * 0.9, 7.0))
        self.reasons_label.setFont(small)
        text = QVBoxLayout()
        text.setSpacing(1)
        text.addWidget(self.title_label)
        text.addWidget(self.reasons_label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.addLayout(text, 1)
        if show_source:
            badge = QLabel(source_badge(rec.source))
            layout.addWidget(badge)
        self.buttons: dict[str, QToolButton] = {}
        if rec.playable:
            for key, label, tip, signal in (
                ("play", "Play", "Play it, then the suggestions below it", self.playClicked),
                ("queue", "Queue", "Add it to the end of the queue", self.queueClicked),
                ("dismiss", "Not interested", "Never suggest this again", self.dismissClicked),
            ):
                button = QToolButton()
                button.setText(label)
                button.setToolTip(tip)
                button.clicked.connect(lambda _c=False, s=signal: s.emit(self.rec))
                layout.addWidget(button)
                self.buttons[key] = button


def _row_text_height(row: RecommendationRow) -> int:
    """Both text lines at their own fonts, with the margins and spacing of the row's layout."""
    lines = (
        row.title_label.fontMetrics().lineSpacing() + row.reasons_label.fontMetrics().lineSpacing()
    )
    return lines + 1 + 2 * 3 + ROW_SLACK_PX


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ForYouView(QWidget):
    """Suggestions for the library owner; refreshed on first show and on demand."""

    refreshed = Signal(object)  # RemoteOutcome shown
    dismissed = Signal(int)  # track id, once the store remembers it

    def __init__(self, ctx: ViewContext, worker: TasteWorker, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.worker = worker
        self.count = SUGGESTIONS
        self.outcome: RemoteOutcome | None = None
        self._busy = False
        self._again = False
        self._shown_once = False

        heading = heading_label("For you", VIEW_TITLE_SCALE)
        self.source_label = QLabel()
        self.source_label.setTextFormat(Qt.TextFormat.RichText)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.source_label)
        top.addWidget(self.refresh_button)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.itemDoubleClicked.connect(lambda item: self._play(self._rec(item)))
        self.analysis = AnalysisStatus(ctx)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.analysis)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.refresh()
            self.analysis.refresh()

    # --- computing ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Ask again (local engine on the taste worker, then the remote blend in a job)."""
        if self._busy:
            self._again = True
            return
        self._busy = True
        self.refresh_button.setEnabled(False)
        self.note.setText("Finding suggestions…")
        n = self.count
        self.worker.submit(
            lambda store, w: recommend(store, n, model=w.model(store)),
            on_done=self._local_ready,
            on_error=self._failed,
        )

    def _local_ready(self, local: list[Recommendation]) -> None:
        settings = replace(self.ctx.settings)  # a snapshot: the GUI may edit the original
        data_dir, n = self.ctx.data_dir, self.count

        def ask(store, _job) -> RemoteOutcome:
            return recommend_with_fallback(
                store, settings, n, local_fn=lambda _store, n=n: local[:n], data_dir=data_dir
            )

        self.ctx.jobs.start(ask, data_dir=data_dir, on_done=self._show, on_error=self._failed)

    def _failed(self, message: str) -> None:
        self._done()
        self.note.setText(f"Could not make suggestions: {message}")

    def _done(self) -> None:
        self._busy = False
        self.refresh_button.setEnabled(True)
        if self._again:
            self._again = False
            self.refresh()

    def _show(self, outcome: RemoteOutcome) -> None:
        self.outcome = outcome
        self.list.clear()
        blended = outcome.source != SOURCE_LOCAL
        for rec in outcome.recommendations:
            self._add_row(rec, show_source=blended)
        self.source_label.setText(f"Answered by {source_badge(outcome.source)}")
        self.source_label.setToolTip(outcome.reason)
        playable = sum(1 for r in outcome.recommendations if r.playable)
        discover = len(outcome.recommendations) - playable
        if not outcome.recommendations:
            text = "Nothing to suggest yet: play some music and refresh."
        else:
            text = f"{playable} suggestions"
            if discover:
                text += f" and {discover} to discover outside your library"
            text += f" — {outcome.reason}."
        self.note.setText(text)
        self._done()
        self.refreshed.emit(outcome)

    def _add_row(self, rec: Recommendation, *, show_source: bool) -> None:
        row = RecommendationRow(rec, show_source=show_source)
        row.playClicked.connect(self._play)
        row.queueClicked.connect(lambda r: self.ctx.add_to_queue([r.track.id]))
        row.dismissClicked.connect(self.dismiss)
        item = QListWidgetItem()
        item.setData(Qt.ItemDataRole.UserRole, rec)
        item.setSizeHint(row.row_size_hint())
        if not rec.playable:
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
        self.list.addItem(item)
        self.list.setItemWidget(item, row)

    # --- acting ---------------------------------------------------------------------------
    def rows(self) -> list[RecommendationRow]:
        return [self.list.itemWidget(self.list.item(i)) for i in range(self.list.count())]

    def _rec(self, item: QListWidgetItem) -> Recommendation:
        return item.data(Qt.ItemDataRole.UserRole)

    def _play(self, rec: Recommendation) -> None:
        """Play it and carry on down the playable suggestions."""
        if not rec.playable:
            return
        recs = [self._rec(self.list.item(i)) for i in range(self.list.count())]
        ids = [r.track.id for r in recs if r.playable]
        self.ctx.play_tracks(ids, ids.index(rec.track.id), context=PLAY_CONTEXT)

    def dismiss(self, rec: Recommendation) -> None:
        """ "Not interested": gone from the list now, never suggested again (the core's dismiss)."""
        if rec.track is None:
            return
        for i in range(self.list.count()):
            if self._rec(self.list.item(i)) is rec:
                self.list.takeItem(i)
                break
        track_id, title = rec.track.id, rec.track.display_title
        self.ctx.writer.start(
            lambda store, _job: dismiss(store, track_id),
            data_dir=self.ctx.data_dir,
            on_done=lambda _r: self._dismissed(track_id, title),
            on_error=lambda m: self.ctx.show_message(f"Could not remember that: {m}"),
        )

    def _dismissed(self, track_id: int, title: str) -> None:
        self.ctx.show_message(f"“{title}” will not be suggested again", 4000)
        self.dismissed.emit(track_id)


def install_for_you(ctx: ViewContext) -> ForYouView:
    view = ForYouView(ctx, ctx.taste)
    ctx.add_view(view, "For you")
    return view
