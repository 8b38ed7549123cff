"""Basis functions φ_j(x) for linear regression, in NumPy (shared by both families).

- identity:   φ(x) = x (the 13 Boston house-price features used as they are)
- polynomial: φ_j(x) = x^j, j = 1..M, per input feature (the 1-D house-price curve); no cross terms
- gaussian:   φ_j(x) = exp(-||x - μ_j||² / (2 s²)), M centres μ_j (quantiles of x in 1-D, else training points)

Inputs are standardised first (training statistics) so that high powers stay well conditioned; the
bias is not a basis function (the solvers fit it unpenalised).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

BASES = ("identity", "polynomial", "gaussian")


@dataclass
class Basis:
    kind: str = "identity"
    degree: int = 1  # M: the polynomial degree, or the number of Gaussian centres
    width: float = 1.0  # Gaussian width s as a multiple of the mean spacing of the centres
    seed: int = 0
    mean_: np.ndarray = field(default=None, repr=False)
    scale_: np.ndarray = field(default=None, repr=False)
    centers_: np.ndarray = field(default=None, repr=False)
    s_: float = 1.0

    def fit(self, X: np.ndarray) -> "Basis":
        X = np.asarray(X, dtype=np.float64)
        self.mean_ = X.mean(0)
        sd = X.std(0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        Z = (X - self.mean_) / self.scale_
        if self.kind == "gaussian" and self.degree > 0:
            if Z.shape[1] == 1:
                self.centers_ = np.quantile(Z[:, 0], np.linspace(0, 1, self.degree))[:, None]
            else:
                idx = np.random.default_rng(self.seed).choice(len(Z), min(self.degree, len(Z)), replace=False)
                self.centers_ = Z[idx]
            if len(self.centers_) > 1:
                d = np.sqrt(((self.centers_[:, None] - self.centers_[None]) ** 2).sum(-1))
                spacing = np.sort(d, axis=1)[:, 1].mean()
            else:
                spacing = 1.0
            self.s_ = self.width * (spacing if spacing > 0 else 1.0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Φ of shape (n, n_basis); may have zero columns (degree 0: a constant model)."""
        Z = (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_
        if self.kind == "identity":
            return Z
        if self.kind == "polynomial":
            if self.degree == 0:
                return np.zeros((len(Z), 0))
            return np.concatenate([Z ** j for j in range(1, self.degree + 1)], axis=1)
        if self.degree == 0:
            return np.zeros((len(Z), 0))
        d2 = ((Z[:, None, :] - self.centers_[None]) ** 2).sum(-1)
        return np.exp(-d2 / (2 * self.s_ ** 2))


def ridge_closed_form(Phi: np.ndarray, t: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """w, b minimising ||t - Φw - b||² + α||w||² (bias unpenalised): w = (ΦcᵀΦc + αI)⁻¹ Φcᵀ tc."""
    mu, tm = Phi.mean(0), t.mean()
    if Phi.shape[1] == 0:
        return np.zeros(0), float(tm)
    Pc = Phi - mu
    A = Pc.T @ Pc + alpha * np.eye(Phi.shape[1])
    w = np.linalg.lstsq(A, Pc.T @ (t - tm), rcond=None)[0] if alpha == 0 else np.linalg.solve(A, Pc.T @ (t - tm))
    return w, float(tm - mu @ w)


def kfold(n: int, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    perm = np.random.default_rng(seed).permutation(n)
    folds = np.array_split(perm, min(k, n))
    return [(np.setdiff1d(perm, f), f) for f in folds]
