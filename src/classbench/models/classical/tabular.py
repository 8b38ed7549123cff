"""Models people reach for on tables: gradient boosting, extra trees, a single tree, naive Bayes, QDA,
AdaBoost and an exact kernel SVC, behind the classbench contract.

On a described table (``Dataset.meta["columns"]``) the trial wraps each in ``bench.preprocess.TabularPipeline``:
most get imputed, one-hot encoded and scaled columns; those with ``native_categorical = True`` (``hist-gb``,
``lightgbm``, ``categorical-nb``) get the raw codes with NaN for missing values and the nominal columns'
indices in their ``categorical`` hyperparameter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...contract import flatten
from ...errors import UserError
from ...params import Param
from .estimators import _COMMON, SklearnClassifier, _count_params, _threads

_SEED = {"random_state": _COMMON["random_state"]}
_CATEGORICAL = Param("seq", nullable=True, doc="indices of nominal columns (codes 0..m-1); set by the trial")


class _Tab(SklearnClassifier):
    """Counts the learned numbers of boosted trees and naive Bayes statistics too."""

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> Any:
        super().fit(X, y, X_val=X_val, y_val=y_val)
        self.n_params_ = count_params(self._final())
        return self


class _NativeTable(_Tab):
    """A model that takes NaN for missing values and category codes itself (see the module docstring)."""

    native_categorical = True

    def _check_X(self, X: Any, reset: bool) -> np.ndarray:
        Xa = np.asarray(X) if not hasattr(X, "toarray") else X
        probe = np.where(np.isnan(Xa), 0.0, Xa) if isinstance(Xa, np.ndarray) and Xa.dtype.kind == "f" else Xa
        flatten(probe)  # shape, dtype, sparse and infinity checks (NaN is a missing value here)
        return self._features_in(np.asarray(Xa, dtype=np.float64).reshape(len(Xa), -1), reset)

    def _cat(self, d: int) -> list[int]:
        cat = sorted({int(i) for i in (self.categorical or ())})
        if cat and not (0 <= cat[0] and cat[-1] < d):
            raise ValueError(f"categorical lists column {cat[-1]}, but X has {d} columns.")
        return cat

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class HistGB(_NativeTable):
    """scikit-learn's HistGradientBoostingClassifier (LightGBM's algorithm), native categorical splits."""

    _has_proba = True
    param_space = {
        **_SEED, "categorical": _CATEGORICAL,
        "max_iter": Param(int, low=1, doc="boosting rounds"),
        "learning_rate": Param(float, low=0.0, low_open=True),
        "max_leaf_nodes": Param(int, low=2, nullable=True),
        "min_samples_leaf": Param(int, low=1),
        "l2_regularization": Param(float, low=0.0),
        "early_stopping": Param(str, choices=("auto", "on", "off"), doc="auto: on above 10,000 rows"),
    }

    def __init__(self, max_iter: int = 100, learning_rate: float = 0.1, max_leaf_nodes: int | None = 31,
                 min_samples_leaf: int = 20, l2_regularization: float = 0.0, early_stopping: str = "auto",
                 categorical: Any = None, random_state: int | None = 0):
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.early_stopping = early_stopping
        self.categorical = categorical
        self.random_state = random_state

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "HistGB":
        self._d = self._check_X(X, reset=True).shape[1]
        return super().fit(X, y, X_val=X_val, y_val=y_val)

    def _estimator(self) -> Any:
        from sklearn.ensemble import HistGradientBoostingClassifier

        cat = self._cat(self._d)
        stop = {"auto": "auto", "on": True, "off": False}[self.early_stopping]
        return HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
            early_stopping=stop, categorical_features=cat or None, random_state=self.random_state)


class LightGBM(_NativeTable):
    """LightGBM's LGBMClassifier (optional: ``pip install 'classbench[tables]'``), native categorical splits."""

    _has_proba = True
    _has_decision = False
    param_space = {
        **_SEED, "categorical": _CATEGORICAL,
        "n_estimators": Param(int, low=1), "learning_rate": Param(float, low=0.0, low_open=True),
        "num_leaves": Param(int, low=2), "min_child_samples": Param(int, low=1),
        "subsample": Param(float, low=0.0, high=1.0, low_open=True),
        "colsample_bytree": Param(float, low=0.0, high=1.0, low_open=True),
        "reg_lambda": Param(float, low=0.0),
    }

    def __init__(self, n_estimators: int = 100, learning_rate: float = 0.1, num_leaves: int = 31,
                 min_child_samples: int = 20, subsample: float = 1.0, colsample_bytree: float = 1.0,
                 reg_lambda: float = 0.0, categorical: Any = None, random_state: int | None = 0):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.categorical = categorical
        self.random_state = random_state

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "LightGBM":
        import time

        try:
            from lightgbm import LGBMClassifier
        except ImportError:
            raise UserError("Model 'lightgbm' needs the LightGBM package, which is not installed. Install it "
                            "with `pip install 'classbench[tables]'` (or `pip install lightgbm`), or use "
                            "'hist-gb' (scikit-learn's histogram gradient boosting, same algorithm).") from None
        Xf = self._check_X(X, reset=True)
        y_idx = self._encode_labels(y)
        if len(y_idx) != len(Xf):
            raise ValueError(f"X has {len(Xf)} samples but y has {len(y_idx)}.")
        est = LGBMClassifier(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate, num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples, subsample=self.subsample,
            subsample_freq=1 if self.subsample < 1 else 0, colsample_bytree=self.colsample_bytree,
            reg_lambda=self.reg_lambda, random_state=self.random_state, n_jobs=_threads(), verbose=-1)
        t0 = time.perf_counter()
        if len(self.classes_) == 1:  # LightGBM refuses one class: every prediction is that class
            self.booster_ = None
        else:
            est.fit(Xf, y_idx, categorical_feature=self._cat(Xf.shape[1]) or "auto")
            self.booster_ = est.booster_
        self.history_ = [{"epoch": 1, "accuracy": float(np.mean(self.predict(Xf) == self.classes_[y_idx])),
                          "seconds": time.perf_counter() - t0}]
        self.n_params_ = 0 if self.booster_ is None else sum(
            2 * (2 * t["num_leaves"] - 1) for t in self.booster_.dump_model()["tree_info"])
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        Xf = self._check_X(X, reset=False)
        if self.booster_ is None:
            return np.ones((len(Xf), 1))
        p = np.asarray(self.booster_.predict(Xf), dtype=np.float64)
        return np.column_stack([1 - p, p]) if p.ndim == 1 else p

    def predict(self, X: Any) -> np.ndarray:
        p = self.predict_proba(X)
        return self.classes_[np.argmax(p, axis=1)]

    def _export_state(self) -> dict[str, Any]:
        """The booster as LightGBM's own text model format (no pickle), with the learned attributes."""
        state = {k: v for k, v in vars(self).items() if k.endswith("_") and k != "booster_"}
        state["booster_text"] = None if self.booster_ is None else self.booster_.model_to_string()
        return state

    def _import_state(self, state: dict[str, Any]) -> None:
        text = state.pop("booster_text", None)
        self.__dict__.update(state)
        if text is None:
            self.booster_ = None
        else:
            from lightgbm import Booster

            self.booster_ = Booster(model_str=text)


