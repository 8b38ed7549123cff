"""Losing a node (issue 18): 20 CPU-bound trials on a two-node Ray cluster, the worker node killed halfway.

Usage: flock .bench.lock .venv/bin/python benchmarks/cluster.py [--trees 400] [--seeds 20]

A head node and a worker node (one CPU each, `ray start` on this machine, Ray's default failure detection)
run 20 trials (random forest of ``--trees`` trees on the bundled 8x8 digits, one seed each, one thread) with
`--executor ray --address`. First undisturbed, then again with the worker's raylet SIGKILLed once half
the trials are recorded, while it runs one. Recorded: trials retried (submitted again after their node
died), trials lost (not ok at the end: must be 0), whether the leaderboard equals the undisturbed one, and
the wall time of each run (the whole `classbench run` command). Every Ray process started here is stopped.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "cluster"))
from _md import ROOT, update_section  # noqa: E402
from raycluster import LocalRayCluster  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "cluster"


def trials(out: Path) -> list[dict]:
    db = sqlite3.connect(f"file:{out / 'classbench.db'}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT status, extra_json, accuracy FROM trials ORDER BY seq")]
    db.close()
    for r in rows:
        r["extra"] = json.loads(r["extra_json"] or "{}")
    return rows


def board(out: Path) -> list[tuple]:
    run = next((out / "runs").iterdir())
    return [(r["model"], r["accuracy"], r["macro_f1"], r["n_seeds"]) for r in csv.DictReader(open(run / "leaderboard.csv"))]


def run(cluster: LocalRayCluster, args: list[str], out: Path, kill_after: int | None = None) -> tuple[float, float | None]:
    """Wall time of `classbench run`, and (with ``kill_after``) when the worker's raylet was killed."""
    env = {**os.environ, **cluster.driver_env(), "CLASSBENCH_THREADS": "1"}
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "classbench", "run", *args, "--out", str(out), "--quiet"],
                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    killed = None
    while kill_after is not None and killed is None and p.poll() is None:
        try:
            done = sum(t["status"] == "ok" for t in trials(out))
        except sqlite3.Error:  # not created yet
            done = 0
        if done >= kill_after and cluster.nodes["worker"].trials_running():
            cluster.kill_raylet("worker")
            killed = time.perf_counter() - t0
        time.sleep(0.05)
    _, err = p.communicate(timeout=1800)
    if p.returncode != 0:
        sys.exit(f"classbench run failed ({p.returncode}):\n{err[-3000:]}")
    return time.perf_counter() - t0, killed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trees", type=int, default=400)
    ap.add_argument("--seeds", type=int, default=20)
    a = ap.parse_args()
    import shutil

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    args = ["--dataset", "digits", "--model", "random-forest", "--set", f"random-forest.n_estimators={a.trees}",
            "--seeds", str(a.seeds), "--executor", "ray", "--no-report"]
    cluster = LocalRayCluster(fast_failure_detection=False)
    try:
        cluster.start_head("head", cpus=1)
        cluster.add_worker("worker", cpus=1)
        args += ["--address", cluster.address]
        calm_s, _ = run(cluster, args, OUT / "calm")
        hit_s, kill_s = run(cluster, args, OUT / "hit", kill_after=a.seeds // 2)
    finally:
        cluster.stop()
        left = cluster.left_running()
    calm, hit = trials(OUT / "calm"), trials(OUT / "hit")
    per_node = {}
    for t in calm:
        per_node[t["extra"]["node"]["name"]] = per_node.get(t["extra"]["node"]["name"], 0) + 1
    retried = [t for t in hit if t["extra"].get("nodes_lost")]
    lost = [t for t in hit if t["status"] != "ok"]
    same = board(OUT / "calm") == board(OUT / "hit")
    body = f"""\
{a.seeds} trials: random forest ({a.trees} trees, one thread) on the bundled 8x8 digits, one seed each, on a head
and a worker node (`ray start`, 1 CPU each, both on this 2-core machine) through `--executor ray --address`.
The second run had the worker's raylet SIGKILLed once {a.seeds // 2} trials were recorded, while it ran one.

| run | wall time (s) | trials ok | trials retried | trials lost | leaderboard |
|---|---:|---:|---:|---:|---|
| undisturbed | {calm_s:.1f} | {sum(t['status'] == 'ok' for t in calm)} | 0 | {sum(t['status'] != 'ok' for t in calm)} | (reference) |
| worker killed at {kill_s:.1f} s | {hit_s:.1f} | {sum(t['status'] == 'ok' for t in hit)} | {len(retried)} | {len(lost)} | {'identical' if same else 'DIFFERENT'} |

Undisturbed, the trials ran {', '.join(f'{n} on {k}' for k, n in sorted(per_node.items()))}. After the kill
the trial(s) the worker held were submitted again and ran on the head, as did everything after
({hit_s / calm_s:.2f}x the undisturbed wall time); no finished trial was lost. Ray processes left running after
the benchmark: {len(left)}.
"""
    update_section("cluster", "Losing a node: 20 trials on a two-node Ray cluster (issue 18)", body)
    if lost or not same or left:
        sys.exit("a trial was lost, the leaderboards differ, or a Ray process was left running")


if __name__ == "__main__":
    main()
