import math
import warnings

import numpy as np
import pandas as pd
import pytest
import scikit_posthocs as sp
from scipy.stats import friedmanchisquare, rankdata

from classbench.errors import UserError
from classbench.stats import friedman, holm_vs_control, mean_ranks, nemenyi_cd, nemenyi_pvalues, nemenyi_q

from .conftest import random_scores


def test_demsar_worked_example(demsar):
    # Demšar (2006), section 3.2.2 and Table 6
    r = mean_ranks(demsar)
    np.testing.assert_allclose(np.round(r, 3), [3.143, 2.000, 2.893, 1.964])
    fr = friedman(demsar, tie_correction=False)
    assert round(fr.chi2, 2) == 9.28
    assert round(fr.iman_davenport_f, 2) == 3.69
    assert (fr.df1, fr.df2, fr.n_datasets, fr.n_models) == (3, 39, 14, 4)
    # "the critical value of F(3, 39) for alpha = 0.05 is 2.85, so we reject the null-hypothesis"
    assert fr.iman_davenport_p < 0.05
    assert nemenyi_q(4, 0.05) == pytest.approx(2.569, abs=5e-4)
    assert round(nemenyi_cd(4, 14, 0.05), 2) == 1.25
    assert nemenyi_q(4, 0.10) == pytest.approx(2.291, abs=5e-4)  # Demšar Table 5(a), alpha = 0.10


def test_demsar_holm_against_c45(demsar):
    # Holm with C4.5 as control: SE = sqrt(4*5/(6*14)) = 0.488; z = (3.143 - R_i) / SE
    rows = holm_vs_control(demsar, control=0)
    assert [r["model"] for r in rows] == [1, 2, 3]
    z = {r["model"]: r["z"] for r in rows}
    se = math.sqrt(20 / 84)
    assert round(se, 3) == 0.488
    assert z[3] == pytest.approx((1.964285714 - 3.142857143) / se)  # negative: C4.5+m+cf ranks better
    p = {r["model"]: round(r["p"], 3) for r in rows}
    assert p == {1: 0.019, 2: 0.608, 3: 0.016}
    # Holm: 0.016 < 0.05/3 and 0.019 < 0.05/2 reject; 0.608 does not
    holm_p = {r["model"]: round(r["p_holm"], 4) for r in rows}
    # adjusted: 3 * 0.0157 = 0.0472; 2 * 0.0192 = 0.0383, raised to 0.0472 (step-down is monotone); 0.6084
    assert holm_p == {3: 0.0472, 1: 0.0472, 2: 0.6084}


@pytest.mark.parametrize("seed, n, k, ties", [(0, 10, 3, False), (1, 25, 6, True), (2, 5, 3, True),
                                              (3, 40, 8, True), (4, 3, 4, False)])
def test_friedman_matches_scipy(seed, n, k, ties):
    x = random_scores(seed, n, k, ties)
    fr = friedman(x)
    ref = friedmanchisquare(*x.T)
    assert fr.chi2 == pytest.approx(ref.statistic, rel=1e-10)
    assert fr.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    ff = (n - 1) * fr.chi2 / (n * (k - 1) - fr.chi2)
    assert fr.iman_davenport_f == pytest.approx(ff)
    # lower is better: the same ranks mirrored, so the same test
    assert friedman(-x, higher_is_better=False).chi2 == pytest.approx(fr.chi2)


@pytest.mark.parametrize("seed, n, k", [(0, 12, 5), (1, 30, 3), (2, 8, 7)])
def test_mean_ranks_and_cd_match_autorank(seed, n, k):
    from autorank import autorank

    x = pd.DataFrame(random_scores(seed, n, k, ties=True), columns=[f"m{i}" for i in range(k)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = autorank(x, alpha=0.05, verbose=False, force_mode="nonparametric", order="descending")
    ours = dict(zip(x.columns, mean_ranks(x.values)))
    for name, row in res.rankdf.iterrows():
        assert ours[name] == pytest.approx(row["meanrank"], rel=1e-12)
    # autorank uses statsmodels' qsturng table interpolation; ours is scipy's exact studentized range
    assert nemenyi_cd(k, n) == pytest.approx(res.cd, rel=1e-4)


def test_mean_ranks_ties_and_direction():
    x = np.array([[0.9, 0.9, 0.8], [0.7, 0.8, 0.8]])
    np.testing.assert_allclose(mean_ranks(x), [(1.5 + 3) / 2, (1.5 + 1.5) / 2, (3 + 1.5) / 2])
    np.testing.assert_allclose(mean_ranks(x, higher_is_better=False), [(2.5 + 1) / 2, (2.5 + 2.5) / 2, (1 + 2.5) / 2])
    np.testing.assert_allclose(mean_ranks(x), rankdata(-x, axis=1).mean(axis=0))


@pytest.mark.parametrize("seed, n, k", [(0, 10, 4), (1, 20, 6), (2, 6, 3), (3, 15, 2)])
def test_nemenyi_pvalues_match_scikit_posthocs(seed, n, k):
    x = random_scores(seed, n, k, ties=True)
    ours = nemenyi_pvalues(x)
    ref = sp.posthoc_nemenyi_friedman(x).to_numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-8, atol=1e-12)
    assert np.allclose(ours, ours.T) and np.all(np.diag(ours) == 1)


def test_nemenyi_pvalue_at_cd_is_alpha():
    # a mean-rank gap equal to the CD has Nemenyi p = alpha exactly
    k, n = 5, 10
    cd = nemenyi_cd(k, n, 0.05)
    from scipy.stats import studentized_range

    q = cd / math.sqrt(k * (k + 1) / (6 * n))
    assert studentized_range.sf(q * math.sqrt(2), k, np.inf) == pytest.approx(0.05, rel=1e-6)


def test_all_ties():
    x = np.full((6, 4), 0.9)
    fr = friedman(x)
    assert fr.chi2 == 0.0 and fr.p_value == 1.0 and fr.iman_davenport_p == 1.0
    np.testing.assert_allclose(mean_ranks(x), 2.5)
    assert np.all(nemenyi_pvalues(x) == 1.0)
    assert all(r["p"] == 1.0 and r["p_holm"] == 1.0 for r in holm_vs_control(x, 0))


def test_perfect_agreement_and_two_models():
    x = np.tile([0.9, 0.8, 0.7], (5, 1))  # every dataset ranks the models the same way
    fr = friedman(x)
    assert fr.chi2 == pytest.approx(10.0) and fr.iman_davenport_f == math.inf and fr.iman_davenport_p == 0.0
    two = random_scores(5, 12, 2)
    fr2 = friedman(two)
    # with k = 2 (scipy refuses it) Friedman is the two-sided sign test's chi-square: (wins - losses)^2 / N
    wins = int(np.sum(two[:, 1] > two[:, 0]))
    assert fr2.chi2 == pytest.approx((2 * wins - 12) ** 2 / 12)
    assert nemenyi_cd(2, 12) == pytest.approx(1.959964 * math.sqrt(2 * 3 / 72), rel=1e-5)


def test_bad_tables():
    with pytest.raises(UserError, match="at least 2 models"):
        mean_ranks(np.ones((3, 1)))
    with pytest.raises(UserError, match="at least 2 datasets"):
        friedman(np.ones((1, 3)))
    with pytest.raises(UserError, match="NaN"):
        friedman(np.array([[0.1, np.nan], [0.2, 0.3]]))
    with pytest.raises(UserError, match="2-D"):
        mean_ranks([0.1, 0.2])
    with pytest.raises(UserError, match="control"):
        holm_vs_control(np.ones((3, 3)), control=3)
