"""Saved and smart playlists, and playlist files (M3U, XSPF)."""
