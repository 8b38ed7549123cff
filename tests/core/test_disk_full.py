"""A full disk mid-run: a clear error, rows already written stay intact, and resume finishes after space is freed."""

import os
import sqlite3
import subprocess
import uuid

import pytest

from .test_runner_cli import cli

PLUGIN = {"CLASSBENCH_PLUGINS": "plugin_models"}


@pytest.fixture
def small_disk(tmp_path):
    """A 160 KiB tmpfs (root only); skipped where mounting is not allowed."""
    mnt = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {r.stderr.decode().strip()}; "
                    "the simulated ENOSPC test covers the same path")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_real_full_disk_then_resume(small_disk):
    out = small_disk / "out"
    r = cli("run", "--dataset", "digits", "--model", "test-majority", "--seeds", "300", "--out", str(out),
            "--no-report", env=PLUGIN)
    assert r.returncode == 2, r.stderr
    assert "is full" in r.stderr and "--resume" in r.stderr and "Traceback" not in r.stderr
    db = sqlite3.connect(out / "classbench.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ok_before = db.execute("SELECT COUNT(*) FROM trials WHERE status = 'ok'").fetchone()[0]
    assert 0 < ok_before < 300
    run_id = db.execute("SELECT run_id FROM runs").fetchone()[0]
    db.close()
    subprocess.run(["mount", "-o", "remount,size=20m", str(small_disk)], check=True)
    r = cli("run", "--resume", run_id, "--out", str(out), "--no-report", env=PLUGIN)
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(out / "classbench.db")
    assert db.execute("SELECT COUNT(*) FROM trials WHERE status = 'ok'").fetchone()[0] == 300


def test_simulated_enospc_on_leaderboard_write(tmp_path, monkeypatch, capsys):
    import errno

    from classbench.bench import runner
    from classbench.cli import main

    def full(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(runner, "write_leaderboard", full)
    code = main(["run", "--dataset", "digits", "--model", "ridge", "--out", str(tmp_path / "o"), "--no-report",
                 "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "is full" in err and "every trial is recorded" in err
    db = sqlite3.connect(tmp_path / "o" / "classbench.db")
    assert db.execute("SELECT status FROM trials").fetchone()[0] == "ok"
