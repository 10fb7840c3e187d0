"""The settings dialogs."""
