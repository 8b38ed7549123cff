"""Pure helpers of the torch training loop: shift augmentation, memory layout. The learning-rate schedules
and the augmentation size live in ``models/neural_params.py``, shared with the scratch family."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..neural_params import augment_shift, lr_factor  # noqa: F401  (re-exported for the torch wrapper)


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


def random_affine(x: torch.Tensor, rng: np.random.Generator, *, degrees: float = 10.0, scale: float = 0.1,
                  shear: float = 0.2, shift: float = 1.0 / 14.0) -> torch.Tensor:
    """Distort each image by its own random affine map (bilinear resampling, zeros outside).

    Rotation uniform in +-``degrees``, zoom in [1 - scale, 1 + scale], horizontal shear factor in
    +-``shear``, translation up to ``shift`` of the side along each axis (2 px of a 28 px digit). The
    parameters come from ``rng``, so a seeded run distorts the same way on every machine.

    Parameters
    ----------
    x : tensor of shape (n, c, h, w)
    """
    n = len(x)
    draw = rng.uniform(size=(n, 5))
    ang = torch.from_numpy((2 * draw[:, 0] - 1) * degrees * np.pi / 180.0).float()
    zoom = torch.from_numpy(1.0 + (2 * draw[:, 1] - 1) * scale).float()
    sh = torch.from_numpy((2 * draw[:, 2] - 1) * shear).float()
    t = torch.from_numpy((2 * draw[:, 3:5] - 1) * 2 * shift).float()  # affine_grid's [-1, 1] spans the side
    cos, sin = torch.cos(ang) / zoom, torch.sin(ang) / zoom
    theta = torch.stack([torch.stack([cos, -sin + sh * cos, t[:, 0]], 1),
                         torch.stack([sin, cos + sh * sin, t[:, 1]], 1)], 1).to(x.device)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def channels_last_if_conv(module: nn.Module, X: Any, device: torch.device) -> torch.memory_format:
    """channels_last for image batches on the CPU (oneDNN convolutions run ~1.5x faster in it).

    Converts the module's 4-d weights in place; the numbers are unchanged, only their layout.
    """
    if X.ndim == 4 and device.type == "cpu" and any(isinstance(m, nn.Conv2d) for m in module.modules()):
        module.to(memory_format=torch.channels_last)
        return torch.channels_last
    return torch.contiguous_format
