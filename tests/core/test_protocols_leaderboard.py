import numpy as np

from classbench.bench import leaderboard as lb
from classbench.bench.metrics import scores
from classbench.bench.protocols import _group_kfold, _split, fold_indices
from classbench.bench.runner import model_label
from classbench.config import ProtocolSpec


def test_scores_macro_f1():
    y = np.array([0, 0, 1, 1, 2])
    p = np.array([0, 1, 1, 1, 2])
    s = scores(y, p, 3)
    assert s["accuracy"] == 0.8
    f1 = [2 / 3, 0.8, 1.0]
    assert abs(s["macro_f1"] - np.mean(f1)) < 1e-12
    assert s["confusion"] == [[1, 1, 0], [0, 2, 0], [0, 0, 1]]


def test_kfold_stratified_group_aware():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 20)
    groups = np.arange(60)
    groups[1] = groups[0]  # a duplicate pair
    folds = _group_kfold(y, groups, 4, seed=1)
    seen = np.concatenate([te for _, te in folds])
    assert sorted(seen) == list(range(60))
    for tr, te in folds:
        assert not set(groups[tr]) & set(groups[te])
        assert all(np.sum(y[te] == c) >= 4 for c in range(3))
    _ = rng


def test_loo_drops_twins():
    y = np.array([0, 0, 1, 1])
    groups = np.array([0, 0, 2, 3])
    tr, te = fold_indices(ProtocolSpec(kind="loo"), y, groups, 0, 0)
    assert list(te) == [0] and list(tr) == [2, 3]


def test_split_per_class_and_ordered():
    y = np.repeat(np.arange(2), 10)
    groups = np.arange(20)
    tr, te = _split(y, groups, ProtocolSpec(kind="split", train_per_class=3), 0, np.arange(20))
    assert [np.sum(y[tr] == c) for c in (0, 1)] == [3, 3] and len(te) == 14
    tr, _ = _split(y, groups, ProtocolSpec(kind="split", train_fraction=0.2, ordered=True), 5, np.arange(20))
    assert list(tr) == [0, 1, 10, 11]


def _trial(model, seed, acc, status="ok", fold=0, n_folds=1):
    return {"dataset": "d", "model_label": model, "family": "f", "protocol": "holdout", "seed": seed,
            "fold": fold, "n_folds": n_folds, "status": status, "accuracy": acc if status == "ok" else None,
            "macro_f1": acc if status == "ok" else None, "train_s": 1.0, "predict_s": 0.1, "n_params": 10,
            "peak_mem_mb": 100.0}


def test_leaderboard_mean_std_and_failures():
    rows = lb.leaderboard([_trial("a", 0, 0.8), _trial("a", 1, 0.9), _trial("b", 0, 0.95),
                           _trial("b", 1, None, status="failed")])
    assert [r["model"] for r in rows] == ["b", "a"]
    a = rows[1]
    assert abs(a["accuracy"] - 0.85) < 1e-12 and abs(a["accuracy_std"] - np.std([0.8, 0.9], ddof=1)) < 1e-12
    assert rows[0]["n_failed"] == 1 and rows[0]["status"] == "partial"
    text = lb.format_table(rows)
    assert "0.8500 ± 0.0707" in text and "1 of 2 failed" in text
    csv = lb.to_csv(rows).splitlines()
    assert csv[0].startswith("dataset,model,accuracy,macro_f1,train_s,predict_s,params,peak_mem_mb,n_seeds")
    assert "accuracy_std" in csv[0]
    assert lb.to_markdown(rows).startswith("| dataset | model |")


def test_model_label():
    assert model_label("mlp", {"loss": "squared", "epochs": 10}, {"loss": "cross-entropy", "epochs": 10}) == \
        "mlp(loss=squared)"
    assert model_label("mlp", {"hidden": (8, 8)}, {"hidden": (256, 256)}) == "mlp(hidden=8x8)"
    assert model_label("ridge", {"random_state": 3}, {"random_state": None}) == "ridge"
