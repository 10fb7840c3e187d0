"""Orchestration over every layer: library updates, opening files, the self-test, desktop files."""
