"""`tonearm --self-test` reports each step and fails clearly (never crashes) without a model."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.app import self_test
from recommender.app.self_test import FAILED, OK, SKIPPED, SkipStep, Step, run_self_test


def _statuses(results) -> dict[str, str]:
    return {r.name: r.status for r in results}


def test_missing_model_fails_the_model_step_and_skips_what_needs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = self_test.main(["--model", str(tmp_path / "nowhere.onnx")])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED   model" in out and "nowhere.onnx is missing" in out
    assert "skipped  analyze" in out and "skipped  similar" in out
    for step in ("generate", "scan", "history", "recommend", "playlist"):
        assert f"ok       {step}" in out
    assert out.strip().splitlines()[-1].startswith("self-test FAILED (model)")


def test_a_failing_extra_step_is_reported_and_a_skipped_one_is_not_a_failure() -> None:
    def boom(state) -> str:
        raise RuntimeError("bang")

    def not_here(state) -> str:
        raise SkipStep("no Qt")

    lines: list[str] = []
    results = run_self_test(
        model_path=Path("/nonexistent.onnx"),
        extra_steps=[Step("boom", boom), Step("qt", not_here)],
        out=lines.append,
    )
    statuses = _statuses(results)
    assert statuses["boom"] == FAILED and statuses["qt"] == SKIPPED
    assert any("RuntimeError: bang" in line for line in lines)


def test_passes_end_to_end_with_a_model(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from recommender.train.export import export_onnx
    from recommender.train.model import SoundCNN

    torch.manual_seed(0)
    model_path = tmp_path / "sound_cnn.onnx"
    export_onnx(SoundCNN(), model_path, "self-test-1", {})
    lines: list[str] = []
    results = run_self_test(model_path=model_path, out=lines.append)
    assert all(r.status == OK for r in results), "\n".join(lines)
    assert [r.name for r in results] == [s.name for s in self_test.CORE_STEPS]
    assert lines[-1].startswith("self-test passed")
