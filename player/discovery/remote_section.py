"""The Settings dialog's "Remote recommendations" section (off by default).

The rules live in `recommender.remote.settings` (https only except to loopback, the token in
the keyring or a private file); the preview is rendered by `recommender.remote.client`'s
`build_request`, the function that builds the real request, from the values in this dialog.
Token look-ups and the preview run in jobs: the keyring may be slow, and nothing here may
block the GUI thread.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from player.discovery.for_you_view import SUGGESTIONS  # the preview is the request For you sends
from recommender.core.errors import TonearmError
from recommender.core.settings import Settings
from recommender.remote.client import build_request
from recommender.remote.fallback import OVERFETCH
from recommender.remote.settings import (
    check_endpoint,
    clear_token,
    describe_remote,
    disable_remote,
    enable_remote,
    get_token,
    new_user_id,
    set_share_history,
    set_token,
)

if TYPE_CHECKING:
    from player.workers.context import SettingsSections, ViewContext

PREVIEW_ITEMS = SUGGESTIONS  # what the For you view asks for
PREVIEW_HEIGHT_PX = 180


class RemoteSection(QGroupBox):
    """Switch, address, token, history sharing, id reset and "what will be sent"."""

    previewReady = Signal(str)

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__("Remote recommendations", parent)
        self.ctx = ctx
        settings = ctx.settings
        self._user_id = settings.remote_user_id
        self._forget_token = False
        self.enabled = QCheckBox("Ask a remote recommendation service (falls back to local)")
        self.enabled.setChecked(settings.remote_enabled)
        self.endpoint = QLineEdit(settings.remote_endpoint)
        self.endpoint.setPlaceholderText("https://recommendations.example.org")
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("checking for a stored token…")
        forget = QPushButton("Forget token")
        forget.clicked.connect(self._forget)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token, 1)
        token_row.addWidget(forget)
        self.share = QCheckBox("Also send my recent listens, with their times")
        self.share.setChecked(settings.remote_share_history)
        self.user_id = QLabel()
        reset = QPushButton("Reset id")
        reset.setToolTip("Start over as a stranger to the service: a new random id")
        reset.clicked.connect(self.reset_id)
        id_row = QHBoxLayout()
        id_row.addWidget(self.user_id, 1)
        id_row.addWidget(reset)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c0392b;")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.preview_button = QPushButton("Show what will be sent")
        self.preview_button.clicked.connect(self.show_preview)
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview.setMaximumHeight(PREVIEW_HEIGHT_PX)
        self.preview.hide()
        intro = QLabel(
            "Off unless you switch it on. It sends a random id, a few genres and the artist and "
            "title of tracks you play most; never file names, paths or your name."
        )
        intro.setWordWrap(True)
        intro.setEnabled(False)
        form = QFormLayout()
        form.addRow("Address:", self.endpoint)
        form.addRow("Token:", token_row)
        form.addRow("Your id:", id_row)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.enabled)
        layout.addLayout(form)
        layout.addWidget(self.share)
        layout.addWidget(self.problem)
        layout.addWidget(self.preview_button)
        layout.addWidget(self.preview)
        self.enabled.toggled.connect(self._changed)
        self.endpoint.textChanged.connect(self._changed)
        self.share.toggled.connect(self._changed)
        self._show_id()
        self._changed()
        data_dir = ctx.data_dir
        ctx.jobs.start(lambda _job: describe_remote(settings, data_dir), on_done=self._described)

    # --- state shown ---------------------------------------------------------------------
    def _described(self, info: dict) -> None:
        where = info["token_storage"]
        self.token.setPlaceholderText(
            f"a token is stored ({where}); type to replace it"
            if info["token_set"]
            else "none stored (leave empty if the service needs none)"
        )

    def _show_id(self) -> None:
        self.user_id.setText(self._user_id or "made when you switch it on")

    def _changed(self, *_args) -> None:
        if self.enabled.isChecked() and not self._user_id:
            self._user_id = new_user_id()
            self._show_id()
        problem = self.endpoint_problem()
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem) and self.enabled.isChecked())
        if self.preview.isVisible():
            self.show_preview()

    def endpoint_problem(self) -> str | None:
        text = self.endpoint.text().strip()
        if not text:
            return "Give the service address to switch it on." if self.enabled.isChecked() else None
        try:
            check_endpoint(text)
        except TonearmError as exc:
            return str(exc)
        return None

    def reset_id(self) -> None:
        self._user_id = new_user_id()
        self._show_id()
        self._changed()

    def _forget(self) -> None:
        self._forget_token = True
        self.token.clear()
        self.token.setPlaceholderText("the token will be forgotten on OK")

    def pending_settings(self) -> Settings:
        """A copy of the settings as they will be after OK (the original is untouched)."""
        s = replace(self.ctx.settings)
        s.remote_enabled = self.enabled.isChecked() and self.endpoint_problem() is None
        s.remote_endpoint = self.endpoint.text().strip()
        s.remote_share_history = self.share.isChecked()
        s.remote_user_id = self._user_id
        return s

    # --- "what will be sent" ---------------------------------------------------------------
    def show_preview(self) -> None:
        """Render the request from this dialog's values, in a job (reads the store, token)."""
        self.preview.show()
        if self.endpoint_problem() is not None or not self.endpoint.text().strip():
            self._preview_text("Nothing is sent: give a valid service address to see the request.")
            return
        settings, typed = self.pending_settings(), self.token.text().strip()
        data_dir, forget = self.ctx.data_dir, self._forget_token

        def render(store, _job) -> str:
            token = typed or (None if forget else get_token(data_dir))
            request = build_request(store, settings, token, k=PREVIEW_ITEMS * OVERFETCH)
            return request.preview()

        self.ctx.jobs.start(
            render,
            data_dir=data_dir,
            on_done=self._preview_text,
            on_error=lambda m: self._preview_text(f"Cannot build the request: {m}"),
        )

    def _preview_text(self, text: str) -> None:
        self.preview.setPlainText(text)
        self.previewReady.emit(text)

    # --- OK --------------------------------------------------------------------------------
    def apply(self, settings: Settings) -> None:
        """Write the section into the settings the dialog returns; the token goes to storage."""
        settings.remote_user_id = self._user_id
        set_share_history(settings, self.share.isChecked())
        settings.remote_endpoint = self.endpoint.text().strip()
        if self.enabled.isChecked():
            try:
                enable_remote(settings, settings.remote_endpoint or None)
            except TonearmError as exc:
                disable_remote(settings)
                self.ctx.show_message(f"Remote recommendations stay off: {exc}")
        else:
            disable_remote(settings)
        token, data_dir = self.token.text().strip(), self.ctx.data_dir
        if token or self._forget_token:
            forget = self._forget_token and not token
            self.ctx.jobs.start(
                lambda _job: clear_token(data_dir) if forget else set_token(data_dir, token),
                on_error=lambda m: self.ctx.show_message(f"Could not store the token: {m}"),
            )


def add_remote_section(ctx: ViewContext, dialog: SettingsSections) -> RemoteSection:
    section = RemoteSection(ctx)
    dialog.add_section(section, section.apply)
    return section


def install_remote_settings(ctx: ViewContext) -> None:
    ctx.add_settings_section(lambda dialog: add_remote_section(ctx, dialog))
