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
    #: scikit-learn estimator checks that cannot apply to this model: check name -> why. Declared here,
    #: beside the model, and read by the contract tests (``expected_failed_checks``); each entry must
    #: still fail (the tests run them as strict expected failures), so a stale one is noticed.
    _xfail_checks: ClassVar[dict[str, str]] = {}

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags plus the input kind: image-only networks take (n, c, h, w) images and text
        models raw strings, so scikit-learn's checks on (n, d) matrices cannot apply to them (the contract
        tests check them on their own inputs instead)."""
        return input_tags(super().__sklearn_tags__(), self)

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
        return self._features_in(flatten(X), reset)

    def _features_in(self, Xf: np.ndarray, reset: bool) -> np.ndarray:
        """``reset`` (fit): record ``n_features_in_``; else check the fitted model takes Xf's width."""
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
    _xfail_checks: ClassVar[dict[str, str]] = {}  # as Classifier._xfail_checks

    def __sklearn_tags__(self) -> Any:
        return input_tags(super().__sklearn_tags__(), self)

    def check_hyperparams(self) -> dict[str, Any]:
        return check_params(f"model {type(self).__name__}", self.param_space, self.get_params(deep=False))

    def _check_Xy(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        Xf = flatten(X, np.float64)  # float64: rounding inputs to float32 would show in the fitted curve
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            import warnings

            from sklearn.exceptions import DataConversionWarning

            warnings.warn("A column-vector y was passed when a 1d array was expected; it was raveled.",
                          DataConversionWarning, stacklevel=3)
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"y must be one target value per sample (1-D), got shape {y.shape}.")
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
        Xf = flatten(X, np.float64)
        if Xf.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {Xf.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input.")
        return Xf.astype(np.float64)


def input_tags(tags: Any, model: Any) -> Any:
    """Set scikit-learn's input tags from what ``model`` takes (see ``Classifier.__sklearn_tags__``)."""
    if getattr(model, "image_only", False):
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
    elif set(getattr(model, "modalities", ())) == {"text"}:
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
    return tags


def expected_failed_checks(model: Any) -> dict[str, str]:
    """The scikit-learn checks ``model`` declares it cannot pass, with their reasons (``_xfail_checks``)."""
    return dict(getattr(model, "_xfail_checks", {}))


def flatten(X: Any, dtype: Any = np.float32) -> np.ndarray:
    """(n, ...) -> (n, d) of ``dtype`` (float32 unless asked) for models that take vectors; rejects what
    cannot be a feature matrix."""
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
            X = X.astype(dtype)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"X must be numeric: {exc}") from None
    Xf = X.reshape(len(X), -1).astype(dtype, copy=False)
    if Xf.shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={Xf.shape}) while a minimum of 1 is required.")
    if Xf.shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={Xf.shape}) while a minimum of 1 is required.")
    if not np.all(np.isfinite(Xf)):
        raise ValueError("Input X contains NaN or infinity.")
    return Xf


def net_labels(owner: str, y: Any, n: int, what: str = "y") -> np.ndarray:
    """Labels of shape (n,) for the networks: a column vector (n, 1) is raveled with scikit-learn's
    DataConversionWarning; y None, another shape or another length raise UserError (a ValueError)."""
    from .errors import UserError

    if y is None:
        raise UserError(f"{owner} requires y to be passed, but the target y is None. Pass one label per sample.")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1 and len(y) == n:
        import warnings

        from sklearn.exceptions import DataConversionWarning

        warnings.warn(f"A column-vector {what} was passed when a 1d array was expected ({owner}); it was raveled.",
                      DataConversionWarning, stacklevel=3)
        y = y.ravel()
    if y.ndim != 1 or len(y) != n:
        raise UserError(f"{owner}: {what} must be one label per sample ({n} samples); got shape {y.shape}. "
                        f"Pass a 1-D array of labels as long as X.")
    return y


def net_input(owner: str, X: Any, what: str, *, image_only: bool, fitted: tuple[int, ...] | None,
              hint: str) -> np.ndarray:
    """X for the torch and scratch networks: float32, shape (n, c, h, w) or (n, d), contiguous.

    X : array-like of shape (n, d), (n, h, w) or (n, c, h, w) (images only when ``image_only``).
    ``fitted`` is the sample shape seen at fit time (None while fitting). Mistakes raise UserError
    (a ValueError, with the words scikit-learn's checks look for); sparse or non-numeric input that
    cannot be converted raises TypeError, as scikit-learn's contract asks.
    """
    import scipy.sparse as sp

    from .errors import UserError

    if sp.issparse(X):
        raise TypeError(f"{owner}: sparse input is not supported; pass a dense array (X.toarray()).")
    X = np.asarray(X)
    if np.iscomplexobj(X):
        raise UserError(f"{owner}: Complex data not supported in {what}; pass real numbers.")
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        try:
            X = X.astype(np.float32)
        except TypeError as exc:
            raise TypeError(f"{owner}: {what} must be numeric (images or feature vectors): {exc}. {hint}") from None
        except ValueError as exc:
            raise UserError(f"{owner}: {what} must be a numeric array (images or feature vectors); got dtype "
                            f"{X.dtype} ({exc}). {hint}") from None
    if X.ndim == 3:
        X = X[:, None]
    if X.ndim not in (2, 4) or (image_only and X.ndim != 4):
        want = "(n, c, h, w) images" if image_only else "(n, d) vectors or (n, c, h, w) images"
        raise UserError(f"{owner}: {what} has shape {X.shape}, but it takes {want}. Reshape your data "
                        f"(array.reshape(1, -1) for a single sample)."
                        + (" Use it on an image dataset, or pick an MLP for vectors." if image_only else ""))
    if X.shape[0] == 0 or 0 in X.shape[1:]:
        raise UserError(f"{owner}: {what} is empty: found array with {X.shape[0]} sample(s) and "
                        f"{int(np.prod(X.shape[1:]))} feature(s) (shape={X.shape}) while a minimum of 1 is required.")
    X = X.astype(np.float32, copy=False)
    if not np.isfinite(X).all():
        raise UserError(f"{owner}: {what} contains NaN or infinity; clean the data first (drop or fill such values).")
    if fitted is not None and tuple(X.shape[1:]) != fitted:
        raise UserError(f"{owner}: X has {int(np.prod(X.shape[1:]))} features, but {owner.split()[-1]} is "
                        f"expecting {int(np.prod(fitted))} features as input: {what} has samples of shape "
                        f"{tuple(X.shape[1:])}, the model was fitted on {fitted}. Use data prepared the same way "
                        f"as the training set.")
    return np.ascontiguousarray(X)
