import math

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from classbench.errors import UserError
from classbench.stats import corrected_t_ci, proportion_ci


@pytest.mark.parametrize("method, sm_method", [("wilson", "wilson"), ("clopper-pearson", "beta")])
def test_proportion_ci_matches_statsmodels(method, sm_method):
    rng = np.random.default_rng(0)
    cases = [(0, 10), (10, 10), (1, 1), (0, 1), (163, 165), (9944, 10000), (5, 7)]
    cases += [(int(k), int(n)) for n in rng.integers(1, 5000, 20) for k in [rng.integers(0, n + 1)]]
    for alpha in (0.05, 0.01, 0.2):
        for k, n in cases:
            got = proportion_ci(k, n, alpha=alpha, method=method)
            want = proportion_confint(k, n, alpha=alpha, method=sm_method)
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=f"{method} k={k} n={n}")
            assert 0.0 <= got[0] <= k / n <= got[1] <= 1.0


def test_wilson_published_example():
    # Wilson interval for 81 successes in 263 trials (Newcombe 1998, Stat Med 17:857, example): 0.2553-0.3662
    low, high = proportion_ci(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


def test_clopper_pearson_edges_are_exact():
    assert proportion_ci(0, 20, method="clopper-pearson")[0] == 0.0
    assert proportion_ci(20, 20, method="clopper-pearson")[1] == 1.0
    # k = 0: upper limit 1 - (alpha/2)^(1/n)
    assert proportion_ci(0, 20, method="clopper-pearson")[1] == pytest.approx(1 - 0.025 ** (1 / 20))


@pytest.mark.parametrize("bad", [dict(k=3, n=2), dict(k=-1, n=5), dict(k=0, n=0), dict(k=1, n=5, alpha=1.5),
                                 dict(k=1, n=5, method="wald")])
def test_proportion_ci_rejects_bad_input(bad):
    with pytest.raises(UserError):
        proportion_ci(**bad)


def test_corrected_t_ci_by_hand():
    # 10-fold CV on 1000 samples: n_train 900, n_test 100
    s = np.array([0.91, 0.93, 0.90, 0.94, 0.92, 0.95, 0.89, 0.93, 0.92, 0.91])
    j, mean, var = 10, s.mean(), s.var(ddof=1)
    se = math.sqrt((1 / j + 100 / 900) * var)
    t975_9 = 2.2621571627409915  # Student t 0.975 quantile, 9 df (tables: 2.262)
    got = corrected_t_ci(s, n_train=900, n_test=100)
    assert got == pytest.approx((mean, mean - t975_9 * se, mean + t975_9 * se), rel=1e-12)
    # wider than the naive interval by sqrt(1 + J n_test / n_train)
    naive_half = t975_9 * s.std(ddof=1) / math.sqrt(j)
    assert (got[2] - got[1]) / (2 * naive_half) == pytest.approx(math.sqrt(1 + 10 * 100 / 900))


def test_corrected_t_ci_one_score_and_constant_scores():
    mean, low, high = corrected_t_ci([0.87], 100, 50)
    assert mean == 0.87 and math.isnan(low) and math.isnan(high)
    assert corrected_t_ci([0.5, 0.5, 0.5], 100, 50) == (0.5, 0.5, 0.5)
    with pytest.raises(UserError):
        corrected_t_ci([], 100, 50)
    with pytest.raises(UserError):
        corrected_t_ci([0.5, float("nan")], 100, 50)
    with pytest.raises(UserError):
        corrected_t_ci([0.5, 0.6], 0, 50)
