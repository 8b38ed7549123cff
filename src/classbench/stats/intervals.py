"""Confidence intervals: a proportion from k right out of n, and the mean of resampled scores.

References: Wilson (1927), Clopper & Pearson (1934), Nadeau & Bengio (2003). See docs/statistics.md.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import UserError

PROPORTION_METHODS = ("wilson", "clopper-pearson")


def _check_alpha(alpha: float) -> None:
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise UserError(f"alpha must be a number strictly between 0 and 1 (e.g. 0.05), not {alpha!r}.")


def proportion_ci(k: int, n: int, alpha: float = 0.05, method: str = "wilson") -> tuple[float, float]:
    """Two-sided ``1 - alpha`` interval for a binomial proportion from ``k`` successes in ``n`` trials.

    ``wilson`` (Wilson 1927): the score interval, never outside [0, 1], close to nominal coverage even for
    small ``n`` and proportions near 0 or 1 (accuracies of 0.99). ``clopper-pearson`` (1934): the exact
    interval from beta quantiles, conservative (coverage at least ``1 - alpha``). Both equal statsmodels'
    ``proportion_confint(k, n, alpha, method="wilson" | "beta")``.
    """
    _check_alpha(alpha)
    k, n = int(k), int(n)
    if n <= 0 or not 0 <= k <= n:
        raise UserError(f"A proportion needs 0 <= k <= n and n > 0, got k={k}, n={n}.")
    if method == "wilson":
        from scipy.stats import norm

        z = float(norm.ppf(1 - alpha / 2))
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        # exact at the edges (k = 0 gives 0, k = n gives 1; rounding would land a hair inside)
        return (0.0 if k == 0 else max(0.0, centre - half)), (1.0 if k == n else min(1.0, centre + half))
    if method == "clopper-pearson":
        from scipy.stats import beta

        low = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
        high = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
        return low, high
    raise UserError(f"Unknown interval method {method!r}: use one of {', '.join(PROPORTION_METHODS)}.")


def corrected_t_ci(scores: Any, n_train: int, n_test: int, alpha: float = 0.05) -> tuple[float, float, float]:
    """Nadeau & Bengio's (2003) corrected resampled t interval for the mean of ``J`` resampled scores.

    Scores from folds or repeated splits share training samples, so their plain variance understates the
    variance of the mean; the corrected estimate is ``(1/J + n_test/n_train) * s**2`` with ``s**2`` the
    sample variance (ddof 1), and the interval uses Student's t with ``J - 1`` degrees of freedom.

    Parameters
    ----------
    scores : array of shape (J,)
        One score per fold/seed (e.g. accuracy), J >= 1.
    n_train, n_test : int
        Training and test set sizes of one fold (for k-fold: ``n*(k-1)/k`` and ``n/k``).

    Returns
    -------
    (mean, low, high); for J = 1, ``(score, nan, nan)``: one score has no spread to measure.
    """
    _check_alpha(alpha)
    x = np.asarray(scores, dtype=float).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise UserError(f"corrected_t_ci needs one or more finite scores, got {x.tolist()!r}.")
    if n_train <= 0 or n_test <= 0:
        raise UserError(f"n_train and n_test must be positive, got n_train={n_train}, n_test={n_test}.")
    mean = float(x.mean())
    j = x.size
    if j == 1:
        return mean, math.nan, math.nan
    from scipy.stats import t

    se = math.sqrt((1 / j + n_test / n_train) * float(x.var(ddof=1)))
    half = float(t.ppf(1 - alpha / 2, j - 1)) * se
    return mean, mean - half, mean + half
