"""Small widgets and formatting every view shares."""
