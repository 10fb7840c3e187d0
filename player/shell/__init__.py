"""The app's frame: start-up, the launcher, the main window, feature installers, one instance."""
