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
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from .params import Param, check_params


class Classifier(ClassifierMixin, BaseEstimator):
    """Base class of every classbench model."""

    family: ClassVar[str] = ""
    task: ClassVar[str] = "classification"
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
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            import warnings

            from sklearn.exceptions import DataConversionWarning

            warnings.warn("A column-vector y was passed when a 1d array was expected; it was raveled.",
                          DataConversionWarning, stacklevel=3)
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"y must be one label per sample (1-D), got shape {y.shape}.")
        if y.dtype.kind == "f":
            if not np.all(np.isfinite(y)):
                raise ValueError("Input y contains NaN or infinity.")
            if not np.all(y == np.round(y)):
                raise ValueError("Unknown label type: continuous. Classifiers need discrete class labels.")
        self.classes_, idx = np.unique(y, return_inverse=True)
        return idx.astype(np.int64)

    def _check_X(self, X: Any, reset: bool) -> np.ndarray:
        """Validate X, return it flattened to (n, d); ``reset`` records n_features_in_ (fit), else checks it."""
        Xf = flatten(X)
        if reset:
            self.n_features_in_ = Xf.shape[1]
        else:
            self._check_fitted()
            if Xf.shape[1] != self.n_features_in_:
                raise ValueError(f"X has {Xf.shape[1]} features, but {type(self).__name__} is expecting "
                                 f"{self.n_features_in_} features as input.")
        return Xf

    def _check_fitted(self) -> None:
        from sklearn.exceptions import NotFittedError

        if not hasattr(self, "classes_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet. Call 'fit' first.")


class Regressor(RegressorMixin, BaseEstimator):
    """Base class of classbench's regression models (the ``regression`` task): same contract, float targets."""

    family: ClassVar[str] = ""
    task: ClassVar[str] = "regression"
    modalities: ClassVar[frozenset[str]] = frozenset({"tabular"})
    param_space: ClassVar[dict[str, Param]] = {}

    def check_hyperparams(self) -> dict[str, Any]:
        return check_params(f"model {type(self).__name__}", self.param_space, self.get_params(deep=False))

    def _check_Xy(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        Xf = flatten(X)
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        y = np.asarray(y, dtype=np.float64).ravel()
        if len(y) != len(Xf):
            raise ValueError(f"X has {len(Xf)} samples but y has {len(y)}.")
        if not np.all(np.isfinite(y)):
            raise ValueError("Input y contains NaN or infinity.")
        self.n_features_in_ = Xf.shape[1]
        return Xf.astype(np.float64), y

    def _check_X(self, X: Any) -> np.ndarray:
        from sklearn.exceptions import NotFittedError

        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet. Call 'fit' first.")
        Xf = flatten(X)
        if Xf.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {Xf.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input.")
        return Xf.astype(np.float64)


def flatten(X: Any) -> np.ndarray:
    """(n, ...) -> (n, d) float32 for models that take vectors; rejects what cannot be a feature matrix."""
    import scipy.sparse as sp

    if sp.issparse(X):
        raise TypeError("Sparse input is not supported by classbench models; pass a dense array (X.toarray()).")
    X = np.asarray(X)
    if np.iscomplexobj(X):
        raise ValueError("Complex data not supported.")
    if X.ndim < 2:
        raise ValueError(f"Expected 2D array or more, got {X.ndim}D array instead. Reshape your data either "
                         "using array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) "
                         "if it contains a single sample.")
    if X.dtype.kind not in "fiub":
        try:
            X = X.astype(np.float32)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"X must be numeric: {exc}") from None
    Xf = X.reshape(len(X), -1).astype(np.float32, copy=False)
    if Xf.shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={Xf.shape}) while a minimum of 1 is required.")
    if Xf.shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={Xf.shape}) while a minimum of 1 is required.")
    if not np.all(np.isfinite(Xf)):
        raise ValueError("Input X contains NaN or infinity.")
    return Xf
