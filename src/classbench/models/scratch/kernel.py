"""Kernels (linear, polynomial, RBF, sigmoid) computed with BLAS, and the kernel Fisher discriminant."""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from ...errors import UserError
from ...params import Param
from ._base import SEED, STANDARDIZE
from .linear import FisherClassifier

KERNELS = ("linear", "poly", "rbf", "sigmoid")

KERNEL_PARAMS = {
    "gamma": Param(float, low=0.0, low_open=True, nullable=True,
                   doc="kernel scale (rbf, poly, sigmoid); None: 1 / (d * var(X)) as sklearn's 'scale'"),
    "degree": Param(int, low=1, high=10, doc="degree of the polynomial kernel"),
    "coef0": Param(float, doc="constant term of the polynomial and sigmoid kernels"),
}


def kernel_matrix(A: np.ndarray, B: np.ndarray, kernel: str, gamma: float = 1.0, degree: int = 3,
                  coef0: float = 0.0, sq_B: np.ndarray | None = None) -> np.ndarray:
    """Kernel values ``k(a_i, b_j)`` of shape (nA, nB), in A's precision, from one matrix product.

    Pass the same array object as A and B for a symmetric Gram matrix (computed with half the work).

    A : array of shape (nA, d); B : array of shape (nB, d); sq_B : optional precomputed ``(B**2).sum(1)``.

    linear ``a.b``; poly ``(gamma a.b + coef0)^degree``; rbf ``exp(-gamma |a - b|^2)``;
    sigmoid ``tanh(gamma a.b + coef0)``.
    """
    same = B is A
    B = B.astype(A.dtype, copy=False)
    K = A @ A.T if same else A @ B.T  # A @ A.T runs as one symmetric rank-k update (half the work)
    if kernel == "linear":
        return K
    if kernel == "rbf":
        sq_A = np.einsum("ij,ij->i", A, A)
        sq_B = sq_A if same else np.einsum("ij,ij->i", B, B) if sq_B is None else sq_B.astype(A.dtype, copy=False)
        K *= -2.0
        K += sq_A[:, None]
        K += sq_B[None, :]
        np.maximum(K, 0.0, out=K)  # rounding can make a distance slightly negative
        K *= -gamma
        return np.exp(K, out=K)
    K *= gamma
    K += coef0
    if kernel == "poly":
        return np.power(K, degree, out=K)
    if kernel == "sigmoid":
        return np.tanh(K, out=K)
    raise UserError(f"Unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}.")


def kernel_diag(X: np.ndarray, kernel: str, gamma: float = 1.0, degree: int = 3, coef0: float = 0.0) -> np.ndarray:
    """``k(x_i, x_i)`` for every row of X of shape (n, d), as float64 of shape (n,)."""
    sq = np.einsum("ij,ij->i", X, X).astype(np.float64)
    if kernel == "linear":
        return sq
    if kernel == "rbf":
        return np.ones(len(X))
    if kernel == "poly":
        return (gamma * sq + coef0) ** degree
    return np.tanh(gamma * sq + coef0)


