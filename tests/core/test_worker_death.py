"""No worker outlives its driver: a driver killed with SIGKILL takes its busy workers with it."""

from __future__ import annotations

import os
import subprocess
import time

from .test_faults import _start, _wait_for


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")  # a zombie has stopped
    except FileNotFoundError:
        return False


def test_workers_stop_within_seconds_of_a_sigkilled_driver(tmp_path):
    out = tmp_path / "out"
    proc = _start(out, "test-sleep", "test-sleep", seconds=60)  # each trial would run for a minute
    assert _wait_for(out / "classbench.db", "SELECT status FROM trials WHERE model='test-sleep'", "running")
    workers = [int(p) for p in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                              text=True).stdout.split()]
    assert workers and all(_alive(p) for p in workers)
    proc.kill()  # SIGKILL: the driver cannot tell its workers anything
    proc.wait(timeout=30)
    killed = time.monotonic()
    while any(_alive(p) for p in workers) and time.monotonic() - killed < 10:
        time.sleep(0.1)
    left = [p for p in workers if _alive(p)]
    took = time.monotonic() - killed
    for p in left:  # do not leave them behind whatever happens
        os.kill(p, 9)
    assert not left, f"workers {left} still running {took:.1f} s after their driver was killed"
    assert took < 3.0, f"the workers took {took:.1f} s to stop"
