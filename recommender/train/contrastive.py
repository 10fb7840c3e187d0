"""Contrastive losses and log-mel augmentations for self-supervised training."""

from __future__ import annotations

import torch
from torch import nn


def augment(patches: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random gain, spectral tilt and SpecAugment-style masks on (batch, mels, frames) log-mel.

    Gain and tilt make the embedding care less about mastering level and EQ, which say little
    about what the music is; masks stop it leaning on one band or one moment.
    """
    batch, n_mels, n_frames = patches.shape
    out = patches.clone()
    gain = (torch.rand(batch, 1, 1, generator=generator) - 0.5) * 2.8  # about +-6 dB
    tilt = (torch.rand(batch, 1, 1, generator=generator) - 0.5) * 2.0
    ramp = torch.linspace(-1, 1, n_mels).view(1, n_mels, 1)
    out = out + gain + tilt * ramp
    floor = out.amin(dim=(1, 2), keepdim=True)
    for i in range(batch):
        width = int(torch.randint(0, 9, (1,), generator=generator))
        start = int(torch.randint(0, n_mels - width + 1, (1,), generator=generator))
        out[i, start : start + width, :] = floor[i]
        width = int(torch.randint(0, 17, (1,), generator=generator))
        start = int(torch.randint(0, n_frames - width + 1, (1,), generator=generator))
        out[i, :, start : start + width] = floor[i]
    return out


def nt_xent(z_a: torch.Tensor, z_b: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's NT-Xent: each view must pick its partner out of the 2N-1 others."""
    z = torch.cat([z_a, z_b])
    n = z_a.shape[0]
    logits = z @ z.T / temperature
    logits.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return nn.functional.cross_entropy(logits, targets)


def soundtrack_contrast(
    z_a: torch.Tensor, z_b: torch.Tensor, labels: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Supervised-contrastive loss (Khosla et al.) with 'same soundtrack' as the positive set."""
    z = torch.cat([z_a, z_b])
    y = torch.cat([labels, labels])
    logits = z @ z.T / temperature
    self_mask = torch.eye(len(y), dtype=torch.bool)
    logits = logits.masked_fill(self_mask, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    positives = (y[:, None] == y[None, :]) & ~self_mask
    per_anchor = -(log_prob.masked_fill(~positives, 0).sum(1)) / positives.sum(1).clamp(min=1)
    return per_anchor[positives.any(1)].mean()


def teacher_kl(
    z: torch.Tensor, targets: torch.Tensor, temperature: float, teacher_temperature: float
) -> torch.Tensor:
    """Relational distillation: the student's in-batch neighbour distribution must match the
    teacher's, KL(teacher || student) over each crop's 2N-1 others.

    Matching whom-is-close-to-whom (not the teacher's coordinates) lets our smaller embedding
    keep its own axes while inheriting what the teacher hears as alike. ``z`` and ``targets``
    are unit rows for the same crops.
    """
    self_mask = torch.eye(len(z), dtype=torch.bool)
    student = (z @ z.T / temperature).masked_fill(self_mask, float("-inf"))
    teacher = (targets @ targets.T / teacher_temperature).masked_fill(self_mask, float("-inf"))
    log_p_student = torch.log_softmax(student, dim=1).masked_fill(self_mask, 0.0)
    p_teacher = torch.softmax(teacher, dim=1)
    log_p_teacher = torch.log_softmax(teacher, dim=1).masked_fill(self_mask, 0.0)
    return (p_teacher * (log_p_teacher - log_p_student)).sum(dim=1).mean()
