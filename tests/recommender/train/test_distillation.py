"""Distillation from the teacher's outputs: crops line up with teacher windows, the loss pulls
the student's neighbours toward the teacher's."""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from recommender.sound import frontend  # noqa: E402
from recommender.train.contrastive import teacher_kl  # noqa: E402
from recommender.train.dataset import TrainingSet, attach_teacher, sample_pairs  # noqa: E402


def _unit(x: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.normalize(x, dim=1)


def test_kl_is_zero_when_the_student_sees_what_the_teacher_sees() -> None:
    teacher = _unit(torch.randn(16, 8, generator=torch.Generator().manual_seed(0)))
    same = teacher_kl(teacher, teacher, 0.1, 0.1)
    shuffled = teacher_kl(teacher[torch.randperm(16)], teacher, 0.1, 0.1)
    assert same.item() == pytest.approx(0.0, abs=1e-6)
    assert shuffled.item() > 0.1


def test_training_on_kl_gives_the_student_the_teachers_nearest_neighbours() -> None:
    generator = torch.Generator().manual_seed(1)
    teacher = _unit(torch.randn(24, 32, generator=generator))  # wider than the student
    student = torch.randn(24, 6, generator=generator, requires_grad=True)
    optimiser = torch.optim.Adam([student], lr=0.05)

    def nearest(z: torch.Tensor) -> torch.Tensor:
        sims = z @ z.T
        sims.fill_diagonal_(-2)
        return sims.argmax(dim=1)

    before = (nearest(_unit(student.detach())) == nearest(teacher)).float().mean()
    for _ in range(300):
        loss = teacher_kl(_unit(student), teacher, 0.1, 0.1)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    after = (nearest(_unit(student.detach())) == nearest(teacher)).float().mean()
    assert after >= 0.8 > before


def _training_set(frames: list[int]) -> TrainingSet:
    mels = [np.full((frontend.N_MELS, n), i, dtype=np.float16) for i, n in enumerate(frames)]
    # Mark each frame with its index so a crop's start can be read back from its content.
    for mel in mels:
        mel[0, :] = np.arange(mel.shape[1])
    paths = [f"unpacked/pkg/track{i}.ogg" for i in range(len(frames))]
    return TrainingSet(mels, [0] * len(frames), ["pkg"], paths)


def _teacher_npz(tmp_path: Path, data: TrainingSet, windows: list[int]) -> Path:
    rng = np.random.default_rng(0)
    arrays: dict[str, np.ndarray] = {"paths": np.array(data.paths[::-1])}  # order may differ
    for i, n in enumerate(windows[::-1]):
        arrays[f"t{i}"] = np.arange(n) * 3.0
        arrays[f"penultimate{i}"] = (rng.normal(size=(n, 12)) * 50 + 7).astype(np.float16)
    path = tmp_path / "teacher.npz"
    np.savez(path, **arrays)
    return path


def test_crops_start_where_teacher_windows_start(tmp_path: Path) -> None:
    data = _training_set([1100, 400])
    # 400 frames hold crops starting up to frame 272: windows at 0, 3 and 6 s fit, 9 s does not.
    attach_teacher(data, [_teacher_npz(tmp_path, data, [8, 4])], "penultimate")
    assert [len(s) for s in data.teacher_starts] == [8, 3]
    frames_per_window = 3.0 * frontend.SAMPLE_RATE_HZ / frontend.HOP
    first = set(np.round(np.arange(8) * frames_per_window).astype(int))
    allowed = [first, set(data.teacher_starts[1])]

    batch = sample_pairs(data, 2, np.random.default_rng(3))
    assert batch.teacher_a.shape == (2, 12) and batch.teacher_b.shape == (2, 12)
    np.testing.assert_allclose(np.linalg.norm(batch.teacher_a, axis=1), 1.0, atol=1e-5)
    for crops in (batch.a, batch.b):
        for crop in crops:
            track = int(crop[1, 0])
            assert int(crop[0, 0]) in allowed[track]


def test_track_targets_are_one_pooled_vector_per_track_window_targets_are_not(
    tmp_path: Path,
) -> None:
    data = _training_set([1100, 1100])
    teacher = _teacher_npz(tmp_path, data, [6, 6])
    attach_teacher(data, [teacher], "penultimate", target="track")
    for targets in data.teacher_targets:
        np.testing.assert_allclose(targets, np.broadcast_to(targets[0], targets.shape))
    attach_teacher(data, [teacher], "penultimate", target="window")
    assert not np.allclose(data.teacher_targets[0], data.teacher_targets[0][0])


def test_a_teacher_file_missing_a_track_is_a_clear_error(tmp_path: Path) -> None:
    data = _training_set([1000, 1000])
    teacher = _teacher_npz(tmp_path, _training_set([1000]), [5])
    with pytest.raises(ValueError, match=r"no teacher outputs for unpacked/pkg/track1\.ogg"):
        attach_teacher(data, [teacher], "penultimate")


def test_without_a_teacher_batches_carry_no_targets() -> None:
    batch = sample_pairs(_training_set([600, 600, 600]), 3, np.random.default_rng(0))
    assert batch.a.shape == (3, frontend.N_MELS, frontend.PATCH_FRAMES)
    assert batch.teacher_a is None and batch.teacher_b is None


def test_skipping_partners_leaves_out_how_close_a_crop_is_to_its_own_track() -> None:
    # Crops [a1, b1, a2, b2]: two crops of tracks A and B, the teacher's whole-track targets.
    e1, e2 = torch.eye(3)[0], torch.eye(3)[1]
    targets = torch.stack([e1, e2, e1, e2])
    # The student puts B's crops as the teacher does but A's two crops on opposite sides.
    student = torch.stack([e1, e2, -e1, e2])
    assert teacher_kl(student, targets, 0.1, 0.1, skip_partners=True).item() == pytest.approx(
        0.0, abs=1e-6
    )
    assert teacher_kl(student, targets, 0.1, 0.1).item() > 1.0


def test_track_targets_let_crops_start_anywhere_with_the_tracks_own_vector() -> None:
    from recommender.train.dataset import attach_track_targets

    data = _training_set([1100, 400])
    cache = Path("/cache")
    vectors = {str(cache / p): np.eye(5)[i] for i, p in enumerate(data.paths)}
    attach_track_targets(data, vectors, cache)
    starts = set()
    for seed in range(40):
        batch = sample_pairs(data, 2, np.random.default_rng(seed))
        for crops, targets in ((batch.a, batch.teacher_a), (batch.b, batch.teacher_b)):
            for crop, target in zip(crops, targets, strict=True):
                track = int(crop[1, 0])  # _training_set fills a track's mel with its index
                np.testing.assert_array_equal(target, np.eye(5)[track])
                if track == 0:
                    starts.add(int(crop[0, 0]))
    assert len(starts) > 30  # not tied to a handful of teacher windows
    with pytest.raises(ValueError, match="no teacher outputs"):
        attach_track_targets(data, {}, cache)
