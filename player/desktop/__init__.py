"""Desktop integration: MPRIS and the tray icon."""
