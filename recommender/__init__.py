"""Tonearm's headless core: library store, indexing, analysis and recommendations."""

__version__ = "0.1.0"
