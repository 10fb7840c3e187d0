"""onnxruntime must reproduce PyTorch's sound CNN, so training and analysis agree."""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from recommender.sound.model import SoundModel  # noqa: E402
from recommender.train.export import export_onnx, max_parity_error  # noqa: E402
from recommender.train.model import SoundCNN, example_input  # noqa: E402


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[SoundCNN, Path]:
    torch.manual_seed(0)
    model = SoundCNN()
    # A few training steps so batch-norm statistics are not the identity.
    model.train()
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        loss = model.project(example_input(8, seed=2)).sum()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    path = tmp_path_factory.mktemp("model") / "sound_cnn.onnx"
    export_onnx(model, path, "test-1", {})
    return model, path


def test_onnxruntime_matches_pytorch_within_1e4(exported: tuple[SoundCNN, Path]) -> None:
    model, path = exported
    assert max_parity_error(model, path) < 1e-4


def test_onnx_runs_with_other_batch_sizes_and_records_version(
    exported: tuple[SoundCNN, Path],
) -> None:
    model, path = exported
    runtime = SoundModel(path)
    assert runtime.version == "test-1"
    x = example_input(5, seed=3)
    with torch.no_grad():
        expected = model(x).numpy()
    got = runtime.embed_patches(x.numpy())
    assert got.shape == (5, runtime.dim)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


SHIPPED = Path(__file__).resolve().parents[3] / "resources" / "model" / "sound_cnn.onnx"


@pytest.mark.skipif(not SHIPPED.exists(), reason="no shipped model yet")
def test_shipped_model_loads_and_gives_unit_vectors() -> None:
    runtime = SoundModel(SHIPPED)
    assert runtime.version
    out = runtime.embed_patches(example_input(3).numpy())
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert SHIPPED.stat().st_size <= 10 * 1024 * 1024


def test_standardisation_ships_inside_the_onnx_file(tmp_path: Path) -> None:
    """The training split's centre and spread travel in the exported graph: onnxruntime gives
    the standardised unit vectors, not the raw ones, so analysis needs no extra statistics."""
    torch.manual_seed(1)
    model = SoundCNN(channels=(8, 8, 16, 16))
    model.eval()
    x = example_input(6, seed=4)
    with torch.no_grad():
        raw = model(x)
        model.set_standardisation(model(example_input(32, seed=5)))
        standardised = model(x)
    assert (raw - standardised).abs().max() > 1e-2
    path = tmp_path / "standardised.onnx"
    export_onnx(model, path, "test-std", {})
    got = SoundModel(path).embed_patches(x.numpy())
    np.testing.assert_allclose(got, standardised.numpy(), atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_a_model_says_how_many_excerpts_of_a_track_it_pools(tmp_path: Path) -> None:
    """Analysis hears as many excerpts as the model was chosen with; older models said none."""
    import soundfile as sf

    t = np.arange(16000 * 40) / 16000
    song = tmp_path / "song.flac"
    sf.write(song, (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 16000)
    model = SoundCNN(channels=(8, 8, 16, 16))
    twelve, old = tmp_path / "twelve.onnx", tmp_path / "old.onnx"
    export_onnx(model, twelve, "test-12", {"excerpts": "12"})
    export_onnx(model, old, "test-old", {})
    assert SoundModel(twelve).track_patches(song).shape[0] == 12
    assert SoundModel(old).track_patches(song).shape[0] == 6
