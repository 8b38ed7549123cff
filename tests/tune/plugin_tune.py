"""A test plugin for tuning (loaded through CLASSBENCH_PLUGINS): a dataset whose rows carry their id, and
models that log what they see, crash, sleep, train by epochs or interrupt the driver on purpose.

Dataset ``tune-ids``: tabular, 3 classes; column 0 is the row's pooled index (train rows 0..59, test rows
60..89), so a model can tell which rows it was given. Models log to the file named by TUNE_SPY_LOG (one
JSON line per fit/predict: the tuning candidate running in the process, if any, and the row ids).
"""

import json
import os
import time

import numpy as np

from classbench.contract import Classifier, flatten
from classbench.datasets import DATASETS
from classbench.datasets.base import Dataset, DatasetSource
from classbench.models import MODELS
from classbench.params import Param, TuneRange

N_TRAIN, N_TEST = 60, 30


@DATASETS.register("tune-ids")
class TuneIds(DatasetSource):
    name = "tune-ids"
    modality = "tabular"
    summary = "rows that carry their own id (tuning tests)"

    def load(self, ctx, **_):
        n = N_TRAIN + N_TEST
        y = np.arange(n) % 3
        X = np.stack([np.arange(n), y + np.random.default_rng(0).normal(0, 0.8, n)], 1).astype(np.float32)
        return Dataset(name="tune-ids", X_train=X[:N_TRAIN], y_train=y[:N_TRAIN], X_test=X[N_TRAIN:],
                       y_test=y[N_TRAIN:], classes=["a", "b", "c"], modality="tabular")


def _log(phase, X):
    from classbench.tune import candidate

    path = os.environ.get("TUNE_SPY_LOG")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps({"phase": phase, "cand": candidate.CURRENT, "pid": os.getpid(),
                                 "ids": sorted(int(i) for i in flatten(X)[:, 0])}) + "\n")


@MODELS.register("tune-knob", family="test", modalities=("tabular",), summary="score peaks at x=0.3")
class Knob(Classifier):
    """Right on a row iff a hash of its id falls under 1 - |x - 0.3|: the inner score peaks near x = 0.3.

    ``sleep``: seconds per fit. ``crash_below``: os._exit when x is under it (a dying worker).
    ``interrupt_at``: SIGINT to the driver when fitting that candidate number (once: a marker file)."""

    family = "test"
    param_space = {"x": Param(float, low=0.0, high=1.0), "k": Param(str, choices=("a", "b")),
                   "sleep": Param(float, low=0.0, tune=False), "crash_below": Param(float, low=0.0, tune=False),
                   "interrupt_at": Param(int, low=-1, tune=False), "random_state": Param(int, nullable=True)}

    def __init__(self, x=0.9, k="a", sleep=0.0, crash_below=0.0, interrupt_at=-1, random_state=None):
        self.x, self.k, self.sleep, self.crash_below = x, k, sleep, crash_below
        self.interrupt_at, self.random_state = interrupt_at, random_state

    def fit(self, X, y, *, X_val=None, y_val=None):
        from classbench.tune import candidate

        _log("fit", X)
        cur = candidate.CURRENT
        if cur is not None and self.interrupt_at == cur["number"]:
            marker = os.environ["TUNE_SPY_LOG"] + ".interrupted"
            if not os.path.exists(marker):
                open(marker, "w").close()
                import signal

                os.kill(os.getppid(), signal.SIGINT)
                time.sleep(30)
        if cur is not None and self.x < self.crash_below:
            os._exit(3)
        time.sleep(self.sleep)
        self._encode_labels(y)
        self.lookup_ = {int(i): int(c) for i, c in zip(flatten(X)[:, 0], self._encode_labels(y))}
        self.n_params_ = 1
        return self

    def predict(self, X):
        _log("predict", X)
        ids = flatten(X)[:, 0].astype(int)
        right = ((ids * 2654435761) % 1000) / 1000.0 < 1.0 - abs(self.x - 0.3) - (0.1 if self.k == "b" else 0.0)
        truth = ids % 3  # the dataset's labels are the id mod 3
        return self.classes_[np.where(right, truth, (truth + 1) % 3)]


@MODELS.register("tune-epochs", family="test", modalities=("tabular",), summary="epoch-trained, quality q")
class EpochNet(Classifier):
    """An epoch-trained model: its validation accuracy after each epoch is ``q`` (reported to the pruner);
    ``epoch_seconds`` per epoch. Its history is where the pruner's steps can be counted."""

    family = "test"
    param_space = {"q": Param(float, low=0.0, high=1.0), "epochs": Param(int, low=1, tune=False),
                   "epoch_seconds": Param(float, low=0.0, tune=False), "random_state": Param(int, nullable=True)}

    def __init__(self, q=0.5, epochs=8, epoch_seconds=0.02, random_state=None):
        self.q, self.epochs, self.epoch_seconds, self.random_state = q, epochs, epoch_seconds, random_state

    def fit(self, X, y, *, X_val=None, y_val=None):
        from classbench.models.neural_params import epoch_done

        self._encode_labels(y)
        self.history_ = []
        for epoch in range(1, self.epochs + 1):
            time.sleep(self.epoch_seconds)
            row = {"epoch": epoch, "val_accuracy": None if X_val is None else self.q}
            self.history_.append(row)
            epoch_done(row)
        self.n_params_ = 1
        return self

    def predict(self, X):
        return np.full(len(flatten(X)), self.classes_[0])


@MODELS.register("tune-nothing", family="test", modalities=("tabular",), summary="no tunable parameter")
class Nothing(EpochNet):
    param_space = {"n": Param(int, low=1), "random_state": Param(int, nullable=True)}

    def __init__(self, n=1, random_state=None):
        self.n, self.random_state = n, random_state


@MODELS.register("tune-ranged", family="test", modalities=("tabular",), summary="declares tuning ranges")
class Ranged(EpochNet):
    param_space = {"lr": Param(float, low=0.0, low_open=True, tune=TuneRange(1e-4, 1e-1)),
                   "width": Param(float, low=0.0, high=2.0, tune=TuneRange(0.5, 1.5)),
                   "layers": Param("seq", low=1, tune=TuneRange(choices=((8,), (16, 8)))),
                   "depth": Param(int, low=1, nullable=True, tune=TuneRange(choices=(None, 2, 4))),
                   "n": Param(int, low=1, high=5), "unbounded": Param(float, low=0.0),
                   "flag": Param(bool), "verbose": Param(bool), "random_state": Param(int, nullable=True)}

    def __init__(self, lr=0.01, width=1.0, layers=(8,), depth=None, n=1, unbounded=1.0, flag=False,
                 verbose=False, random_state=None):
        self.lr, self.width, self.layers, self.depth, self.n = lr, width, layers, depth, n
        self.unbounded, self.flag, self.verbose, self.random_state = unbounded, flag, verbose, random_state
