"""The sound CNN: log-mel patches in, L2-normalised patch embeddings out.

Four conv blocks (3x3 conv, batch norm, ReLU, 2x2 max-pool) take a 64x128 patch down to 4x8;
mean and max pooling over what is left give a 2x160 summary that a linear layer maps to the
embedding. About 62 M multiply-adds and 0.3 M weights per patch: a few milliseconds on one core.
A projection head, used only by the contrastive loss during training, is not exported
(SimCLR found the layer before the head generalises better).
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from recommender.sound.frontend import N_MELS, PATCH_FRAMES

EMBEDDING_DIM = 128
CHANNELS = (24, 48, 96, 160)


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class SoundCNN(nn.Module):
    """Patch encoder: (batch, mels, frames) log-mel to (batch, EMBEDDING_DIM) unit vectors.

    Shapes are fixed by `recommender.sound.frontend`; only the batch size varies.
    """

    centre: torch.Tensor
    spread: torch.Tensor

    def __init__(
        self, embedding_dim: int = EMBEDDING_DIM, channels: tuple[int, ...] = CHANNELS
    ) -> None:
        super().__init__()
        self.input_norm = nn.BatchNorm2d(1)  # learns the log-mel level and spread
        chans = (1, *channels)
        self.blocks = nn.Sequential(*(_block(a, b) for a, b in itertools.pairwise(chans)))
        self.embed = nn.Linear(2 * channels[-1], embedding_dim)
        self.projection = nn.Sequential(
            nn.Linear(embedding_dim, embedding_dim),
            nn.ReLU(inplace=True),
            nn.Linear(embedding_dim, embedding_dim),
        )
        # Per-dimension centre and spread of the unit patch embeddings over the training
        # split's analysis patches, set by `set_standardisation` after training. Standardising
        # before the track mean keeps the dimensions every patch shares (the "all music sounds
        # alike" direction) from outweighing the ones that tell tracks apart, as it does for
        # the teachers (issue 15: musicnn 0.515 -> 0.547).
        self.register_buffer("centre", torch.zeros(embedding_dim))
        self.register_buffer("spread", torch.ones(embedding_dim))
        self.standardised = False

    def features(self, patches: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.input_norm(patches.unsqueeze(1)))
        pooled = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
        return self.embed(pooled)

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        """Unit-length patch embeddings (what ships in the ONNX file), standardised first
        once `set_standardisation` has run."""
        unit = nn.functional.normalize(self.features(patches), dim=1)
        if not self.standardised:
            return unit
        return nn.functional.normalize((unit - self.centre) / self.spread, dim=1)

    def set_standardisation(self, unit_embeddings: torch.Tensor) -> None:
        """Standardise with the centre and spread of these (n, dim) unit patch embeddings."""
        self.centre.copy_(unit_embeddings.mean(dim=0))
        self.spread.copy_(unit_embeddings.std(dim=0).clamp(min=1e-4))
        self.standardised = True

    def project(self, patches: torch.Tensor) -> torch.Tensor:
        """Unit-length projections, the space the contrastive loss works in."""
        return nn.functional.normalize(self.projection(self.features(patches)), dim=1)


def example_input(batch: int = 2, seed: int = 0) -> torch.Tensor:
    """Fixed log-mel-like input for export and parity checks."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, N_MELS, PATCH_FRAMES, generator=generator) * 2.0 - 6.0
