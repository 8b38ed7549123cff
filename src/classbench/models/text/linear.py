"""Linear baselines on word n-gram features (scikit-learn solvers, ``classbench.text`` features).

- ``TfidfLogReg``: TF-IDF (sublinear tf, smoothed idf, l2 rows) of word 1..n-grams + logistic regression.
- ``NBSVM``: Wang & Manning (2012), "Baselines and Bigrams": binarised 1..n-gram features scaled by the
  naive-Bayes log-count ratio r = log((p / |p|_1) / (q / |q|_1)) (p, q: smoothed feature counts of the
  positive and negative texts), then an L2 linear SVM whose weights are interpolated with their mean
  magnitude, w' = (1 - beta) * mean|w| + beta * w, b' = beta * b (``loss="svm"``), or an L2 logistic
  regression on the same features (``loss="logreg"``, the default: the variant of Mesnil et al. 2014,
  as accurate on IMDB, faster to train, and it gives probabilities). More than two classes: one-vs-rest.
- ``NBSVM3``: ``NBSVM`` on binarised 1..3-grams (Mesnil et al. 2015's NBSVM-uni-bi-tri) with the
  interpolated SVM, C = 0.03 and beta = 0.1, chosen on validation splits of IMDB's training reviews
  (20,000 fitted / 5,000 held out, two seeds): 0.922 there against 0.912 for ``NBSVM``'s defaults on
  the same 1..3-grams. About 3x slower to fit than ``NBSVM`` (four times as many features).
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ...contract import Classifier, net_labels
from ...errors import UserError
from ...params import Param
from ...text import NgramCounter, check_texts, tokenize

_COMMON = {
    "ngram_max": Param(int, low=1, high=3, doc="longest word n-gram (1: words, 2: + bigrams, 3: + trigrams)"),
    "min_df": Param(int, low=1, doc="keep n-grams found in at least this many training texts"),
    "max_features": Param(int, low=1, nullable=True, doc="keep the most frequent n-grams only (None: all)"),
    "C": Param(float, low=0.0, low_open=True, doc="inverse regularisation strength"),
    "max_iter": Param(int, low=1, doc="solver iterations"),
    "random_state": Param(int, low=0, nullable=True, doc="seed of the solver"),
}


class _NgramLinear(Classifier):
    family = "sklearn"
    modalities = frozenset({"text"})

    def _features(self, X: Any, what: str = "X") -> Any:
        check_is_fitted(self, "counter_")
        return self._weigh(self.counter_.transform_tokens([tokenize(t) for t in check_texts(X, self._owner, what)]))

    @property
    def _owner(self) -> str:
        return f"model {type(self).__name__}"

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "_NgramLinear":
        """X : array-like of str of shape (n,); y : array of shape (n,). X_val, y_val: scored after training."""
        self.check_hyperparams()
        texts = check_texts(X, self._owner)
        y_idx = self._encode_labels(net_labels(self._owner, y, len(texts)))
        if len(self.classes_) < 2:
            raise UserError(f"{self._owner}: y holds a single class ({self.classes_[0]!r}); need two or more (one class is not enough).")
        t0 = time.perf_counter()
        tokens = [tokenize(t) for t in texts]
        self.counter_ = NgramCounter(self.ngram_max, self.min_df, self.max_features, binary=self._binary)
        counts = self.counter_.fit_tokens(tokens).transform_tokens(tokens)
        self._fit_weights(counts, y_idx)
        feats = self._weigh(counts)
        self._fit_linear(feats, y_idx)
        self.n_features_in_ = self.counter_.n_features
        row = {"epoch": 1, "accuracy": float(np.mean(self._predict_idx(feats) == y_idx)),
               "seconds": time.perf_counter() - t0}
        if X_val is not None and y_val is not None:
            row["val_accuracy"] = float(np.mean(self.predict(X_val) == np.asarray(y_val)))
        self.history_ = [row]
        return self

    def _predict_idx(self, feats: Any) -> np.ndarray:
        d = self._decision(feats)
        return (d > 0).astype(np.int64) if d.ndim == 1 else np.argmax(d, axis=1)

    def decision_function(self, X: Any) -> np.ndarray:
        """Scores: shape (n,) for two classes (positive: ``classes_[1]``), else (n, n_classes)."""
        return self._decision(self._features(X))

    def predict(self, X: Any) -> np.ndarray:
        """Labels from ``classes_``, shape (n,). X : array-like of str of shape (n,)."""
        idx = self._predict_idx(self._features(X))  # NotFittedError before fit
        return self.classes_[idx]


class TfidfLogReg(_NgramLinear):
    """TF-IDF of word 1..``ngram_max``-grams + L2 logistic regression (L-BFGS)."""

    _binary = False
    param_space = dict(_COMMON)

    def __init__(self, ngram_max: int = 2, min_df: int = 2, max_features: int | None = None, C: float = 10.0,
                 max_iter: int = 300, random_state: int | None = None):
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.C = C
        self.max_iter = max_iter
        self.random_state = random_state

    def _fit_weights(self, counts: Any, y: np.ndarray) -> None:
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf_ = (np.log((1 + counts.shape[0]) / (1 + df)) + 1).astype(np.float32)

    def _weigh(self, counts: Any) -> Any:
        from sklearn.preprocessing import normalize

        m = counts.copy()
        np.log(m.data, out=m.data)
        m.data += 1.0  # sublinear tf
        m = m.multiply(self.idf_[None, :]).tocsr()
        return normalize(m, norm="l2", copy=False)

    def _fit_linear(self, feats: Any, y: np.ndarray) -> None:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        self.estimator_ = LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.estimator_.fit(feats, y)
        self.n_params_ = int(self.estimator_.coef_.size + self.estimator_.intercept_.size)

    def _decision(self, feats: Any) -> np.ndarray:
        return self.estimator_.decision_function(feats)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n, n_classes), columns in ``classes_`` order."""
        return self.estimator_.predict_proba(self._features(X))


