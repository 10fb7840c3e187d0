"""The Playlists tab and its dialogs."""
