"""Comparing k models over N datasets by their ranks (Demšar 2006).

Mean ranks, Friedman's test with the Iman-Davenport F, Nemenyi's critical difference and all-pairs
p-values, and Holm's step-down test of every model against a control.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import UserError
from ._types import FriedmanResult
from .intervals import _check_alpha
from .pairwise import holm


def _score_matrix(scores: Any, min_datasets: int = 1) -> np.ndarray:
    x = np.asarray(scores, dtype=float)
    if x.ndim != 2:
        raise UserError(f"Scores must be a table of N datasets x k models (2-D), got shape {x.shape}.")
    n, k = x.shape
    if k < 2:
        raise UserError(f"Comparing models needs at least 2 models (columns); got {k}.")
    if n < min_datasets:
        raise UserError(f"This test needs scores on at least {min_datasets} datasets (rows); got {n}.")
    if not np.all(np.isfinite(x)):
        raise UserError("Scores must be finite numbers: the table holds NaN or infinity (a missing score?). "
                        "Drop the datasets with missing scores, or fill them in.")
    return x


def rank_matrix(scores: Any, higher_is_better: bool = True) -> np.ndarray:
    """Per-dataset ranks, shape (N, k): 1 = best, ties share the average of their ranks."""
    from scipy.stats import rankdata

    x = _score_matrix(scores)
    return rankdata(-x if higher_is_better else x, axis=1, method="average")


def mean_ranks(scores: Any, higher_is_better: bool = True) -> np.ndarray:
    """Mean rank of each model over the datasets (rank 1 = best; ties get average ranks).

    Parameters
    ----------
    scores : array of shape (N, k)
        N datasets (rows) x k models (columns).

    Returns
    -------
    array of shape (k,)
    """
    return rank_matrix(scores, higher_is_better).mean(axis=0)


def friedman(scores: Any, higher_is_better: bool = True, tie_correction: bool = True) -> FriedmanResult:
    """Friedman's test that all k models rank alike over N datasets, and Iman & Davenport's F.

    ``chi2 = 12N / (k(k+1)) * (sum_j R_j**2 - k(k+1)**2 / 4)`` over the mean ranks ``R_j``, divided by the
    tie correction ``1 - sum(t**3 - t) / (N k (k**2 - 1))`` when ``tie_correction`` (as
    ``scipy.stats.friedmanchisquare`` does; Demšar 2006 prints the uncorrected form). Iman-Davenport:
    ``F = (N-1) chi2 / (N(k-1) - chi2)`` with ``(k-1, (k-1)(N-1))`` df, less conservative than chi2.

    Parameters
    ----------
    scores : array of shape (N, k)
        N >= 2 datasets x k >= 2 models.
    """
    from scipy.stats import chi2 as chi2_dist
    from scipy.stats import f as f_dist

    x = _score_matrix(scores, min_datasets=2)
    n, k = x.shape
    ranks = rank_matrix(x, higher_is_better)
    r = ranks.mean(axis=0)
    chi2 = 12 * n / (k * (k + 1)) * (float(np.sum(r**2)) - k * (k + 1) ** 2 / 4)
    if tie_correction:
        ties = 0.0
        for row in ranks:
            _, counts = np.unique(row, return_counts=True)
            ties += float(np.sum(counts**3 - counts))
        c = 1 - ties / (n * k * (k * k - 1))
        chi2 = chi2 / c if c > 0 else 0.0  # c == 0: every dataset ties all models, no evidence of a difference
    chi2 = max(0.0, chi2)
    df1, df2 = k - 1, (k - 1) * (n - 1)
    p = float(chi2_dist.sf(chi2, df1))
    denom = n * (k - 1) - chi2
    if denom <= 1e-12:  # every dataset ranks the models identically
        f, p_f = math.inf, 0.0
    else:
        f = (n - 1) * chi2 / denom
        p_f = float(f_dist.sf(f, df1, df2))
    return FriedmanResult(chi2=chi2, p_value=p, iman_davenport_f=f, iman_davenport_p=p_f, df1=df1, df2=df2,
                          n_datasets=n, n_models=k, mean_ranks=tuple(float(v) for v in r),
                          tie_corrected=tie_correction)


def _rank_se(k: int, n: int) -> float:
    return math.sqrt(k * (k + 1) / (6 * n))


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Nemenyi's critical value ``q_alpha``: the studentized range quantile (k groups, infinite df) / sqrt 2."""
    from scipy.stats import studentized_range

    _check_alpha(alpha)
    if k < 2:
        raise UserError(f"The Nemenyi test needs at least 2 models, got k={k}.")
    return float(studentized_range.ppf(1 - alpha, k, np.inf)) / math.sqrt(2)


def nemenyi_cd(k: int, n: int, alpha: float = 0.05) -> float:
    """Nemenyi's critical difference of mean ranks: ``q_alpha * sqrt(k(k+1) / (6N))`` (Demšar 2006).

    Two models whose mean ranks differ by at least the CD differ significantly at level ``alpha``.
    Demšar's example: k = 4, N = 14, alpha = 0.05 gives q = 2.569 and CD = 1.25.
    """
    if n < 1:
        raise UserError(f"The critical difference needs at least one dataset, got N={n}.")
    return nemenyi_q(k, alpha) * _rank_se(k, n)


def nemenyi_pvalues(scores: Any, higher_is_better: bool = True) -> np.ndarray:
    """All-pairs Nemenyi p-values after Friedman (as scikit-posthocs' ``posthoc_nemenyi_friedman``).

    Parameters
    ----------
    scores : array of shape (N, k)

    Returns
    -------
    array of shape (k, k), symmetric, ones on the diagonal.
    """
    from scipy.stats import studentized_range

    x = _score_matrix(scores)
    n, k = x.shape
    r = mean_ranks(x, higher_is_better)
    q = np.abs(r[:, None] - r[None, :]) / _rank_se(k, n)
    iu = np.triu_indices(k, 1)
    out = np.ones((k, k))
    out[iu] = np.clip(studentized_range.sf(q[iu] * math.sqrt(2), k, np.inf), 0.0, 1.0)
    out.T[iu] = out[iu]
    return out


def holm_vs_control(scores: Any, control: int, higher_is_better: bool = True) -> list[dict[str, Any]]:
    """Every model against a control model by mean ranks, with Holm's step-down correction (Demšar 3.2.2).

    ``z = (R_i - R_c) / sqrt(k(k+1) / (6N))``, two-sided normal p-value, Holm over the k - 1 comparisons.
    A positive ``z`` means model i ranks worse than the control.

    Parameters
    ----------
    scores : array of shape (N, k)
    control : int
        Column index of the control model.

    Returns
    -------
    One dict per other model, in column order: ``model`` (index), ``mean_rank``, ``z``, ``p``, ``p_holm``.
    """
    from scipy.stats import norm

    x = _score_matrix(scores)
    n, k = x.shape
    if not (isinstance(control, (int, np.integer)) and 0 <= control < k):
        raise UserError(f"control must be a model index between 0 and {k - 1}, got {control!r}.")
    r = mean_ranks(x, higher_is_better)
    others = [i for i in range(k) if i != control]
    z = np.array([(r[i] - r[control]) / _rank_se(k, n) for i in others])
    p = 2 * norm.sf(np.abs(z))
    adj = holm(p)
    return [{"model": i, "mean_rank": float(r[i]), "z": float(zi), "p": float(pi), "p_holm": float(ai)}
            for i, zi, pi, ai in zip(others, z, p, adj)]
