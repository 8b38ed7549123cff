"""Shared plumbing of the from-scratch linear and kernel models (NumPy/SciPy only, no scikit-learn solvers).

``ScratchEstimator`` adds to the classbench contract: hyperparameter validation at ``fit`` (so a bad value
raises ``UserError`` whether the model came from ``create_model`` or was built directly), input checks
with readable messages, optional standardisation, and the per-epoch ``history_`` rows.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ...contract import Classifier
from ...params import Param

STANDARDIZE = Param(bool, doc="standardize features (zero mean, unit variance, fitted on train) first")
SEED = Param(int, low=0, nullable=True, doc="seed of every random choice (shuffling, subsets)")


def softmax(S: np.ndarray) -> np.ndarray:
    """Row-wise softmax of scores ``S`` of shape (n, k), computed stably."""
    S = S - S.max(axis=1, keepdims=True)
    np.exp(S, out=S)
    S /= S.sum(axis=1, keepdims=True)
    return S


class ScratchEstimator(Classifier):
    """Base class. Subclasses implement ``fit`` (starting with ``_setup_fit``) and ``_scores``.

    Data checks follow the contract (``Classifier._check_X``: ValueError / TypeError with scikit-learn's
    messages, so ``parametrize_with_checks`` passes); float64 inputs stay float64, the rest become float32.
    """

    family = "scratch"

    @property
    def _owner(self) -> str:
        return f"model {type(self).__name__}"

    def _matrix(self, X: Any, reset: bool) -> np.ndarray:
        """X of shape (n, ...) validated and flattened to (n, d)."""
        Xf = self._check_X(X, reset=reset)
        X = np.asarray(X) if not hasattr(X, "toarray") else X
        if isinstance(X, np.ndarray) and X.dtype == np.float64:
            return X.reshape(len(X), -1)
        return Xf

    def _setup_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Validate hyperparameters and data; return (X as an (n, d) matrix, y as indices 0..K-1)."""
        self.check_hyperparams()
        X = self._matrix(X, reset=True)
        y_idx = self._encode_labels(y)
        if len(y_idx) != len(X):
            raise ValueError(f"Found input variables with inconsistent numbers of samples: X has {len(X)} "
                             f"rows but y has {len(y_idx)} labels.")
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__}: y holds only one class ({self.classes_[0]!r}); a "
                             f"classifier needs at least two.")
        if getattr(self, "standardize", False):
            self.mean_ = X.mean(axis=0)
            std = X.std(axis=0)
            self.scale_ = np.where(std > 0, std, 1.0).astype(X.dtype)
            X = (X - self.mean_) / self.scale_
        self.history_: list[dict[str, Any]] = []
        self._t0 = time.perf_counter()
        return X, y_idx

    def _inputs(self, X: Any) -> np.ndarray:
        """Prediction-time inputs: checked like at fit time, then the training preprocessing."""
        X = self._matrix(X, reset=False)
        if getattr(self, "standardize", False):
            X = (X - self.mean_) / self.scale_
        return X

    def _log(self, epoch: int, loss: float | None, accuracy: float | None, X_val: Any = None,
             y_val: Any = None, **extra: Any) -> dict[str, Any]:
        """Append one ``history_`` row (seconds since fit started; val_accuracy when X_val is given)."""
        row: dict[str, Any] = {"epoch": epoch, "loss": None if loss is None else float(loss),
                               "accuracy": None if accuracy is None else float(accuracy),
                               "seconds": time.perf_counter() - self._t0, **extra}
        if X_val is not None and y_val is not None:
            row["val_accuracy"] = float(np.mean(self.predict(X_val) == np.asarray(y_val)))
        self.history_.append(row)
        return row

    def _scores(self, X: np.ndarray) -> np.ndarray:
        """Class scores of shape (n, K) for preprocessed inputs X of shape (n, d)."""
        raise NotImplementedError

    def decision_function(self, X: Any) -> np.ndarray:
        """Scores of shape (n, K); for two classes shape (n,), positive meaning ``classes_[1]``."""
        S = self._scores(self._inputs(X))
        return S[:, 1] - S[:, 0] if S.shape[1] == 2 else S

    def predict(self, X: Any) -> np.ndarray:
        """Labels (of the training labels' type) for X of shape (n, ...)."""
        scores = self._scores(self._inputs(X))  # checks fitted first
        return self.classes_[np.argmax(scores, axis=1)]
