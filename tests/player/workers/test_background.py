"""No Python code on Qt's own threads (issue 17's deadlock), and no late signal after quit."""

from __future__ import annotations

import threading

from PySide6.QtCore import qInstallMessageHandler


def test_no_python_qt_message_handler_is_installed(qtbot):
    """A Python message handler runs on whichever Qt thread warns; an FFmpeg thread then waits
    for the GIL while the GUI thread, holding it, waits in `QMediaPlayer.stop()` for that
    thread (the suite hung there). pytest-qt's capture is off (`--no-qt-log`) for that reason."""
    previous = qInstallMessageHandler(None)
    qInstallMessageHandler(previous)
    assert previous is None


def test_jobs_run_on_python_threads_and_report_on_the_gui_thread(qtbot):
    from player.workers.background import JobRunner

    runner = JobRunner(2, name="test")
    seen: dict[str, object] = {}

    def work(_job):
        seen["worker"] = threading.current_thread()
        return 42

    def done(result):
        seen["result"] = result
        seen["slot"] = threading.current_thread()

    runner.start(work, on_done=done)
    qtbot.waitUntil(lambda: "result" in seen, timeout=5000)
    assert seen["result"] == 42
    assert seen["slot"] is threading.main_thread()
    worker = seen["worker"]
    # A thread Qt started would show up in Python as a _DummyThread.
    assert not isinstance(worker, threading._DummyThread)
    assert worker is not threading.main_thread() and worker.name.startswith("test-")
    assert runner.wait_for_done(5000)


def test_writer_jobs_run_one_at_a_time_in_order(qtbot):
    from player.workers.background import JobRunner

    writer = JobRunner(1, name="writer")
    order: list[int] = []
    for i in range(20):
        writer.start(lambda _job, i=i: order.append(i))
    assert writer.wait_for_done(5000)
    assert order == list(range(20))


def test_a_finished_job_lets_go_of_what_its_function_held(qtbot):
    """A finished job stays referenced (its signals hold their slots, a slot holds the job), so
    it must drop its function: before, every job kept what it captured for the whole session
    (50 jobs that each captured 20 MB held 1 GB)."""
    import gc
    import weakref

    from player.workers.background import JobRunner

    class Payload:
        pass

    runner = JobRunner(1, name="test")
    payload = Payload()
    held = weakref.ref(payload)
    done: list[object] = []
    runner.start(lambda _job, p=payload: type(p).__name__, on_done=done.append)
    del payload
    qtbot.waitUntil(lambda: done == ["Payload"], timeout=5000)
    assert runner.wait_for_done(5000)
    gc.collect()
    assert held() is None


def test_a_job_still_running_at_quit_reports_to_nobody(qtbot, make_window, monkeypatch):
    """Quitting printed `RuntimeError: Signal source has been deleted` when a job outlived the
    window; now the window cancels and detaches its jobs, and a late report goes nowhere."""
    import player.shell.main_window as main_window

    monkeypatch.setattr(main_window, "SHUTDOWN_JOBS_WAIT_MS", 50)
    thread_errors: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: thread_errors.append(args.exc_value))
    window = make_window()
    cancelled, go_on, reported = threading.Event(), threading.Event(), []
    progress_seen: list[object] = []

    def slow(job):
        job.cancel_event.wait(5)
        cancelled.set()
        go_on.wait(5)
        job.report("late")  # after the window shut down
        reported.append(True)
        return "late result"

    job = window.jobs.start(slow, on_progress=progress_seen.append, on_done=progress_seen.append)
    window.close()  # shutdown: cancels, waits 50 ms, detaches
    assert cancelled.wait(5)
    runner = window.jobs
    go_on.set()
    assert runner.threads.wait_for_done(5000)
    assert reported == [True]
    assert thread_errors == []
    qtbot.wait(50)  # let any (wrongly) queued slot run before checking none did
    assert progress_seen == []
    assert job.cancelled()
