"""Naive Bayes over a mixed table (what ``categorical-nb`` fits): pure NumPy, a scikit-learn estimator."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class MixedNB(ClassifierMixin, BaseEstimator):
    """Naive Bayes with a categorical likelihood for the ``categorical`` columns and a Gaussian one for the
    others. Missing values (NaN) are left out of the counts, the means and the variances, and contribute
    nothing at prediction, as in Weka's NaiveBayes. A category code never seen in training is ignored too.

    ``fit(X, y)`` takes X : float array of shape (n, d) (nominal columns as codes 0..m-1) and y : int array
    of shape (n,) of class indices.
    """

    def __init__(self, categorical: Any = (), alpha: float = 1.0, var_smoothing: float = 1e-9):
        self.categorical = categorical
        self.alpha = alpha
        self.var_smoothing = var_smoothing

    def fit(self, X: np.ndarray, y: np.ndarray) -> "MixedNB":
        X, y = np.asarray(X, np.float64), np.asarray(y)
        self.classes_, yi = np.unique(y, return_inverse=True)
        k, d = len(self.classes_), X.shape[1]
        cat = np.zeros(d, bool)
        cat[list(self.categorical or ())] = True
        self.cat_ = cat
        counts = np.bincount(yi, minlength=k).astype(np.float64)
        self.class_log_prior_ = np.log(counts / counts.sum())
        num = X[:, ~cat]
        self.theta_ = np.zeros((k, num.shape[1]))
        self.var_ = np.ones((k, num.shape[1]))
        if num.shape[1]:
            overall_var = np.nan_to_num(np.nanvar(num, axis=0)) if len(num) else np.zeros(num.shape[1])
            eps = self.var_smoothing * (float(overall_var.max()) or 1.0)
            overall_mean = np.nan_to_num(np.nanmean(num, axis=0)) if np.isfinite(num).any() else 0.0
            for c in range(k):
                rows = num[yi == c]
                seen = np.isfinite(rows).sum(axis=0)
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean = np.where(seen > 0, np.nansum(rows, axis=0) / np.maximum(seen, 1), overall_mean)
                    var = np.where(seen > 0, np.nansum((rows - mean) ** 2, axis=0) / np.maximum(seen, 1), overall_var)
                self.theta_[c], self.var_[c] = mean, var + eps
            self.var_ = np.maximum(self.var_, np.finfo(np.float64).tiny)
        self.log_probs_ = []
        for j in np.flatnonzero(cat):
            col = X[:, j]
            ok = np.isfinite(col)
            if np.any(col[ok] < 0) or np.any(col[ok] != np.floor(col[ok])):
                raise ValueError(f"column {j} is categorical but holds values that are not codes 0, 1, 2, ...")
            m = int(col[ok].max()) + 1 if ok.any() else 1
            table = np.zeros((k, m))
            np.add.at(table, (yi[ok], col[ok].astype(np.int64)), 1.0)
            table += self.alpha
            self.log_probs_.append(np.log(table / table.sum(axis=1, keepdims=True)))
        return self

    def _joint_log_likelihood(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, np.float64)
        jll = np.tile(self.class_log_prior_, (len(X), 1))
        num = X[:, ~self.cat_]
        if num.shape[1]:
            seen = np.isfinite(num)
            x = np.where(seen, num, 0.0)[:, None, :]  # (n, 1, d_num) against (k, d_num)
            ll = -0.5 * (np.log(2 * np.pi * self.var_) + (x - self.theta_) ** 2 / self.var_)
            jll += np.where(seen[:, None, :], ll, 0.0).sum(axis=2)
        for j, logp in zip(np.flatnonzero(self.cat_), self.log_probs_):
            col = X[:, j]
            ok = np.isfinite(col) & (col >= 0) & (col < logp.shape[1]) & (col == np.floor(col))
            idx = np.where(ok, col, 0).astype(np.int64)
            jll += np.where(ok[:, None], logp[:, idx].T, 0.0)
        return jll

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        jll = self._joint_log_likelihood(X)
        jll -= jll.max(axis=1, keepdims=True)
        p = np.exp(jll)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self._joint_log_likelihood(X), axis=1)]
