"""Tonearm's PySide6 desktop app: thin widgets over the `recommender` core."""

from player.shell.none_refcount import protect_none

# Before any Qt call: shiboken6 6.12 on Python 3.11 leaks references to None (see the module).
protect_none()
