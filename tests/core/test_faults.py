"""Time budgets, interrupts and resume on the local executor."""

import json
import signal
import sqlite3
import subprocess
import sys
import time

from .test_runner_cli import ROOT, cli

PLUGIN = {"CLASSBENCH_PLUGINS": "plugin_models"}


def test_time_budget_stops_a_hanging_trial(tmp_path):
    out = tmp_path / "out"
    t0 = time.time()
    r = cli("run", "--dataset", "digits", "--model", "test-sleep", "--model", "ridge", "--time-budget", "15",
            "--out", str(out), "--no-report", env=PLUGIN)
    assert r.returncode == 0, r.stderr
    assert time.time() - t0 < 58
    db = sqlite3.connect(out / "classbench.db")
    rows = dict(db.execute("SELECT model, status FROM trials").fetchall())
    assert rows == {"test-sleep": "timeout", "ridge": "ok"}
    assert "time budget of 15 s" in db.execute("SELECT error FROM trials WHERE model='test-sleep'").fetchone()[0]


def test_a_stopped_trial_keeps_the_epochs_it_finished(tmp_path):
    """Timeout and a crashed worker: the per-epoch history streamed before the stop is in the database."""
    out = tmp_path / "out"
    suite = tmp_path / "stops.toml"
    suite.write_text('name = "stops"\ndatasets = ["digits"]\n'
                     'models = ["test-epochs", { name = "test-epochs", params = { crash_after = 3 } }]\n')
    r = cli("run", str(suite), "--time-budget", "6", "--out", str(out), "--no-report", env=PLUGIN)
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(out / "classbench.db")
    rows = {label: (status, error, json.loads(hist)) for label, status, error, hist in
            db.execute("SELECT model_label, status, error, history_json FROM trials")}
    status, error, hist = rows["test-epochs"]
    assert status == "timeout" and 4 <= len(hist) <= 12, (status, len(hist))
    assert [h["epoch"] for h in hist] == list(range(1, len(hist) + 1))
    assert f"{len(hist)} finished epoch(s) kept" in error
    status, error, hist = rows["test-epochs(crash_after=3)"]
    assert status == "failed" and "worker process died" in error
    assert [h["epoch"] for h in hist] == [1, 2, 3]


def test_suite_budget_stops_the_run_and_resume_finishes_it(tmp_path):
    out = tmp_path / "out"
    suite = tmp_path / "budget.toml"
    suite.write_text('name = "budget"\nseeds = 2\ndatasets = ["digits"]\n'
                     'models = [{ name = "test-epochs", params = { epochs = 12, epoch_seconds = 0.5 } }]\n')
    t0 = time.time()
    r = cli("run", str(suite), "--suite-budget", "4", "--out", str(out), "--no-report", env=PLUGIN)
    assert r.returncode == 3, r.stderr
    assert time.time() - t0 < 30
    assert "suite budget of 4 s used up: 1 trials recorded, 1 not started" in r.stderr
    db = sqlite3.connect(out / "classbench.db")
    rows = db.execute("SELECT seed, status, error, history_json FROM trials ORDER BY seed").fetchall()
    assert [(seed, status) for seed, status, _, _ in rows] == [(0, "timeout"), (1, "pending")]
    assert "the suite's time budget of 4 s ran out" in rows[0][2] and len(json.loads(rows[0][3])) < 12
    run_id = db.execute("SELECT run_id, status FROM runs").fetchone()
    assert run_id[1] == "interrupted"
    r = cli("run", "--resume", run_id[0], "--out", str(out), "--no-report", env=PLUGIN)
    assert r.returncode == 0, r.stderr
    rows = db.execute("SELECT status, history_json FROM trials ORDER BY seed").fetchall()
    assert [status for status, _ in rows] == ["ok", "ok"] and all(len(json.loads(h)) == 12 for _, h in rows)


def test_bad_time_budget_is_a_user_error(tmp_path):
    r = cli("run", "--dataset", "digits", "--model", "ridge", "--time-budget", "0", "--out", str(tmp_path))
    assert r.returncode == 2 and "--time-budget must be a positive" in r.stderr
    r = cli("run", "--dataset", "digits", "--model", "ridge", "--suite-budget", "-5", "--out", str(tmp_path))
    assert r.returncode == 2 and "--suite-budget must be a positive number of seconds, got -5.0" in r.stderr


