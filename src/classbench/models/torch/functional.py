"""Pure helpers of the torch training loop: learning-rate schedules, shift augmentation, memory layout."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def lr_factor(schedule: str, step: int, total: int) -> float:
    """Multiplier of the peak learning rate at optimizer ``step`` (0-based) of ``total`` steps.

    constant: 1. step: /10 at 50% and again at 75% of training. cosine: half a cosine from 1 to 0.
    onecycle: cosine warm-up from 1/25 to 1 over the first 30%, then cosine down to 1/25 * 1e-4
    (the defaults of ``torch.optim.lr_scheduler.OneCycleLR``).
    """
    t = step / max(total, 1)
    if schedule == "constant":
        return 1.0
    if schedule == "step":
        return 0.1 ** (int(t >= 0.5) + int(t >= 0.75))
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * t))
    if schedule == "onecycle":
        start, end, warm = 1.0 / 25.0, 1.0 / 25.0 / 1e4, 0.3
        if t < warm:
            return start + (1.0 - start) * 0.5 * (1.0 - math.cos(math.pi * t / warm))
        u = (t - warm) / (1.0 - warm)
        return end + (1.0 - end) * 0.5 * (1.0 + math.cos(math.pi * u))
    raise ValueError(f"unknown learning-rate schedule {schedule!r}")


def augment_shift(image_size: tuple[int, ...]) -> int:
    """Largest shift of the ``augment`` option: 2 pixels per full 14 of the shorter side.

    MNIST's 28x28 digits get +-2 px, Yale's 60x80 faces +-4 px; images under 14 px (sklearn's 8x8
    digits) are not shifted at all: one pixel there is an eighth of the digit and costs accuracy.
    """
    return int(min(image_size)) // 14


def random_shift(x: torch.Tensor, shifts: np.ndarray, pad: int) -> torch.Tensor:
    """Translate each image by its own (dy, dx), filling with zeros.

    Parameters
    ----------
    x : tensor of shape (n, c, h, w)
    shifts : int array of shape (n, 2), values in [-pad, pad]
    """
    n, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    s = torch.as_tensor(shifts, device=x.device, dtype=torch.long)
    rows = pad - s[:, 0:1] + torch.arange(h, device=x.device)  # (n, h)
    cols = pad - s[:, 1:2] + torch.arange(w, device=x.device)  # (n, w)
    batch = torch.arange(n, device=x.device)[:, None, None, None]
    chan = torch.arange(c, device=x.device)[None, :, None, None]
    return padded[batch, chan, rows[:, None, :, None], cols[:, None, None, :]]


def channels_last_if_conv(module: nn.Module, X: Any, device: torch.device) -> torch.memory_format:
    """channels_last for image batches on the CPU (oneDNN convolutions run ~1.5x faster in it).

    Converts the module's 4-d weights in place; the numbers are unchanged, only their layout.
    """
    if X.ndim == 4 and device.type == "cpu" and any(isinstance(m, nn.Conv2d) for m in module.modules()):
        module.to(memory_format=torch.channels_last)
        return torch.channels_last
    return torch.contiguous_format
