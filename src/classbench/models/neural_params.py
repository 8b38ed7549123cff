"""Hyperparameters shared by the torch and scratch neural families, so twins take the same settings, and
the two pure rules both training loops follow: the learning-rate schedules and the augmentation size."""

from __future__ import annotations

import math

from ..params import Param, TuneRange

OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
SCHEDULES = ("constant", "step", "cosine", "onecycle")

TRAINING_PARAMS: dict[str, Param] = {
    "epochs": Param(int, low=1, high=10_000, doc="passes over the training data", tune=False),
    "batch_size": Param(int, low=1, doc="minibatch size"),
    "lr": Param(float, low=0.0, low_open=True, doc="(peak) learning rate", tune=TuneRange(1e-4, 3e-2)),
    "optimizer": Param(str, choices=OPTIMIZERS, doc="update rule"),
    "momentum": Param(float, low=0.0, high=1.0, doc="momentum for 'momentum' (and rmsprop)",
                      tune=TuneRange(0.5, 0.99)),
    "weight_decay": Param(float, low=0.0, doc="L2 penalty", tune=TuneRange(1e-6, 1e-2)),
    "lr_schedule": Param(str, choices=SCHEDULES, doc="learning-rate schedule over the epochs"),
    "validation_fraction": Param(float, low=0.0, high=0.5, doc="share of train held out for monitoring (0: none)",
                                 tune=False),
    "early_stopping": Param(int, low=1, nullable=True, doc="stop after this many epochs without val improvement"),
    "random_state": Param(int, low=0, nullable=True, doc="seed of weights, shuffling and dropout"),
    "verbose": Param(bool, doc="show a progress bar per epoch", tune=False),
}

#: the image nets' own training options (torch and scratch twins take the same ones)
_AUGMENT = Param(
    "choice",
    choices=(False, True, "none", "shift", "affine"),
    doc="training images each epoch: true/'shift' = shifted at random up to 2 px per 28 px of side; 'affine' = "
        "randomly rotated (+-10 deg), zoomed (+-10%), sheared and shifted; false/'none' = as they are "
        "(never under 14 px)",
    tune=TuneRange(choices=("none", "shift", "affine")),
)
_SMOOTHING = Param(float, low=0.0, high=0.5, doc="label smoothing: share of each target spread over all classes",
                   tune=TuneRange(0.0, 0.2))


#: called as ``hook(row)`` with each epoch's history row by the torch and scratch training loops (tuning
#: registers one while a candidate trains, to report the validation score to its pruner; a hook may raise
#: to stop the fit)
EPOCH_HOOKS: list = []


def epoch_done(row: dict) -> None:
    """Tell the registered hooks that an epoch finished (its history row, with val_accuracy when monitored)."""
    for hook in list(EPOCH_HOOKS):
        hook(row)


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
