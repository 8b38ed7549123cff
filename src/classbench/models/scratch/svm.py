"""Kernel SVM trained by SMO (Platt 1998) with second-order working-set selection (Fan, Chen & Lin 2005).

Binary dual problem, ``y_i`` in {-1, +1}, ``Q_ij = y_i y_j k(x_i, x_j)``::

    min_a 0.5 a^T Q a - sum(a)   subject to   0 <= a_i <= C,   y^T a = 0

Each iteration picks the pair (i, j) by WSS2 (libsvm's rule): i maximises ``-y_t G_t`` over I_up, j
minimises the second-order gain ``-(b_it)^2 / a_it`` over I_low; then solves the two-variable problem
analytically and clips it to the box. The gradient ``G = Q a - 1`` is the error cache, updated with the
two kernel rows of i and j; kernel rows come from a precomputed block (BLAS) when it fits in
``cache_size`` MB, else from an LRU row cache. Stops when ``max_{I_up} - min_{I_low} < tol`` (libsvm's
``eps``). Many classes: one-vs-one, one SMO per pair of classes, majority vote (ties: lowest class).
"""

from __future__ import annotations

import time
import warnings
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from ...params import Param
from ._base import SEED, STANDARDIZE, ScratchEstimator
from .kernel import KERNEL_PARAMS, KERNELS, default_gamma, kernel_diag, kernel_matrix, row_chunks

TAU = 1e-12  # libsvm's floor for a non-positive curvature (non-PSD kernels such as the sigmoid)


class RowCache:
    """Kernel rows ``k(x_i, X)`` (float64) computed on demand with BLAS, least recently used dropped first."""

    def __init__(self, X: np.ndarray, kernel_kw: dict[str, Any], capacity: int):
        self.X, self.kw, self.capacity = X, kernel_kw, max(2, capacity)
        self.sq = np.einsum("ij,ij->i", X, X)
        self.rows: OrderedDict[int, np.ndarray] = OrderedDict()

    def __call__(self, i: int) -> np.ndarray:
        row = self.rows.get(i)
        if row is not None:
            self.rows.move_to_end(i)
            return row
        row = kernel_matrix(self.X[i:i + 1], self.X, sq_B=self.sq, **self.kw)[0].astype(np.float64)
        self.rows[i] = row
        if len(self.rows) > self.capacity:
            self.rows.popitem(last=False)
        return row


