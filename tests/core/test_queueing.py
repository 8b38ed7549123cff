"""The local executor queues short trials one deep behind the running one; nothing queued is lost."""

import os
import signal
import sqlite3
import subprocess
import sys
from dataclasses import asdict

from classbench.bench.executors import LocalExecutor
from classbench.bench.runner import plan
from classbench.config import DatasetSpec, ModelSpec, SuiteSpec
from classbench.datasets import DataContext

from .test_faults import PLUGIN, _wait_for
from .test_runner_cli import ROOT, cli


def _drive(models, seeds, workers):
    """Run digits x ``models`` x ``seeds`` on a LocalExecutor as the runner does: (events, most in flight)."""
    suite = SuiteSpec(name="q", datasets=(DatasetSpec("digits"),), models=tuple(ModelSpec(m) for m in models),
                      seeds=tuple(range(seeds)))
    ctx = DataContext.from_env(None)
    ex = LocalExecutor(workers=workers)
    todo, events, most = list(plan(suite, ctx)), [], 0
    try:
        while todo or ex.busy():
            while todo and ex.idle():
                t = todo.pop(0)
                ex.submit(t, t.spec.to_dict(), asdict(ctx))
            most = max(most, ex.busy())
            events += list(ex.next_events(5.0))
    finally:
        ex.shutdown()
    return events, most


def test_short_trials_are_queued_one_deep_and_run_in_order():
    events, most = _drive(["ridge"], seeds=5, workers=1)
    # the first trial runs alone (its duration is unknown); once ridge is known to be short, the worker
    # holds the next one while it runs the current one
    assert most == 2
    assert [(e.job.seq, e.result is None) for e in events] == [(i, s) for i in range(5) for s in (True, False)]
    assert all(e.result["status"] == "ok" for e in events if e.result is not None)


def test_two_workers_share_short_trials_and_run_each_once():
    events, most = _drive(["ridge", "lda"], seeds=6, workers=2)
    starts = sorted(e.job.seq for e in events if e.result is None)
    results = sorted(e.job.seq for e in events if e.result is not None)
    assert starts == results == list(range(12))
    assert all(e.result["status"] == "ok" for e in events if e.result is not None)
    assert 2 < most <= 4  # two workers, each running one trial and holding at most one more


def _run(out, *extra):
    env = {**os.environ, **PLUGIN, "PYTHONPATH": f"{ROOT / 'tests' / 'core'}"}
    args = [sys.executable, "-m", "classbench", "run", "--dataset", "digits", "--model", "test-slow-seed",
            "--seeds", "3", "--set", "test-slow-seed.seconds=30", "--out", str(out), "--no-report", *extra]
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_queued_trial_is_pending_until_it_starts_and_survives_its_worker(tmp_path):
    """Seed 0 is short, so seed 2 is queued behind seed 1 (slow); killing the worker fails seed 1 only."""
    out = tmp_path / "out"
    proc = _run(out)
    db_path = out / "classbench.db"
    assert _wait_for(db_path, "SELECT status FROM trials WHERE seed = 1", "running")
    children = subprocess.run(["pgrep", "-f", "-P", str(proc.pid), "spawn_main"], capture_output=True,
                              text=True).stdout.split()
    assert len(children) == 1, children  # the worker (multiprocessing's resource tracker is the other child)
    rows = dict(sqlite3.connect(db_path).execute("SELECT seed, status FROM trials").fetchall())
    assert rows == {0: "ok", 1: "running", 2: "pending"}  # seed 2 sits in the worker's pipe, not started
    os.kill(int(children[0]), signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    db = sqlite3.connect(db_path)
    rows = dict(db.execute("SELECT seed, status FROM trials").fetchall())
    assert rows == {0: "ok", 1: "failed", 2: "ok"}
    assert "worker process died" in db.execute("SELECT error FROM trials WHERE seed = 1").fetchone()[0]


def test_a_queued_trial_is_not_lost_when_the_one_ahead_times_out(tmp_path):
    out = tmp_path / "out"
    proc = _run(out, "--time-budget", "3")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    rows = dict(sqlite3.connect(out / "classbench.db").execute("SELECT seed, status FROM trials").fetchall())
    assert rows == {0: "ok", 1: "timeout", 2: "ok"}


def test_sigkill_of_the_driver_leaves_a_queued_trial_pending(tmp_path):
    out = tmp_path / "out"
    proc = _run(out)
    db_path = out / "classbench.db"
    assert _wait_for(db_path, "SELECT status FROM trials WHERE seed = 1", "running")
    proc.kill()
    proc.communicate(timeout=60)
    rows = dict(sqlite3.connect(db_path).execute("SELECT seed, status FROM trials").fetchall())
    assert rows == {0: "ok", 1: "running", 2: "pending"}


def test_workers_that_die_before_starting_fail_the_trial_instead_of_looping(tmp_path):
    """A worker environment that kills every worker at start-up: each trial is tried on three workers,
    then recorded as failed with the reason; the driver finishes."""
    r = cli("run", "--dataset", "digits", "--model", "ridge", "--out", str(tmp_path / "out"), "--no-report",
            env={"CLASSBENCH_PLUGINS": "plugin_dies_in_workers"}, timeout=240)
    assert r.returncode == 0, r.stderr
    status, error = sqlite3.connect(tmp_path / "out" / "classbench.db").execute(
        "SELECT status, error FROM trials").fetchone()
    assert status == "failed"
    assert "3 worker processes died before this trial could start (the last: exit code 7)" in error
