"""The torch networks: the notebook's seed CNN, LeCun's LeNet-5, and a multilayer perceptron.

Each class only declares its hyperparameters (defaults tuned on MNIST, see benchmarks/torch_mnist_check.py)
and builds its ``nn.Module``; training, prediction and pickling are in ``training.TorchClassifier``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from torch import nn

from ...errors import UserError
from ...params import Param, TuneRange
from ..neural_params import _AUGMENT, _SMOOTHING
from .training import LOSSES, TorchClassifier, torch_space

_DROPOUT = Param(float, low=0.0, high=0.9, doc="dropout probability before the output layer(s)")


def _pooled(name: str, size: int, axis: str) -> int:
    if size < 1:
        raise UserError(
            f"model {name}: the input images are too small along {axis} for two 2x2 poolings; it needs images "
            f"of at least 4x4 pixels. Use a larger image dataset or the 'mlp' model."
        )
    return size


class SeedCNN(TorchClassifier):
    """The notebook's CNN: conv 5x5x32 same, ReLU, max-pool 2; conv 5x5x64 same, ReLU, max-pool 2;
    dense 1024 ReLU; dropout 0.4; logits. Works on any image size (c, h, w) with h, w >= 4."""

    image_only = True
    modalities = frozenset({"image"})
    param_space = torch_space(dropout=_DROPOUT, augment=_AUGMENT, label_smoothing=_SMOOTHING)

    def __init__(
        self,
        *,
        dropout: float = 0.4,
        augment: bool | str = "affine",
        label_smoothing: float = 0.1,
        epochs: int = 5,
        batch_size: int = 128,
        lr: float = 2e-3,
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
        self.dropout = dropout
        self.augment = augment
        self.label_smoothing = label_smoothing
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
        h4 = _pooled("seed-cnn", h // 2 // 2, "the height")
        w4 = _pooled("seed-cnn", w // 2 // 2, "the width")
        return nn.Sequential(
            nn.Conv2d(c, 32, 5, padding=2),
            nn.MaxPool2d(2),  # pool before ReLU: the same function (ReLU is monotonic), 4x less ReLU work
            nn.ReLU(),
            nn.Conv2d(32, 64, 5, padding=2),
            nn.MaxPool2d(2),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(64 * h4 * w4, 1024),
            nn.ReLU(),
            nn.Dropout(self.dropout),
            nn.Linear(1024, n_classes),
        )


class LeNet5(TorchClassifier):
    """LeNet-5 (LeCun et al. 1998): C1 6@5x5, S2 pool, C3 16@5x5, S4 pool, C5 120, F6 84, outputs.

    C1 pads its input by 2 (a 28x28 MNIST digit becomes the paper's 32x32 and C1's maps are 28x28).
    C3 is unpadded as in the paper when its 5x5 window fits at least 6 pixels, and padded by 2
    otherwise (so 8x8 digits still work). C5 is a dense layer over S4's maps (a 5x5 convolution
    over 5x5 maps in the paper); the Gaussian RBF output layer is a plain linear layer.
    """

    image_only = True
    modalities = frozenset({"image"})
    param_space = torch_space(
        activation=Param(str, choices=("relu", "tanh"), doc="hidden-unit nonlinearity"),
        pooling=Param(str, choices=("max", "avg"), doc="subsampling in S2 and S4"),
        augment=_AUGMENT,
        label_smoothing=_SMOOTHING,
    )

    def __init__(
        self,
        *,
        activation: str = "relu",
        pooling: str = "max",
        augment: bool | str = True,
        label_smoothing: float = 0.1,
        epochs: int = 10,
        batch_size: int = 256,
        lr: float = 5e-3,
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
        self.activation = activation
        self.pooling = pooling
        self.augment = augment
        self.label_smoothing = label_smoothing
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
        act = nn.ReLU if self.activation == "relu" else nn.Tanh
        pool = nn.MaxPool2d if self.pooling == "max" else nn.AvgPool2d
        pads = tuple(0 if s // 2 >= 6 else 2 for s in (h, w))
        h4 = _pooled("lenet5", (h // 2 - 4 + 2 * pads[0]) // 2, "the height")
        w4 = _pooled("lenet5", (w // 2 - 4 + 2 * pads[1]) // 2, "the width")
        return nn.Sequential(
            nn.Conv2d(c, 6, 5, padding=2),  # C1
            act(),
            pool(2),  # S2
            nn.Conv2d(6, 16, 5, padding=pads),  # C3
            act(),
            pool(2),  # S4
            nn.Flatten(),
            nn.Linear(16 * h4 * w4, 120),  # C5
            act(),
            nn.Linear(120, 84),  # F6
            act(),
            nn.Linear(84, n_classes),
        )


class MLP(TorchClassifier):
    """Multilayer perceptron on flattened inputs: Linear -> activation -> dropout per hidden layer.

    ``activation="none"`` stacks linear maps only: the whole net is then one linear (softmax) model,
    whatever its depth. ``loss="squared"`` is the notebook's mean squared error between softmax outputs
    and one-hot targets; ``"cross-entropy"`` the usual log loss.
    """

    modalities = frozenset({"image", "tabular"})
    param_space = torch_space(
        hidden=Param("seq", low=1, doc="sizes of the hidden layers, e.g. [256, 256]; [] = softmax regression",
                     tune=TuneRange(choices=((128,), (256,), (256, 256), (512, 256)))),
        activation=Param(str, choices=("relu", "sigmoid", "tanh", "none"), doc="hidden-unit nonlinearity"),
        loss=Param(str, choices=LOSSES, doc="training loss"),
        dropout=Param(float, low=0.0, high=0.9, doc="dropout probability after each hidden layer",
                      tune=TuneRange(0.0, 0.5)),
    )

    def __init__(
        self,
        *,
        hidden: Any = (256, 256),
        activation: str = "relu",
        loss: str = "cross-entropy",
        dropout: float = 0.2,
        epochs: int = 15,
        batch_size: int = 128,
        lr: float = 1e-3,
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
        self.hidden = hidden
        self.activation = activation
        self.loss = loss
        self.dropout = dropout
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
        acts = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "none": None}
        act = acts[self.activation]
        d = int(np.prod(input_shape))
        layers: list[nn.Module] = [nn.Flatten()]
        for width in tuple(self.hidden):
            layers.append(nn.Linear(d, width))
            if act is not None:
                layers.append(act())
            if self.dropout > 0:
                layers.append(nn.Dropout(self.dropout))
            d = width
        layers.append(nn.Linear(d, n_classes))
        return nn.Sequential(*layers)
