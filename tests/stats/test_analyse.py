import json
import sys

import numpy as np
import pandas as pd
import pytest

from classbench.errors import UserError
from classbench.stats import analyse_scores, bayesian_signed_rank, friedman, nemenyi_pvalues, read_scores_csv

from .conftest import DEMSAR_AUC, DEMSAR_DATASETS, DEMSAR_NAMES, random_scores


def demsar_table():
    return {d: dict(zip(DEMSAR_NAMES, row)) for d, row in zip(DEMSAR_DATASETS, DEMSAR_AUC.tolist())}


def test_analyse_demsar_example():
    res = analyse_scores(demsar_table())
    json.dumps(res, allow_nan=False)
    assert res["models"] == DEMSAR_NAMES and res["datasets"] == DEMSAR_DATASETS and res["dropped_datasets"] == []
    assert res["best"] == "C4.5+m+cf"
    assert {m: round(r, 3) for m, r in res["mean_ranks"].items()} == {
        "C4.5": 3.143, "C4.5+m": 2.0, "C4.5+cf": 2.893, "C4.5+m+cf": 1.964}
    assert round(res["cd"], 2) == 1.25
    assert res["friedman"]["chi2"] == pytest.approx(friedman(DEMSAR_AUC).chi2)
    assert res["friedman"]["significant"] is True
    np.testing.assert_allclose(res["nemenyi_p"], nemenyi_pvalues(DEMSAR_AUC))
    # Demšar: at alpha = 0.05 Nemenyi finds no pair different (largest gap 1.179 < CD 1.25)
    assert res["groups"] == ["C4.5+m+cf", "C4.5+m", "C4.5+cf", "C4.5"]
    assert res["cliques"] == [["C4.5+m+cf", "C4.5+m", "C4.5+cf", "C4.5"]]
    assert res["holm"]["control"] == "C4.5+m+cf"
    assert res["bayesian"] is None  # four models


def test_analyse_demsar_at_alpha_010():
    # Demšar: at alpha = 0.10 (CD = 1.12) C4.5 is worse than C4.5+m and C4.5+m+cf
    res = analyse_scores(demsar_table(), alpha=0.10)
    assert round(res["cd"], 2) == 1.12
    assert res["groups"] == ["C4.5+m+cf", "C4.5+m", "C4.5+cf"]
    assert res["cliques"] == [["C4.5+m+cf", "C4.5+m", "C4.5+cf"], ["C4.5+cf", "C4.5"]]
    holm = {r["model"]: r for r in analyse_scores(demsar_table(), control="C4.5")["holm"]["comparisons"]}
    assert holm["C4.5+m+cf"]["significant"] and holm["C4.5+m"]["significant"]
    assert not holm["C4.5+cf"]["significant"]


def test_dataframe_and_lower_is_better_agree():
    x = random_scores(7, 9, 4, ties=True)
    df = pd.DataFrame(x, index=[f"d{i}" for i in range(9)], columns=list("abcd"))
    from_df = analyse_scores(df)
    from_dict = analyse_scores({d: dict(row) for d, row in df.iterrows()})
    assert from_df == from_dict
    errors = analyse_scores(1 - df, higher_is_better=False)
    assert errors["mean_ranks"] == pytest.approx(from_df["mean_ranks"])
    assert errors["groups"] == from_df["groups"]


def test_missing_scores_drop_datasets_and_say_so():
    table = demsar_table()
    del table["iris"]["C4.5"]
    table["wine"]["C4.5+m"] = float("nan")
    table["cmc"]["C4.5+cf"] = None
    res = analyse_scores(table)
    assert res["dropped_datasets"] == [{"dataset": "cmc", "missing": ["C4.5+cf"]},
                                       {"dataset": "iris", "missing": ["C4.5"]},
                                       {"dataset": "wine", "missing": ["C4.5+m"]}]
    assert res["n_datasets"] == 11 and "iris" not in res["datasets"]
    assert any("iris" in note and "C4.5" in note for note in res["notes"])


def test_too_little_data_is_a_user_error():
    with pytest.raises(UserError, match="dropped dataset 'b'"):
        analyse_scores({"a": {"x": 0.9, "y": 0.8}, "b": {"x": 0.7}})
    with pytest.raises(UserError, match="at least 2 models"):
        analyse_scores({"a": {"x": 0.9}, "b": {"x": 0.7}})
    with pytest.raises(UserError, match="not a number"):
        analyse_scores({"a": {"x": "high", "y": 0.8}, "b": {"x": 0.7, "y": 0.8}})
    with pytest.raises(UserError, match="mapping"):
        analyse_scores([[0.9, 0.8]])
    with pytest.raises(UserError, match="not in the table"):
        analyse_scores(demsar_table(), control="C5.0")
    with pytest.raises(UserError, match="repeated: d1"):
        analyse_scores(pd.DataFrame([[0.9, 0.8], [0.7, 0.6], [0.5, 0.4]], index=["d1", "d1", "d2"]))


