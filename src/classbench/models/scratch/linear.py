"""Linear classifiers from scratch, closed form: ridge and Fisher's LDA (NumPy/SciPy only).

The iterative ones (perceptron, logistic regression, linear SVM) are in ``iterative.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sla
from sklearn.base import TransformerMixin

from ...errors import UserError
from ...params import Param
from ._base import SEED, STANDARDIZE, ScratchEstimator, softmax


class ScratchRidge(ScratchEstimator):
    """Ridge classifier: least squares on one-vs-all targets in {-1, +1}, closed form.

    Solves ``(Xc^T Xc + alpha I) W = Xc^T Tc`` where ``Xc`` and ``Tc`` are the column-centred inputs and
    targets, so the bias ``b = mean(T) - mean(X) W`` is not penalised (as scikit-learn's RidgeClassifier).
    When there are more features than samples the equivalent dual system ``(Xc Xc^T + alpha I) A = Tc``,
    ``W = Xc^T A`` is solved instead. Predicts the class with the largest score ``x W + b``.
    """

    param_space = {"alpha": Param(float, low=0.0, doc="L2 penalty on the weights (not on the bias)"),
                   "standardize": STANDARDIZE, "random_state": SEED}

    def __init__(self, alpha: float = 1.0, standardize: bool = False, random_state: int | None = None):
        self.alpha = alpha
        self.standardize = standardize
        self.random_state = random_state

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "ScratchRidge":
        """X : array of shape (n, ...); y : array of shape (n,) with labels of any type."""
        X, y_idx = self._setup_fit(X, y)
        n, d = X.shape
        T = -np.ones((n, len(self.classes_)), dtype=X.dtype)
        T[np.arange(n), y_idx] = 1.0
        x_mean, t_mean = X.mean(axis=0, dtype=np.float64), T.mean(axis=0, dtype=np.float64)
        Xc, Tc = X - x_mean.astype(X.dtype), T - t_mean.astype(X.dtype)
        if n >= d:  # primal: d x d system (Gram in the input precision, solve in float64)
            A = (Xc.T @ Xc).astype(np.float64)
            A.flat[:: d + 1] += self.alpha
            W = _solve_psd(A, (Xc.T @ Tc).astype(np.float64))
        else:  # dual: n x n system
            A = (Xc @ Xc.T).astype(np.float64)
            A.flat[:: n + 1] += self.alpha
            W = Xc.T.astype(np.float64) @ _solve_psd(A, Tc.astype(np.float64))
        self.coef_ = W.T  # (K, d) like scikit-learn
        self.intercept_ = t_mean - x_mean @ W
        S = (Xc @ W.astype(X.dtype)).astype(np.float64)
        loss = (np.sum((S - Tc) ** 2) + self.alpha * np.sum(W**2)) / n
        self.n_params_ = int(self.coef_.size + self.intercept_.size)
        self._log(1, loss, np.mean(S.argmax(1) == y_idx), X_val, y_val)
        return self

    def _scores(self, X: np.ndarray) -> np.ndarray:
        return (X @ self.coef_.T.astype(X.dtype)).astype(np.float64) + self.intercept_


def _solve_psd(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Solve A X = B for symmetric positive (semi)definite A; least squares when A is singular."""
    try:
        return sla.solve(A, B, assume_a="pos")
    except (np.linalg.LinAlgError, sla.LinAlgError):
        return sla.lstsq(A, B)[0]


def ledoit_wolf_shrinkage(Z: np.ndarray) -> float:
    """Ledoit & Wolf (2004) optimal shrinkage of the covariance of centred data Z of shape (n, d).

    Target ``mu I`` with ``mu = trace(S) / d``; the same estimator as ``sklearn.covariance.ledoit_wolf``.
    """
    n, d = Z.shape
    Z = Z.astype(np.float64, copy=False)
    Z2 = Z**2
    trace_terms = Z2.sum(axis=0) / n  # diagonal of S
    mu = trace_terms.sum() / d
    S = (Z.T @ Z) / n
    delta_sq = np.sum(S**2)  # ||S||_F^2
    beta_ = np.sum(np.sum(Z2, axis=1) ** 2) / n  # mean_k ||z_k||^4
    beta = (beta_ - delta_sq) / (d * n)
    delta = (delta_sq - 2 * mu * trace_terms.sum() + d * mu**2) / d
    beta = min(beta, delta)
    return 0.0 if beta == 0 else float(beta / delta)


def fisher_directions(Sb: np.ndarray, Sw: np.ndarray, k: int, *, shrunk: bool, tol: float) -> np.ndarray:
    """The top-``k`` solutions V of ``Sb v = lambda Sw v`` with ``V^T Sw V = I``; shape (d, k).

    shrunk=True: Sw is positive definite and ``scipy.linalg.eigh(Sb, Sw)`` solves it directly.
    shrunk=False: Sw may be singular (constant pixels); it is whitened first on the directions whose
    standardized variance exceeds ``tol**2`` (scikit-learn's svd solver makes the same cut), and the
    eigenproblem is solved in that subspace.
    """
    d = len(Sw)
    if shrunk:
        _, V = sla.eigh(Sb, Sw, subset_by_index=[max(d - k, 0), d - 1])
        return V[:, ::-1]
    std = np.sqrt(np.clip(np.diag(Sw), 0, None))
    std[std == 0] = 1.0
    evals, U = sla.eigh(Sw / np.outer(std, std))
    keep = evals > tol**2
    if not keep.any():
        raise UserError("Fisher discriminant: the within-class scatter is zero (every class is a single point "
                        "or constant); use more varied data or set a positive shrinkage.")
    Wh = U[:, keep] / np.sqrt(evals[keep]) / std[:, None]  # Wh^T Sw Wh = I
    Bw = Wh.T @ Sb @ Wh
    ev, E = np.linalg.eigh((Bw + Bw.T) / 2)
    order = np.argsort(ev)[::-1][:k]
    return Wh @ E[:, order]


class FisherClassifier(TransformerMixin, ScratchEstimator):
    """Nearest class mean in a Fisher discriminant space = Gaussian classes with a shared covariance.

    ``_fit_fisher`` sets ``scalings_`` (m, k projection), ``proj_means_`` (K, k) and ``log_priors_``;
    subclasses map inputs to the m features with ``_features``. The projection is normalised so that the
    pooled within-class covariance becomes the identity, so ``-0.5 ||z - m_c||^2 + log prior_c`` is
    exactly the shared-covariance Gaussian (LDA) discriminant in that space.
    """

    def _features(self, X: np.ndarray) -> np.ndarray:
        return X

    def _fit_fisher(self, means: np.ndarray, counts: np.ndarray, Sw: np.ndarray, *, shrunk: bool,
                    tol: float) -> None:
        """means : (K, m) class means; counts : (K,); Sw : (m, m) pooled within-class covariance."""
        priors = counts / counts.sum()
        Mc = (means - priors @ means) * np.sqrt(priors)[:, None]
        Sb = Mc.T @ Mc
        self.scalings_ = fisher_directions(Sb, Sw, min(len(means) - 1, len(Sw)), shrunk=shrunk, tol=tol)
        self.proj_means_ = means @ self.scalings_
        self.log_priors_ = np.log(priors)

    def _fisher_scores(self, F: np.ndarray) -> np.ndarray:
        Z = (F @ self.scalings_.astype(F.dtype)).astype(np.float64)
        sq = (Z**2).sum(1)[:, None] - 2 * Z @ self.proj_means_.T + (self.proj_means_**2).sum(1)
        return -0.5 * sq + self.log_priors_

    def _scores(self, X: np.ndarray) -> np.ndarray:
        """Log posterior (up to a constant) of each class, shape (n, K)."""
        return self._fisher_scores(self._features(X))

    def transform(self, X: Any) -> np.ndarray:
        """Discriminant coordinates of shape (n, min(K-1, m))."""
        F = self._features(self._inputs(X))
        return (F @ self.scalings_.astype(F.dtype)).astype(np.float64)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior class probabilities of shape (n, K) under the shared-covariance Gaussian model."""
        return softmax(self._scores(self._inputs(X)))


class ScratchLDA(FisherClassifier):
    """Fisher's linear discriminant for many classes.

    Within-class scatter ``Sw`` (pooled covariance, divided by n as scikit-learn does) and between-class
    scatter ``Sb`` (prior-weighted class means); the ``K - 1`` leading solutions of ``Sb v = lambda Sw v`` span the
    projection. Classification is by the nearest class mean in that space plus the log prior, i.e. a
    Gaussian model with one shared covariance (equal to scikit-learn's LinearDiscriminantAnalysis).

    Shrinkage: ``shrinkage=None`` uses Sw as is, discarding directions with (standardized) variance below
    ``tol**2``; a number ``s`` in [0, 1] uses ``(1 - s) Sw + s * trace(Sw)/d * I``; ``ledoit_wolf=True``
    picks ``s`` by the Ledoit-Wolf formula on the standardized within-class residuals.
    """

    param_space = {
        "shrinkage": Param(float, low=0.0, high=1.0, nullable=True, doc="None, or 0..1 towards a scaled identity"),
        "ledoit_wolf": Param(bool, doc="estimate the shrinkage by Ledoit-Wolf (leave shrinkage None)"),
        "tol": Param(float, low=0.0, low_open=True, doc="rank cut on standardized std when not shrunk"),
        "standardize": STANDARDIZE, "random_state": SEED,
    }

    def __init__(self, shrinkage: float | None = None, ledoit_wolf: bool = False, tol: float = 1e-4,
                 standardize: bool = False, random_state: int | None = None):
        self.shrinkage = shrinkage
        self.ledoit_wolf = ledoit_wolf
        self.tol = tol
        self.standardize = standardize
        self.random_state = random_state

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "ScratchLDA":
        """X : array of shape (n, ...); y : array of shape (n,) with labels of any type."""
        X, y_idx = self._setup_fit(X, y)
        if self.ledoit_wolf and self.shrinkage is not None:
            raise UserError(f"{self._owner}: give either shrinkage={self.shrinkage} or ledoit_wolf=True, not "
                            f"both (Ledoit-Wolf computes the shrinkage itself).")
        n, d = X.shape
        K = len(self.classes_)
        if n <= K:
            raise UserError(f"{self._owner}: needs more samples ({n}) than classes ({K}).")
        counts = np.bincount(y_idx, minlength=K).astype(np.float64)
        means, Sw = np.zeros((K, d)), np.zeros((d, d))
        resid = []  # within-class residuals, kept only for Ledoit-Wolf
        for k in range(K):
            Xk = X[y_idx == k].astype(np.float64)
            means[k] = Xk.mean(axis=0)
            Xk -= means[k]
            Sw += Xk.T @ Xk
            if self.ledoit_wolf:
                resid.append(Xk)
        Sw /= n  # pooled covariance (maximum likelihood, 1/n, as scikit-learn's solvers)
        lam = self.shrinkage
        if self.ledoit_wolf:  # on standardized residuals, mapped back (as sklearn's shrinkage="auto")
            var = np.diag(Sw).copy()
            std = np.sqrt(var)
            std[std == 0] = 1.0
            lam = ledoit_wolf_shrinkage(np.concatenate(resid) / std)
            Sw *= 1 - lam
            Sw.flat[:: d + 1] += lam * np.mean(var / std**2) * std**2
        elif lam is not None:
            mu = np.trace(Sw) / d
            Sw *= 1 - lam
            Sw.flat[:: d + 1] += lam * mu
        del resid
        self.shrinkage_ = lam
        self._fit_fisher(means, counts, Sw, shrunk=bool(lam), tol=self.tol)
        self.n_params_ = int(self.scalings_.size + self.proj_means_.size + self.log_priors_.size)
        self._log(1, None, np.mean(self._scores(X).argmax(1) == y_idx), X_val, y_val)
        return self
