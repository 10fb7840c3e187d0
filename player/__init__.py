"""Tonearm's PySide6 desktop app: thin widgets over the `recommender` core."""
