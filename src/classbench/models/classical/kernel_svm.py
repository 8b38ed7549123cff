"""A kernel SVM for 60,000 images in a few minutes and under 3 GiB: Nystroem features + a primal linear SVM.

``NystroemSVC`` maps inputs through scikit-learn's ``Nystroem`` approximation of the kernel (``n_components``
landmarks drawn from the training set) and trains a one-vs-rest linear SVM on those features with the
objective ``LinearSVC`` minimises by default (L2-regularised squared hinge, the intercept regularised like
liblinear's ``intercept_scaling=1``)::

    min_{w_k, b_k}  1/2 (|w_k|^2 + b_k^2) + C sum_i max(0, 1 - y_ik (w_k . z_i + b_k))^2,  y_ik = +-1

solved for all classes at once by L-BFGS on float32 features. Why not ``make_pipeline(Nystroem, LinearSVC)``:
``Nystroem.transform`` builds the 60,000 x 3,000 kernel block and its product in float64 (2 x 1.4 GB), and
liblinear copies the features once more as (index, double) pairs (2.9 GB): that pipeline peaked at 5.6 GB on
MNIST. Here the features are built in row blocks straight into one float32 matrix (0.7 GB) and the solver
needs two matrix products per iteration and no copy; the minimiser is the same.

Same result on any thread count: OpenBLAS splits a matrix product differently with its thread count (and
with the number of rows), which changes the last bits of the result, and L-BFGS amplifies those into a
different model (a test prediction or two on digits). So every product here runs on fixed ``_BLOCK``-row
blocks, each by single-threaded BLAS; the blocks run in parallel on ``threads`` Python threads and their
partial sums are added in block order. The result depends on the data alone, not on the thread count.
Decision values are computed from float64 features, so a row's value does not depend on which other rows
share its batch beyond float64 rounding (scikit-learn's subset-invariance check passes).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

_BLOCK = 1024  # rows per block: fixed, so that no result depends on the thread count or the batch size

Mapper = Callable[[Callable[[slice], Any], Sequence[slice]], list]


def _blocks(n: int) -> list[slice]:
    return [slice(i, min(i + _BLOCK, n)) for i in range(0, n, _BLOCK)]


@contextmanager
def _block_pool(n_jobs: int | None) -> Iterator[Mapper]:
    """A ``map(fn, blocks)`` that runs ``fn`` on ``n_jobs`` Python threads with BLAS held to one thread.

    Each block's products then depend on that block's numbers only; ``n_jobs`` None reads
    ``CLASSBENCH_THREADS`` (set by the executor per worker), else uses every core.
    """
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    n = n_jobs or int(os.environ.get("CLASSBENCH_THREADS", os.cpu_count() or 1))
    with threadpool_limits(1):
        if n <= 1:
            yield lambda fn, items: [fn(i) for i in items]
        else:
            with ThreadPoolExecutor(max_workers=n) as pool:
                yield lambda fn, items: list(pool.map(fn, items))


def squared_hinge_ovr(Z: np.ndarray, y_idx: np.ndarray, n_classes: int, C: float, max_iter: int,
                      tol: float, run: Mapper | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """One-vs-rest L2-SVM (squared hinge) on features ``Z`` (n, d) -> coef (k, d), intercept (k,), iterations.

    ``y_idx`` (n,) holds class indices. ``k`` is 1 for two classes (class 1 is the positive one), else
    ``n_classes``. Stops when the largest gradient entry falls below ``tol`` times its value at zero (as
    liblinear's TRON stops on the gradient norm) or after ``max_iter`` L-BFGS iterations. ``run`` maps a
    function over ``_BLOCK``-row slices (see ``_block_pool``); the sums over blocks are taken in block order.
    """
    from scipy.optimize import minimize

    n, d = Z.shape
    k = 1 if n_classes == 2 else n_classes
    Y = -np.ones((n, k), dtype=np.float32)
    if k == 1:
        Y[y_idx == 1, 0] = 1.0
    else:
        Y[np.arange(n), y_idx] = 1.0
    blocks = _blocks(n)
    run = run or (lambda fn, items: [fn(i) for i in items])

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W, b = theta[: d * k].reshape(d, k), theta[d * k:]
        W32, b32 = W.astype(np.float32), b.astype(np.float32)

        def part(s: slice) -> tuple[float, np.ndarray, np.ndarray]:
            M = Z[s] @ W32
            M += b32
            viol = np.maximum(0.0, 1.0 - Y[s] * M, dtype=np.float32)
            G = (-2.0 * C) * (Y[s] * viol)  # d loss / d margin-input, float32 (rows, k)
            return (float(np.einsum("ij,ij->", viol, viol, dtype=np.float64)), Z[s].T @ G,
                    G.sum(axis=0, dtype=np.float64))

        hinge, gW, gb = 0.0, W.copy(), b.copy()
        for h, gz, g in run(part, blocks):  # in block order
            hinge += h
            gW += gz
            gb += g
        loss = 0.5 * float(W.ravel() @ W.ravel() + b @ b) + C * hinge
        return loss, np.concatenate([gW.ravel(), gb])

    theta0 = np.zeros(d * k + k)
    g0 = np.abs(objective(theta0)[1]).max()
    res = minimize(objective, theta0, jac=True, method="L-BFGS-B",
                   options={"maxiter": max_iter, "gtol": max(tol * g0, 1e-12), "ftol": 1e-12, "maxcor": 20})
    theta = res.x
    return theta[: d * k].reshape(d, k).T.copy(), theta[d * k:].copy(), int(res.nit)


class NystroemSVC(ClassifierMixin, BaseEstimator):
    """Kernel SVM by Nystroem features + a primal squared-hinge linear SVM (see the module docstring).

    Parameters follow ``Nystroem`` (``kernel``, ``n_components``, ``gamma``, ``degree``, ``coef0``) and
    ``LinearSVC`` (``C``, ``max_iter``, ``tol``). ``n_jobs``: threads (None: ``CLASSBENCH_THREADS``, else
    every core); the result does not depend on it.
    """

    def __init__(self, kernel: str = "rbf", n_components: int = 3000, gamma: float | None = None, degree: int = 3,
                 coef0: float = 1.0, C: float = 1.0, max_iter: int = 1000, tol: float = 1e-4,
                 random_state: int | None = None, n_jobs: int | None = None) -> None:
        self.kernel = kernel
        self.n_components = n_components
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X: Any, y: Any) -> "NystroemSVC":
        """``X`` (n, d) numbers, ``y`` (n,) labels."""
        from sklearn.kernel_approximation import Nystroem

        X = np.asarray(X)
        self.classes_, y_idx = np.unique(np.asarray(y), return_inverse=True)
        kw: dict[str, Any] = {"gamma": self.gamma}
        if self.kernel == "poly":
            kw.update(degree=self.degree, coef0=self.coef0)
        with _block_pool(self.n_jobs) as run:
            self.nystroem_ = Nystroem(kernel=self.kernel, n_components=min(self.n_components, len(X)),
                                      random_state=self.random_state, **kw).fit(X)
            Z = self._features(X, run)
            self.coef_, self.intercept_, self.n_iter_ = squared_hinge_ovr(
                Z, y_idx, len(self.classes_), float(self.C), int(self.max_iter), float(self.tol), run)
        self.n_features_in_ = X.shape[1]
        return self

    def _features(self, X: np.ndarray, run: Mapper) -> np.ndarray:
        """Nystroem features of ``X`` (n, d) as one float32 (n, n_components) matrix, by ``_BLOCK`` rows."""
        Z = np.empty((len(X), self.nystroem_.components_.shape[0]), dtype=np.float32)

        def fill(s: slice) -> None:
            Z[s] = self.nystroem_.transform(X[s])

        run(fill, _blocks(len(X)))
        return Z

    def decision_function(self, X: Any) -> np.ndarray:
        """Scores (n,) for two classes, else (n, n_classes), from float64 features of ``X`` (n, d)."""
        check_is_fitted(self, "coef_")
        X = np.asarray(X)
        scores = np.empty((len(X), len(self.intercept_)))

        def score(s: slice) -> None:
            scores[s] = self.nystroem_.transform(X[s].astype(np.float64)) @ self.coef_.T + self.intercept_

        with _block_pool(getattr(self, "n_jobs", None)) as run:  # models pickled before n_jobs lack it
            run(score, _blocks(len(X)))
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X: Any) -> np.ndarray:
        scores = self.decision_function(X)
        idx = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[idx]
