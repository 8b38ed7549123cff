"""Properties that follow from the theory, computed exactly (no simulation): coverage of the intervals,
size of the exact McNemar test, Nemenyi's critical values against Demšar's (2006) Table 5."""

import numpy as np
import pytest
from scipy.stats import binom

from classbench.stats import holm, mcnemar_exact, nemenyi_q, proportion_ci


def coverage(n, p, method, alpha=0.05):
    """Exact probability that the interval from k ~ Bin(n, p) covers p."""
    ks = np.arange(n + 1)
    covers = np.array([lo <= p <= hi for lo, hi in (proportion_ci(int(k), n, alpha, method) for k in ks)])
    return float(binom.pmf(ks, n, p)[covers].sum())


@pytest.mark.parametrize("n", [30, 100])
def test_clopper_pearson_never_undercovers(n):
    for p in np.linspace(0.02, 0.99, 15):
        assert coverage(n, p, "clopper-pearson") >= 0.95 - 1e-9, p


@pytest.mark.parametrize("n", [30, 100])
def test_wilson_covers_near_nominal_on_average(n):
    cov = np.array([coverage(n, p, "wilson") for p in np.linspace(0.02, 0.99, 30)])
    assert abs(cov.mean() - 0.95) < 0.01  # Wilson: mean coverage close to nominal (Newcombe 1998a)
    assert cov.min() > 0.80  # and no collapse near the edges, unlike Wald (k = n gives width 0 there)


@pytest.mark.parametrize("m", [5, 12, 40])
def test_exact_mcnemar_size_at_most_alpha(m):
    # all m discordant samples: under the null each falls either way with probability 1/2
    size = 0.0
    for n10 in range(m + 1):
        a = np.array([True] * n10 + [False] * (m - n10))
        if mcnemar_exact(a, ~a).p_value < 0.05:
            size += binom.pmf(n10, m, 0.5)
    assert size <= 0.05


# Demšar (2006), Table 5: critical values of the two-tailed Nemenyi test, k = 2..10
Q_005 = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]
Q_010 = [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920]


def test_nemenyi_critical_values_table():
    for k, q05, q10 in zip(range(2, 11), Q_005, Q_010):
        assert nemenyi_q(k, 0.05) == pytest.approx(q05, abs=1.5e-3), k
        assert nemenyi_q(k, 0.10) == pytest.approx(q10, abs=1.5e-3), k


def test_holm_never_below_raw_and_keeps_order():
    rng = np.random.default_rng(9)
    p = rng.random(30) ** 4
    adj = holm(p)
    assert np.all(adj >= p) and np.all(adj <= 1)
    order = np.argsort(p)
    assert np.all(np.diff(adj[order]) >= 0)


def test_corrected_t_is_exact_for_equicorrelated_folds_and_naive_is_not():
    # Nadeau & Bengio's factor 1/J + n_test/n_train is exact when the J fold differences are normal with
    # correlation rho = n_test / n: then Var(mean) / E[s^2] = 1/J + rho / (1 - rho). Under the null the
    # corrected test rejects 5% of the time; the naive one, which assumes rho = 0, far more.
    from classbench.stats import corrected_paired_t, naive_paired_t

    rng = np.random.default_rng(12)
    j, n_train, n_test, reps = 10, 900, 100, 2000
    rho = n_test / (n_train + n_test)
    cov = np.full((j, j), rho) + (1 - rho) * np.eye(j)
    d = rng.multivariate_normal(np.zeros(j), cov * 1e-4, size=reps)
    zeros = np.zeros(j)
    corrected = np.mean([corrected_paired_t(row, zeros, n_train, n_test).p_value < 0.05 for row in d])
    naive = np.mean([naive_paired_t(row, zeros).p_value < 0.05 for row in d])
    assert abs(corrected - 0.05) < 0.015  # binomial sd of the rate: 0.005
    assert naive > 0.12  # theory: P(|t_9| > 2.262 / sqrt(2.11)) = 0.154
