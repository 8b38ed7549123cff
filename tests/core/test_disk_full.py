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
                    "test_simulated_full_disk_while_recording_trials_then_resume covers the same path")
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


def test_simulated_full_disk_while_recording_trials_then_resume(tmp_path, monkeypatch, capsys):
    """The disk fills while the 4th of 6 trials is written: SQLite fails inside the transaction (after the
    UPDATE, as a real ENOSPC at commit would), the run stops with a clear error and exit code 2, the 3
    trials before stay recorded as they were and the 4th is not half-written; once there is space,
    --resume runs only the missing trials and leaves the first three untouched."""
    from classbench.bench.store import Store
    from classbench.cli import main

    original, calls = Store.record, []

    def record(self, run_id, trial_key, result):
        calls.append(trial_key)
        if len(calls) == 4:
            with self.tx() as c:
                c.execute("UPDATE trials SET status = 'ok', accuracy = 0.5 WHERE run_id = ? AND trial_key = ?",
                          (run_id, trial_key))
                raise sqlite3.OperationalError("database or disk is full")
        return original(self, run_id, trial_key, result)

    monkeypatch.setattr(Store, "record", record)
    out = tmp_path / "o"
    args = ["--out", str(out), "--no-report", "--quiet"]
    code = main(["run", "--dataset", "digits", "--model", "ridge", "--seeds", "6", *args])
    err = capsys.readouterr().err
    assert code == 2 and "is full" in err and "--resume" in err and "Traceback" not in err, err
    db = sqlite3.connect(out / "classbench.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = db.execute("SELECT trial_key, status, accuracy, finished FROM trials ORDER BY seq").fetchall()
    done = [r for r in rows if r[1] == "ok"]
    assert [r[0] for r in done] == calls[:3] and all(r[2] > 0.9 for r in done)
    fourth = next(r for r in rows if r[0] == calls[3])
    assert fourth[1] != "ok" and fourth[2] is None  # rolled back: not half-written
    run_id = db.execute("SELECT run_id FROM runs").fetchone()[0]
    db.close()

    monkeypatch.setattr(Store, "record", original)  # space freed
    assert main(["run", "--resume", run_id, *args]) == 0
    db = sqlite3.connect(out / "classbench.db")
    after = db.execute("SELECT trial_key, status, accuracy, finished FROM trials ORDER BY seq").fetchall()
    assert [r[1] for r in after] == ["ok"] * 6
    assert [r for r in after if r[0] in calls[:3]] == done  # the first three were not run again
