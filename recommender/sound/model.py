"""The shipped sound model at run time: an ONNX patch encoder plus pooling into track vectors."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender.core.errors import ModelError
from recommender.core.resource_paths import resource_path
from recommender.sound.timbre import LOG_EUCLIDEAN, TIMBRE_KINDS, timbre_dim, timbre_vector

# resources/model/sound_cnn.onnx in the checkout, the wheel's package data or the bundle.
MODEL_PATH = resource_path("model", "sound_cnn.onnx")
VERSION_KEY = "model_version"
CHECKSUM_KEY = "tonearm_sha256"
"""sha256 of the model file with this value's own 64 characters read as zeros (see seal_model)."""
CHECKSUM_PLACEHOLDER = "0" * 64
PROOF_SEED = 20261202  # the fixed input every model must turn into finite unit vectors
ENCODER_KEY = "encoder_of"
"""The patch encoder's own version in a model with a head (a head is fitted on an encoder)."""
HEAD_KEY = "track_head"
"""Metadata holding a TrackHead as JSON (sound-cnn-5 on); models without one pool plainly."""


def file_checksum(data: bytes, recorded: str) -> str:
    """The checksum of a model file's bytes, its recorded checksum blanked to zeros."""
    if recorded and recorded != CHECKSUM_PLACEHOLDER:
        data = data.replace(recorded.encode("ascii"), CHECKSUM_PLACEHOLDER.encode("ascii"), 1)
    return hashlib.sha256(data).hexdigest()


def seal_model(path: Path) -> str:
    """Write the checksum into a model whose metadata holds CHECKSUM_KEY = CHECKSUM_PLACEHOLDER.

    The digest has the placeholder's length, so the protobuf stays valid byte for byte and no
    ONNX library is needed to check it at run time."""
    data = Path(path).read_bytes()
    placeholder = CHECKSUM_PLACEHOLDER.encode("ascii")
    if data.count(placeholder) != 1:
        raise ModelError(f"{path} has no single checksum placeholder to fill")
    digest = hashlib.sha256(data).hexdigest()
    Path(path).write_bytes(data.replace(placeholder, digest.encode("ascii")))
    return digest


