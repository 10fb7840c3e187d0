"""The analysis status line: embedding counts, a bar while analysis runs, a note without model.

No main window: the analysis job's start and end are announced on a fake context's events."""

from __future__ import annotations

from player.library.analysis_status import AnalysisStatus
from player.workers.background import Job
from player.workers.events import JobFailed
from recommender.core.progress import Progress
from recommender.sound import model as sound_model
from tests.player.discovery_library import add_album_embeddings, make_discovery_library, track_ids


def test_counts_progress_and_the_missing_model_note(qtbot, make_app, store, monkeypatch, tmp_path):
    monkeypatch.setattr(sound_model, "MODEL_PATH", tmp_path / "no-model.onnx")
    make_discovery_library(store, n_tracks=48, embeddings=False, history=False)
    app = make_app()
    status = AnalysisStatus(app.ctx)
    qtbot.addWidget(status)
    with qtbot.waitSignal(status.coverageChanged, timeout=5000) as counted:
        status.refresh()
    assert counted.args[0].embedded == 0
    assert "not available yet" in status.label.text()
    assert "model is not installed" in status.label.text()

    job = Job(lambda _job: None)  # stands in for the window's analysis job
    app.ctx.events.analysis_started(job)
    job.signals.progress.emit(Progress(12, 48, "analysing"))
    assert status.bar.isVisibleTo(status)
    assert (status.bar.value(), status.bar.maximum()) == (12, 48)
    add_album_embeddings(store, track_ids(store)[:12])
    with qtbot.waitSignal(status.coverageChanged, timeout=5000):
        app.ctx.events.analysis_finished(JobFailed("the sound model is missing"))
    assert not status.bar.isVisibleTo(status)
    assert status.label.text().startswith("12 of 48 tracks have sound embeddings")
