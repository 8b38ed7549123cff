import json
import math

import numpy as np
import pytest
from scipy.stats import binomtest, f, t, ttest_rel
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from classbench.errors import UserError
from classbench.stats import (
    PairTest,
    combined_f_5x2cv,
    corrected_paired_t,
    holm,
    mcnemar_exact,
    naive_paired_t,
    paired_t_5x2cv,
    proportion_ci,
)


def outcomes(n11, n10, n01, n00, seed=0):
    """Right/wrong arrays of two models with the given paired table, shuffled."""
    a = np.array([1] * n11 + [1] * n10 + [0] * n01 + [0] * n00, dtype=bool)
    b = np.array([1] * n11 + [0] * n10 + [1] * n01 + [0] * n00, dtype=bool)
    perm = np.random.default_rng(seed).permutation(a.size)
    return a[perm], b[perm]


def test_mcnemar_matches_statsmodels_and_scipy():
    rng = np.random.default_rng(1)
    for trial in range(25):
        n = int(rng.integers(5, 400))
        a = rng.random(n) < rng.uniform(0.5, 0.99)
        b = np.where(rng.random(n) < rng.uniform(0.0, 0.3), ~a, a)  # b disagrees with a on some samples
        got = mcnemar_exact(a, b)
        n10, n01 = int(np.sum(a & ~b)), int(np.sum(~a & b))
        assert (got.n10, got.n01) == (n10, n01)
        assert got.diff == pytest.approx(a.mean() - b.mean())
        table = [[np.sum(a & b), n10], [n01, np.sum(~a & ~b)]]
        ref = mcnemar(table, exact=True)
        assert got.statistic == ref.statistic
        assert got.p_value == pytest.approx(ref.pvalue, rel=1e-9), f"trial {trial}: table {table}"
        if n10 + n01:
            assert got.p_value == pytest.approx(binomtest(min(n10, n01), n10 + n01, 0.5).pvalue, rel=1e-12)
        assert got.ci_low <= got.diff <= got.ci_high


def test_mcnemar_published_example_bentur():
    # Fagerland, Lydersen & Laake (2013), BMC Med Res Methodol 13:91: airway hyper-responsiveness before and
    # after stem cell transplantation (Bentur et al. 2009), discordant pairs 1 and 7 of 21: exact p = 0.070
    a, b = outcomes(n11=1, n10=1, n01=7, n00=12)
    got = mcnemar_exact(a, b)
    assert (got.n10, got.n01) == (1, 7)
    assert round(got.p_value, 3) == 0.070
    assert got.p_value == pytest.approx(18 / 256)  # 2 * P(X <= 1), X ~ Bin(8, 1/2)


def test_mcnemar_newcombe_interval_published_example_cavo():
    # Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables" (2017), ch. 8: complete response
    # before/after consolidation therapy (Cavo et al. 2012), table [[59, 6], [16, 80]]: Newcombe square-and-add
    # interval for the difference -0.0621 (95% CI -0.1186 to -0.0046), as in R package contingencytables.
    a, b = outcomes(n11=59, n10=6, n01=16, n00=80)
    got = mcnemar_exact(a, b)
    assert round(got.diff, 4) == -0.0621
    assert (round(got.ci_low, 4), round(got.ci_high, 4)) == (-0.1186, -0.0046)


def test_mcnemar_edge_cases():
    a = np.array([True, False, True, True])
    got = mcnemar_exact(a, a.copy())
    assert got.p_value == 1.0 and got.n01 == got.n10 == 0 and got.diff == 0.0 and "no discordant" in got.note
    assert got.ci_low <= 0.0 <= got.ci_high
    all_right = mcnemar_exact(np.ones(50, bool), np.ones(50, bool))
    # every marginal of one kind is empty: no correlation estimate, the interval is Wilson's width on each side
    assert all_right.p_value == 1.0
    width = 1 - proportion_ci(50, 50)[0]
    assert (all_right.ci_low, all_right.ci_high) == pytest.approx((-width, width), rel=1e-12)
    lopsided = mcnemar_exact(np.ones(30, bool), np.zeros(30, bool))
    assert lopsided.n10 == 30 and lopsided.p_value == pytest.approx(2 * 0.5**30)
    assert lopsided.diff == 1.0 and lopsided.ci_high == 1.0
    with pytest.raises(UserError, match="same samples"):
        mcnemar_exact([True, False], [True])
    with pytest.raises(UserError):
        mcnemar_exact([], [])
    with pytest.raises(UserError, match="right"):
        mcnemar_exact([3, 7, 1], [3, 1, 1])  # labels, not right/wrong
    assert mcnemar_exact([1, 0, 1], [1.0, 1.0, 0.0]).n01 == 1


def test_corrected_paired_t_by_hand():
    a = np.array([0.90, 0.92, 0.91, 0.95, 0.93, 0.92, 0.94, 0.90, 0.91, 0.93])
    b = np.array([0.89, 0.90, 0.92, 0.92, 0.91, 0.92, 0.91, 0.90, 0.88, 0.92])
    d = a - b
    j, n_train, n_test = 10, 900, 100
    se = math.sqrt((1 / j + n_test / n_train) * d.var(ddof=1))
    t_stat = d.mean() / se
    got = corrected_paired_t(a, b, n_train, n_test)
    assert got.statistic == pytest.approx(t_stat, rel=1e-12)
    assert got.df == 9
    assert got.p_value == pytest.approx(2 * t.sf(abs(t_stat), 9), rel=1e-12)
    assert got.diff == pytest.approx(0.014)  # differences sum to 0.14 over 10 folds
    half = 2.2621571627409915 * se  # t_{0.975, 9}
    assert (got.ci_low, got.ci_high) == pytest.approx((d.mean() - half, d.mean() + half), rel=1e-9)
    # the correction only ever widens: larger p than the naive test on the same scores
    naive = naive_paired_t(a, b)
    assert got.p_value > naive.p_value
    assert abs(naive.statistic / got.statistic) == pytest.approx(math.sqrt(1 + j * n_test / n_train))