def smo(row: Callable[[int], np.ndarray], diag: np.ndarray, y: np.ndarray, C: float, tol: float = 1e-3,
        max_iter: int = 10_000_000) -> tuple[np.ndarray, float, int, np.ndarray]:
    """Solve the binary SVM dual; returns (alpha, rho, iterations, v = -y * G).

    row(i) : kernel row of sample i, array of shape (n,); diag : array of shape (n,) of k(x_i, x_i);
    y : array of shape (n,) in {-1, +1}. The decision function is ``sum_i alpha_i y_i k(x_i, x) - rho``.
    """
    n = len(y)
    alpha = np.zeros(n)
    v = y.astype(np.float64).copy()  # -y * G with G = Q alpha - 1 = -1 at alpha = 0
    pos = y > 0
    pen_up = np.where(pos, 0.0, -np.inf)  # 0 on I_up, -inf elsewhere
    pen_low = np.where(pos, np.inf, 0.0)  # 0 on I_low, +inf elsewhere
    tmp, a, gain, neg = np.empty(n), np.empty(n), np.empty(n), np.empty(n, dtype=bool)  # reused buffers
    it = 0
    while it < max_iter:
        np.add(v, pen_up, out=tmp)
        i = int(tmp.argmax())
        vmax = tmp[i]
        np.add(v, pen_low, out=tmp)
        if vmax - tmp.min() < tol:
            break
        Ki = row(i)
        np.subtract(vmax, tmp, out=tmp)  # b_it = vmax - v_t on I_low, -inf elsewhere
        np.multiply(Ki, -2.0, out=a)  # a_it = K_ii + K_tt - 2 K_it, floored at TAU
        a += diag
        a += diag[i]
        np.maximum(a, TAU, out=a)
        np.multiply(tmp, tmp, out=gain)  # second-order gain b^2 / a, -1 where b <= 0
        gain /= a
        np.less_equal(tmp, 0.0, out=neg)
        gain[neg] = -1.0
        j = int(gain.argmax())
        if gain[j] <= 0:
            break
        it += 1
        Kj = row(j)
        # move along d: alpha_i += y_i t, alpha_j -= y_j t (keeps y^T alpha), t in [0, box limit]
        t = (v[i] - v[j]) / a[j]
        lim_i = C - alpha[i] if pos[i] else alpha[i]
        lim_j = alpha[j] if pos[j] else C - alpha[j]
        t = min(t, lim_i, lim_j)
        old_i, old_j = alpha[i], alpha[j]
        alpha[i] = (C if pos[i] else 0.0) if t == lim_i else old_i + (t if pos[i] else -t)
        alpha[j] = (0.0 if pos[j] else C) if t == lim_j else old_j - (t if pos[j] else -t)
        ci, cj = (alpha[i] - old_i) * y[i], (alpha[j] - old_j) * y[j]
        v -= ci * Ki
        v -= cj * Kj
        for k in (i, j):  # refresh I_up / I_low membership
            up = alpha[k] < C if pos[k] else alpha[k] > 0
            low = alpha[k] > 0 if pos[k] else alpha[k] < C
            pen_up[k] = 0.0 if up else -np.inf
            pen_low[k] = 0.0 if low else np.inf
    return alpha, _rho(alpha, v, y, C), it, v


def _rho(alpha: np.ndarray, v: np.ndarray, y: np.ndarray, C: float) -> float:
    """libsvm's bias: mean of y_i G_i over free alphas, else the middle of the feasible interval."""
    yG = -v
    free = (alpha > 0) & (alpha < C)
    if free.any():
        return float(yG[free].mean())
    at_upper, pos = alpha >= C, y > 0
    ub_set = (at_upper & ~pos) | (~at_upper & pos)  # alpha == 0 when not at upper (no free ones)
    lb_set = ~ub_set
    ub = yG[ub_set].min() if ub_set.any() else np.inf
    lb = yG[lb_set].max() if lb_set.any() else -np.inf
    return float((ub + lb) / 2)


def _plain(label: Any) -> Any:
    """A NumPy scalar label as a plain Python value (for history rows)."""
    return label.item() if isinstance(label, np.generic) else label


