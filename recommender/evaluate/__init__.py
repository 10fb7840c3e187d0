"""Offline evaluations of Tonearm's recommenders (`python -m recommender.evaluate SUBCOMMAND`)."""
