"""Export the trained patch encoder to ONNX with its version and front-end settings recorded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch

from recommender.sound import frontend
from recommender.sound.model import CHECKSUM_KEY, CHECKSUM_PLACEHOLDER, VERSION_KEY
from recommender.train.head import save_sealed
from recommender.train.model import SoundCNN, example_input

OPSET = 17


def export_onnx(model: SoundCNN, path: Path, version: str, extra: dict[str, str]) -> None:
    """Write ``model`` (eval mode, dynamic batch) to ``path`` with metadata_props."""
    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        (example_input(),),
        str(path),
        input_names=["log_mel"],
        output_names=["embedding"],
        dynamic_axes={"log_mel": {0: "batch"}, "embedding": {0: "batch"}},
        opset_version=OPSET,
        dynamo=False,
    )
    proto = onnx.load(str(path))
    props = {
        VERSION_KEY: version,
        "sample_rate_hz": str(frontend.SAMPLE_RATE_HZ),
        "n_fft": str(frontend.N_FFT),
        "hop": str(frontend.HOP),
        "n_mels": str(frontend.N_MELS),
        "patch_frames": str(frontend.PATCH_FRAMES),
        **extra,
        CHECKSUM_KEY: CHECKSUM_PLACEHOLDER,  # filled in by seal_model once the file is written
    }
    proto.producer_name = "tonearm"
    save_sealed(proto, props, path)


def max_parity_error(model: SoundCNN, path: Path, batch: int = 4) -> float:
    """Largest absolute difference between PyTorch and onnxruntime on a fixed input."""
    import onnxruntime as ort

    model.eval()
    x = example_input(batch, seed=1)
    with torch.no_grad():
        expected = model(x).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"log_mel": x.numpy()})[0]
    return float(np.abs(expected - got).max())
