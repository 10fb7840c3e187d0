"""Tonearm's headless core: library store, indexing, analysis and recommendations."""

import os

__version__ = "0.1.0"

# onnxruntime's official builds (1.32 on Linux) carry Microsoft's 1DS telemetry: on import they
# create ~/.cache/Microsoft/DeveloperTools/.onnxruntime/{deviceid,onnxruntime.db} and a session
# looks up mobile.events.data.microsoft.com. The variable is read once, when onnxruntime starts,
# so it must be in the environment before anything imports it; every entry point (CLI, app,
# server, bundle, spawned workers) imports this package first. Forced, never defaulted: nothing
# leaves the machine unless the user turns the remote service on. tests/.../test_privacy.py
# traces every network call and file write to prove it.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
