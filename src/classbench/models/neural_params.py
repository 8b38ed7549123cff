"""Hyperparameters shared by the torch and scratch neural families, so twins take the same settings."""

from __future__ import annotations

from ..params import Param

OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
SCHEDULES = ("constant", "step", "cosine", "onecycle")

TRAINING_PARAMS: dict[str, Param] = {
    "epochs": Param(int, low=1, high=10_000, doc="passes over the training data"),
    "batch_size": Param(int, low=1, doc="minibatch size"),
    "lr": Param(float, low=0.0, low_open=True, doc="(peak) learning rate"),
    "optimizer": Param(str, choices=OPTIMIZERS, doc="update rule"),
    "momentum": Param(float, low=0.0, high=1.0, doc="momentum for 'momentum' (and rmsprop)"),
    "weight_decay": Param(float, low=0.0, doc="L2 penalty"),
    "lr_schedule": Param(str, choices=SCHEDULES, doc="learning-rate schedule over the epochs"),
    "validation_fraction": Param(float, low=0.0, high=0.5, doc="share of train held out for monitoring (0: none)"),
    "early_stopping": Param(int, low=1, nullable=True, doc="stop after this many epochs without val improvement"),
    "random_state": Param(int, low=0, nullable=True, doc="seed of weights, shuffling and dropout"),
    "verbose": Param(bool, doc="show a progress bar per epoch"),
}
