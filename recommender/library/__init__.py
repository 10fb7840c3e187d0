"""Files to tracks: walking folders, reading tags, the SQLite store, track fields and queries."""
