"""The Classifier contract shared by every family (scikit-learn, torch, scratch).

It is scikit-learn's estimator contract, so ``sklearn.base.clone``, pipelines and
``parametrize_with_checks`` work on every family:

- ``__init__`` stores keyword hyperparameters only (``random_state`` among them); no validation there.
- ``fit(X, y, *, X_val=None, y_val=None)`` returns ``self``; learned state ends in ``_``
  (``classes_``, ``history_``, ``n_params_``).
- ``predict(X)``; ``predict_proba(X)`` where the model can.
- ``param_space`` declares every hyperparameter (type, range, choices); ``check_hyperparams``
  validates them before any training.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .params import Param, check_params


class Classifier(ClassifierMixin, BaseEstimator):
    """Base class of every classbench model."""

    family: ClassVar[str] = ""
    #: what kinds of input the model takes: "image", "tabular", "text"
    modalities: ClassVar[frozenset[str]] = frozenset({"image", "tabular"})
    param_space: ClassVar[dict[str, Param]] = {}

    def check_hyperparams(self) -> dict[str, Any]:
        """Validate every hyperparameter against ``param_space``; UserError on the first bad one."""
        return check_params(f"model {type(self).__name__}", self.param_space, self.get_params(deep=False))

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "Classifier":
        raise NotImplementedError

    def predict(self, X: Any) -> np.ndarray:
        raise NotImplementedError

    def _encode_labels(self, y: Any) -> np.ndarray:
        """Set ``classes_`` and return y as indices 0..K-1 (labels of any type are accepted)."""
        self.classes_, idx = np.unique(np.asarray(y), return_inverse=True)
        return idx.astype(np.int64)


def flatten(X: Any) -> np.ndarray:
    """(n, ...) -> (n, d) float32 view for models that take vectors."""
    X = np.asarray(X)
    return X.reshape(len(X), -1).astype(np.float32, copy=False)
