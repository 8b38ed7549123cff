"""Iterative linear classifiers from scratch: multiclass perceptron, softmax regression, linear SVM.

Logistic regression and the linear SVM minimise their exact objectives with L-BFGS
(``scipy.optimize.minimize``) on hand-written gradients; the perceptron is the classic mistake-driven rule.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from scipy.optimize import minimize

from ...params import Param
from ._base import SEED, STANDARDIZE, ScratchEstimator, softmax


class ScratchPerceptron(ScratchEstimator):
    """Multiclass perceptron: one weight vector (and bias) per class, updated on mistakes only.

    For each training sample (order reshuffled every epoch with ``random_state``), if the highest
    score belongs to a wrong class ``p``: ``w_y += x``, ``w_p -= x`` (biases likewise). ``averaged=True``
    predicts with the average of the weights over all visits (Freund & Schapire's averaged perceptron).
    Training stops after ``epochs`` passes or after the first pass without a mistake.

    The updates are exactly the sequential ones, computed in blocks: the scores of a block are one
    matrix product, and after a mistake on sample t the scores of the block's later samples are
    corrected with their inner products with x_t (a block Gram matrix), so no sample sees stale weights.
    ``history_`` rows: ``loss`` is the perceptron criterion ``mean(max_k s_k - s_y)`` at visit time,
    ``accuracy`` that of the (averaged) weights on the whole training set after the epoch.
    """

    param_space = {
        "epochs": Param(int, low=1, high=10_000, doc="passes over the training data"),
        "averaged": Param(bool, doc="predict with the averaged weights"),
        "shuffle": Param(bool, doc="reshuffle the samples every epoch (seeded)"),
        "block_size": Param(int, low=1, doc="samples scored per matrix product (speed only)"),
        "standardize": STANDARDIZE, "random_state": SEED,
    }

    def __init__(self, epochs: int = 10, averaged: bool = False, shuffle: bool = True, block_size: int = 64,
                 standardize: bool = False, random_state: int | None = 0):
        self.epochs = epochs
        self.averaged = averaged
        self.shuffle = shuffle
        self.block_size = block_size
        self.standardize = standardize
        self.random_state = random_state

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "ScratchPerceptron":
        """X : array of shape (n, ...); y : array of shape (n,) with labels of any type."""
        X, y_idx = self._setup_fit(X, y)
        n, d = X.shape
        K = len(self.classes_)
        rng = np.random.default_rng(self.random_state)
        W = np.zeros((K, d + 1))  # last column: bias (input feature fixed at 1)
        U = np.zeros_like(W)  # sum of (visits before it) * update: averaged weights are W - U / step
        step = 0
        self.n_params_ = int(W.size)
        for epoch in range(1, self.epochs + 1):
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            mistakes, crit = 0, 0.0
            for start in range(0, n, self.block_size):
                idx = order[start:start + self.block_size]
                Xb = np.hstack([X[idx].astype(np.float64), np.ones((len(idx), 1))])
                yb = y_idx[idx]
                S = Xb @ W.T
                G = Xb @ Xb.T
                pos = 0
                while pos < len(idx):
                    pred = S[pos:].argmax(axis=1)
                    wrong = np.flatnonzero(pred != yb[pos:])
                    if not wrong.size:
                        break
                    t, p = pos + wrong[0], pred[wrong[0]]
                    c = yb[t]
                    W[c] += Xb[t]
                    W[p] -= Xb[t]
                    if self.averaged:
                        U[c] += (step + t) * Xb[t]
                        U[p] -= (step + t) * Xb[t]
                    S[t + 1:, c] += G[t, t + 1:]
                    S[t + 1:, p] -= G[t, t + 1:]
                    mistakes += 1
                    pos = t + 1
                crit += float(np.sum(S.max(axis=1) - S[np.arange(len(idx)), yb]))
                step += len(idx)
            self._set_weights(W - U / step if self.averaged else W)
            acc = np.mean(self._scores(X).argmax(1) == y_idx)
            self._log(epoch, crit / n, acc, X_val, y_val, mistakes=mistakes)
            if mistakes == 0:
                break
        return self

    def _set_weights(self, W: np.ndarray) -> None:
        self.coef_, self.intercept_ = W[:, :-1].copy(), W[:, -1].copy()

    def _scores(self, X: np.ndarray) -> np.ndarray:
        return (X @ self.coef_.T.astype(X.dtype)).astype(np.float64) + self.intercept_


class _LbfgsLinear(ScratchEstimator):
    """Shared L-BFGS loop for linear models with weights W (K, d) and an unpenalised bias b (K,)."""

    def _objective(self, X: np.ndarray, y_idx: np.ndarray) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
        raise NotImplementedError

    def _lbfgs(self, X: np.ndarray, y_idx: np.ndarray, gtol: float, X_val: Any, y_val: Any,
               scale: np.ndarray | None = None) -> None:
        """Minimise from zero; ``scale`` (optional, > 0) preconditions: L-BFGS runs on u = theta / scale."""
        K, d = len(self.classes_), X.shape[1]
        fun = self._objective(X, y_idx)
        s = np.ones(K * (d + 1)) if scale is None else scale
        last: dict[str, Any] = {}

        def f(u: np.ndarray) -> tuple[float, np.ndarray]:
            loss, grad, scores = fun(u * s)
            last.update(u=u.copy(), loss=loss, acc=np.mean(scores.argmax(1) == y_idx), gmax=np.abs(grad * s).max())
            return loss, grad * s

        def callback(u: np.ndarray) -> None:
            if not np.array_equal(u, last.get("u")):
                f(u)
            self._unpack(u * s, K, d)
            self._log(len(self.history_) + 1, last["loss"], last["acc"], X_val, y_val, grad_max=last["gmax"])

        res = minimize(f, np.zeros(K * (d + 1)), method="L-BFGS-B", jac=True, callback=callback,
                       options={"maxiter": self.max_iter, "maxls": 50, "gtol": gtol,
                                "ftol": 64 * np.finfo(float).eps})
        self._unpack(res.x * s, K, d)
        self.n_iter_ = int(res.nit)
        self.converged_ = bool(res.success)
        self.n_params_ = int(res.x.size)

    def _unpack(self, theta: np.ndarray, K: int, d: int) -> None:
        Wb = theta.reshape(K, d + 1)
        self.coef_, self.intercept_ = Wb[:, :d].copy(), Wb[:, d].copy()

    def _scores(self, X: np.ndarray) -> np.ndarray:
        return (X @ self.coef_.T.astype(X.dtype)).astype(np.float64) + self.intercept_


def _split(theta: np.ndarray, K: int, d: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    Wb = theta.reshape(K, d + 1)
    return Wb[:, :d].astype(dtype), Wb[:, d]


class ScratchLogReg(_LbfgsLinear):
    """Multinomial (softmax) logistic regression with an L2 penalty, trained by L-BFGS.

    Minimises ``mean_i CE(softmax(W x_i + b), y_i) + ||W||^2 / (2 C n)`` (bias unpenalised), the same
    objective and stopping rule (``gtol=tol``, ``max_iter`` iterations) as scikit-learn's
    LogisticRegression(solver="lbfgs"); the gradient ``X^T (P - Y) / n + W / (C n)`` is exact.
    """

    param_space = {
        "C": Param(float, low=0.0, low_open=True, doc="inverse L2 strength"),
        "max_iter": Param(int, low=1, doc="L-BFGS iterations at most"),
        "tol": Param(float, low=0.0, low_open=True, doc="stop when the largest gradient entry is below"),
        "standardize": STANDARDIZE, "random_state": SEED,
    }

    def __init__(self, C: float = 1.0, max_iter: int = 100, tol: float = 1e-4, standardize: bool = False,
                 random_state: int | None = None):
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.standardize = standardize
        self.random_state = random_state

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "ScratchLogReg":
        """X : array of shape (n, ...); y : array of shape (n,) with labels of any type."""
        X, y_idx = self._setup_fit(X, y)
        self._lbfgs(X, y_idx, self.tol, X_val, y_val)
        return self

    def _objective(self, X: np.ndarray, y_idx: np.ndarray) -> Callable:
        n, d = X.shape
        K = len(self.classes_)
        rows = np.arange(n)
        lam = 1.0 / (self.C * n)

        def fun(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
            W, b = _split(theta, K, d, X.dtype)
            S = (X @ W.T).astype(np.float64) + b
            Sm = S - S.max(axis=1, keepdims=True)
            logZ = np.log(np.exp(Sm).sum(axis=1))
            loss = float(np.mean(logZ - Sm[rows, y_idx])) + 0.5 * lam * float(np.sum(theta.reshape(K, -1)[:, :d] ** 2))
            R = softmax(Sm)
            R[rows, y_idx] -= 1.0
            R /= n
            grad = np.empty((K, d + 1))
            grad[:, :d] = (R.T.astype(X.dtype) @ X) + lam * theta.reshape(K, -1)[:, :d]
            grad[:, d] = R.sum(axis=0)
            return loss, grad.ravel(), S

        return fun

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of shape (n, K)."""
        return softmax(self._scores(self._inputs(X)))


class ScratchLinearSVM(_LbfgsLinear):
    """Linear SVM, one-vs-rest, squared hinge loss, primal, trained by L-BFGS on all classes at once.

    For each class k (targets t = +1 for k, -1 otherwise) minimises
    ``0.5 ||w_k||^2 + C sum_i max(0, 1 - t_ik (w_k x_i + b_k))^2`` (bias unpenalised; liblinear, behind
    scikit-learn's LinearSVC, penalises it as an extra feature). The objectives are summed over the
    classes and scaled by ``1 / (C n)``; the squared hinge is differentiable, so the gradient is exact.
    L-BFGS runs on variables rescaled by the Hessian's diagonal at w = 0 (a Jacobi preconditioner: pixels
    that are rarely on have tiny curvature, which stalls plain L-BFGS on images). Stops when the largest
    preconditioned gradient entry is below ``tol`` times its value at the start, or at ``max_iter``.
    """

    param_space = {
        "C": Param(float, low=0.0, low_open=True, doc="inverse L2 strength"),
        "max_iter": Param(int, low=1, doc="L-BFGS iterations at most"),
        "tol": Param(float, low=0.0, low_open=True, doc="relative gradient tolerance"),
        "standardize": STANDARDIZE, "random_state": SEED,
    }

    def __init__(self, C: float = 1.0, max_iter: int = 1000, tol: float = 1e-4, standardize: bool = False,
                 random_state: int | None = None):
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.standardize = standardize
        self.random_state = random_state

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "ScratchLinearSVM":
        """X : array of shape (n, ...); y : array of shape (n,) with labels of any type."""
        X, y_idx = self._setup_fit(X, y)
        n, d = X.shape
        K = len(self.classes_)
        # Jacobi preconditioner: the Hessian's diagonal at w = 0 (every margin active there)
        diag = np.empty((K, d + 1))
        diag[:, :d] = 1.0 / (self.C * n) + (2.0 / n) * np.einsum("ij,ij->j", X, X, dtype=np.float64)
        diag[:, d] = 2.0
        scale = 1.0 / np.sqrt(diag.ravel())
        _, g0, _ = self._objective(X, y_idx)(np.zeros(K * (d + 1)))
        self._lbfgs(X, y_idx, self.tol * float(np.abs(g0 * scale).max()), X_val, y_val, scale=scale)
        return self

    def _objective(self, X: np.ndarray, y_idx: np.ndarray) -> Callable:
        n, d = X.shape
        K = len(self.classes_)
        T = -np.ones((n, K))
        T[np.arange(n), y_idx] = 1.0
        lam = 1.0 / (self.C * n)

        def fun(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
            W, b = _split(theta, K, d, X.dtype)
            S = (X @ W.T).astype(np.float64) + b
            M = np.maximum(0.0, 1.0 - T * S)  # margins violated
            Wf = theta.reshape(K, -1)[:, :d]
            loss = float(np.sum(M**2)) / n + 0.5 * lam * float(np.sum(Wf**2))
            R = (-2.0 / n) * T * M  # d loss / d S
            grad = np.empty((K, d + 1))
            grad[:, :d] = (R.T.astype(X.dtype) @ X) + lam * Wf
            grad[:, d] = R.sum(axis=0)
            return loss, grad.ravel(), S

        return fun