def shipped_model_version(path: Path = MODEL_PATH) -> str | None:
    """The version recorded in a model file, read from its bytes without onnxruntime (which
    costs seconds to import); None when the file is missing or records none.

    ONNX keeps metadata as protobuf `StringStringEntryProto`s: field 1 the key, field 2 the
    value, each a length-prefixed string (lengths under 128 are one byte)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    key = VERSION_KEY.encode("ascii")
    at = data.find(b"\x0a" + bytes([len(key)]) + key + b"\x12")
    if at < 0:
        return None
    start = at + 2 + len(key) + 2
    length = data[start - 1]
    if length >= 128:
        return None
    return data[start : start + length].decode("utf-8", "replace") or None


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
        self.encoder_of: str = meta.get(ENCODER_KEY, "") or self.version
        self.path = path
        # the soundtracks it learnt from, so an evaluation can say which rows are not held out
        self.trained_on = {n for n in meta.get("trained_on", "").split(",") if n}
        # how many excerpts of a track it pools (models before sound-cnn-4 record none)
        from recommender.sound.frontend import N_EXCERPTS  # analysis loads it anyway

        self.excerpts = _positive_int(meta.get("excerpts"), N_EXCERPTS)
        self.input_name = self.session.get_inputs()[0].name
        self.dim = int(self.session.get_outputs()[0].shape[1])
        self._check_checksum(meta.get(CHECKSUM_KEY, ""))
        self.head = TrackHead.from_metadata(meta.get(HEAD_KEY), self.dim, path)
        self.track_dim = self.dim + (self.head.timbre_dim if self.head else 0)
        self._check_finite_outputs()

    def _check_checksum(self, recorded: str) -> None:
        """Flipped bytes anywhere in the file (weights included) fail here, before any use."""
        if len(recorded) != 64 or recorded == CHECKSUM_PLACEHOLDER:
            raise ModelError(
                f"the sound model {self.path} records no checksum ({CHECKSUM_KEY}); "
                "reinstall Tonearm or export the model again"
            )
        try:
            actual = file_checksum(self.path.read_bytes(), recorded)
        except OSError as exc:
            raise ModelError(f"the sound model {self.path} cannot be read: {exc}") from exc
        if actual != recorded:
            raise ModelError(
                f"the sound model {self.path} is damaged: its checksum does not match "
                "(reinstall Tonearm)"
            )

    def _check_finite_outputs(self) -> None:
        """NaN or infinite weights show on any input: a fixed one must give finite vectors."""
        shape = [d if isinstance(d, int) else 2 for d in self.session.get_inputs()[0].shape]
        probe = np.random.default_rng(PROOF_SEED).normal(size=shape).astype(np.float32)
        out = self.embed_patches(probe)
        if out.shape != (shape[0], self.dim) or not np.isfinite(out).all():
            raise ModelError(
                f"the sound model {self.path} gives invalid (non-finite) outputs; "
                "reinstall Tonearm or train it again"
            )

    def track_patches(self, path: Path) -> np.ndarray:
        """The log-mel patches of the excerpts this model listens to."""
        from recommender.sound import frontend  # scipy and decoders: not for the About box

        return frontend.track_patches(path, n_excerpts=self.excerpts)

    def embed_patches(self, patches: np.ndarray) -> np.ndarray:
        """(n, mels, frames) log-mel patches to (n, dim) unit vectors."""
        out = self.session.run(None, {self.input_name: patches.astype(np.float32, copy=False)})
        return out[0]

    def track_vector(self, patches: np.ndarray, embedded: np.ndarray | None = None) -> np.ndarray:
        """One track's stored vector from its patches (and their embeddings, when a batch
        already computed them): the pooled CNN vector, beside its timbre if the model has a
        head."""
        if embedded is None:
            embedded = self.embed_patches(patches)
        pooled = pool_track(embedded)
        return self.head.combine(pooled, patches) if self.head else pooled


def _positive_int(text: str | None, default: int) -> int:
    try:
        value = int(text) if text else default
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class TrackHead:
    """What turns a pooled CNN vector and the track's patches into the stored vector.

    Each part is standardised with its training split's centre and spread and made unit length,
    then the two are weighted (square roots of ``cnn_weight`` and its complement) and put side
    by side, so the cosine of two tracks is the weighted sum of the parts' cosines and the
    vector stays unit length. The constants travel in the model file, inside its checksum."""

    cnn_centre: np.ndarray
    cnn_spread: np.ndarray
    timbre_centre: np.ndarray
    timbre_spread: np.ndarray
    cnn_weight: float
    timbre: str = LOG_EUCLIDEAN  # how the Gaussian became a vector (heads before sound-cnn-6)

    @property
    def timbre_dim(self) -> int:
        return len(self.timbre_centre)

    def combine(self, pooled: np.ndarray, patches: np.ndarray) -> np.ndarray:
        cnn = _unit((pooled - self.cnn_centre) / self.cnn_spread)
        timbre_part = timbre_vector(patches, self.timbre)
        timbre = _unit((timbre_part - self.timbre_centre) / self.timbre_spread)
        joined = np.concatenate(
            [cnn * np.sqrt(self.cnn_weight), timbre * np.sqrt(1.0 - self.cnn_weight)]
        )
        return joined.astype(np.float32)

    def to_json(self) -> str:
        return json.dumps(
            {
                "cnn_centre": self.cnn_centre.tolist(),
                "cnn_spread": self.cnn_spread.tolist(),
                "timbre_centre": self.timbre_centre.tolist(),
                "timbre_spread": self.timbre_spread.tolist(),
                "cnn_weight": self.cnn_weight,
                "timbre": self.timbre,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_metadata(cls, text: str | None, dim: int, path: Path) -> TrackHead | None:
        """None for a model without a head; ModelError for one whose head cannot be used."""
        if not text:
            return None
        try:
            raw = json.loads(text)
            arrays = [np.asarray(raw[k], dtype=np.float64).ravel() for k in _HEAD_ARRAYS]
            # heads before sound-cnn-6 record no timbre: theirs is the log-Euclidean one
            kind = raw.get("timbre", LOG_EUCLIDEAN)
            if kind not in TIMBRE_KINDS:
                raise ValueError(f"unknown timbre {kind!r}")
            head = cls(arrays[0], arrays[1], arrays[2], arrays[3], float(raw["cnn_weight"]), kind)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelError(f"the sound model {path} has a damaged track head: {exc}") from exc
        shapes = [len(a) for a in arrays]
        if (
            shapes != [dim, dim, timbre_dim(kind), timbre_dim(kind)]
            or not all(np.isfinite(a).all() for a in arrays)
            or (head.cnn_spread <= 0).any()
            or (head.timbre_spread <= 0).any()
            or not 0.0 < head.cnn_weight <= 1.0
        ):
            raise ModelError(f"the sound model {path} has a damaged track head")
        return head


_HEAD_ARRAYS = ("cnn_centre", "cnn_spread", "timbre_centre", "timbre_spread")


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def pool_track(patch_embeddings: np.ndarray) -> np.ndarray:
    """A track's vector: the renormalised mean of its patch embeddings."""
    mean = patch_embeddings.mean(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


def is_storable(vector: np.ndarray) -> bool:
    """Only finite, non-zero vectors are ever stored: one NaN poisons every similarity."""
    return bool(np.isfinite(vector).all()) and float(np.abs(vector).sum()) > 0