class ExtraTrees(_Tab):
    _has_proba = True
    _has_decision = False
    param_space = {**_COMMON, "n_estimators": Param(int, low=1), "max_depth": Param(int, low=1, nullable=True),
                   "max_features": Param(str, choices=("sqrt", "log2", "all")),
                   "min_samples_leaf": Param(int, low=1)}

    def __init__(self, n_estimators: int = 100, max_depth: int | None = None, max_features: str = "sqrt",
                 min_samples_leaf: int = 1, standardize: bool = False, random_state: int | None = 0):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.standardize = standardize
        self.random_state = random_state

    def _estimator(self) -> Any:
        from sklearn.ensemble import ExtraTreesClassifier

        return ExtraTreesClassifier(
            n_estimators=self.n_estimators, max_depth=self.max_depth, min_samples_leaf=self.min_samples_leaf,
            max_features=None if self.max_features == "all" else self.max_features,
            random_state=self.random_state, n_jobs=_threads())


class DecisionTree(_Tab):
    """One CART tree; ``ccp_alpha`` > 0 prunes it (cost-complexity), ``min_samples_leaf`` like J48's -M."""

    _has_proba = True
    _has_decision = False
    param_space = {**_COMMON, "criterion": Param(str, choices=("gini", "entropy", "log_loss")),
                   "max_depth": Param(int, low=1, nullable=True), "min_samples_leaf": Param(int, low=1),
                   "ccp_alpha": Param(float, low=0.0)}

    def __init__(self, criterion: str = "entropy", max_depth: int | None = None, min_samples_leaf: int = 2,
                 ccp_alpha: float = 0.0, standardize: bool = False, random_state: int | None = 0):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.ccp_alpha = ccp_alpha
        self.standardize = standardize
        self.random_state = random_state

    def _estimator(self) -> Any:
        from sklearn.tree import DecisionTreeClassifier

        return DecisionTreeClassifier(criterion=self.criterion, max_depth=self.max_depth,
                                      min_samples_leaf=self.min_samples_leaf, ccp_alpha=self.ccp_alpha,
                                      random_state=self.random_state)