def test_naive_paired_t_matches_scipy():
    rng = np.random.default_rng(2)
    for _ in range(10):
        j = int(rng.integers(2, 30))
        a = rng.normal(0.8, 0.03, j)
        b = a + rng.normal(0.005, 0.01, j)
        got = naive_paired_t(a, b, alpha=0.1)
        ref = ttest_rel(a, b)
        ci = ref.confidence_interval(0.9)
        assert got.statistic == pytest.approx(ref.statistic, rel=1e-10)
        assert got.p_value == pytest.approx(ref.pvalue, rel=1e-10)
        assert got.df == ref.df
        assert (got.ci_low, got.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)


def test_paired_t_edge_cases():
    one = corrected_paired_t([0.9], [0.8], 100, 50)
    assert math.isnan(one.p_value) and "one fold" in one.note
    same = corrected_paired_t([0.9, 0.8], [0.9, 0.8], 100, 50)
    assert same.p_value == 1.0 and same.statistic == 0.0
    shifted = naive_paired_t([0.9, 0.8, 0.7], [0.8, 0.7, 0.6])
    assert shifted.p_value == 0.0 and shifted.statistic == math.inf
    assert json.dumps(shifted.to_dict())  # infinity becomes null, still JSON
    assert shifted.to_dict()["statistic"] is None
    with pytest.raises(UserError):
        corrected_paired_t([0.9, 0.8], [0.9], 100, 50)
    with pytest.raises(UserError):
        corrected_paired_t([0.9, 0.8], [0.9, 0.7], 0, 50)


DIFFS = np.array([[0.02, 0.04], [0.01, 0.03], [0.00, 0.02], [0.03, 0.01], [0.02, 0.02]])


def test_5x2cv_t_hand_computed():
    # s_i^2 = (d_i1 - d_i2)^2 / 2 = 0.0002 for the first four replications, 0 for the last: mean 0.00016
    got = paired_t_5x2cv(DIFFS)
    assert got.statistic == pytest.approx(0.02 / math.sqrt(0.00016), rel=1e-12)  # 1.5811
    assert round(got.statistic, 4) == 1.5811
    assert got.p_value == pytest.approx(2 * t.sf(1.5811388300841898, 5), rel=1e-9)
    assert round(got.p_value, 3) == 0.175
    assert got.df == 5 and got.diff == pytest.approx(0.02)


def test_5x2cv_f_hand_computed():
    # sum d^2 = 0.0052, 2 * sum s_i^2 = 0.0016: F = 3.25 with (10, 5) df
    got = combined_f_5x2cv(DIFFS)
    assert got.statistic == pytest.approx(3.25, rel=1e-12)
    assert got.p_value == pytest.approx(f.sf(3.25, 10, 5), rel=1e-12)
    assert round(got.p_value, 3) == 0.103
    assert got.df == 10


def test_5x2cv_matches_mlxtend_formula_on_random_input():
    rng = np.random.default_rng(3)
    for _ in range(10):
        d = rng.normal(0.01, 0.02, (5, 2))
        # mlxtend.evaluate: per replication P = (P1 + P2) / 2, s2 = (P1 - P)^2 + (P2 - P)^2
        s2 = [(p1 - (p1 + p2) / 2) ** 2 + (p2 - (p1 + p2) / 2) ** 2 for p1, p2 in d]
        t_ref = d[0, 0] / math.sqrt(sum(s2) / 5)
        f_ref = sum(p1**2 + p2**2 for p1, p2 in d) / (2 * sum(s2))
        assert paired_t_5x2cv(d).statistic == pytest.approx(t_ref, rel=1e-12)
        assert paired_t_5x2cv(d).p_value == pytest.approx(2 * t.sf(abs(t_ref), 5), rel=1e-10)
        assert combined_f_5x2cv(d).statistic == pytest.approx(f_ref, rel=1e-12)
        assert combined_f_5x2cv(d).p_value == pytest.approx(f.sf(f_ref, 10, 5), rel=1e-10)


def test_5x2cv_edge_cases():
    assert paired_t_5x2cv(np.zeros((5, 2))).p_value == 1.0
    assert combined_f_5x2cv(np.zeros((5, 2))).p_value == 1.0
    assert paired_t_5x2cv(np.full((5, 2), 0.01)).p_value == 0.0
    with pytest.raises(UserError, match="shape"):
        paired_t_5x2cv(np.zeros((4, 2)))
    with pytest.raises(UserError, match="shape"):
        combined_f_5x2cv(np.zeros(10))


def test_holm_matches_statsmodels():
    rng = np.random.default_rng(4)
    for m in (1, 2, 7, 40):  # (multipletests takes ~0.1 s a call here: few calls, varied sizes)
        p = rng.random(m) ** 3
        p[rng.random(m) < 0.2] = p[0]  # ties
        np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=1e-12)
    # Holm (1979) by hand: 0.01, 0.04, 0.03 -> 0.03, 0.06, 0.06
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])


def test_holm_nan_and_bad_values():
    got = holm([0.01, float("nan"), 0.04])
    assert math.isnan(got[1])
    np.testing.assert_allclose(got[[0, 2]], [0.02, 0.04])
    assert holm([]).shape == (0,)
    with pytest.raises(UserError):
        holm([0.5, 1.5])


def test_pairtest_to_dict_is_json():
    d = PairTest("x", 1.0, float("nan"), n01=np.int64(3)).to_dict()
    assert d["p_value"] is None and d["n01"] == 3
    json.dumps(d)
