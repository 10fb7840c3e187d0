"""User-facing errors: each carries a message a person understands.

The CLI turns them into a message on stderr and an exit code; the GUI into a status-bar note.
"""


class TonearmError(Exception):
    """Base of every error Tonearm reports to a person."""

    exit_code = 1


class UsageError(TonearmError):
    """The user asked for something that cannot be done as asked."""

    exit_code = 2


class StoreError(TonearmError):
    """The library database cannot be opened or written (locked, damaged, read-only)."""

    exit_code = 3


class NotFoundError(TonearmError):
    """A track, playlist or file the user named does not exist."""

    exit_code = 4


class ModelError(TonearmError):
    """The embedding model is missing or unusable."""

    exit_code = 5


class RemoteError(TonearmError):
    """The remote recommendation service failed; callers fall back to the local engine."""

    exit_code = 6