def test_two_models_bayesian_matches_baycomp():
    from baycomp import SignedRankTest

    x = random_scores(11, 15, 2)
    table = {f"d{i}": {"a": r[0], "b": r[1]} for i, r in enumerate(x)}
    res = analyse_scores(table)
    ref = SignedRankTest.probs(x[:, 0], x[:, 1], rope=0.01, random_state=0)
    b = res["bayesian"]
    assert (b["a"], b["b"], b["rope"]) == ("a", "b", 0.01)
    assert (b["p_a_better"], b["p_rope"], b["p_b_better"]) == pytest.approx(tuple(ref))
    assert sum((b["p_a_better"], b["p_rope"], b["p_b_better"])) == pytest.approx(1.0)
    # error rates (lower is better) of the same models: the same verdict, not the mirror image
    errors = {d: {m: 1 - v for m, v in row.items()} for d, row in table.items()}
    low = analyse_scores(errors, higher_is_better=False)["bayesian"]
    assert (low["p_a_better"], low["p_rope"], low["p_b_better"]) == pytest.approx(tuple(ref), abs=1e-9)


def test_bayesian_signed_rank_direction_and_rope():
    rng = np.random.default_rng(0)
    b = rng.uniform(0.7, 0.9, 12)
    p_a, p_rope, p_b = bayesian_signed_rank(b + 0.05, b, rope=0.01, nsamples=5000)
    assert p_a > 0.95 and p_b < 0.01
    p_a, p_rope, p_b = bayesian_signed_rank(b + 0.001 * rng.standard_normal(12), b, rope=0.01, nsamples=5000)
    assert p_rope > 0.95
    assert bayesian_signed_rank(b, b + 0.05, rope=0, nsamples=5000)[1] == 0.0
    with pytest.raises(UserError):
        bayesian_signed_rank([0.1], [0.2])


def test_without_baycomp(monkeypatch):
    monkeypatch.setitem(sys.modules, "baycomp", None)  # import baycomp now raises ImportError
    assert bayesian_signed_rank([0.1, 0.2, 0.3], [0.2, 0.2, 0.1]) is None
    res = analyse_scores({"a": {"x": 0.9, "y": 0.8}, "b": {"x": 0.7, "y": 0.8}, "c": {"x": 0.6, "y": 0.5}})
    assert res["bayesian"] is None and any("baycomp" in n for n in res["notes"])


CSV_OK = """dataset,logreg,svm,knn
digits,0.961,0.987,0.981
iris,0.953,0.967,
wine, 0.97 ,0.983,0.961
"""


def test_read_scores_csv(tmp_path):
    p = tmp_path / "scores.csv"
    p.write_text(CSV_OK)
    got = read_scores_csv(p)
    assert got == {"digits": {"logreg": 0.961, "svm": 0.987, "knn": 0.981},
                   "iris": {"logreg": 0.953, "svm": 0.967},
                   "wine": {"logreg": 0.97, "svm": 0.983, "knn": 0.961}}
    res = analyse_scores(got)
    assert res["dropped_datasets"] == [{"dataset": "iris", "missing": ["knn"]}]
    semi = tmp_path / "semi.csv"
    semi.write_text("\ufeffdata;a;b\nx;1;2\n\ny;NA;3\n")
    assert read_scores_csv(semi) == {"x": {"a": 1.0, "b": 2.0}, "y": {"b": 3.0}}


@pytest.mark.parametrize("text, match", [
    ("", "is empty"),
    ("dataset,a,b\n", "no rows of scores"),
    ("dataset\nx\n", "line 1"),
    ("dataset,a,b\nx,0.9,0.8\ny,0.7,high\n", r"line 3, column 3 \(model 'b', dataset 'y'\): 'high'"),
    ("dataset,a,b\nx,0.9,0.8\ny,0.7\n", "line 3: 2 fields"),
    ("dataset,a,a\nx,0.9,0.8\n", "line 1, column 3: model 'a' appears twice"),
    ("dataset,a,\nx,0.9,0.8\n", "line 1, column 3: empty model name"),
    ("dataset,a,b\nx,0.9,0.8\nx,0.7,0.6\n", "line 3: dataset 'x' appears twice"),
    ("dataset,a,b\n,0.9,0.8\n", "line 2, column 1"),
    ("dataset,a,b\nx,0.9,inf\n", "line 2, column 3"),
])
def test_read_scores_csv_errors_name_the_place(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(UserError, match=match):
        read_scores_csv(p)


def test_read_scores_csv_missing_and_binary_files(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        read_scores_csv(tmp_path / "nope.csv")
    p = tmp_path / "bin.csv"
    p.write_bytes(b"\xff\xfe\x00garbage\x80")
    with pytest.raises(UserError, match="UTF-8"):
        read_scores_csv(p)


def test_import_is_light():
    import subprocess

    code = ("import sys, classbench.stats; bad = [m for m in ('pandas', 'matplotlib', 'statsmodels', 'baycomp', "
            "'torch') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
