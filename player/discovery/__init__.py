"""For you, mixes, More like this, radio, flow playlists and the sound map."""
