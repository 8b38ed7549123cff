"""Executor overhead and scaling (issue 7).

Usage: CLASSBENCH_DATA=/path/to/datasets .venv/bin/python benchmarks/scale.py

1. Overhead: 200 tiny trials (logistic regression on ~500 digits, 200 seeds) on the local executor with one
   worker; overhead = wall time / summed in-trial time (train + predict) - 1.
2. Scaling: a 20-trial CPU-bound suite (single-threaded liblinear linear SVM on 5,000 MNIST images, 20 seeds)
   with `--workers 1` (local), `--workers 2` (local) and `--executor ray` (a local Ray instance, 2 CPUs);
   speed-up over `--workers 1`, and whether the leaderboards are identical.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _md import ROOT, update_section  # noqa: E402

EXE = str(ROOT / ".venv" / "bin" / "classbench")
OUT = ROOT / "benchmarks" / "out" / "scale"


def run(*args: str) -> float:
    t0 = time.perf_counter()
    r = subprocess.run([EXE, "run", *args, "--quiet", "--no-report"], capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        sys.exit(f"classbench run {' '.join(args)} failed:\n{r.stderr}")
    return time.perf_counter() - t0


def board(out: Path) -> list[tuple[str, str, str]]:
    run_dir = next((out / "runs").iterdir())
    return [(r["model"], r["accuracy"], r["macro_f1"]) for r in csv.DictReader(open(run_dir / "leaderboard.csv"))]


def trial_seconds(out: Path) -> float:
    import sqlite3

    db = sqlite3.connect(out / "classbench.db")
    return float(db.execute("SELECT SUM(train_s + predict_s) FROM trials WHERE status = 'ok'").fetchone()[0])


def main() -> None:
    if "CLASSBENCH_DATA" not in os.environ:
        sys.exit("set CLASSBENCH_DATA to the folder holding mnist/")
    import shutil

    shutil.rmtree(OUT, ignore_errors=True)
    lines = []
    o = OUT / "overhead"
    wall = run("--dataset", "digits", "--set", "digits.test_fraction=0.72", "--model", "logreg", "--seeds", "200",
               "--out", str(o))
    inner = trial_seconds(o)
    lines += ["| check | measured | target |", "|---|---|---|",
              f"| 200 tiny trials (logreg, ~500 digits), local executor, 1 worker: wall {wall:.1f} s, summed "
              f"train+predict {inner:.1f} s | overhead {100 * (wall / inner - 1):.0f}% | ≤ 20% |"]
    suite = ["--dataset", "mnist", "--set", "mnist.n_train=5000", "--model", "linear-svm", "--seeds", "20"]
    t1 = run(*suite, "--workers", "1", "--out", str(OUT / "w1"))
    t2 = run(*suite, "--workers", "2", "--out", str(OUT / "w2"))
    tr = run(*suite, "--executor", "ray", "--out", str(OUT / "ray"))
    same2 = board(OUT / "w1") == board(OUT / "w2")
    samer = board(OUT / "w1") == board(OUT / "ray")
    lines += [f"| 20 CPU-bound trials (linear-svm, 5,000 MNIST images, 20 seeds), `--workers 1` | {t1:.1f} s | |",
              f"| same, `--workers 2` (local) | {t2:.1f} s, {t1 / t2:.2f}× | ≥ 1.7× |",
              f"| same, `--executor ray` (local Ray, 2 CPUs; includes Ray start-up) | {tr:.1f} s, {t1 / tr:.2f}× "
              f"| ≥ 1.7× |",
              f"| identical leaderboard (accuracy, macro-F1) | workers 2: {'yes' if same2 else 'NO'}, "
              f"ray: {'yes' if samer else 'NO'} | yes |"]
    update_section("scale", "Executors: overhead and scaling", "\n".join(lines))


if __name__ == "__main__":
    main()
