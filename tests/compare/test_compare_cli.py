"""``classbench compare``: text and JSON, several runs and datasets, an old run, --scores, bad input."""

from __future__ import annotations

import json

import pytest
from scipy import stats as st

from classbench.cli import main

from .conftest import answers, write_run


@pytest.fixture
def two_runs(tmp_path):
    """Run r1: three models on digits (holdout, with answers); run r2: the same models on 'other'."""
    n = 1000
    s1 = write_run(tmp_path, {"best": [answers(n, range(40))], "close": [answers(n, list(range(5, 40)) + list(range(500, 512)))],
                              "far": [answers(n, range(120))]})
    s1.close()
    s2 = write_run(tmp_path, {"best": [answers(n, range(30))], "close": [answers(n, range(60))],
                              "far": [answers(n, range(20))]}, run_id="r2", dataset="other")
    s2.close()
    return tmp_path


def test_text_pairwise_table_and_sentence(two_runs, capsys):
    assert main(["compare", "r1", "--out", str(two_runs)]) == 0
    out = capsys.readouterr().out
    assert "== digits (holdout) ==" in out
    assert "best - close" in out and "not distinguishable" in out and "best - far" in out and "best better" in out
    p = st.binomtest(5, 17, 0.5).pvalue
    assert f"best and close are not distinguishable on these 1,000 images: p = {p:.2g}" in out
    assert "0.9600 [0.946, 0.970]" in out


def test_json_several_runs_and_ranks_across_datasets(two_runs, capsys):
    assert main(["compare", "r1", "r2", "--json", "--out", str(two_runs)]) == 0
    res = json.loads(capsys.readouterr().out)
    assert [d["dataset"] for d in res["datasets"]] == ["digits", "other"]
    pairs = {(p["a"], p["b"]): p for p in res["datasets"][0]["pairs"]}
    raw = [pairs[k]["p_value"] for k in (("best", "close"), ("best", "far"), ("close", "far"))]
    assert pairs[("best", "close")]["p_value"] == pytest.approx(st.binomtest(5, 17, 0.5).pvalue)
    from statsmodels.stats.multitest import multipletests

    assert [pairs[k]["p_holm"] for k in (("best", "close"), ("best", "far"), ("close", "far"))] == \
        pytest.approx(list(multipletests(raw, method="holm")[1]), rel=1e-9, abs=0)
    multi = res["multi"]
    assert multi["n_datasets"] == 2 and multi["mean_ranks"] == {"best": 1.5, "close": 2.5, "far": 2.0}
    assert multi["cd"] > 0 and multi["friedman"]["p_value"] is not None


def test_model_filter_and_forced_test(two_runs, capsys):
    assert main(["compare", "--model", "best", "--model", "far", "--out", str(two_runs), "--json",
                 "--test", "mcnemar", "r1"]) == 0
    res = json.loads(capsys.readouterr().out)
    (d,) = res["datasets"]
    assert [m["model"] for m in d["models"]] == ["best", "far"] and len(d["pairs"]) == 1


def test_old_run_says_what_it_cannot_compute(tmp_path, capsys):
    write_run(tmp_path, {"a": [answers(500, range(5))], "b": [answers(500, range(9))]},
              with_predictions=False).close()
    assert main(["compare", "--out", str(tmp_path)]) == 0  # latest run by default
    out = capsys.readouterr().out
    assert "0.9900 [" in out  # the interval is still computed
    assert "hold no per-sample predictions" in out and "cannot be computed" in out and "Re-run" in out
    assert "could not be tested" in out


def test_scores_csv(tmp_path, capsys):
    csv = tmp_path / "scores.csv"
    csv.write_text("dataset,A,B,C\nd1,0.9,0.8,0.7\nd2,0.85,0.86,0.6\nd3,0.7,0.65,0.66\nd4,0.99,0.97,0.95\n")
    assert main(["compare", "--scores", str(csv), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["multi"]["mean_ranks"] == {"A": 1.25, "B": 2.0, "C": 2.75}
    assert main(["compare", "--scores", str(csv), "--cd-plot", str(tmp_path / "cd.png")]) == 0
    out = capsys.readouterr().out
    assert "Friedman chi2" in out and "critical difference" in out
    assert (tmp_path / "cd.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("argv, match", [
    (["--test", "wilcoxon"], "Unknown test 'wilcoxon'"),
    (["--alpha", "1.5"], "--alpha must be"),
    (["--model", "nope"], "No model named nope"),
    (["nope-run"], "No run 'nope-run'"),
    (["--scores", "missing.csv"], "does not exist"),
    (["--test", "5x2cv"], None),  # holdout trials: the pair is reported as not tested, not an error
    (["--cd-plot", "x.png"], "--cd-plot needs two or more datasets"),
])
def test_bad_input_is_one_paragraph_and_exit_2(two_runs, capsys, monkeypatch, argv, match):
    monkeypatch.chdir(two_runs)
    code = main(["compare", "--out", str(two_runs), *argv] if "--scores" not in argv else ["compare", *argv])
    err = capsys.readouterr()
    if match is None:
        assert code == 0 and "5x2cv protocol" in err.out
        return
    assert code == 2 and err.err.startswith("error: ") and match in err.err and "Traceback" not in err.err


@pytest.mark.slow
def test_real_5x2cv_run_end_to_end(tmp_path, capsys):
    assert main(["run", "--dataset", "digits", "--model", "ridge", "--model", "lda", "--protocol", "5x2cv",
                 "--out", str(tmp_path), "--no-report", "--quiet"]) == 0
    table = capsys.readouterr().out
    assert "Nadeau-Bengio" in table and "5x2cv paired t" in table
    assert main(["compare", "--json", "--out", str(tmp_path)]) == 0
    (d,) = json.loads(capsys.readouterr().out)["datasets"]
    (pair,) = d["pairs"]
    assert d["protocol"] == "5x2cv" and pair["test"] == "5x2cv-t" and pair["n"] == 10 and pair["df"] == 5
    assert all(m["has_predictions"] and m["n_trials"] == 10 for m in d["models"])
    assert main(["compare", "--json", "--test", "mcnemar", "--out", str(tmp_path)]) == 0
    (pair,) = json.loads(capsys.readouterr().out)["datasets"][0]["pairs"]
    assert pair["n"] == 1797 and "first 2-fold repetition" in pair["note"]  # every digit answered once
