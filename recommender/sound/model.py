"""The shipped sound model at run time: an ONNX patch encoder plus pooling into track vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recommender.core.errors import ModelError
from recommender.core.resource_paths import resource_path

# resources/model/sound_cnn.onnx in the checkout, the wheel's package data or the bundle.
MODEL_PATH = resource_path("model", "sound_cnn.onnx")
VERSION_KEY = "model_version"


class SoundModel:
    """onnxruntime session over the patch encoder; one per process, with its own thread count."""

    def __init__(self, path: Path = MODEL_PATH, threads: int = 1) -> None:
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise ModelError(
                f"the sound model {path} is missing; reinstall Tonearm or train one with "
                "`python -m recommender.train` (see docs)"
            )
        options = ort.SessionOptions()
        # Parallelism comes from one process per core; threads inside would oversubscribe.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        try:
            self.session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelError(f"the sound model {path} cannot be loaded: {exc}") from exc
        meta = self.session.get_modelmeta().custom_metadata_map
        self.version: str = meta.get(VERSION_KEY, "")
        if not self.version:
            raise ModelError(f"the sound model {path} does not record its version")
        self.path = path
        self.input_name = self.session.get_inputs()[0].name
        self.dim = int(self.session.get_outputs()[0].shape[1])

    def embed_patches(self, patches: np.ndarray) -> np.ndarray:
        """(n, mels, frames) log-mel patches to (n, dim) unit vectors."""
        out = self.session.run(None, {self.input_name: patches.astype(np.float32, copy=False)})
        return out[0]


def pool_track(patch_embeddings: np.ndarray) -> np.ndarray:
    """A track's vector: the renormalised mean of its patch embeddings."""
    mean = patch_embeddings.mean(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
