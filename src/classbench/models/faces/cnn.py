"""A small CNN for face identification from a few hundred images, with on-the-fly augmentation.

Four 3x3 conv blocks (batch norm, ReLU, 2x2 max-pool after the first three) widen 16 -> 128 channels,
then global average pooling, dropout and one linear layer: about 100k weights, any input size of at
least 8x8 pixels. Training uses the shared ``TorchClassifier`` loop; augmentation lives in the network
itself (``Augment``, active only in training mode, drawing from torch's seeded generator), so the
wrapper needs no hook: each training batch is randomly shifted, rotated, scaled and has its brightness
and contrast changed, the variations a face camera produces.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ...errors import UserError
from ...params import Param
from ..torch.training import TorchClassifier, torch_space


class Augment(nn.Module):
    """Random affine (shift, rotation, scale) and photometric (brightness, contrast) jitter per image.

    Identity in eval mode. Shifts are in pixels, rotation in degrees, scale/brightness/contrast are
    relative (0.1 = +-10%). Pixels pulled from outside the image repeat the border (no black frames).

    x : tensor of shape (n, c, h, w) -> same shape
    """

    def __init__(self, shift: float = 0.0, rotation: float = 0.0, scale: float = 0.0, brightness: float = 0.0,
                 contrast: float = 0.0):
        super().__init__()
        self.shift, self.rotation, self.scale = shift, rotation, scale
        self.brightness, self.contrast = brightness, contrast

    def _uniform(self, n: int, amount: float, x: torch.Tensor) -> torch.Tensor:
        return (torch.rand(n, device=x.device, dtype=x.dtype) * 2 - 1) * amount

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        n, _, h, w = x.shape
        if self.shift or self.rotation or self.scale:
            a = self._uniform(n, math.radians(self.rotation), x)
            s = 1.0 + self._uniform(n, self.scale, x)
            cos, sin = torch.cos(a) / s, torch.sin(a) / s
            # output -> input sampling map in normalised coordinates; h/w factors keep the rotation rigid
            theta = torch.stack([
                torch.stack([cos, -sin * h / w, self._uniform(n, 2 * self.shift / w, x)], 1),
                torch.stack([sin * w / h, cos, self._uniform(n, 2 * self.shift / h, x)], 1),
            ], 1)
            grid = F.affine_grid(theta, list(x.shape), align_corners=False)
            x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
        if self.brightness or self.contrast:
            mean = x.mean(dim=(1, 2, 3), keepdim=True)
            c = 1.0 + self._uniform(n, self.contrast, x).view(n, 1, 1, 1)
            b = self._uniform(n, self.brightness, x).view(n, 1, 1, 1)
            x = (x - mean) * c + mean + b
        return x

    def extra_repr(self) -> str:
        return (f"shift={self.shift}, rotation={self.rotation}, scale={self.scale}, brightness={self.brightness}, "
                f"contrast={self.contrast}")


def _block(c_in: int, c_out: int, pool: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
    return layers + [nn.MaxPool2d(2)] if pool else layers


class FaceCNN(TorchClassifier):
    """Small batch-normalised CNN with augmentation (see the module docstring)."""

    image_only = True
    max_threads = 1  # BatchNorm/augmentation on CPU train a different net with 1 and 2 threads; 1 is as fast here
    modalities = frozenset({"image"})
    param_space = torch_space(
        channels=Param(int, low=4, high=256, doc="channels of the first block (doubled in each of the next three)"),
        dropout=Param(float, low=0.0, high=0.9, doc="dropout before the output layer"),
        shift=Param(float, low=0.0, high=32.0, doc="augmentation: largest shift in pixels (0: none)"),
        rotation=Param(float, low=0.0, high=45.0, doc="augmentation: largest rotation in degrees"),
        scale=Param(float, low=0.0, high=0.5, doc="augmentation: largest relative zoom in or out"),
        brightness=Param(float, low=0.0, high=1.0, doc="augmentation: largest brightness offset (pixels in 0..1)"),
        contrast=Param(float, low=0.0, high=0.9, doc="augmentation: largest relative contrast change"),
    )

    def __init__(
        self,
        *,
        channels: int = 16,
        dropout: float = 0.3,
        shift: float = 4.0,
        rotation: float = 10.0,
        scale: float = 0.08,
        brightness: float = 0.15,
        contrast: float = 0.2,
        epochs: int = 40,
        batch_size: int = 16,
        lr: float = 3e-3,
        optimizer: str = "adam",
        momentum: float = 0.9,
        weight_decay: float = 5e-4,
        lr_schedule: str = "onecycle",
        validation_fraction: float = 0.0,
        early_stopping: int | None = None,
        random_state: int | None = None,
        verbose: bool = False,
        device: str = "auto",
        precision: str = "auto",
    ) -> None:
        self.channels = channels
        self.dropout = dropout
        self.shift = shift
        self.rotation = rotation
        self.scale = scale
        self.brightness = brightness
        self.contrast = contrast
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.lr_schedule = lr_schedule
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.precision = precision

    def _build_module(self, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
        c, h, w = input_shape
        if h < 8 or w < 8:
            raise UserError(f"model face-cnn: images of {h}x{w} pixels are too small for its three 2x2 poolings; "
                            f"it needs at least 8x8. Use larger images (e.g. the dataset's width/height).")
        k = self.channels
        return nn.Sequential(
            Augment(self.shift, self.rotation, self.scale, self.brightness, self.contrast),
            *_block(c, k, True),
            *_block(k, 2 * k, True),
            *_block(2 * k, 4 * k, True),
            *_block(4 * k, 8 * k, False),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(self.dropout),
            nn.Linear(8 * k, n_classes),
        )
