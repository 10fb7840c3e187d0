"""What was played: plays and skips, listening stats, imports and exports, the play queue."""
