"""A test plugin (loaded through CLASSBENCH_PLUGINS): models that misbehave on purpose."""

import os

import numpy as np

from classbench.contract import Classifier, flatten
from classbench.models import MODELS
from classbench.params import Param


@MODELS.register("test-boom", family="test", modalities=("image", "tabular"), summary="raises in fit")
class Boom(Classifier):
    family = "test"
    param_space = {"random_state": Param(int, nullable=True)}

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y, *, X_val=None, y_val=None):
        raise ValueError("boom: this model always fails")


@MODELS.register("test-crash", family="test", modalities=("image", "tabular"), summary="kills its process")
class Crash(Boom):
    def fit(self, X, y, *, X_val=None, y_val=None):
        os._exit(3)


@MODELS.register("test-majority", family="test", modalities=("image", "tabular"), summary="predicts the mode")
class Majority(Boom):
    def fit(self, X, y, *, X_val=None, y_val=None):
        idx = self._encode_labels(y)
        self.mode_ = int(np.bincount(idx).argmax())
        self.n_params_ = 1
        return self

    def predict(self, X):
        return np.full(len(flatten(X)), self.classes_[self.mode_])


@MODELS.register("test-sleep", family="test", modalities=("image", "tabular"), summary="sleeps, then majority")
class Sleep(Majority):
    param_space = {"random_state": Param(int, nullable=True), "seconds": Param(float, low=0.0)}

    def __init__(self, seconds=60.0, random_state=None):
        self.seconds = seconds
        self.random_state = random_state

    def fit(self, X, y, *, X_val=None, y_val=None):
        import time

        time.sleep(self.seconds)
        return super().fit(X, y)


@MODELS.register("test-epochs", family="test", modalities=("image", "tabular"),
                 summary="one history row per `epoch_seconds`; `crash_after` epochs: the process dies")
class Epochs(Majority):
    param_space = {"random_state": Param(int, nullable=True), "epochs": Param(int, low=1),
                   "epoch_seconds": Param(float, low=0.0), "crash_after": Param(int, low=1, nullable=True)}

    def __init__(self, epochs=1000, epoch_seconds=0.5, crash_after=None, random_state=None):
        self.epochs, self.epoch_seconds, self.crash_after = epochs, epoch_seconds, crash_after
        self.random_state = random_state

    def fit(self, X, y, *, X_val=None, y_val=None):
        import time

        self.history_ = []
        for epoch in range(1, self.epochs + 1):
            time.sleep(self.epoch_seconds)
            self.history_.append({"epoch": epoch, "loss": 1.0 / epoch, "seconds": self.epoch_seconds})
            if self.crash_after and epoch == self.crash_after:
                time.sleep(2.5)  # the watcher sends rows once a second
                os._exit(3)
        return super().fit(X, y)


@MODELS.register("test-slow-seed", family="test", modalities=("image", "tabular"),
                 summary="majority; sleeps `seconds` first when its seed is `slow_seed`")
class SlowSeed(Majority):
    param_space = {"random_state": Param(int, nullable=True), "seconds": Param(float, low=0.0),
                   "slow_seed": Param(int)}

    def __init__(self, seconds=30.0, slow_seed=1, random_state=None):
        self.seconds, self.slow_seed, self.random_state = seconds, slow_seed, random_state

    def fit(self, X, y, *, X_val=None, y_val=None):
        import time

        if self.random_state == self.slow_seed:
            time.sleep(self.seconds)
        return super().fit(X, y)


@MODELS.register("test-hog", family="test", modalities=("image", "tabular"),
                 summary="allocates memory without bound (gives up at `limit_mb`)")
class Hog(Majority):
    param_space = {"random_state": Param(int, nullable=True), "limit_mb": Param(int, low=50)}

    def __init__(self, limit_mb=4000, random_state=None):
        self.limit_mb, self.random_state = limit_mb, random_state

    def fit(self, X, y, *, X_val=None, y_val=None):
        import time

        blocks = []
        for _ in range(self.limit_mb // 50):
            blocks.append(np.ones(50 * 2**20 // 8))  # written, so resident
            time.sleep(0.02)
        return super().fit(X, y)
