"""Playing audio: decks, play order, the now-playing bar, the queue panel."""
