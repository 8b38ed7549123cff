"""A real two-node Ray cluster on this machine: trials spread over the nodes, torch trials only where the
stand-in GPU is, a worker node killed mid-run (SIGKILL of its raylet), and the head node going away.

Each test starts its own nodes with `ray start` (own session, temp dir, ports, CPU count) and stops every
process of them in its teardown; nothing else on the machine is touched.
"""

import csv
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is optional: pip install 'classbench[ray]' to run these tests")

from .raycluster import PLUGINS, ROOT, LocalRayCluster  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

# 3 CPU trials (2 s each), then 3 small torch trials that ask for the stand-in GPU
ARGS = ["--dataset", "digits", "--model", "test-sleep", "--set", "test-sleep.seconds=2", "--model", "mlp",
        "--set", "mlp.epochs=2", "--set", "mlp.hidden=[32]", "--seeds", "3", "--executor", "ray",
        "--gpu-resource", "fake_gpu", "--no-report"]


@pytest.fixture
def cluster():
    c = LocalRayCluster()
    try:
        yield c
    finally:
        c.stop()
        assert not c.left_running(), "a Ray process of the test's cluster is still running"


def start(c, *args, out):
    env = {**os.environ, **c.driver_env(), "CLASSBENCH_PLUGINS": "plugin_models",
           "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "classbench", "run", *args, "--out", str(out)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc, timeout=240):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the driver hung (no exit within {timeout} s):\n{err[-3000:]}")
    return proc.returncode, out, err


def run(c, *args, out, timeout=240):
    return finish(start(c, *args, out=out), timeout)


def _trials_if_ready(out):
    """trials(out), or [] while the driver has created the database file but not yet its tables."""
    try:
        return trials(out)
    except sqlite3.OperationalError:
        return []


def trials(out):
    db = sqlite3.connect(Path(out) / "classbench.db")
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM trials ORDER BY seq")]
    db.close()
    for r in rows:
        r["extra"] = json.loads(r["extra_json"] or "{}")
    return rows


def board(out, run_id=None):
    folder = Path(out) / "runs" / (run_id or next((Path(out) / "runs").iterdir()).name)
    keep = ("dataset", "model", "accuracy", "macro_f1", "n_seeds", "n_failed", "status")
    return [{k: r[k] for k in keep} for r in csv.DictReader(open(folder / "leaderboard.csv"))]