def row_chunks(n: int, width: int, max_entries: int = 1 << 24) -> Iterator[slice]:
    """Slices over n rows so that each (rows, width) block holds at most ``max_entries`` values."""
    step = max(1, max_entries // max(width, 1))
    for start in range(0, n, step):
        yield slice(start, min(start + step, n))


def default_gamma(X: np.ndarray) -> float:
    """scikit-learn's gamma='scale': 1 / (n_features * X.var()), or 1 when X is constant."""
    var = float(X.var())
    return 1.0 / (X.shape[1] * var) if var > 0 else 1.0


class ScratchKFD(FisherClassifier):
    """Kernel Fisher discriminant (Mika et al. 1999), many classes, RBF kernel by default.

    Discriminant directions ``w = sum_j alpha_j phi(l_j)`` live in the span of ``m`` landmarks ``l_j``:
    every training sample x maps to ``k(x) = (k(x, l_1), ..., k(x, l_m))``, and the K - 1 leading
    solutions of ``M alpha = lambda (N + reg * mean(diag N) * I) alpha`` (M, N: between / within-class
    scatter of the k(x), N pooled) give the projection; classes are then the shared-covariance Gaussians
    of the projected points (nearest class mean plus log prior), as in ``ScratchLDA``.

    With n <= ``n_landmarks`` the landmarks are all training samples (exact regularised KFD). Beyond that a
    seeded uniform subset of ``n_landmarks`` samples serves as landmarks (a subset-of-regressors KFD); the
    scatter still uses every training sample, accumulated in row chunks, so memory is O(m^2 + chunk * m).
    ``history_``'s training accuracy is only computed for n <= 20,000 (it needs a second kernel pass).
    """

    param_space = {
        "kernel": Param(str, choices=KERNELS, doc="kernel function"),
        **KERNEL_PARAMS,
        "reg": Param(float, low=0.0, doc="ridge on the within-class scatter, relative to its mean diagonal"),
        "n_landmarks": Param(int, low=2, doc="landmarks (training samples) spanning the directions"),
        "tol": Param(float, low=0.0, low_open=True, doc="rank cut when reg = 0"),
        "standardize": STANDARDIZE, "random_state": SEED,
    }

    def __init__(self, kernel: str = "rbf", gamma: float | None = None, degree: int = 3, coef0: float = 0.0,
                 reg: float = 1e-3, n_landmarks: int = 2000, tol: float = 1e-4, standardize: bool = False,
                 random_state: int | None = 0):
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.reg = reg
        self.n_landmarks = n_landmarks
        self.tol = tol
        self.standardize = standardize
        self.random_state = random_state

    def _features(self, X: np.ndarray) -> np.ndarray:
        return kernel_matrix(X, self.landmarks_, self.kernel, self.gamma_, self.degree, self.coef0,
                             sq_B=self._landmark_sq)

    def transform(self, X: Any) -> np.ndarray:
        """Discriminant coordinates of shape (n, K - 1), computed in row chunks."""
        X = self._inputs(X)
        S = self.scalings_.astype(X.dtype)
        return np.concatenate([self._features(X[r]) @ S for r in row_chunks(len(X), self._m)]).astype(np.float64)

    def _scores(self, X: np.ndarray) -> np.ndarray:
        """Log posterior (up to a constant) of each class, shape (n, K), computed in row chunks."""
        return np.concatenate([self._fisher_scores(self._features(X[r])) for r in row_chunks(len(X), self._m)])

    @property
    def _m(self) -> int:
        return len(self.landmarks_)

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "ScratchKFD":
        """X : array of shape (n, ...); y : array of shape (n,) with labels of any type."""
        X, y_idx = self._setup_fit(X, y)
        n, K = len(X), len(self.classes_)
        if n <= K:
            raise UserError(f"{self._owner}: needs more samples ({n}) than classes ({K}).")
        self.gamma_ = self.gamma if self.gamma is not None else default_gamma(X)
        if n > self.n_landmarks:
            keep = np.sort(np.random.default_rng(self.random_state).choice(n, self.n_landmarks, replace=False))
            self.landmarks_ = X[keep]
        else:
            self.landmarks_ = X.copy()  # never a view of the caller's array
        self._landmark_sq = np.einsum("ij,ij->i", self.landmarks_, self.landmarks_)
        m = len(self.landmarks_)
        sums, total = np.zeros((K, m)), np.zeros((m, m))
        onehot = np.zeros((n, K), dtype=X.dtype)
        onehot[np.arange(n), y_idx] = 1
        for rows in row_chunks(n, m):
            F = self._features(X[rows])
            total += F.T @ F
            sums += onehot[rows].T @ F
        counts = np.bincount(y_idx, minlength=K).astype(np.float64)
        means = sums / counts[:, None]
        Sw = (total - (means.T * counts) @ means) / n
        Sw = (Sw + Sw.T) / 2
        if self.reg > 0:
            Sw.flat[:: m + 1] += self.reg * max(float(np.mean(np.diag(Sw))), 1e-12)
        self._fit_fisher(means, counts, Sw, shrunk=self.reg > 0, tol=self.tol)
        self.n_params_ = int(self.scalings_.size + self.landmarks_.size + self.proj_means_.size + K)
        acc = None
        if n <= 20_000:
            acc = np.mean(self._scores(X).argmax(1) == y_idx)
        self._log(1, None, acc, X_val, y_val)
        return self