def test_sigterm_marks_interrupted_and_resume_finishes(tmp_path):
    import os

    out = tmp_path / "out"
    env = {**os.environ, **PLUGIN, "PYTHONPATH": f"{ROOT / 'tests' / 'core'}"}
    proc = subprocess.Popen([sys.executable, "-m", "classbench", "run", "--dataset", "digits", "--model", "ridge",
                             "--model", "test-sleep", "--set", "test-sleep.seconds=2.0", "--model", "lda",
                             "--out", str(out), "--no-report"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db_path = out / "classbench.db"
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until the sleeping trial is running
        if db_path.exists():
            try:
                st = sqlite3.connect(db_path).execute(
                    "SELECT status FROM trials WHERE model='test-sleep'").fetchone()
            except sqlite3.OperationalError:
                st = None
            if st and st[0] == "running":
                break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "--resume" in err
    db = sqlite3.connect(db_path)
    rows = dict(db.execute("SELECT model, status FROM trials").fetchall())
    assert rows == {"ridge": "ok", "test-sleep": "interrupted", "lda": "pending"}
    assert db.execute("SELECT status FROM runs").fetchone()[0] == "interrupted"
    run_id = db.execute("SELECT run_id FROM runs").fetchone()[0]
    r = cli("run", "--resume", run_id, "--out", str(out), "--no-report", env=PLUGIN)
    assert r.returncode == 0, r.stderr
    rows = dict(db.execute("SELECT model, status FROM trials").fetchall())
    assert rows == {"ridge": "ok", "test-sleep": "ok", "lda": "ok"}


def _wait_for(db_path, query, want, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if db_path.exists():
            try:
                row = sqlite3.connect(db_path).execute(query).fetchone()
            except sqlite3.OperationalError:
                row = None
            if row and row[0] == want:
                return True
        time.sleep(0.1)
    return False


def _start(out, *models, seconds=30):
    import os

    env = {**os.environ, **PLUGIN, "PYTHONPATH": f"{ROOT / 'tests' / 'core'}"}
    args = [sys.executable, "-m", "classbench", "run", "--dataset", "digits", "--out", str(out), "--no-report"]
    for m in models:
        args += ["--model", m]
    return subprocess.Popen(args + ["--set", f"test-sleep.seconds={seconds}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_killing_a_worker_mid_trial_is_a_recorded_failure(tmp_path):
    import os

    out = tmp_path / "out"
    proc = _start(out, "test-sleep", "ridge")
    db_path = out / "classbench.db"
    assert _wait_for(db_path, "SELECT status FROM trials WHERE model='test-sleep'", "running")
    time.sleep(1.0)
    # the worker is the driver's child process that runs the trial
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert children, "the driver has a worker process"
    for pid in children:
        os.kill(int(pid), signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    db = sqlite3.connect(db_path)
    rows = dict(db.execute("SELECT model, status FROM trials").fetchall())
    assert rows == {"test-sleep": "failed", "ridge": "ok"}
    error = db.execute("SELECT error FROM trials WHERE model='test-sleep'").fetchone()[0]
    assert "worker process died" in error and "signal 9" in error


def test_sigkill_of_the_driver_loses_only_running_trials(tmp_path):
    out = tmp_path / "out"
    proc = _start(out, "ridge", "lda", "test-sleep", "logreg", seconds=5)
    db_path = out / "classbench.db"
    assert _wait_for(db_path, "SELECT status FROM trials WHERE model='test-sleep'", "running")
    proc.kill()  # SIGKILL: no chance to clean up
    proc.communicate(timeout=60)
    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = dict(db.execute("SELECT model, status FROM trials").fetchall())
    assert rows == {"ridge": "ok", "lda": "ok", "test-sleep": "running", "logreg": "pending"}
    run_id = db.execute("SELECT run_id FROM runs").fetchone()[0]
    r = cli("run", "--resume", run_id, "--out", str(out), "--no-report", env=PLUGIN)
    assert r.returncode == 0, r.stderr
    assert "4 trials (2 already done)" in r.stderr
    rows = dict(db.execute("SELECT model, status FROM trials").fetchall())
    assert set(rows.values()) == {"ok"}


def test_a_model_that_allocates_without_bound_is_stopped_by_the_memory_budget(tmp_path):
    out = tmp_path / "out"
    r = cli("run", "--dataset", "digits", "--model", "test-hog", "--model", "ridge", "--memory-budget", "700",
            "--out", str(out), "--no-report", env=PLUGIN)
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(out / "classbench.db")
    rows = dict(db.execute("SELECT model, status FROM trials").fetchall())
    assert rows == {"test-hog": "failed", "ridge": "ok"}
    error = db.execute("SELECT error FROM trials WHERE model = 'test-hog'").fetchone()[0]
    assert "went over the memory budget of 700 MiB" in error


def test_two_runs_writing_to_one_database_at_once(tmp_path):
    """Two `classbench run` processes share one --out: both finish, every trial of each is recorded."""
    import os

    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'tests' / 'core'}"}
    args = [sys.executable, "-m", "classbench", "run", "--dataset", "digits", "--model", "ridge", "--model", "lda",
            "--seeds", "12", "--out", str(out), "--no-report"]
    procs = [subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.communicate(timeout=300), p.returncode) for p in procs]
    assert all(code == 0 for _, code in results), results
    db = sqlite3.connect(out / "classbench.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    runs = db.execute("SELECT run_id, status FROM runs").fetchall()
    assert len(runs) == 2 and {status for _, status in runs} == {"finished"}
    for run_id, _ in runs:
        statuses = [s for (s,) in db.execute("SELECT status FROM trials WHERE run_id = ?", (run_id,))]
        assert statuses == ["ok"] * 24
    import csv

    boards = [[(r["dataset"], r["model"], r["accuracy"], r["macro_f1"])
               for r in csv.DictReader(open(out / "runs" / run_id / "leaderboard.csv"))] for run_id, _ in runs]
    assert boards[0] == boards[1] and len(boards[0]) == 2