class GaussianNB(_Tab):
    _has_proba = True
    _has_decision = False
    param_space = {**_COMMON, "var_smoothing": Param(float, low=0.0)}

    def __init__(self, var_smoothing: float = 1e-9, standardize: bool = False, random_state: int | None = None):
        self.var_smoothing = var_smoothing
        self.standardize = standardize
        self.random_state = random_state

    def _estimator(self) -> Any:
        from sklearn.naive_bayes import GaussianNB as SkGaussianNB

        return SkGaussianNB(var_smoothing=self.var_smoothing)


class CategoricalNB(_NativeTable):
    """Naive Bayes on a mixed table, as Weka's NaiveBayes: category frequencies (Laplace ``alpha``) for the
    nominal columns, a Gaussian per class for numeric ones; a missing value is left out of both."""

    _has_proba = True
    _has_decision = False
    param_space = {**_SEED, "categorical": _CATEGORICAL, "alpha": Param(float, low=0.0, low_open=True),
                   "var_smoothing": Param(float, low=0.0)}

    def __init__(self, alpha: float = 1.0, var_smoothing: float = 1e-9, categorical: Any = None,
                 random_state: int | None = None):
        self.alpha = alpha
        self.var_smoothing = var_smoothing
        self.categorical = categorical
        self.random_state = random_state

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "CategoricalNB":
        self._d = self._check_X(X, reset=True).shape[1]
        return super().fit(X, y, X_val=X_val, y_val=y_val)

    def _estimator(self) -> Any:
        from .tabular_fit import MixedNB

        return MixedNB(categorical=self._cat(self._d), alpha=self.alpha, var_smoothing=self.var_smoothing)


class QDA(_Tab):
    """Quadratic discriminant analysis; each class covariance shrunk toward a scaled identity by
    ``reg_param`` (scikit-learn's eigen solver with ``shrinkage``), so it works with fewer rows than columns.

    A class that cannot have a covariance (fewer than 2 training rows, or all its rows identical) is left
    out, never predicted and given probability 0, instead of failing the trial (when 2 classes remain)."""

    _has_proba = True
    _has_decision = False
    param_space = {**_COMMON, "reg_param": Param(float, low=0.0, high=1.0, low_open=True,
                                                  doc="shrinkage of each class covariance (0..1]")}

    def __init__(self, reg_param: float = 0.5, standardize: bool = False, random_state: int | None = None):
        self.reg_param = reg_param
        self.standardize = standardize
        self.random_state = random_state

    def _check_X(self, X: Any, reset: bool) -> np.ndarray:  # float64: float32 rounding differs by batch
        return super()._check_X(X, reset).astype(np.float64)

    def _estimator(self) -> Any:
        from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis

        return QuadraticDiscriminantAnalysis(solver="eigen", shrinkage=self.reg_param)

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "QDA":
        self.kept_ = None
        y_arr = np.asarray(y)
        if y_arr.ndim != 1:
            return super().fit(X, y, X_val=X_val, y_val=y_val)
        Xf = self._check_X(X, reset=True)
        if len(Xf) != len(y_arr):
            raise ValueError(f"X has {len(Xf)} samples but y has {len(y_arr)}.")
        classes = np.unique(y_arr)
        ok = np.array([(y_arr == c).sum() >= 2 and np.ptp(Xf[y_arr == c], axis=0).max() > 0 for c in classes])
        if ok.all() or ok.sum() < 2:
            return super().fit(X, y, X_val=X_val, y_val=y_val)
        keep = np.isin(y_arr, classes[ok])
        super().fit(Xf[keep], y_arr[keep])
        self.classes_, self.kept_ = classes, np.flatnonzero(ok)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        p = super().predict_proba(X)
        if getattr(self, "kept_", None) is None:
            return p
        out = np.zeros((len(p), len(self.classes_)))
        out[:, self.kept_] = p
        return out

    def predict(self, X: Any) -> np.ndarray:
        if getattr(self, "kept_", None) is None:
            return super().predict(X)
        return self.classes_[self.kept_[self.pipeline_.predict(self._check_X(X, reset=False))]]


