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


def stretch_and_eq(patches: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Slow each crop down by up to 20 % and give it a smooth random EQ curve (about +-4 dB).

    Tempo and mastering EQ vary within an album as much as between albums; a student that is
    told the teacher's answer for a stretched, re-equalised crop cannot get there by
    recognising the exact crop it has seen before.
    """
    batch, n_mels, n_frames = patches.shape
    out = torch.empty_like(patches)
    for i in range(batch):
        length = int(n_frames * (0.8 + 0.2 * float(torch.rand(1, generator=generator))))
        start = int(torch.randint(0, n_frames - length + 1, (1,), generator=generator))
        window = patches[i : i + 1, :, start : start + length]
        out[i] = nn.functional.interpolate(window, size=n_frames, mode="linear")[0]
    bands = torch.linspace(0, torch.pi, n_mels).view(1, n_mels, 1)
    curve = torch.zeros(batch, n_mels, 1)
    for harmonic in (1, 2, 3):
        amplitude = (torch.rand(batch, 1, 1, generator=generator) - 0.5) * 0.6
        phase = torch.rand(batch, 1, 1, generator=generator) * 2 * torch.pi
        curve = curve + amplitude * torch.cos(harmonic * bands + phase)
    return out + curve


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
    z: torch.Tensor,
    targets: torch.Tensor,
    temperature: float,
    teacher_temperature: float,
    skip_partners: bool = False,
) -> torch.Tensor:
    """Relational distillation: the student's in-batch neighbour distribution must match the
    teacher's, KL(teacher || student) over each crop's 2N-1 others.

    Matching whom-is-close-to-whom (not the teacher's coordinates) lets our smaller embedding
    keep its own axes while inheriting what the teacher hears as alike. ``z`` and ``targets``
    are unit rows for the same crops. With ``skip_partners`` (rows are two crops of N tracks,
    all first crops then all second ones) each crop's partner from its own track is left out:
    with whole-track targets the partner would take nearly all the teacher's mass, and the loss
    would teach "find the other half of this track" (which memorises training tracks) instead
    of "which other tracks sound alike".
    """
    self_mask = torch.eye(len(z), dtype=torch.bool)
    if skip_partners:
        n = len(z) // 2
        self_mask = self_mask | torch.eye(len(z), dtype=torch.bool).roll(n, dims=1)
    student = (z @ z.T / temperature).masked_fill(self_mask, float("-inf"))
    teacher = (targets @ targets.T / teacher_temperature).masked_fill(self_mask, float("-inf"))
    log_p_student = torch.log_softmax(student, dim=1).masked_fill(self_mask, 0.0)
    p_teacher = torch.softmax(teacher, dim=1)
    log_p_teacher = torch.log_softmax(teacher, dim=1).masked_fill(self_mask, 0.0)
    return (p_teacher * (log_p_teacher - log_p_student)).sum(dim=1).mean()
