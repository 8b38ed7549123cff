"""Paired tests of two models on the same data, and Holm's correction for several of them.

- ``mcnemar_exact``: one test set, per-sample right/wrong of both models (McNemar 1947; exact binomial form),
  with Newcombe's (1998) interval for the accuracy difference;
- ``corrected_paired_t``: matched folds/seeds, Nadeau & Bengio's (2003) corrected resampled t-test;
- ``naive_paired_t``: the uncorrected paired t-test (too liberal on overlapping training sets: shown only
  for calibration);
- ``paired_t_5x2cv`` (Dietterich 1998) and ``combined_f_5x2cv`` (Alpaydin 1999) on a 5x2cv protocol;
- ``holm``: Holm's (1979) step-down adjusted p-values.

See docs/statistics.md for which to use when.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import UserError
from ._types import PairTest
from .intervals import _check_alpha, proportion_ci


def _paired_arrays(a: Any, b: Any, what: str, dtype: Any = float) -> tuple[np.ndarray, np.ndarray]:
    if dtype is bool:
        for raw in (np.asarray(a), np.asarray(b)):
            if raw.dtype != bool and raw.size and not np.all(np.isin(raw, (0, 1))):
                raise UserError(f"{what}: give whether each test sample was answered right (True/False or 1/0), "
                                f"not predicted labels or scores; got values such as {raw.ravel()[:5].tolist()}.")
    x = np.asarray(a, dtype=dtype).ravel()
    y = np.asarray(b, dtype=dtype).ravel()
    if x.shape != y.shape:
        raise UserError(f"{what}: the two models must be scored on the same samples/folds; got {x.size} and "
                        f"{y.size} values. Compare runs that used the same data and protocol.")
    if x.size == 0:
        raise UserError(f"{what}: no values to compare (both arrays are empty).")
    if dtype is float and not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise UserError(f"{what}: scores must be finite numbers; found NaN or infinity.")
    return x, y


def _newcombe_paired_ci(n11: int, n10: int, n01: int, n00: int, alpha: float) -> tuple[float, float]:
    """Newcombe's (1998, method 10) square-and-add interval for ``p1 - p2`` from a paired 2x2 table.

    ``n10``: first right, second wrong; ``n01``: first wrong, second right. The correlation estimate uses
    the continuity-corrected form, as in Fagerland, Lydersen & Laake (2014).
    """
    n = n11 + n10 + n01 + n00
    r1, r2, c1, c2 = n11 + n10, n01 + n00, n11 + n01, n10 + n00
    p1, p2 = r1 / n, c1 / n
    l1, u1 = proportion_ci(r1, n, alpha)
    l2, u2 = proportion_ci(c1, n, alpha)
    phi = 0.0
    if min(r1, r2, c1, c2) > 0:
        det = n11 * n00 - n10 * n01
        if det > n / 2:
            det -= n / 2
        elif det >= 0:
            det = 0
        phi = det / math.sqrt(float(r1) * r2 * c1 * c2)
    d = p1 - p2
    low = d - math.sqrt(max(0.0, (p1 - l1) ** 2 + (u2 - p2) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2)))
    high = d + math.sqrt(max(0.0, (p2 - l2) ** 2 + (u1 - p1) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1)))
    return max(-1.0, low), min(1.0, high)


def mcnemar_exact(correct_a: Any, correct_b: Any, alpha: float = 0.05) -> PairTest:
    """Exact McNemar test: did models ``a`` and ``b`` err on the same test samples at the same rate?

    Parameters
    ----------
    correct_a, correct_b : array of shape (n,) of bool
        Whether each model got each test sample right, in the same sample order.

    Returns
    -------
    PairTest with ``n01`` (a wrong, b right), ``n10`` (a right, b wrong), ``statistic = min(n01, n10)``,
    the two-sided exact binomial p-value on the ``n01 + n10`` discordant samples (p = 1 when there are
    none), ``diff = acc_a - acc_b`` and Newcombe's interval for it.
    """
    _check_alpha(alpha)
    a, b = _paired_arrays(correct_a, correct_b, "McNemar's test", dtype=bool)
    n10 = int(np.sum(a & ~b))
    n01 = int(np.sum(~a & b))
    n11 = int(np.sum(a & b))
    n00 = a.size - n10 - n01 - n11
    m = n01 + n10
    note = ""
    if m == 0:
        p, note = 1.0, "no discordant samples: the two models got exactly the same samples right"
    else:
        from scipy.stats import binomtest

        p = float(binomtest(min(n01, n10), m, 0.5).pvalue)
    low, high = _newcombe_paired_ci(n11, n10, n01, n00, alpha)
    return PairTest("mcnemar-exact", float(min(n01, n10)), min(1.0, p), diff=(n10 - n01) / a.size,
                    ci_low=low, ci_high=high, n01=n01, n10=n10, note=note)


def _constant(x: np.ndarray) -> bool:
    """All values equal up to float rounding (0.9 - 0.8 and 0.8 - 0.7 differ in the 17th digit)."""
    return float(np.ptp(x)) <= 1e-12 * max(1.0, float(np.max(np.abs(x))))


def _t_from_diffs(d: np.ndarray, var_factor: float, alpha: float, method: str) -> PairTest:
    """Paired t on differences ``d`` (shape (J,)) with variance of the mean ``var_factor * s**2``."""
    from scipy.stats import t as student_t

    j = d.size
    mean = float(d.mean())
    if j < 2:
        return PairTest(method, math.nan, math.nan, diff=mean, df=0.0,
                        note="one fold/seed only: a t-test needs at least two matched scores per model")
    df = j - 1
    se = math.sqrt(var_factor * float(d.var(ddof=1)))
    if _constant(d):
        if mean == 0.0:
            return PairTest(method, 0.0, 1.0, diff=0.0, ci_low=0.0, ci_high=0.0, df=df,
                            note="identical scores on every fold/seed")
        return PairTest(method, math.copysign(math.inf, mean), 0.0, diff=mean, ci_low=mean, ci_high=mean,
                        df=df, note="the difference is the same on every fold/seed (zero variance)")
    stat = mean / se
    p = float(2 * student_t.sf(abs(stat), df))
    half = float(student_t.ppf(1 - alpha / 2, df)) * se
    return PairTest(method, stat, p, diff=mean, ci_low=mean - half, ci_high=mean + half, df=df)


def corrected_paired_t(scores_a: Any, scores_b: Any, n_train: int, n_test: int,
                       alpha: float = 0.05) -> PairTest:
    """Nadeau & Bengio's (2003) corrected resampled paired t-test over ``J`` matched folds/seeds.

    ``t = mean(d) / sqrt((1/J + n_test/n_train) * var(d))`` with ``d = a - b`` and ``J - 1`` degrees of
    freedom; the interval on ``mean(d)`` uses the same corrected variance.

    Parameters
    ----------
    scores_a, scores_b : array of shape (J,)
        Scores of the two models on the same folds/seeds, in the same order.
    n_train, n_test : int
        Training and test sizes of one fold.
    """
    _check_alpha(alpha)
    a, b = _paired_arrays(scores_a, scores_b, "corrected paired t-test")
    if n_train <= 0 or n_test <= 0:
        raise UserError(f"n_train and n_test must be positive, got n_train={n_train}, n_test={n_test}.")
    return _t_from_diffs(a - b, 1 / a.size + n_test / n_train, alpha, "corrected-paired-t")


def naive_paired_t(scores_a: Any, scores_b: Any, alpha: float = 0.05) -> PairTest:
    """The plain paired t-test (``scipy.stats.ttest_rel``) over matched folds/seeds.

    Overlapping training sets make its type-I error far above ``alpha`` (Dietterich 1998; Nadeau & Bengio
    2003): kept for the calibration benchmark and for comparison, not for conclusions.

    Parameters
    ----------
    scores_a, scores_b : array of shape (J,)
    """
    _check_alpha(alpha)
    a, b = _paired_arrays(scores_a, scores_b, "paired t-test")
    return _t_from_diffs(a - b, 1 / a.size, alpha, "naive-paired-t")


def _check_5x2(diffs: Any) -> tuple[np.ndarray, np.ndarray]:
    d = np.asarray(diffs, dtype=float)
    if d.shape != (5, 2):
        raise UserError(f"5x2cv tests need the score differences of 5 replications x 2 folds (shape (5, 2)), "
                        f"got shape {d.shape}. Run the 5x2cv protocol (5 seeds, 2 folds each).")
    if not np.all(np.isfinite(d)):
        raise UserError("5x2cv tests: the score differences must be finite numbers.")
    s2 = ((d - d.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)  # per replication: 2 * sample variance / 2
    return d, s2


def paired_t_5x2cv(diffs: Any) -> PairTest:
    """Dietterich's (1998) 5x2cv paired t-test.

    ``t = d[0, 0] / sqrt(mean_i s_i**2)`` with ``s_i**2 = sum_j (d[i, j] - mean_j d[i, j])**2`` and 5 df.

    Parameters
    ----------
    diffs : array of shape (5, 2)
        ``score_a - score_b`` on fold j of replication i (each replication a fresh 50/50 split).
    """
    from scipy.stats import t as student_t

    d, s2 = _check_5x2(diffs)
    denom = math.sqrt(float(s2.mean()))
    mean = float(d.mean())
    if all(_constant(row) for row in d):
        if d[0, 0] == 0.0:
            return PairTest("5x2cv-t", 0.0, 1.0, diff=mean, df=5.0, note="zero variance and zero difference")
        return PairTest("5x2cv-t", math.copysign(math.inf, d[0, 0]), 0.0, diff=mean, df=5.0,
                        note="zero variance within every replication")
    stat = float(d[0, 0]) / denom
    return PairTest("5x2cv-t", stat, float(2 * student_t.sf(abs(stat), 5)), diff=mean, df=5.0)


def combined_f_5x2cv(diffs: Any) -> PairTest:
    """Alpaydin's (1999) combined 5x2cv F-test: ``F = sum d**2 / (2 sum_i s_i**2)`` with (10, 5) df.

    More robust than the 5x2cv t, which rests on the single difference ``d[0, 0]``. ``df`` is the
    numerator's 10; the denominator's is 5.

    Parameters
    ----------
    diffs : array of shape (5, 2)
    """
    from scipy.stats import f as f_dist

    d, s2 = _check_5x2(diffs)
    num = float((d**2).sum())
    den = 2 * float(s2.sum())
    mean = float(d.mean())
    if all(_constant(row) for row in d):
        if num == 0.0:
            return PairTest("5x2cv-f", 0.0, 1.0, diff=mean, df=10.0, note="zero variance and zero difference")
        return PairTest("5x2cv-f", math.inf, 0.0, diff=mean, df=10.0,
                        note="zero variance within every replication")
    stat = num / den
    return PairTest("5x2cv-f", stat, float(f_dist.sf(stat, 10, 5)), diff=mean, df=10.0,
                    note="F with (10, 5) degrees of freedom")


def holm(p_values: Any) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values (same order as given; NaN stays NaN and is not counted).

    Sorted ascending, ``p_(i)`` becomes ``max_{j <= i} min(1, (m - j + 1) p_(j))``; reject where the adjusted
    value is below ``alpha``. Equals statsmodels' ``multipletests(p, method="holm")[1]``.

    Parameters
    ----------
    p_values : array of shape (m,)
    """
    p = np.asarray(p_values, dtype=float).ravel()
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if ok.size == 0:
        return out
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise UserError(f"p-values must lie in [0, 1], got {p[ok].tolist()!r}.")
    m = ok.size
    order = ok[np.argsort(p[ok], kind="mergesort")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out
