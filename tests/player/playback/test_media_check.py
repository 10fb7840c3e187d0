"""The self-test's Qt step plays a generated file offscreen."""

from __future__ import annotations

from pathlib import Path

from player.playback.media_check import check_playback
from recommender.app.self_test import SelfTestState, step_generate


def test_playback_step_loads_and_plays_a_generated_file(tmp_path: Path, qapp) -> None:
    state = SelfTestState(tmp_path, None)
    step_generate(state)
    detail = check_playback(state)
    assert "loaded" in detail and "played" in detail
