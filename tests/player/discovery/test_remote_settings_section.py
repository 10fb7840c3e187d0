"""Settings → Remote recommendations: off by default, and the preview is what gets sent."""

from __future__ import annotations

from player.discovery.for_you_view import install_for_you
from player.discovery.remote_section import RemoteSection, install_remote_settings
from recommender.core.settings import Settings
from tests.player.discovery_library import make_discovery_library
from tests.recommender.remote_fakes import FakeServer, respond, valid_answer


def _section(window) -> tuple:
    dialog = window.open_settings()
    return dialog, dialog.findChild(RemoteSection)


def test_remote_is_off_by_default_and_nothing_is_sent(qtbot, make_window, store):
    make_discovery_library(store, embeddings=False)
    server = FakeServer(respond(200, valid_answer()))
    try:
        window = make_window()
        install_remote_settings(window.context)
        for_you = install_for_you(window.context)
        dialog, section = _section(window)
        assert not section.enabled.isChecked() and not section.share.isChecked()
        section.endpoint.setText(server.url)  # an address alone does not switch it on
        dialog.accept()
        assert not window.settings.remote_enabled
        assert Settings.load(window.data_dir).remote_enabled is False
        with qtbot.waitSignal(for_you.refreshed, timeout=20_000) as shown:
            window.show_view(for_you)
        assert shown.args[0].source == "local" and server.requests == []
    finally:
        server.stop()


def test_preview_is_exactly_the_request_the_client_sends(qtbot, make_window, store):
    make_discovery_library(store)
    server = FakeServer(respond(200, valid_answer()))
    try:
        window = make_window()
        install_remote_settings(window.context)
        for_you = install_for_you(window.context)
        dialog, section = _section(window)
        section.enabled.setChecked(True)
        section.endpoint.setText(server.url)
        section.share.setChecked(True)
        with qtbot.waitSignal(section.previewReady, timeout=10_000) as ready:
            section.preview_button.click()
        preview = ready.args[0]
        assert preview.startswith("POST /music/recommend HTTP/1.1")
        assert '"recent":[' in preview
        assert section.preview.toPlainText() == preview.replace("\r\n", "\n")  # Qt shows \n
        dialog.accept()
        assert window.settings.remote_enabled and window.settings.remote_share_history
        assert window.settings.remote_endpoint == server.url
        with qtbot.waitSignal(for_you.refreshed, timeout=20_000):
            window.show_view(for_you)
        assert len(server.requests) == 1
        assert server.requests[0] == preview.encode()
    finally:
        server.stop()


def test_reset_id_and_a_bad_address(qtbot, make_window, store):
    window = make_window()
    install_remote_settings(window.context)
    window.settings.remote_user_id = "0" * 32
    dialog, section = _section(window)
    section.reset_id()
    assert section.user_id.text() != "0" * 32 and len(section.user_id.text()) == 32
    section.enabled.setChecked(True)
    section.endpoint.setText("http://example.org/api")
    assert "refusing plain http://" in section.problem.text()
    dialog.accept()
    assert not window.settings.remote_enabled  # stays off rather than sending unencrypted
    assert window.settings.remote_user_id == section.user_id.text()
