"""End-to-end: the CLI and runner on the embedded digits data (no network)."""

import csv
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from classbench.cli import main

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def cli(*args, env=None, timeout=300):
    e = {**os.environ, **(env or {})}
    e["PYTHONPATH"] = os.pathsep.join([str(HERE), e.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "classbench", *args], capture_output=True, text=True, env=e,
                          timeout=timeout, cwd=ROOT)


def test_help_and_list_do_not_import_heavy_libraries():
    # CPU time, not wall time: the test suite runs on loaded cores
    code = ("import sys, time; t = time.process_time(); from classbench.cli import main; "
            "main(['list', 'models']); main(['list', 'datasets']); main(['list', 'suites']); "
            "bad = [m for m in ('torch', 'sklearn', 'matplotlib') if m in sys.modules]; "
            "print('HEAVY', bad, round(time.process_time() - t, 3))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY [] " in out, out
    assert float(out.rsplit(" ", 1)[1]) < 1.0
    r = cli("--help")
    assert r.returncode == 0 and "run" in r.stdout


def test_run_records_trials_and_writes_leaderboard(tmp_path):
    out = tmp_path / "out"
    r = cli("run", "--dataset", "digits", "--model", "ridge", "--model", "logreg", "--model", "test-boom",
            "--model", "test-crash", "--seeds", "2", "--out", str(out), "--no-report",
            "--set", "ridge.alpha=2.0", env={"CLASSBENCH_PLUGINS": "plugin_models"})
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stdout
    runs = list((out / "runs").iterdir())
    assert len(runs) == 1
    rows = list(csv.DictReader(open(runs[0] / "leaderboard.csv")))
    by_model = {row["model"]: row for row in rows}
    assert set(by_model) == {"ridge(alpha=2.0)", "logreg", "test-boom", "test-crash"}
    assert float(by_model["logreg"]["accuracy"]) > 0.9
    assert by_model["logreg"]["n_seeds"] == "2" and "accuracy_std" in rows[0]
    assert by_model["test-boom"]["status"] == "failed" and by_model["test-crash"]["n_failed"] == "2"
    db = sqlite3.connect(out / "classbench.db")
    statuses = dict(db.execute("SELECT model, group_concat(DISTINCT status) FROM trials GROUP BY model").fetchall())
    assert statuses == {"ridge": "ok", "logreg": "ok", "test-boom": "failed", "test-crash": "failed"}
    err = db.execute("SELECT error FROM trials WHERE model = 'test-boom'").fetchone()[0]
    assert "boom: this model always fails" in err
    err = db.execute("SELECT error FROM trials WHERE model = 'test-crash'").fetchone()[0]
    assert "worker process died" in err
    row = db.execute("SELECT accuracy, macro_f1, train_s, predict_s, samples_per_s, n_params, peak_mem_mb, "
                     "versions_json, spec_json FROM trials WHERE model = 'logreg'").fetchone()
    assert all(v is not None for v in row)
    assert '"sklearn"' in row[7] and '"seed"' in row[8]

    # show reads the same leaderboard back
    r = cli("show", "--out", str(out))
    assert r.returncode == 0 and "ridge(alpha=2.0)" in r.stdout and "boom: this model always fails" in r.stdout

    # resume re-runs only what did not finish (the failed ones), and keeps the ok rows
    before = db.execute("SELECT finished FROM trials WHERE model = 'ridge'").fetchall()
    r = cli("run", "--resume", runs[0].name, "--out", str(out), "--no-report",
            env={"CLASSBENCH_PLUGINS": "plugin_models"})
    assert r.returncode == 0, r.stderr
    assert "8 trials (4 already done)" in r.stderr
    assert db.execute("SELECT finished FROM trials WHERE model = 'ridge'").fetchall() == before


@pytest.mark.parametrize(
    "args,msg",
    [
        (["run", "--model", "rdige"], "Did you mean 'ridge'"),
        (["run", "--dataset", "digits", "--model", "ridge", "--set", "ridge.alhpa=1"], "Did you mean 'alpha'"),
        (["run", "--dataset", "digits", "--model", "ridge", "--set", "ridge.alpha=-1"], "out of range"),
        (["run", "--dataset", "digits", "--model", "ridge", "--set", "ridge.alpha=big"], "expected a number"),
        (["run", "--dataset", "digitz", "--model", "ridge"], "Did you mean 'digits'"),
        (["run", "nosuchsuite"], "Unknown suite"),
        (["run", "--dataset", "digits", "--model", "ridge", "--data-dir", "/nonexistent/dir"], "is not a directory"),
        (["run", "--dataset", "digits", "--model", "ridge", "--out", "/proc/classbench"], "not writable"),
        (["run", "--dataset", "digits", "--model", "ridge", "--workers", "0"], "--workers"),
        (["show", "--out", "/nonexistent"], "No results database"),
        (["run", "--dataset", "digits", "--model", "ridge", "--protocol", "kfol:3"], "Did you mean 'kfold'"),
    ],
)
def test_bad_input_exit_2_without_traceback(args, msg, tmp_path, capsys):
    if "--out" not in args:
        args = args + ["--out", str(tmp_path / "o")]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2
    assert msg in err and "Traceback" not in err
    assert err.startswith("error: ")


def test_bad_suite_file_and_db_untouched(tmp_path):
    out = tmp_path / "out"
    assert main(["run", "--dataset", "digits", "--model", "ridge", "--out", str(out), "--no-report", "--quiet"]) == 0
    db = out / "classbench.db"
    before = db.read_bytes()
    bad = tmp_path / "bad.toml"
    bad.write_text('datasets = ["digits"]\nmodels = ["ridge"]\nseedz = 3\n')
    r = cli("run", str(bad), "--out", str(out))
    assert r.returncode == 2 and "unknown key 'seedz'" in r.stderr and "Traceback" not in r.stderr
    assert db.read_bytes() == before


def test_kfold_protocol_per_fold_rows(tmp_path):
    out = tmp_path / "out"
    assert main(["run", "--dataset", "digits", "--model", "lda", "--protocol", "kfold:3", "--out", str(out),
                 "--no-report", "--quiet"]) == 0
    db = sqlite3.connect(out / "classbench.db")
    rows = db.execute("SELECT fold, n_folds, n_test, accuracy FROM trials ORDER BY fold").fetchall()
    assert [r[0] for r in rows] == [0, 1, 2] and {r[1] for r in rows} == {3}
    assert sum(r[2] for r in rows) == 1797 and all(r[3] > 0.85 for r in rows)


def test_python_api(tmp_path):
    import classbench as cb

    ds = cb.load_dataset("digits")
    assert ds.X_train.shape[1:] == (1, 8, 8) and ds.n_classes == 10
    X_tr, y_tr, X_val, y_val = ds.validation_split(0.2, seed=0)
    assert len(X_val) + len(X_tr) == len(ds.X_train)
    assert set(y_val) == set(range(10))
    model = cb.create_model("logreg", C=0.5).fit(ds.X_train, ds.y_train)
    assert (model.predict(ds.X_test) == ds.y_test).mean() > 0.9
    assert "quick" in cb.list_suites() and "ridge" in cb.list_models("sklearn")


def test_model_all_skips_incompatible_with_a_note(tmp_path, capsys):
    from classbench.bench.runner import plan
    from classbench.config import DatasetSpec, ModelSpec, SuiteSpec
    from classbench.datasets import DataContext
    from classbench.errors import UserError
    from classbench.models import MODELS

    text_models = [e.name for e in MODELS if e.meta.get("modalities") == ("text",)]
    assert "tfidf-logreg" in text_models, f"text-only models registered: {text_models}; is tfidf-logreg renamed?"
    suite = SuiteSpec("s", (DatasetSpec("digits"),), (ModelSpec("ridge"), ModelSpec(text_models[0])))
    with pytest.raises(UserError, match="use `--model all` to skip"):
        plan(suite, DataContext())
    notes = []
    trials = plan(suite, DataContext(), skip_incompatible=True, notes=notes)
    assert [t.spec.model.name for t in trials] == ["ridge"]
    assert text_models[0] in notes[0] and "cannot take image data" in notes[0]


def test_exit_fast_runs_atexit_handlers_flushes_and_keeps_the_code():
    code = ("import atexit, sys; from classbench.cli import exit_fast; "
            "atexit.register(lambda: print('bye', flush=False)); print('hi', end=' '); "
            "print('err', file=sys.stderr, end=''); exit_fast(3)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (r.returncode, r.stdout, r.stderr) == (3, "hi bye\n", "err")


def test_a_run_id_taken_by_another_run_is_not_reused(tmp_path, monkeypatch, capsys):
    from classbench.bench import runner

    ids = iter(["20261129-000000-aaaa", "20261129-000000-aaaa", "20261129-000000-bbbb"])
    monkeypatch.setattr(runner, "new_run_id", lambda: next(ids))
    for _ in range(2):
        assert main(["run", "--dataset", "digits", "--model", "ridge", "--out", str(tmp_path), "--no-report",
                     "--quiet"]) == 0
    runs = sqlite3.connect(tmp_path / "classbench.db").execute("SELECT run_id FROM runs ORDER BY run_id").fetchall()
    assert runs == [("20261129-000000-aaaa",), ("20261129-000000-bbbb",)]


def test_a_reader_that_leaves_early_gets_no_traceback():
    """`classbench list models | head -1`: the closed pipe ends the command quietly (exit code 141)."""
    p = subprocess.Popen([sys.executable, "-m", "classbench", "list", "models"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=ROOT)
    p.stdout.close()  # before the command has printed anything
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 141 and "Traceback" not in err, err
