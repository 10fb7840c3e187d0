"""The reference recommendation server (`tonearm serve`): item-item CF over many users' listens.

Needs the `server` extra (FastAPI + uvicorn); the rest of Tonearm never imports this package.
"""
