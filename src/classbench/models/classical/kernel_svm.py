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
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

_BLOCK = 4096  # rows of the kernel block computed at a time


def squared_hinge_ovr(Z: np.ndarray, y_idx: np.ndarray, n_classes: int, C: float, max_iter: int,
                      tol: float) -> tuple[np.ndarray, np.ndarray, int]:
    """One-vs-rest L2-SVM (squared hinge) on features ``Z`` (n, d) -> coef (k, d), intercept (k,), iterations.

    ``k`` is 1 for two classes (class 1 is the positive one), else ``n_classes``. Stops when the largest
    gradient entry falls below ``tol`` times its value at zero (as liblinear's TRON stops on the gradient
    norm) or after ``max_iter`` L-BFGS iterations.
    """
    from scipy.optimize import minimize

    n, d = Z.shape
    k = 1 if n_classes == 2 else n_classes
    Y = -np.ones((n, k), dtype=np.float32)
    if k == 1:
        Y[y_idx == 1, 0] = 1.0
    else:
        Y[np.arange(n), y_idx] = 1.0

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W, b = theta[: d * k].reshape(d, k), theta[d * k:]
        M = Z @ W.astype(np.float32)
        M += b.astype(np.float32)
        viol = np.maximum(0.0, 1.0 - Y * M, dtype=np.float32)
        loss = 0.5 * float(W.ravel() @ W.ravel() + b @ b) + C * float(np.einsum("ij,ij->", viol, viol, dtype=np.float64))
        G = (-2.0 * C) * (Y * viol)  # d loss / d margin-input, float32 (n, k)
        gW = W + (Z.T @ G).astype(np.float64)
        gb = b + G.sum(axis=0, dtype=np.float64)
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
    ``LinearSVC`` (``C``, ``max_iter``, ``tol``).
    """

    def __init__(self, kernel: str = "rbf", n_components: int = 3000, gamma: float | None = None, degree: int = 3,
                 coef0: float = 1.0, C: float = 1.0, max_iter: int = 1000, tol: float = 1e-4,
                 random_state: int | None = None) -> None:
        self.kernel = kernel
        self.n_components = n_components
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.C = C
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> "NystroemSVC":
        from sklearn.kernel_approximation import Nystroem

        X = np.asarray(X)
        self.classes_, y_idx = np.unique(np.asarray(y), return_inverse=True)
        kw: dict[str, Any] = {"gamma": self.gamma}
        if self.kernel == "poly":
            kw.update(degree=self.degree, coef0=self.coef0)
        self.nystroem_ = Nystroem(kernel=self.kernel, n_components=min(self.n_components, len(X)),
                                  random_state=self.random_state, **kw).fit(X)
        Z = self._features(X)
        self.coef_, self.intercept_, self.n_iter_ = squared_hinge_ovr(
            Z, y_idx, len(self.classes_), float(self.C), int(self.max_iter), float(self.tol))
        self.n_features_in_ = X.shape[1]
        return self

    def _features(self, X: np.ndarray) -> np.ndarray:
        """Nystroem features as one float32 matrix, built ``_BLOCK`` rows at a time."""
        n_out = self.nystroem_.components_.shape[0]
        Z = np.empty((len(X), n_out), dtype=np.float32)
        for i in range(0, len(X), _BLOCK):
            Z[i : i + _BLOCK] = self.nystroem_.transform(X[i : i + _BLOCK])
        return Z

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coef_")
        Z = self._features(np.asarray(X))
        scores = Z @ self.coef_.T.astype(np.float32) + self.intercept_.astype(np.float32)
        return scores[:, 0].astype(np.float64) if scores.shape[1] == 1 else scores.astype(np.float64)

    def predict(self, X: Any) -> np.ndarray:
        scores = self.decision_function(X)
        idx = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[idx]