class AdaBoost(_Tab):
    """AdaBoost (SAMME) over decision trees of depth ``max_depth`` (1: stumps)."""

    _has_proba = True
    param_space = {**_COMMON, "n_estimators": Param(int, low=1), "learning_rate": Param(float, low=0.0, low_open=True),
                   "max_depth": Param(int, low=1)}

    def __init__(self, n_estimators: int = 100, learning_rate: float = 0.5, max_depth: int = 2,
                 standardize: bool = False, random_state: int | None = 0):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.standardize = standardize
        self.random_state = random_state

    def _estimator(self) -> Any:
        from sklearn.ensemble import AdaBoostClassifier
        from sklearn.tree import DecisionTreeClassifier

        return AdaBoostClassifier(DecisionTreeClassifier(max_depth=self.max_depth), n_estimators=self.n_estimators,
                                  learning_rate=self.learning_rate, random_state=self.random_state)


class SVC(_Tab):
    """Exact kernel SVM (libsvm's SVC, one-vs-one); quadratic to cubic in the rows: for small tables."""

    _has_proba = False
    param_space = {**_COMMON, "C": Param(float, low=0.0, low_open=True),
                   "kernel": Param(str, choices=("rbf", "poly", "sigmoid", "linear")),
                   "gamma": Param(float, low=0.0, low_open=True, nullable=True, doc="None: 1/(d*var(X))"),
                   "degree": Param(int, low=1, high=10),
                   "balanced": Param(bool, doc="weight classes inversely to their frequency")}

    def __init__(self, C: float = 1.0, kernel: str = "rbf", gamma: float | None = None, degree: int = 3,
                 balanced: bool = False, standardize: bool = False, random_state: int | None = 0):
        self.C = C
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.balanced = balanced
        self.standardize = standardize
        self.random_state = random_state

    def _estimator(self) -> Any:
        from sklearn.svm import SVC as SkSVC

        return SkSVC(C=self.C, kernel=self.kernel, gamma="scale" if self.gamma is None else self.gamma,
                     degree=self.degree, class_weight="balanced" if self.balanced else None,
                     random_state=self.random_state, cache_size=100)


def count_params(est: Any) -> int:
    """``_count_params`` plus what the tabular estimators keep (boosted trees, class statistics)."""
    total = _count_params(est)
    for attr in ("theta_", "var_", "class_log_prior_", "estimator_weights_"):
        v = getattr(est, attr, None)
        total += v.size if isinstance(v, np.ndarray) else 0
    predictors = getattr(est, "_predictors", None)  # HistGradientBoosting: one tree per round and class
    if predictors:
        total += sum(len(p.nodes) * 2 for round_ in predictors for p in round_)
    if hasattr(est, "tree_") and not hasattr(est, "estimators_"):  # a single tree
        total += int(est.tree_.node_count) * 2
    for v in getattr(est, "log_probs_", None) or []:
        total += int(v.size)
    return int(total)
