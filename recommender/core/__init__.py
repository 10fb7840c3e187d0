"""Below everything: errors, progress reporting, the data folder, settings, resource paths."""
