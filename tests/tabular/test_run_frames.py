"""A run on a table from the command line: quiet output (harmless warnings dropped, the others once), the
mean-rank summary, and the results as pandas DataFrames (`load_run`, `RunResult.to_pandas`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import classbench as cb
from classbench.bench.ranking import format_ranks, mean_rank_table
from classbench.bench.runner import RunResult

from ._table import COLUMNS, mixed_table

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def _cli(*args):
    env = {**os.environ, "CLASSBENCH_PLUGINS": "plugin_tabular"}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "classbench", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=ROOT)


def _csv(path: Path) -> Path:
    X, y = mixed_table(120, seed=3)
    cats = {1: COLUMNS[1]["categories"], 3: COLUMNS[3]["categories"]}
    lines = [",".join([c["name"] for c in COLUMNS] + ["label"])]
    for row, t in zip(X, y):
        cells = ["?" if np.isnan(v) else (cats[j][int(v)] if j in cats else f"{v:.3f}") for j, v in enumerate(row)]
        lines.append(",".join(cells + [f"k{t}"]))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_quiet_run_warnings_once_and_frames(tmp_path):
    data = _csv(tmp_path / "mixed.csv")
    out = tmp_path / "out"
    r = _cli("run", "--dataset", f"csv:{data}?target=label", "--model", "test-warner", "--model", "hist-gb",
             "--set", "hist-gb.max_iter=20", "--protocol", "kfold:3", "--out", str(out), "--no-report",
             "--save-models")
    assert r.returncode == 0, r.stderr
    assert "Loky-backed" not in r.stdout + r.stderr
    assert "ConvergenceWarning" not in r.stderr  # not printed by the workers
    lines = [ln for ln in r.stdout.splitlines() if "warning:" in ln]
    assert len(lines) == 1 and "test-warner (3 of 3 trials): ConvergenceWarning: lbfgs failed" in lines[0], r.stdout
    # the saved model takes the raw rows of the training file itself (its header, names, '?', the label column)
    pred = _cli("predict", "latest:hist-gb(max_iter=20)", str(data), "--out", str(out), "--json")
    assert pred.returncode == 0, pred.stderr
    import json

    answers = json.loads(pred.stdout)
    assert len(answers) == 120 and {a["label"] for a in answers} <= {"k0", "k1", "k2"}
    truth = [line.rsplit(",", 1)[1] for line in data.read_text().splitlines()[1:]]
    assert np.mean([a["label"] == t for a, t in zip(answers, truth)]) > 0.8
    show = _cli("show", "--out", str(out))
    assert show.returncode == 0 and sum("warning:" in ln for ln in show.stdout.splitlines()) == 1

    run = cb.load_run(out=out)
    lb, trials = run.leaderboard, run.trials
    assert list(lb["model"]) == ["hist-gb(max_iter=20)", "test-warner"] and lb["accuracy"].iloc[0] > lb["accuracy"].iloc[1]
    assert len(trials) == 6 and set(trials["status"]) == {"ok"}
    warned = trials[trials["model"] == "test-warner"]["warnings"]
    assert all(w == [{"category": "ConvergenceWarning", "message": "lbfgs failed to converge after 5 iterations",
                      "count": 2, "where": w[0]["where"]}] for w in warned)
    assert all(w == [] for w in trials[trials["model"] == "hist-gb"]["warnings"])
    html = run._repr_html_()
    assert "<table" in html and "hist-gb" in html and run.run_id in html
    assert cb.load_run(run.run_id, out=out).run_id == run.run_id

    result = RunResult(run.run_id, out, run.rows)
    df = result.to_pandas()
    assert df.equals(run.leaderboard) and "<table" in result._repr_html_()


def test_mean_ranks_against_a_hand_computed_example():
    # 3 datasets x 3 models; ties share their average rank
    acc = {"d1": {"a": 0.9, "b": 0.8, "c": 0.7}, "d2": {"a": 0.6, "b": 0.6, "c": 0.9}, "d3": {"a": 0.5, "b": 0.7, "c": 0.6}}
    rows = [{"dataset": d, "model": m, "accuracy": v, "task": "classification"} for d, s in acc.items() for m, v in s.items()]
    rows.append({"dataset": "d1", "model": "partial", "accuracy": 1.0, "task": "classification"})  # not on every dataset
    table = {r["model"]: r for r in mean_rank_table(rows)}
    assert set(table) == {"a", "b", "c"}
    assert np.isclose(table["a"]["mean_rank"], (1 + 2.5 + 3) / 3)
    assert np.isclose(table["b"]["mean_rank"], (2 + 2.5 + 1) / 3)
    assert np.isclose(table["c"]["mean_rank"], (3 + 1 + 2) / 3)
    assert table["c"]["wins"] == 1 and table["a"]["wins"] == 1
    assert format_ranks(rows).splitlines()[0].startswith("mean rank over 3 datasets")
    assert mean_rank_table(rows[:3]) == [] and format_ranks(rows[:3]) == ""
    import pandas as pd

    from classbench.frames import ranks_frame

    assert isinstance(ranks_frame(rows), pd.DataFrame) and list(ranks_frame(rows)["model"])[0] == "b"


def test_knn_in_a_worker_no_longer_floods_the_log(tmp_path):
    """knn predicts with n_jobs > 1; in a worker (a daemon process) joblib then warns "Loky-backed parallel
    loops cannot be called in a multiprocessing" on every fold (what `classbench run faces` printed)."""
    r = _cli("run", "--dataset", "digits", "--model", "knn", "--protocol", "kfold:2", "--out", str(tmp_path),
             "--no-report")
    assert r.returncode == 0, r.stderr
    assert "Loky" not in r.stdout + r.stderr and "warning" not in (r.stdout + r.stderr).lower()
