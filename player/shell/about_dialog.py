"""Help → About: the version, the sound model, where Tonearm keeps its files, the licence.

What it shows is read in a job (`about_facts`): the model file and the library's embeddings
are on disk, and the GUI thread never waits on the disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout

from player.widgets.headings import VIEW_TITLE_SCALE, heading_label
from recommender import __version__
from recommender.core.datadir import cache_dir, config_dir
from recommender.library.store import Store

LICENCE_NAME = "GNU General Public License, version 3 or later (GPL-3.0-or-later)"
CHECKOUT_LICENSE = Path(__file__).resolve().parents[2] / "LICENSE"


@dataclass(frozen=True)
class AboutFacts:
    version: str
    model_version: str | None  # the shipped model file's
    library_model_version: str | None  # the model most of the library was analysed with
    folders: list[tuple[str, Path]]  # (what, where), only folders that exist
    licence_file: Path | None


def licence_file() -> Path | None:
    """LICENSE in a checkout, or the copy an installed wheel carries in its metadata."""
    if CHECKOUT_LICENSE.is_file():
        return CHECKOUT_LICENSE
    from importlib import metadata

    try:
        dist = metadata.distribution("tonearm")
    except metadata.PackageNotFoundError:
        return None
    for file in dist.files or []:
        if file.name == "LICENSE":
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    return None


def about_facts(store: Store, data_dir: Path) -> AboutFacts:
    """In a job: everything the dialog shows."""
    from recommender.sound.embeddings import current_model_version
    from recommender.sound.model import shipped_model_version

    folders = [("Library and data", data_dir)]
    for what, folder in (("Settings", config_dir(data_dir)), ("Caches", cache_dir(data_dir))):
        if folder.is_dir() and folder != data_dir:
            folders.append((what, folder))
    return AboutFacts(
        __version__,
        shipped_model_version(),
        current_model_version(store),
        folders,
        licence_file(),
    )


def _link(path: Path) -> str:
    url = QUrl.fromLocalFile(str(path)).toString()
    text = str(path).replace("&", "&amp;").replace("<", "&lt;")
    return f'<a href="{url}">{text}</a>'


class AboutDialog(QDialog):
    """Filled in by `show_facts` when the job is done; folders and the licence open on click."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Tonearm")
        self.facts: AboutFacts | None = None
        title = heading_label(f"Tonearm {__version__}", VIEW_TITLE_SCALE)
        blurb = QLabel(
            "A music player with a private recommender: everything it learns stays on this "
            "computer unless you turn the remote service on."
        )
        blurb.setWordWrap(True)
        self.form = QFormLayout()
        self.model_label = QLabel("Reading…")
        self.form.addRow("Sound model:", self.model_label)
        self.licence_label = self._value(LICENCE_NAME)
        self.form.addRow("Licence:", self.licence_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(blurb)
        layout.addLayout(self.form)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def _value(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setOpenExternalLinks(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        return label

    def show_facts(self, facts: AboutFacts) -> None:
        self.facts = facts
        model = facts.model_version or "not installed"
        if facts.library_model_version and facts.library_model_version != facts.model_version:
            model += f" (your library was analysed with {facts.library_model_version})"
        self.model_label.setText(model)
        for what, folder in facts.folders:  # above the licence
            self.form.insertRow(self.form.rowCount() - 1, f"{what}:", self._value(_link(folder)))
        licence = LICENCE_NAME
        if facts.licence_file is not None:
            licence += f"<br>{_link(facts.licence_file)}"
        self.licence_label.setText(licence)
