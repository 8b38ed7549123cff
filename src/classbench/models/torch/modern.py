"""A compact modern CNN for small images: batch norm, 3x3 stacks, global average pooling, affine
augmentation, label smoothing and a one-cycle schedule (the recipe of today's fast MNIST records).

Layout for a (c, h, w) image, width ``w0``::

    conv 5x5 (w0) BN ReLU, max-pool 2
    [conv 3x3 (2 w0) BN ReLU] x 2, max-pool 2
    [conv 3x3 (4 w0) BN ReLU] x 2, global average pool, dropout, linear

Convolutions carry no bias (batch norm's shift replaces it). With ``w0 = 24`` it has about 158,000
weights, 20 times fewer than the notebook's seed-cnn, and costs about the same per image.
"""

from __future__ import annotations

from typing import ClassVar

from torch import nn

from ...params import Param, TuneRange
from ..neural_params import _AUGMENT, _SMOOTHING
from .training import TorchClassifier, torch_space
from .vision import _pooled


def _block(c_in: int, c_out: int, k: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class ModernCNN(TorchClassifier):
    """Batch-normalised 3x3 CNN with affine augmentation and label smoothing (see the module docstring).

    Trains on one thread: batch-norm and convolution results then never depend on the thread count, so
    a trial scores the same on every executor, and two trials of ``--workers 2`` use both cores.
    """

    image_only = True
    modalities = frozenset({"image"})
    max_threads: ClassVar[int | None] = 1
    param_space = torch_space(
        width=Param(int, low=4, high=256, doc="channels of the first convolution (then 2x and 4x)",
                    tune=TuneRange(choices=(16, 24, 32))),
        dropout=Param(float, low=0.0, high=0.9, doc="dropout probability before the output layer",
                      tune=TuneRange(0.0, 0.5)),
        label_smoothing=_SMOOTHING,
        augment=_AUGMENT,
    )

    def __init__(
        self,
        *,
        width: int = 24,
        dropout: float = 0.1,
        label_smoothing: float = 0.1,
        augment: bool | str = "affine",
        epochs: int = 10,
        batch_size: int = 128,
        lr: float = 3e-3,
        optimizer: str = "adam",
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        lr_schedule: str = "onecycle",
        validation_fraction: float = 0.0,
        early_stopping: int | None = None,
        random_state: int | None = None,
        verbose: bool = False,
        device: str = "auto",
        precision: str = "auto",
    ) -> None:
        self.width = width
        self.dropout = dropout
        self.label_smoothing = label_smoothing
        self.augment = augment
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
        _pooled("modern-cnn", h // 2 // 2, "the height")
        _pooled("modern-cnn", w // 2 // 2, "the width")
        w0 = self.width
        return nn.Sequential(
            *_block(c, w0, 5),
            nn.MaxPool2d(2),
            *_block(w0, 2 * w0, 3),
            *_block(2 * w0, 2 * w0, 3),
            nn.MaxPool2d(2),
            *_block(2 * w0, 4 * w0, 3),
            *_block(4 * w0, 4 * w0, 3),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(self.dropout),
            nn.Linear(4 * w0, n_classes),
        )
