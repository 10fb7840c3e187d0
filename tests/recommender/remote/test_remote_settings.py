"""Remote settings without Qt: the token's storage, the pseudonymous id, the switch."""

from __future__ import annotations

import os
import stat

import pytest

from recommender.core.errors import UsageError
from recommender.core.settings import Settings
from recommender.remote.settings import (
    TOKEN_FILE,
    clear_token,
    disable_remote,
    enable_remote,
    get_token,
    reset_user_id,
    set_token,
)


@pytest.fixture(autouse=True)
def no_keyring(monkeypatch):
    """Tests use the file fallback even where a keyring backend exists."""
    monkeypatch.setattr("recommender.remote.settings._keyring", lambda: None)


def test_remote_is_off_by_default_and_token_stays_out_of_settings(tmp_path):
    settings = Settings.load(tmp_path)
    assert not settings.remote_enabled and not settings.remote_share_history
    enable_remote(settings, "https://rec.example/api/")
    set_token(tmp_path, "s3cret")
    settings.save(tmp_path)
    assert settings.remote_endpoint == "https://rec.example/api"
    assert "s3cret" not in (tmp_path / "settings.json").read_text()


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_token_file_is_readable_only_by_the_user(tmp_path):
    set_token(tmp_path, "s3cret")
    mode = stat.S_IMODE((tmp_path / TOKEN_FILE).stat().st_mode)
    assert mode == 0o600
    assert get_token(tmp_path) == "s3cret"


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_token_file_others_can_read_is_not_used(tmp_path):
    set_token(tmp_path, "s3cret")
    os.chmod(tmp_path / TOKEN_FILE, 0o644)
    assert get_token(tmp_path) is None


def test_clear_token_forgets_it(tmp_path):
    set_token(tmp_path, "s3cret")
    clear_token(tmp_path)
    assert get_token(tmp_path) is None


@pytest.mark.parametrize("token", ["", "two words", "bad\x00"])
def test_bad_tokens_are_refused(tmp_path, token):
    with pytest.raises(UsageError):
        set_token(tmp_path, token)


def test_reset_id_gives_a_fresh_random_id():
    settings = Settings()
    enable_remote(settings, "https://rec.example")
    first = settings.remote_user_id
    second = reset_user_id(settings)
    assert first != second and len(second) == 32 and int(second, 16) >= 0


def test_enable_needs_an_endpoint_and_disable_turns_off():
    settings = Settings()
    with pytest.raises(UsageError):
        enable_remote(settings)
    enable_remote(settings, "https://rec.example")
    disable_remote(settings)
    assert not settings.remote_enabled


def test_token_goes_to_the_keyring_when_there_is_one(tmp_path, monkeypatch):
    saved: dict[tuple[str, str], str] = {}

    class FakeKeyring:
        def set_password(self, service, user, value):
            saved[(service, user)] = value

        def get_password(self, service, user):
            return saved.get((service, user))

        def delete_password(self, service, user):
            saved.pop((service, user), None)

    monkeypatch.setattr("recommender.remote.settings._keyring", lambda: FakeKeyring())
    (tmp_path / TOKEN_FILE).write_text("old")
    assert set_token(tmp_path, "s3cret") == "system keyring"
    assert not (tmp_path / TOKEN_FILE).exists()  # no stale copy left in a file
    assert get_token(tmp_path) == "s3cret"
    clear_token(tmp_path)
    assert saved == {} and get_token(tmp_path) is None
