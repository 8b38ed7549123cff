"""Which interval and which test for which protocol, checked against scipy/statsmodels; tied_with_best."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as st

from classbench.bench import leaderboard as lb
from classbench.bench.compare import groups, interval, pair_test
from classbench.bench.protocols import fold_indices
from classbench.config import ProtocolSpec, parse_protocol

from .conftest import answers


def _wilson(k, n):
    from statsmodels.stats.proportion import proportion_confint

    return proportion_confint(k, n, 0.05, method="wilson")


def _scores(accs, n_test, seed=0):
    return [{"seed": seed, "fold": f, "n_folds": len(accs), "accuracy": a, "n_test": n_test}
            for f, a in enumerate(accs)]


def test_holdout_interval_is_wilson_on_k_of_n(stores, tmp_path):
    store = stores(tmp_path, {"a": [answers(400, range(12))]})
    (row,) = lb.leaderboard(store.trials("r1"))
    assert row["interval"] == "wilson"
    assert (row["acc_low"], row["acc_high"]) == pytest.approx(_wilson(388, 400), abs=1e-12)


def test_loo_interval_pools_the_answers_even_without_stored_predictions(stores, tmp_path):
    right = np.r_[np.ones(150), np.zeros(15)]
    trials = [{"seed": 0, "fold": i, "n_folds": 165, "accuracy": float(r), "n_test": 1} for i, r in enumerate(right)]
    store = stores(tmp_path, {"a": trials}, kind="loo", n_train=164)
    (row,) = lb.leaderboard(store.trials("r1"))
    assert row["interval"] == "wilson"
    assert (row["acc_low"], row["acc_high"]) == pytest.approx(_wilson(150, 165), abs=1e-12)
    text = lb.format_table([row])
    assert "0.9091 [0.855, 0.944]" in text and "0.9091 ±" not in text  # the sd of 0/1 folds is gone


def test_loo_mcnemar_from_an_old_run_pools_the_fold_scores(stores, tmp_path):
    a = np.ones(165)
    a[:10] = 0  # wrong on faces 0..9
    b = np.ones(165)
    b[5:25] = 0  # wrong on faces 5..24: 5 vs 15 discordant
    loo = lambda right: [{"seed": 0, "fold": i, "n_folds": 165, "accuracy": float(r), "n_test": 1}  # noqa: E731
                         for i, r in enumerate(right)]
    store = stores(tmp_path, {"a": loo(a), "b": loo(b)}, kind="loo", n_train=164)
    g = groups(store.trials("r1"))["digits"]
    res = pair_test(g["a"], g["b"])
    assert res["test"] == "mcnemar" and res["n"] == 165 and (res["n01"], res["n10"]) == (5, 15)
    assert res["p_value"] == pytest.approx(st.binomtest(5, 20).pvalue)


def test_folds_interval_is_nadeau_bengio_corrected_t(stores, tmp_path):
    accs = [0.91, 0.94, 0.9, 0.93, 0.95]
    store = stores(tmp_path, {"a": _scores(accs, 360)}, kind="kfold", n_train=1440)
    (row,) = lb.leaderboard(store.trials("r1"))
    x = np.array(accs)
    se = np.sqrt((1 / 5 + 360 / 1440) * x.var(ddof=1))
    half = st.t.ppf(0.975, 4) * se
    assert row["interval"] == "corrected-t"
    assert (row["acc_low"], row["acc_high"]) == pytest.approx((x.mean() - half, x.mean() + half), abs=1e-12)
    assert row["accuracy_std"] == pytest.approx(x.std(ddof=1))  # the plain sd stays a column
    assert "accuracy_std" in lb.to_csv([row]) and "acc_low" in lb.to_csv([row])


def test_split_one_seed_is_wilson_several_seeds_corrected_t(stores, tmp_path):
    one = stores(tmp_path / "1", {"a": [answers(200, range(20))]}, kind="split")
    assert lb.leaderboard(one.trials("r1"))[0]["interval"] == "wilson"
    many = stores(tmp_path / "3", {"a": [{**answers(200, range(s + 10)), "seed": s} for s in range(3)]}, kind="split")
    assert lb.leaderboard(many.trials("r1"))[0]["interval"] == "corrected-t"


def test_tied_with_best_mcnemar_and_holm(stores, tmp_path):
    n = 1000
    best = answers(n, range(0, 40))  # 960 right
    close = answers(n, list(range(5, 40)) + list(range(500, 512)))  # 953 right: 5 vs 12 discordant
    far = answers(n, range(0, 120))  # 880 right
    store = stores(tmp_path, {"best": [best], "close": [close], "far": [far]})
    rows = {r["model"]: r for r in lb.leaderboard(store.trials("r1"))}
    p_close = st.binomtest(5, 17, 0.5).pvalue
    p_far = st.binomtest(0, 80, 0.5).pvalue
    holm_close = max(p_far * 2, p_close)  # Holm over the two comparisons with the best
    assert rows["close"]["p_vs_best"] == pytest.approx(holm_close)
    assert rows["best"]["tied_with_best"] is True and rows["close"]["tied_with_best"] is True
    assert rows["far"]["tied_with_best"] is False and rows["far"]["p_vs_best"] == pytest.approx(2 * p_far)
    text = lb.format_table(list(rows.values()))
    assert "exact McNemar" in text.splitlines()[0] and "Wilson" in text.splitlines()[0]
    assert "0.9600 [0.946, 0.970]" in text  # statsmodels: (0.94599, 0.97049)
    csv = lb.to_csv(lb.leaderboard(store.trials("r1"))).splitlines()
    assert "tied_with_best" in csv[0] and csv[1].split(",")[1] == "best"


def test_holm_keeps_two_borderline_models_in_the_winning_group(stores, tmp_path):
    n = 1000
    best = answers(n, range(40))
    mid = answers(n, list(range(3, 40)) + list(range(600, 612)))  # 3 vs 12 discordant: p = 0.035 alone
    mid2 = answers(n, list(range(4, 40)) + list(range(700, 714)))  # 4 vs 14: p = 0.031 alone
    store = stores(tmp_path, {"best": [best], "mid": [mid], "mid2": [mid2]})
    rows = {r["model"]: r for r in lb.leaderboard(store.trials("r1"))}
    p1, p2 = st.binomtest(3, 15).pvalue, st.binomtest(4, 18).pvalue
    assert p1 < 0.05 and p2 < 0.05  # each alone would be "significantly worse" ...
    assert rows["mid"]["p_vs_best"] == pytest.approx(max(2 * p2, p1))  # ... but not after Holm
    assert rows["mid2"]["p_vs_best"] == pytest.approx(2 * p2)
    assert rows["mid"]["tied_with_best"] is True and rows["mid2"]["tied_with_best"] is True


def test_old_run_without_predictions_still_has_intervals_but_no_ties(stores, tmp_path):
    store = stores(tmp_path, {"a": [answers(300, range(3))], "b": [answers(300, range(9))]}, with_predictions=False)
    rows = lb.leaderboard(store.trials("r1"))
    assert [r["interval"] for r in rows] == ["wilson", "wilson"]
    assert rows[1]["tied_with_best"] is None
    assert "? = could not be tested" in lb.format_table(rows)


def test_folds_compare_with_the_corrected_paired_t(stores, tmp_path):
    a, b = [0.91, 0.94, 0.9, 0.93, 0.95], [0.89, 0.93, 0.9, 0.9, 0.92]
    store = stores(tmp_path, {"a": _scores(a, 360), "b": _scores(b, 360)}, kind="kfold", n_train=1440)
    g = groups(store.trials("r1"))["digits"]
    res = pair_test(g["a"], g["b"])
    d = np.subtract(a, b)
    t = d.mean() / np.sqrt((1 / 5 + 360 / 1440) * d.var(ddof=1))
    assert res["test"] == "corrected-t" and res["p_value"] == pytest.approx(2 * st.t.sf(abs(t), 4))
    assert pair_test(g["a"], g["b"], "naive-t")["p_value"] == pytest.approx(st.ttest_rel(a, b).pvalue)
    assert pair_test(g["a"], g["b"], "mcnemar")["p_value"] is None  # no per-sample answers stored here
    assert interval(g["a"])["interval"] == "corrected-t"


def test_5x2cv_protocol_folds():
    proto = parse_protocol("5x2cv")
    assert proto.kind == "5x2cv" and proto.label() == "5x2cv"
    y = np.repeat(np.arange(3), 30)
    groups_ = np.arange(90)
    groups_[1] = groups_[0]  # twins stay on one side
    halves = [fold_indices(proto, y, groups_, f, seed=7) for f in range(10)]
    for r in range(5):
        (tr0, te0), (tr1, te1) = halves[2 * r], halves[2 * r + 1]
        assert np.array_equal(np.sort(tr1), np.sort(te0))
        assert sorted(np.r_[te0, te1]) == list(range(90)) and not set(te0) & set(te1)
        assert np.array_equal(np.sort(tr0), np.sort(te1))  # the two halves swap roles
        assert all(abs(np.sum(y[te0] == c) - 15) <= 1 for c in range(3))  # stratified
        assert (0 in te0) == (1 in te0)
    assert len({tuple(np.sort(h[1])) for h in halves[::2]}) == 5  # 5 different shuffles
    again = fold_indices(ProtocolSpec(kind="5x2cv"), y, groups_, 3, seed=7)
    assert np.array_equal(again[1], halves[3][1])  # deterministic per seed


def test_5x2cv_compare_uses_dietterichs_t(stores, tmp_path):
    rng = np.random.default_rng(3)
    a = 0.9 + rng.normal(0, 0.01, 10)
    b = a - 0.01 + rng.normal(0, 0.005, 10)
    store = stores(tmp_path, {"a": _scores(a, 500), "b": _scores(b, 500)}, kind="5x2cv", n_train=500)
    g = groups(store.trials("r1"))["digits"]
    res = pair_test(g["a"], g["b"])
    d = (a - b).reshape(5, 2)
    s2 = ((d - d.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    t = d[0, 0] / np.sqrt(s2.mean())
    assert res["test"] == "5x2cv-t" and res["p_value"] == pytest.approx(2 * st.t.sf(abs(t), 5))
    f = (d ** 2).sum() / (2 * s2.sum())
    assert pair_test(g["a"], g["b"], "5x2cv-f")["p_value"] == pytest.approx(st.f.sf(f, 10, 5))


def test_a_failing_statistic_does_not_lose_the_leaderboard(stores, tmp_path, monkeypatch):
    from classbench.bench import compare

    store = stores(tmp_path, {"a": [answers(300, range(3))], "b": [answers(300, range(9))]})

    def boom(*a, **kw):
        raise ValueError("synthetic failure")

    monkeypatch.setattr(compare, "interval", boom)
    rows = lb.leaderboard(store.trials("r1"))
    assert [r["accuracy"] for r in rows] == pytest.approx([0.99, 0.97]) and rows[0].get("acc_low") is None
    text = lb.format_table(rows)
    assert "statistics failed on digits (ValueError: synthetic failure)" in text and "0.9900" in text
