"""Ridge regression on basis functions: a scikit-learn and a from-scratch family, same parameters.

``alpha=None`` picks α from ``alphas`` by k-fold cross-validation; ``degree=None`` picks the polynomial
degree (or number of Gaussian centres) M from 0..``max_degree`` the same way, jointly with α when both
are None. ``cv_curve_`` keeps, per M, the training and cross-validated RMSE: the textbook picture of
training error falling with M while validation error is U-shaped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...contract import Regressor
from ...errors import UserError
from ...params import Param
from .basis import BASES, Basis, kfold, ridge_closed_form

ALPHAS = tuple(float(a) for a in np.logspace(-8, 3, 12))

_SPACE = {
    "basis": Param(str, choices=BASES, doc="basis functions phi_j(x)"),
    "degree": Param(int, low=0, high=50, nullable=True, doc="M (polynomial degree / Gaussian centres); None: CV"),
    "max_degree": Param(int, low=0, high=50, doc="largest M tried when degree is None"),
    "alpha": Param(float, low=0.0, nullable=True, doc="L2 penalty; None: chosen by CV from a log grid"),
    "width": Param(float, low=0.0, low_open=True, doc="Gaussian width, in units of the centre spacing"),
    "cv": Param(int, low=2, high=50, doc="folds for the cross-validation"),
    "random_state": Param(int, low=0, nullable=True),
}


class _BasisRidge(Regressor):
    def __init__(self, basis: str = "identity", degree: int | None = None, max_degree: int = 12,
                 alpha: float | None = None, width: float = 1.0, cv: int = 5, random_state: int | None = 0):
        self.basis = basis
        self.degree = degree
        self.max_degree = max_degree
        self.alpha = alpha
        self.width = width
        self.cv = cv
        self.random_state = random_state

    param_space = _SPACE

    # subclasses: solve(Phi, t, alpha) -> predictor state; apply(state, Phi) -> predictions
    def _solve(self, Phi: np.ndarray, t: np.ndarray, alpha: float) -> Any:
        raise NotImplementedError

    def _apply(self, state: Any, Phi: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _basis(self, degree: int) -> Basis:
        return Basis(self.basis, 1 if degree is None else degree, self.width, self.random_state or 0)

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "_BasisRidge":
        import time

        X, y = self._check_Xy(X, y)
        t0 = time.perf_counter()
        if self.basis == "identity":
            degrees = [None]
        else:
            degrees = [self.degree] if self.degree is not None else list(range(self.max_degree + 1))
        alphas = [self.alpha] if self.alpha is not None else list(ALPHAS)
        if len(degrees) * len(alphas) > 1 and len(y) < self.cv:
            raise UserError(f"model {type(self).__name__}: X has {len(y)} sample(s), but choosing alpha or the "
                            f"degree by {self.cv}-fold cross-validation needs at least {self.cv} samples. Pass more "
                            f"rows, a smaller cv, or fix alpha (and degree) to skip the cross-validation.")
        folds = kfold(len(y), self.cv, self.random_state or 0)
        curve, best = [], None
        if len(degrees) * len(alphas) > 1:
            for M in degrees:
                best_m = None
                for a in alphas:
                    tr_err, val_err = [], []
                    for tr, va in folds:
                        b = self._basis(M).fit(X[tr])
                        state = self._solve(b.transform(X[tr]), y[tr], a)
                        tr_err.append(np.mean((self._apply(state, b.transform(X[tr])) - y[tr]) ** 2))
                        val_err.append(np.mean((self._apply(state, b.transform(X[va])) - y[va]) ** 2))
                    cand = (float(np.mean(val_err)), M, a, float(np.mean(tr_err)))
                    best_m = cand if best_m is None or cand[0] < best_m[0] else best_m
                curve.append({"degree": M, "alpha": best_m[2], "train_rmse": float(np.sqrt(best_m[3])),
                              "val_rmse": float(np.sqrt(best_m[0]))})
                best = best_m if best is None or best_m[0] < best[0] else best
            _, degree, alpha, _ = best
        else:
            degree, alpha = degrees[0], alphas[0]
        self.basis_ = self._basis(degree).fit(X)
        Phi = self.basis_.transform(X)
        self.state_ = self._solve(Phi, y, alpha)
        self.degree_, self.alpha_ = degree, alpha
        self.selected_ = {"degree": degree, "alpha": alpha}
        self.cv_curve_ = curve or None
        self.n_params_ = Phi.shape[1] + 1
        rmse = float(np.sqrt(np.mean((self._apply(self.state_, Phi) - y) ** 2)))
        self.history_ = [{"epoch": 1, "loss": rmse ** 2, "seconds": time.perf_counter() - t0}]
        return self

    def predict(self, X: Any) -> np.ndarray:
        X = self._check_X(X)
        return self._apply(self.state_, self.basis_.transform(X))


class RidgeRegression(_BasisRidge):
    """scikit-learn's Ridge solver on the basis expansion."""

    family = "sklearn"

    def _solve(self, Phi: np.ndarray, t: np.ndarray, alpha: float) -> Any:
        import warnings

        from scipy.linalg import LinAlgWarning
        from sklearn.linear_model import LinearRegression, Ridge

        if Phi.shape[1] == 0:
            return float(t.mean())
        est = Ridge(alpha=alpha) if alpha > 0 else LinearRegression()
        with warnings.catch_warnings():  # high degrees are ill-conditioned on purpose (the over-fitting demo)
            warnings.simplefilter("ignore", LinAlgWarning)
            return est.fit(Phi, t)

    def _apply(self, state: Any, Phi: np.ndarray) -> np.ndarray:
        if isinstance(state, float):
            return np.full(len(Phi), state)
        return state.predict(Phi)


class ScratchRidgeRegression(_BasisRidge):
    """Closed form w = (ΦᵀΦ + αI)⁻¹Φᵀt on centred Φ and t (bias unpenalised), in NumPy."""

    family = "scratch"

    def _solve(self, Phi: np.ndarray, t: np.ndarray, alpha: float) -> Any:
        return ridge_closed_form(Phi, t, alpha)

    def _apply(self, state: Any, Phi: np.ndarray) -> np.ndarray:
        w, b = state
        return Phi @ w + b
