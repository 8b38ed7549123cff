"""scikit-learn classifiers behind the classbench contract (inputs flattened to vectors)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.metaestimators import available_if

from ...contract import Classifier
from ...params import Param, TuneRange

_COMMON = {
    "standardize": Param(bool, doc="standardize features (zero mean, unit variance) before the model"),
    "random_state": Param(int, low=0, nullable=True, doc="seed"),
}


def _threads() -> int:
    return int(os.environ.get("CLASSBENCH_THREADS", os.cpu_count() or 1))


class SklearnClassifier(Classifier):
    """Shared fit/predict for wrappers whose ``_estimator()`` returns a scikit-learn classifier."""

    family = "sklearn"
    _has_proba = False  # whether the underlying estimator gives class probabilities
    _has_decision = True  # whether it has a decision_function

    def _estimator(self) -> Any:
        raise NotImplementedError

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "SklearnClassifier":
        import time

        Xf = self._check_X(X, reset=True)
        y_idx = self._encode_labels(y)
        if len(y_idx) != len(Xf):
            raise ValueError(f"X has {len(Xf)} samples but y has {len(y_idx)}.")
        est = self._estimator()
        if getattr(self, "standardize", False):
            est = make_pipeline(StandardScaler(), est)
        t0 = time.perf_counter()
        est.fit(Xf, y_idx)
        self.pipeline_ = est
        final = self._final()
        if hasattr(final, "n_iter_"):
            self.n_iter_ = np.max(final.n_iter_)
        acc = float(np.mean(est.predict(Xf) == y_idx)) if len(y_idx) <= 20000 else None
        self.history_ = [{"epoch": 1, "accuracy": acc, "seconds": time.perf_counter() - t0}]
        if X_val is not None and y_val is not None:
            self.history_[0]["val_accuracy"] = float(np.mean(self.predict(X_val) == np.asarray(y_val)))
        self.n_params_ = _count_params(self._final())
        return self

    def _final(self) -> Any:
        return self.pipeline_[-1] if isinstance(self.pipeline_, Pipeline) else self.pipeline_

    def predict(self, X: Any) -> np.ndarray:
        Xf = self._check_X(X, reset=False)
        return self.classes_[self.pipeline_.predict(Xf)]

    @available_if(lambda self: self._has_decision)
    def decision_function(self, X: Any) -> np.ndarray:
        Xf = self._check_X(X, reset=False)
        return self.pipeline_.decision_function(Xf)

    @available_if(lambda self: self._has_proba)
    def predict_proba(self, X: Any) -> np.ndarray:
        Xf = self._check_X(X, reset=False)
        return self.pipeline_.predict_proba(Xf)


def _count_params(est: Any) -> int:
    """Learned numbers in a fitted estimator (coefficients, support vectors, tree nodes, stored samples)."""
    if isinstance(est, Pipeline):
        return sum(_count_params(step) for _, step in est.steps)
    total = 0
    for attr in ("coef_", "intercept_", "components_", "means_", "scalings_", "normalization_", "mean_", "scale_"):
        val = getattr(est, attr, None)
        if isinstance(val, np.ndarray):
            total += val.size
    if hasattr(est, "estimators_") and hasattr(est, "n_estimators"):  # forests
        total += sum(int(t.tree_.node_count) * 2 for t in est.estimators_)
    if hasattr(est, "nystroem_"):  # NystroemSVC: landmarks and normalisation too
        total += _count_params(est.nystroem_)
    if hasattr(est, "_fit_X"):  # knn keeps the training set
        total += int(est._fit_X.size)
    if hasattr(est, "support_vectors_"):
        total += int(est.support_vectors_.size + est.dual_coef_.size)
    return int(total)


class Ridge(SklearnClassifier):
    param_space = {**_COMMON, "alpha": Param(float, low=0.0, doc="L2 penalty", tune=TuneRange(1e-3, 1e3))}

    def __init__(self, alpha: float = 1.0, standardize: bool = False, random_state: int | None = None):
        self.alpha = alpha
        self.standardize = standardize
        self.random_state = random_state

    def _estimator(self) -> Any:
        from sklearn.linear_model import RidgeClassifier

        return RidgeClassifier(alpha=self.alpha)


class LDA(SklearnClassifier):
    _has_proba = True
    param_space = {
        **_COMMON,
        "solver": Param(str, choices=("svd", "lsqr", "eigen")),
        "shrinkage": Param(float, low=0.0, high=1.0, nullable=True, doc="None, or 0..1 (lsqr/eigen only)"),
    }

    def __init__(self, solver: str = "svd", shrinkage: float | None = None, standardize: bool = False,
                 random_state: int | None = None):
        self.solver = solver
        self.shrinkage = shrinkage
        self.standardize = standardize
        self.random_state = random_state

    def _estimator(self) -> Any:
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

        return LinearDiscriminantAnalysis(solver=self.solver, shrinkage=self.shrinkage)


class Perceptron(SklearnClassifier):
    param_space = {**_COMMON, "max_iter": Param(int, low=1), "eta0": Param(float, low=0.0, low_open=True)}

    def __init__(self, max_iter: int = 1000, eta0: float = 1.0, standardize: bool = False,
                 random_state: int | None = 0):
        self.max_iter = max_iter
        self.eta0 = eta0
        self.standardize = standardize
        self.random_state = random_state

    def _estimator(self) -> Any:
        from sklearn.linear_model import Perceptron as SkPerceptron

        return SkPerceptron(max_iter=self.max_iter, eta0=self.eta0, random_state=self.random_state,
                            n_jobs=_threads())


class LogReg(SklearnClassifier):
    _has_proba = True
    param_space = {**_COMMON, "C": Param(float, low=0.0, low_open=True, doc="inverse L2 strength",
                                         tune=TuneRange(1e-3, 1e3)),
                   "max_iter": Param(int, low=1), "tol": Param(float, low=0.0, low_open=True)}

    def __init__(self, C: float = 1.0, max_iter: int = 100, tol: float = 1e-4, standardize: bool = False,
                 random_state: int | None = None):
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.standardize = standardize
        self.random_state = random_state

    def _estimator(self) -> Any:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, max_iter=self.max_iter, tol=self.tol, random_state=self.random_state)

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "LogReg":
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():  # lbfgs stopping at max_iter is the documented setting, not an error
            warnings.simplefilter("ignore", ConvergenceWarning)
            return super().fit(X, y, X_val=X_val, y_val=y_val)


class LinearSVM(SklearnClassifier):
    param_space = {**_COMMON, "C": Param(float, low=0.0, low_open=True, tune=TuneRange(1e-4, 1e2)),
                   "max_iter": Param(int, low=1)}

    def __init__(self, C: float = 1.0, max_iter: int = 1000, standardize: bool = False,
                 random_state: int | None = 0):
        self.C = C
        self.max_iter = max_iter
        self.standardize = standardize
        self.random_state = random_state

    def _estimator(self) -> Any:
        from sklearn.svm import LinearSVC

        return LinearSVC(C=self.C, max_iter=self.max_iter, random_state=self.random_state)

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "LinearSVM":
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return super().fit(X, y, X_val=X_val, y_val=y_val)


class _KernelSVM(LinearSVM):
    """Kernel SVM that scales to 60,000 images.

    ``method="nystroem"`` (default): an ``n_components``-dimensional Nystroem approximation of the kernel
    map, then a one-vs-rest linear SVM (LinearSVC's squared-hinge objective) on those features, solved in
    the primal on float32 features (time and memory linear in n; see ``kernel_svm.py``). ``method="exact"``: libsvm's
    SVC on at most ``max_train_samples`` training samples (a seeded stratified subsample), since exact
    training is quadratic to cubic in n.
    """

    kernel = "rbf"
    param_space = {
        **LinearSVM.param_space,
        "C": Param(float, low=0.0, low_open=True, tune=TuneRange(1e-2, 1e3)),
        "method": Param(str, choices=("nystroem", "exact"), tune=False),
        "n_components": Param(int, low=1, doc="Nystroem features"),
        "gamma": Param(float, low=0.0, low_open=True, nullable=True, doc="kernel width; None: 1/(d*var(X))",
                       tune=TuneRange(1e-3, 1e1)),
        "max_train_samples": Param(int, low=2, doc="cap for method='exact'"),
        "degree": Param(int, low=1, high=10, tune=False),
        "coef0": Param(float),
    }

    def __init__(self, C: float = 1.0, method: str = "nystroem", n_components: int = 3000,
                 gamma: float | None = None, max_train_samples: int = 10000, degree: int = 3, coef0: float = 1.0,
                 max_iter: int = 1000, standardize: bool = False, random_state: int | None = 0):
        self.C = C
        self.method = method
        self.n_components = n_components
        self.gamma = gamma
        self.max_train_samples = max_train_samples
        self.degree = degree
        self.coef0 = coef0
        self.max_iter = max_iter
        self.standardize = standardize
        self.random_state = random_state

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "_KernelSVM":
        Xf = self._check_X(X, reset=True)
        self.gamma_ = self.gamma if self.gamma is not None else 1.0 / (Xf.shape[1] * float(Xf.var()) or 1.0)
        if self.method == "exact" and len(Xf) > self.max_train_samples:
            from ...datasets.base import stratified_holdout

            keep, _ = stratified_holdout(np.asarray(y), 1 - self.max_train_samples / len(Xf),
                                         self.random_state or 0)
            X, y = np.asarray(X)[keep], np.asarray(y)[keep]
        self.n_components_ = min(self.n_components, len(Xf))  # Nystroem cannot use more landmarks than samples
        return super().fit(X, y, X_val=X_val, y_val=y_val)

    def _estimator(self) -> Any:
        from sklearn.svm import SVC

        from .kernel_svm import NystroemSVC

        kw = {"gamma": self.gamma_}
        if self.kernel == "poly":
            kw.update(degree=self.degree, coef0=self.coef0)
        if self.method == "exact":
            return SVC(C=self.C, kernel=self.kernel, random_state=self.random_state, **kw)
        return NystroemSVC(kernel=self.kernel, n_components=self.n_components_, C=self.C, max_iter=self.max_iter,
                           random_state=self.random_state, **kw)


class RBFSVM(_KernelSVM):
    kernel = "rbf"


class PolySVM(_KernelSVM):
    kernel = "poly"
    param_space = {**_KernelSVM.param_space, "degree": Param(int, low=1, high=10, tune=TuneRange(2, 5))}


class KNN(SklearnClassifier):
    _has_proba = True
    _has_decision = False
    param_space = {**_COMMON, "n_neighbors": Param(int, low=1, tune=TuneRange(1, 30)),
                   "weights": Param(str, choices=("uniform", "distance"))}

    def __init__(self, n_neighbors: int = 3, weights: str = "distance", standardize: bool = False,
                 random_state: int | None = None):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.standardize = standardize
        self.random_state = random_state

    def _estimator(self) -> Any:
        from sklearn.neighbors import KNeighborsClassifier

        return KNeighborsClassifier(n_neighbors=self.n_neighbors, weights=self.weights, n_jobs=_threads())


class RandomForest(SklearnClassifier):
    _has_proba = True
    _has_decision = False
    param_space = {**_COMMON, "standardize": Param(bool, tune=False),
                   "n_estimators": Param(int, low=1, tune=TuneRange(20, 400)),
                   "max_depth": Param(int, low=1, nullable=True, tune=TuneRange(choices=(None, 4, 8, 16, 32))),
                   "max_features": Param(str, choices=("sqrt", "log2"))}

    def __init__(self, n_estimators: int = 100, max_depth: int | None = None, max_features: str = "sqrt",
                 standardize: bool = False, random_state: int | None = 0):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.max_features = max_features
        self.standardize = standardize
        self.random_state = random_state

    def _estimator(self) -> Any:
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=self.n_estimators, max_depth=self.max_depth,
                                      max_features=self.max_features, random_state=self.random_state,
                                      n_jobs=_threads())