class NBSVM(_NgramLinear):
    """NBSVM (Wang & Manning 2012); see the module docstring. ``alpha``: count smoothing; ``beta``: interpolation."""

    _binary = True
    param_space = {
        **_COMMON,
        "alpha": Param(float, low=0.0, low_open=True, doc="smoothing added to every feature count"),
        "beta": Param(float, low=0.0, high=1.0, doc="interpolation: 1 = the plain SVM weights (loss='svm')"),
        "loss": Param(str, choices=("svm", "logreg"), doc="L2 squared-hinge SVM (the paper) or logistic"),
    }

    def __init__(self, ngram_max: int = 2, min_df: int = 1, max_features: int | None = None, C: float = 1.0,
                 alpha: float = 1.0, beta: float = 0.25, loss: str = "logreg", max_iter: int = 1000,
                 random_state: int | None = 0):
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.C = C
        self.alpha = alpha
        self.beta = beta
        self.loss = loss
        self.max_iter = max_iter
        self.random_state = random_state

    def _tasks(self) -> int:
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    def _fit_weights(self, counts: Any, y: np.ndarray) -> None:
        """r : float32 array of shape (n_tasks, n_features), one log-count ratio per one-vs-rest task."""
        r = []
        for k in range(self._tasks()):
            pos = y == (1 if self._tasks() == 1 else k)
            p = self.alpha + np.asarray(counts[pos].sum(axis=0)).ravel()
            q = self.alpha + np.asarray(counts[~pos].sum(axis=0)).ravel()
            r.append(np.log(p / p.sum()) - np.log(q / q.sum()))
        self.r_ = np.asarray(r, dtype=np.float32)

    def _weigh(self, counts: Any) -> Any:
        return counts  # scaled per task in _task_features

    def _task_features(self, counts: Any, k: int) -> Any:
        return counts.multiply(self.r_[k][None, :]).tocsr()

    def _fit_linear(self, counts: Any, y: np.ndarray) -> None:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import LinearSVC

        coefs, intercepts = [], []
        for k in range(self._tasks()):
            target = (y == (1 if self._tasks() == 1 else k)).astype(np.int64)
            if self.loss == "svm":
                est = LinearSVC(C=self.C, max_iter=self.max_iter, random_state=self.random_state)
            else:
                est = LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.random_state)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                est.fit(self._task_features(counts, k), target)
            w, b = est.coef_.ravel().astype(np.float64), float(est.intercept_[0])
            if self.loss == "svm":  # interpolate (w, b) towards (mean|w| * 1, 0)
                w, b = (1 - self.beta) * np.abs(w).mean() + self.beta * w, self.beta * b
            coefs.append(w)
            intercepts.append(b)
        self.coef_, self.intercept_ = np.asarray(coefs), np.asarray(intercepts)
        self.n_params_ = int(self.coef_.size + self.intercept_.size + self.r_.size)

    def _decision(self, counts: Any) -> np.ndarray:
        scores = np.column_stack([self._task_features(counts, k) @ self.coef_[k] + self.intercept_[k]
                                  for k in range(self._tasks())])
        return scores[:, 0] if self._tasks() == 1 else scores

    @available_if(lambda self: self.loss == "logreg")
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (loss='logreg' only), shape (n, n_classes), columns in ``classes_`` order."""
        d = self.decision_function(X)
        if d.ndim == 1:
            p1 = 1.0 / (1.0 + np.exp(-d))
            return np.column_stack([1 - p1, p1])
        e = 1.0 / (1.0 + np.exp(-d))  # one-vs-rest, normalised as scikit-learn's ovr logistic does
        return e / e.sum(axis=1, keepdims=True)


class NBSVM3(NBSVM):
    """``NBSVM`` on 1..3-grams with the interpolated SVM (C 0.03, beta 0.1); see the module docstring."""

    def __init__(self, ngram_max: int = 3, min_df: int = 1, max_features: int | None = None, C: float = 0.03,
                 alpha: float = 1.0, beta: float = 0.1, loss: str = "svm", max_iter: int = 1000,
                 random_state: int | None = 0):
        super().__init__(ngram_max=ngram_max, min_df=min_df, max_features=max_features, C=C, alpha=alpha,
                         beta=beta, loss=loss, max_iter=max_iter, random_state=random_state)