class ScratchKernelSVM(ScratchEstimator):
    """Kernel SVM (C-SVC) by SMO with WSS2; kernels linear, poly, rbf, sigmoid; one-vs-one for K > 2.

    Training is quadratic (or worse) in n: ``max_train_samples`` trains on a seeded stratified subset
    (``train_indices_``; ``support_`` indexes the full training set). ``cache_size`` (MB) bounds the
    kernel memory: the whole training Gram matrix is computed once with BLAS when it fits (each pair's
    block is then four slices of it), else each pair's block, else an LRU cache of kernel rows (slow: one
    matrix-vector product per missed row; 60,000 MNIST images take hours, use max_train_samples). ``history_`` has one row per binary subproblem (``epoch`` numbers them): the dual
    objective as ``loss``, the pair's training accuracy, iterations and support vectors.
    ``decision_function`` follows scikit-learn's SVC: for two classes shape (n,), positive meaning
    ``classes_[1]``; for more, ``decision_function_shape="ovo"`` gives shape (n, K(K-1)/2) in pair order
    (0,1), (0,2), ..., positive meaning the pair's first class, and "ovr" (default) gives shape (n, K):
    votes plus a confidence in (-1/3, 1/3) (scikit-learn's aggregation).
    """

    param_space = {
        "C": Param(float, low=0.0, low_open=True, doc="box constraint (inverse regularisation)"),
        "kernel": Param(str, choices=KERNELS, doc="kernel function"),
        **KERNEL_PARAMS,
        "tol": Param(float, low=0.0, low_open=True, doc="stop when the KKT gap m - M is below (libsvm eps)"),
        "cache_size": Param(float, low=1.0, doc="MB of kernel values kept in memory"),
        "max_iter": Param(int, low=1, nullable=True, doc="SMO iterations per pair; None: up to 10 million"),
        "decision_function_shape": Param(str, choices=("ovr", "ovo"), doc="layout of decision_function"),
        "max_train_samples": Param(int, low=2, nullable=True,
                                   doc="train on a seeded stratified subset of this many samples (None: all)"),
        "standardize": STANDARDIZE, "random_state": SEED,
    }

    def __init__(self, C: float = 1.0, kernel: str = "rbf", gamma: float | None = None, degree: int = 3,
                 coef0: float = 0.0, tol: float = 1e-3, cache_size: float = 512.0, max_iter: int | None = None,
                 decision_function_shape: str = "ovr", max_train_samples: int | None = None,
                 standardize: bool = False, random_state: int | None = None):
        self.C = C
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.tol = tol
        self.cache_size = cache_size
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape
        self.max_train_samples = max_train_samples
        self.standardize = standardize
        self.random_state = random_state

    @property
    def _kw(self) -> dict[str, Any]:
        return {"kernel": self.kernel, "gamma": self.gamma_, "degree": self.degree, "coef0": self.coef0}

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "ScratchKernelSVM":
        """X : array of shape (n, ...); y : array of shape (n,) with labels of any type."""
        X, y_idx = self._setup_fit(X, y)
        self.train_indices_ = np.arange(len(X))
        if self.max_train_samples is not None and len(X) > self.max_train_samples:
            from ...datasets.base import stratified_holdout

            self.train_indices_, _ = stratified_holdout(y_idx, 1 - self.max_train_samples / len(X),
                                                        self.random_state or 0)
            X, y_idx = X[self.train_indices_], y_idx[self.train_indices_]
        n, K = len(X), len(self.classes_)
        self.gamma_ = self.gamma if self.gamma is not None else default_gamma(X)
        budget = self.cache_size * 2**20
        order = np.argsort(y_idx, kind="stable")  # classes contiguous: a pair's block is four slices
        Xs, ys_all = X[order], y_idx[order]
        start = np.searchsorted(ys_all, np.arange(K + 1))
        full = kernel_matrix(Xs, Xs, **self._kw) if n * n * X.itemsize <= budget else None
        self.pairs_ = [(a, b) for a in range(K) for b in range(a + 1, K)]
        sv_sets, results, not_converged = [], [], 0
        for p, (a, b) in enumerate(self.pairs_):
            ra, rb = slice(start[a], start[a + 1]), slice(start[b], start[b + 1])
            na, nb = ra.stop - ra.start, rb.stop - rb.start
            idx = np.r_[ra, rb]  # positions in the class-sorted order
            ys = np.r_[np.ones(na), -np.ones(nb)]
            diag = kernel_diag(Xs[idx], **self._kw)
            if full is not None:
                block = np.empty((na + nb, na + nb))
                block[:na, :na], block[:na, na:] = full[ra, ra], full[ra, rb]
                block[na:, :na], block[na:, na:] = full[rb, ra], full[rb, rb]
                row: Callable[[int], np.ndarray] = block.__getitem__
            elif len(idx) ** 2 * 8 <= budget:
                block = kernel_matrix(Xs[idx], Xs[idx], **self._kw).astype(np.float64)
                row = block.__getitem__
            else:
                row = RowCache(Xs[idx], self._kw, int(budget // (8 * len(idx))))
            limit = self.max_iter if self.max_iter is not None else max(10_000_000, 100 * len(idx))
            alpha, rho, iters, v = smo(row, diag, ys, self.C, self.tol, limit)
            not_converged += iters >= limit
            dec = ys - v - rho  # f(x_t) on the pair's own samples, from the gradient cache
            sv = alpha > 0
            sv_sets.append(self.train_indices_[order[idx[sv]]])
            results.append((alpha[sv] * ys[sv], rho))
            self.history_.append({"epoch": p + 1, "loss": float(0.5 * alpha @ (1 - v * ys) - alpha.sum()),
                                  "accuracy": float(np.mean(np.where(dec > 0, 1.0, -1.0) == ys)),
                                  "seconds": time.perf_counter() - self._t0,
                                  "pair": (_plain(self.classes_[a]), _plain(self.classes_[b])),
                                  "iterations": iters, "n_support": int(sv.sum())})
        del full
        self.n_iter_ = np.array([h["iterations"] for h in self.history_])
        if not_converged:
            warnings.warn(f"{self._owner}: SMO hit max_iter on {not_converged} of {len(self.pairs_)} pairs; "
                          f"the solution may be inaccurate. Raise max_iter or tol.", RuntimeWarning, stacklevel=2)
        self.support_ = np.unique(np.concatenate(sv_sets)) if sv_sets else np.zeros(0, dtype=np.int64)
        self.support_vectors_ = X[np.searchsorted(self.train_indices_, self.support_)]
        self.pair_coef_ = np.zeros((len(self.support_), len(self.pairs_)), dtype=X.dtype)
        for p, (svs, (coef, _)) in enumerate(zip(sv_sets, results)):
            self.pair_coef_[np.searchsorted(self.support_, svs), p] = coef
        self.pair_rho_ = np.array([rho for _, rho in results])
        self.n_params_ = int(self.support_vectors_.size + sum(len(s) for s in sv_sets) + len(results))
        if X_val is not None and y_val is not None:
            self.history_[-1]["val_accuracy"] = float(np.mean(self.predict(X_val) == np.asarray(y_val)))
        return self

    def _pair_decisions(self, X: Any) -> np.ndarray:
        """libsvm's one-vs-one decision values, shape (n, n_pairs); positive votes for the pair's first class."""
        X = self._inputs(X)
        sv = self.support_vectors_.astype(X.dtype, copy=False)
        sq = np.einsum("ij,ij->i", sv, sv)
        out = np.empty((len(X), len(self.pairs_)))
        for r in row_chunks(len(X), max(len(sv), 1)):
            out[r] = kernel_matrix(X[r], sv, sq_B=sq, **self._kw) @ self.pair_coef_.astype(X.dtype) - self.pair_rho_
        return out

    def decision_function(self, X: Any) -> np.ndarray:
        """(n,) for two classes (positive: ``classes_[1]``), else (n, K) or (n, K(K-1)/2), see the class doc."""
        dec = self._pair_decisions(X)
        K = len(self.classes_)
        if K == 2:
            return -dec[:, 0]
        if self.decision_function_shape == "ovo":
            return dec
        votes, conf = self._votes(dec), np.zeros((len(dec), K))
        for p, (a, b) in enumerate(self.pairs_):
            conf[:, a] += dec[:, p]
            conf[:, b] -= dec[:, p]
        return votes + conf / (3 * (np.abs(conf) + 1))

    def _votes(self, dec: np.ndarray) -> np.ndarray:
        votes = np.zeros((len(dec), len(self.classes_)))
        for p, (a, b) in enumerate(self.pairs_):
            win = dec[:, p] > 0
            votes[win, a] += 1
            votes[~win, b] += 1
        return votes

    def predict(self, X: Any) -> np.ndarray:
        """Majority vote of the one-vs-one classifiers (ties go to the lowest class index, as libsvm)."""
        votes = self._votes(self._pair_decisions(X))  # checks fitted first
        return self.classes_[votes.argmax(axis=1)]
