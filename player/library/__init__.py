"""The library table, its model and the browser beside it."""
