"""The scratch twins of the torch vision nets: LeNet-5, the notebook's seed CNN and the MLP, built from
``classbench.engine`` layers (pure NumPy) and trained by ``training.ScratchNetClassifier``.

Each class takes the same hyperparameters, with the same defaults and meaning, as its torch twin in
``classbench.models.torch.vision`` (a test compares them), and builds the same architecture with
torch's default initialisation (U(+-1/sqrt(fan_in)) for weights and biases). Where max pooling follows
a monotonic activation the two are swapped (pool first): the same function and the same gradients,
with the activation on 4x fewer values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...engine import layers as L
from ...errors import UserError
from ...params import Param, TuneRange
from ..neural_params import _AUGMENT, _SMOOTHING, TRAINING_PARAMS
from .training import LOSSES, ScratchNetClassifier, store_params

_DROPOUT = Param(float, low=0.0, high=0.9, doc="dropout probability before the output layer(s)")
_ACTS = {"relu": L.ReLU, "sigmoid": L.Sigmoid, "tanh": L.Tanh, "none": None}


def _space(**own: Param) -> dict[str, Param]:
    return {**TRAINING_PARAMS, **own}


def _pooled(name: str, size: int, axis: str) -> int:
    if size < 1:
        raise UserError(
            f"model {name}: the input images are too small along {axis} for two 2x2 poolings; it needs images "
            f"of at least 4x4 pixels. Use a larger image dataset or the 'scratch-mlp' model."
        )
    return size


def _generators(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """(weights, dropout masks): two independent streams of one seed (shuffling uses the seed itself)."""
    return np.random.default_rng([seed, 1]), np.random.default_rng([seed, 2])


class ScratchSeedCNN(ScratchNetClassifier):
    """The notebook's CNN from scratch: conv 5x5x32 same, max-pool 2, ReLU; conv 5x5x64 same, max-pool 2,
    ReLU; dense 1024 ReLU; dropout 0.4; logits. Any image size (c, h, w) with h, w >= 4. Twin: seed-cnn."""

    image_only = True
    modalities = frozenset({"image"})
    twin = "seed-cnn"
    max_blas_threads = 1
    param_space = _space(dropout=_DROPOUT, augment=_AUGMENT, label_smoothing=_SMOOTHING)

    def __init__(self, *, dropout: float = 0.4, augment: bool | str = "affine", label_smoothing: float = 0.1,
                 epochs: int = 5, batch_size: int = 128, lr: float = 2e-3, optimizer: str = "adam",
                 momentum: float = 0.9, weight_decay: float = 0.0, lr_schedule: str = "onecycle",
                 validation_fraction: float = 0.0, early_stopping: int | None = None,
                 random_state: int | None = None, verbose: bool = False) -> None:
        store_params(self, locals())

    def _build_net(self, input_shape, n_classes, seed, dtype=np.float32) -> L.Sequential:
        c, h, w = input_shape
        h4 = _pooled("scratch-seed-cnn", h // 2 // 2, "the height")
        w4 = _pooled("scratch-seed-cnn", w // 2 // 2, "the width")
        rng, drop = _generators(seed)
        kw = {"rng": rng, "init": "torch", "dtype": dtype}
        layers = [
            L.Conv2d(c, 32, 5, padding=2, **kw), L.MaxPool2d(2), L.ReLU(),
            L.Conv2d(32, 64, 5, padding=2, **kw), L.MaxPool2d(2), L.ReLU(),
            L.Flatten(), L.Dense(64 * h4 * w4, 1024, **kw), L.ReLU(),
        ]
        if self.dropout > 0:
            layers.append(L.Dropout(self.dropout, rng=drop))
        return L.Sequential(*layers, L.Dense(1024, n_classes, **kw), input_grad=False)


class ScratchLeNet5(ScratchNetClassifier):
    """LeNet-5 (LeCun et al. 1998) from scratch: C1 6@5x5 (input padded by 2), S2 pool, C3 16@5x5 (padded by
    2 only for images under 12 pixels), S4 pool, C5 dense 120, F6 84, linear outputs. Twin: lenet5."""

    image_only = True
    modalities = frozenset({"image"})
    twin = "lenet5"
    max_blas_threads = 1
    batch_shards = 2  # two half-batches on two threads (see training.ScratchNetClassifier.batch_shards)
    param_space = _space(
        activation=Param(str, choices=("relu", "tanh"), doc="hidden-unit nonlinearity"),
        pooling=Param(str, choices=("max", "avg"), doc="subsampling in S2 and S4"),
        augment=_AUGMENT,
        label_smoothing=_SMOOTHING,
    )

    def __init__(self, *, activation: str = "relu", pooling: str = "max", augment: bool | str = True,
                 label_smoothing: float = 0.1, epochs: int = 10, batch_size: int = 256, lr: float = 5e-3,
                 optimizer: str = "adam", momentum: float = 0.9, weight_decay: float = 0.0,
                 lr_schedule: str = "onecycle", validation_fraction: float = 0.0,
                 early_stopping: int | None = None, random_state: int | None = None, verbose: bool = False) -> None:
        store_params(self, locals())

    def _build_net(self, input_shape, n_classes, seed, dtype=np.float32) -> L.Sequential:
        c, h, w = input_shape
        act = _ACTS[self.activation]
        pads = tuple(0 if s // 2 >= 6 else 2 for s in (h, w))
        h4 = _pooled("scratch-lenet5", (h // 2 - 4 + 2 * pads[0]) // 2, "the height")
        w4 = _pooled("scratch-lenet5", (w // 2 - 4 + 2 * pads[1]) // 2, "the width")
        rng, _ = _generators(seed)
        kw = {"rng": rng, "init": "torch", "dtype": dtype}

        def subsample() -> list[L.Layer]:  # act -> pool; max-pool commutes with a monotonic activation
            return [L.MaxPool2d(2), act()] if self.pooling == "max" else [act(), L.AvgPool2d(2)]

        return L.Sequential(
            L.Conv2d(c, 6, 5, padding=2, **kw), *subsample(),  # C1, S2
            L.Conv2d(6, 16, 5, padding=pads, **kw), *subsample(),  # C3, S4
            L.Flatten(), L.Dense(16 * h4 * w4, 120, **kw), act(),  # C5
            L.Dense(120, 84, **kw), act(),  # F6
            L.Dense(84, n_classes, **kw),
            input_grad=False,
        )


class ScratchMLP(ScratchNetClassifier):
    """Multilayer perceptron from scratch on flattened inputs: Dense -> activation -> dropout per hidden layer.

    ``activation="none"`` makes the whole net one linear (softmax) model; ``loss="squared"`` is the notebook's
    mean squared error between softmax outputs and one-hot targets. Twin: mlp.
    """

    modalities = frozenset({"image", "tabular"})
    twin = "mlp"
    param_space = _space(
        hidden=Param("seq", low=1, doc="sizes of the hidden layers, e.g. [256, 256]; [] = softmax regression",
                     tune=TuneRange(choices=((128,), (256,), (256, 256), (512, 256)))),
        activation=Param(str, choices=tuple(_ACTS), doc="hidden-unit nonlinearity"),
        loss=Param(str, choices=LOSSES, doc="training loss"),
        dropout=Param(float, low=0.0, high=0.9, doc="dropout probability after each hidden layer",
                      tune=TuneRange(0.0, 0.5)),
    )

    def __init__(self, *, hidden: Any = (256, 256), activation: str = "relu", loss: str = "cross-entropy",
                 dropout: float = 0.2, epochs: int = 15, batch_size: int = 128, lr: float = 1e-3,
                 optimizer: str = "adam", momentum: float = 0.9, weight_decay: float = 0.0,
                 lr_schedule: str = "onecycle", validation_fraction: float = 0.0, early_stopping: int | None = None,
                 random_state: int | None = None, verbose: bool = False) -> None:
        store_params(self, locals())

    def _build_net(self, input_shape, n_classes, seed, dtype=np.float32) -> L.Sequential:
        act = _ACTS[self.activation]
        rng, drop = _generators(seed)
        d = int(np.prod(input_shape))
        layers: list[L.Layer] = [L.Flatten()]
        for width in tuple(self.hidden):
            layers.append(L.Dense(d, width, rng=rng, init="torch", dtype=dtype))
            if act is not None:
                layers.append(act())
            if self.dropout > 0:
                layers.append(L.Dropout(self.dropout, rng=drop))
            d = width
        layers.append(L.Dense(d, n_classes, rng=rng, init="torch", dtype=dtype))
        return L.Sequential(*layers, input_grad=False)
