"""Background work off the GUI thread."""
