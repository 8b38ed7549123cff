"""The Ray executor: a real local Ray instance, and a `ray start --head` cluster reached with --address."""

import csv
import json
import socket
import sqlite3
from pathlib import Path

import pytest

from .test_runner_cli import cli

pytest.importorskip("ray", reason="Ray is optional: pip install 'classbench[ray]' to run these tests")
pytestmark = pytest.mark.slow


def _board(out):
    run = next((Path(out) / "runs").iterdir())
    return [(r["model"], r["accuracy"], r["macro_f1"]) for r in csv.DictReader(open(run / "leaderboard.csv"))]


def test_ray_local_instance_same_leaderboard_and_timeouts(tmp_path):
    args = ["--dataset", "digits", "--model", "ridge", "--model", "logreg", "--model", "test-boom",
            "--model", "test-sleep", "--time-budget", "20", "--seeds", "2", "--no-report"]
    env = {"CLASSBENCH_PLUGINS": "plugin_models"}
    r1 = cli("run", *args, "--out", str(tmp_path / "local"), env=env)
    assert r1.returncode == 0, r1.stderr
    r2 = cli("run", *args, "--executor", "ray", "--out", str(tmp_path / "ray"), env=env, timeout=600)
    assert r2.returncode == 0, r2.stderr
    assert "ray executor" in r2.stderr
    assert _board(tmp_path / "local") == _board(tmp_path / "ray")
    db = sqlite3.connect(tmp_path / "ray" / "classbench.db")
    statuses = dict(db.execute("SELECT model, group_concat(DISTINCT status) FROM trials GROUP BY model"))
    assert statuses == {"ridge": "ok", "logreg": "ok", "test-boom": "failed", "test-sleep": "timeout"}


def test_ray_timeout_keeps_the_streamed_epochs(tmp_path):
    r = cli("run", "--dataset", "digits", "--model", "test-epochs", "--executor", "ray", "--time-budget", "8",
            "--out", str(tmp_path), "--no-report", env={"CLASSBENCH_PLUGINS": "plugin_models"}, timeout=600)
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(tmp_path / "classbench.db")
    status, error, history = db.execute("SELECT status, error, history_json FROM trials").fetchone()
    epochs = [row["epoch"] for row in json.loads(history)]
    assert status == "timeout" and len(epochs) >= 3 and epochs == list(range(1, len(epochs) + 1)), (status, epochs)
    assert f"{len(epochs)} finished epoch(s) kept" in error


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ray_start_head_and_connect_with_address(tmp_path):
    from ..cluster.raycluster import LocalRayCluster

    cluster = LocalRayCluster()  # `ray start --head` in a session of its own; stop() ends only that session
    try:
        cluster.start_head(cpus=2)
        r = cli("run", "--dataset", "digits", "--model", "lda", "--model", "ridge", "--executor", "ray",
                "--address", cluster.address, "--out", str(tmp_path / "o"), "--no-report", timeout=600,
                env=cluster.driver_env())  # the head and the client share the auth token
        assert r.returncode == 0, r.stderr
        assert [m for m, _, _ in _board(tmp_path / "o")] == ["lda", "ridge"]
    finally:
        cluster.stop()
        assert not cluster.left_running()


def test_unreachable_address_is_a_clear_error(tmp_path):
    r = cli("run", "--dataset", "digits", "--model", "ridge", "--executor", "ray", "--address",
            f"127.0.0.1:{_free_port()}", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "Cannot reach the Ray cluster" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o" / "runs").exists()