def test_trials_spread_over_nodes_and_survive_a_lost_worker(cluster, tmp_path):
    cluster.start_head("head", cpus=1)
    cluster.add_worker("worker", cpus=2, resources={"fake_gpu": 1})

    # undisturbed: CPU trials on both nodes, torch trials only on the node with the stand-in GPU
    code, _, err = run(cluster, *ARGS, "--address", cluster.address, out=tmp_path / "calm")
    assert code == 0, err
    calm = trials(tmp_path / "calm")
    assert all(t["status"] == "ok" for t in calm), [(t["model"], t["error"]) for t in calm]
    where = {(t["model"], t["seed"]): t["extra"]["node"]["name"] for t in calm}
    assert {where["test-sleep", s] for s in range(3)} == {"head", "worker"}, where
    assert {where["mlp", s] for s in range(3)} == {"worker"}, where
    assert len({t["extra"]["node"]["id"] for t in calm}) == 2
    worker_id = next(t["extra"]["node"]["id"] for t in calm if t["model"] == "mlp")

    # the worker's raylet is killed while it runs trials (two, where Ray gave it two within 3 s)
    proc = start(cluster, *ARGS, "--address", cluster.address, out=tmp_path / "hit")
    cluster.wait_running("worker", 1, timeout=120)
    deadline = time.monotonic() + 3
    while (held := cluster.nodes["worker"].trials_running()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    cluster.kill_raylet("worker")
    t_kill = time.monotonic()
    code, _, err = finish(proc)
    assert code == 0, err
    assert time.monotonic() - t_kill < 90, "the driver took too long to notice the lost node"
    hit = trials(tmp_path / "hit")
    retried = [t for t in hit if t["extra"].get("nodes_lost")]
    assert len(retried) >= max(held, 1), [(t["model"], t["seed"], t["status"], t["extra"].get("node")) for t in hit]
    for t in retried:  # run again on the head, to the same result
        assert t["status"] == "ok" and t["extra"]["node"]["name"] == "head", t
        assert worker_id[:8] in t["extra"]["nodes_lost"][0]
    lost = [t for t in hit if t["status"] != "ok"]
    assert lost and all(t["model"] == "mlp" for t in lost), [(t["model"], t["status"], t["error"]) for t in hit]
    assert all(t["status"] == "failed" and t["error"].startswith("node lost") for t in lost), lost
    assert "fake_gpu" in lost[0]["error"]
    before = {t["trial_key"]: (t["finished"], t["accuracy"]) for t in hit if t["status"] == "ok"}

    # a new node with the stand-in GPU joins; --resume runs only what the lost node took with it
    cluster.add_worker("worker2", cpus=1, resources={"fake_gpu": 1})
    run_id = next((tmp_path / "hit" / "runs").iterdir()).name
    code, _, err = run(cluster, "--resume", run_id, "--executor", "ray", "--address", cluster.address,
                       "--gpu-resource", "fake_gpu", "--no-report", out=tmp_path / "hit")
    assert code == 0, err
    assert f"{len(hit)} trials ({len(before)} already done)" in err
    after = trials(tmp_path / "hit")
    assert all(t["status"] == "ok" for t in after)
    assert {t["trial_key"]: (t["finished"], t["accuracy"]) for t in after if t["trial_key"] in before} == before
    assert {t["extra"]["node"]["name"] for t in after if t["model"] == "mlp" and t["trial_key"] not in before} \
        == {"worker2"}
    assert board(tmp_path / "hit") == board(tmp_path / "calm")


def test_head_node_lost_is_a_clear_error_and_a_resumable_run(cluster, tmp_path):
    cluster.start_head("head", cpus=2)
    args = ["--dataset", "digits", "--model", "test-sleep", "--set", "test-sleep.seconds=2", "--seeds", "6",
            "--executor", "ray", "--no-report"]
    proc = start(cluster, *args, "--address", cluster.address, out=tmp_path / "o")
    db = tmp_path / "o" / "classbench.db"
    deadline = time.monotonic() + 120
    while not (db.exists() and any(t["status"] == "ok" for t in _trials_if_ready(tmp_path / "o"))):
        assert time.monotonic() < deadline and proc.poll() is None, "no trial finished"
        time.sleep(0.2)
    cluster.kill_node("head")
    code, out, err = finish(proc, timeout=120)
    assert code == 2, (code, err)
    msg = err.split("error: ", 1)[1]
    assert msg.startswith("Lost the Ray cluster: its head node") and "--resume" in msg, err
    assert "Traceback" not in err + out
    rows = trials(tmp_path / "o")
    done = {t["trial_key"]: t["finished"] for t in rows if t["status"] == "ok"}
    assert done and len(done) < 6
    assert not any(t["status"] == "running" for t in rows)
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    assert f"--resume {run_id}" in msg

    # a new head: the run finishes, the trials that had finished are kept as they were
    cluster.stop()
    fresh = LocalRayCluster()
    try:
        fresh.start_head("head2", cpus=2)
        code, _, err = run(fresh, "--resume", run_id, "--executor", "ray", "--address", fresh.address,
                           out=tmp_path / "o")
        assert code == 0, err
    finally:
        fresh.stop()
        assert not fresh.left_running()
    rows = trials(tmp_path / "o")
    assert all(t["status"] == "ok" for t in rows) and len(rows) == 6
    assert {k: f for k, f in ((t["trial_key"], t["finished"]) for t in rows) if k in done} == done
