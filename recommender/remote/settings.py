"""The remote service's settings, without Qt: switch, endpoint, token, history sharing, user id.

The GUI's settings section and the `tonearm remote` commands both call these functions, so the
rules (off by default, https only except to loopback, token kept out of settings.json) hold in
one place. The token goes to the system keyring when the optional `keyring` package has a real
backend, else to a file in the data folder readable only by the user (mode 0600).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from recommender.core.errors import UsageError
from recommender.core.settings import Settings

TOKEN_FILE = "remote-token"
KEYRING_SERVICE = "tonearm-remote"
KEYRING_USER = "token"
log = logging.getLogger(__name__)


def new_user_id() -> str:
    """A random pseudonymous id (128 bits, hex): no name, account, machine or network in it."""
    return uuid.uuid4().hex


def is_loopback_host(host: str | None) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: the only hosts plain http:// may reach."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str) -> str:
    """Return the endpoint without a trailing slash, or raise UsageError saying what is wrong."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(f'"{url}" is not a service address; give one like https://host/path')
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise UsageError(
            f"refusing plain http:// to {parts.hostname}: it would send your data unencrypted; "
            "use https:// (plain http is allowed only to this computer, e.g. http://127.0.0.1)"
        )
    if parts.username or parts.password:
        raise UsageError("put the token in the token setting, not in the address")
    if parts.query or parts.fragment:
        raise UsageError("the service address cannot have a ?query or #fragment")
    return url.rstrip("/")


def enable_remote(settings: Settings, endpoint: str | None = None) -> None:
    """Turn the service on (needs an endpoint); makes the pseudonymous id if there is none."""
    if endpoint is not None:
        settings.remote_endpoint = check_endpoint(endpoint)
    if not settings.remote_endpoint:
        raise UsageError("set the service address first (tonearm remote enable --endpoint URL)")
    settings.remote_endpoint = check_endpoint(settings.remote_endpoint)
    if not settings.remote_user_id:
        settings.remote_user_id = new_user_id()
    settings.remote_enabled = True


def disable_remote(settings: Settings) -> None:
    """Turn the service off: nothing is sent anywhere while it is off."""
    settings.remote_enabled = False


def set_share_history(settings: Settings, share: bool) -> None:
    """Allow or stop sending recent listens (with their times) along with the seeds."""
    settings.remote_share_history = bool(share)


def reset_user_id(settings: Settings) -> str:
    """Start over as a stranger to the service: a fresh random id."""
    settings.remote_user_id = new_user_id()
    return settings.remote_user_id


def describe_remote(settings: Settings, data_dir: Path) -> dict[str, object]:
    """The remote settings as plain data, for the settings page and `tonearm remote status`."""
    return {
        "enabled": settings.remote_enabled,
        "endpoint": settings.remote_endpoint or None,
        "share_history": settings.remote_share_history,
        "user_id": settings.remote_user_id or None,
        "token_set": get_token(data_dir) is not None,
        "token_storage": token_storage(data_dir),
    }


# --- the token ---------------------------------------------------------------------------------


def _keyring():
    """The keyring module when installed and backed by a real store, else None."""
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # not installed, or a broken backend raising at import
        return None
    try:
        if isinstance(keyring.get_keyring(), fail.Keyring):
            return None
    except Exception as exc:
        log.info("system keyring unavailable: %s", exc)
        return None
    return keyring


def token_storage(data_dir: Path) -> str:
    """Where the token lives, in words, for the settings page and `tonearm remote status`."""
    if _keyring() is not None:
        return "system keyring"
    return f"file {data_dir / TOKEN_FILE} (readable only by you)"


def set_token(data_dir: Path, token: str) -> str:
    """Store the bearer token; returns where it went."""
    token = token.strip()
    if not token or any(ch.isspace() for ch in token) or not token.isprintable():
        raise UsageError("the token must be one word of printable characters")
    ring = _keyring()
    if ring is not None:
        try:
            ring.set_password(KEYRING_SERVICE, KEYRING_USER, token)
            _remove_token_file(data_dir)
            return "system keyring"
        except Exception as exc:
            log.warning("could not use the system keyring (%s); using a private file", exc)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / TOKEN_FILE
    tmp = path.with_name(f".{TOKEN_FILE}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    # O_EXCL + mode 0600 at creation: the token is never readable by others, not even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token)
    os.replace(tmp, path)
    return f"file {path}"


def get_token(data_dir: Path) -> str | None:
    """The stored token, or None. A token file others can read is refused, not used."""
    ring = _keyring()
    if ring is not None:
        try:
            value = ring.get_password(KEYRING_SERVICE, KEYRING_USER)
        except Exception as exc:
            log.warning("could not read the system keyring: %s", exc)
            value = None
        if value:
            return value
    path = data_dir / TOKEN_FILE
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if os.name == "posix" and mode & 0o077:
        log.warning(
            "ignoring %s: other users can read it (chmod 600 it or set the token again)", path
        )
        return None
    return path.read_text(encoding="utf-8").strip() or None


def clear_token(data_dir: Path) -> None:
    """Forget the token everywhere it may be stored."""
    ring = _keyring()
    if ring is not None:
        with contextlib.suppress(Exception):
            ring.delete_password(KEYRING_SERVICE, KEYRING_USER)
    _remove_token_file(data_dir)


def _remove_token_file(data_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (data_dir / TOKEN_FILE).unlink()
