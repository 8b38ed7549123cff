"""Executor overhead and scaling (issue 7).

Usage: CLASSBENCH_DATA=/path/to/datasets .venv/bin/python benchmarks/scale.py

1. Overhead: 200 tiny trials (logistic regression on ~500 digits, 200 seeds) on the local executor with one
   worker; overhead = wall time of the whole command / summed trial times - 1, where a trial's time is its
   whole run in the worker (split, fit, predict, scoring: ``extra.trial_s``). The same command with one
   trial gives the fixed start-up cost (interpreter, scikit-learn imported by driver and worker, first data
   load), and from both the overhead per trial once running.
2. Scaling: a 20-trial CPU-bound suite (single-threaded liblinear linear SVM on 20,000 MNIST images, 20 seeds)
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


def trial_seconds(out: Path) -> tuple[float, float]:
    """(summed whole-trial seconds in the workers, summed train + predict seconds) of the ok trials."""
    import sqlite3

    db = sqlite3.connect(out / "classbench.db")
    whole, inner = db.execute("SELECT SUM(json_extract(extra_json, '$.trial_s')), SUM(train_s + predict_s) "
                              "FROM trials WHERE status = 'ok'").fetchone()
    return float(whole), float(inner)


def main() -> None:
    if "CLASSBENCH_DATA" not in os.environ:
        sys.exit("set CLASSBENCH_DATA to the folder holding mnist/")
    import shutil

    shutil.rmtree(OUT, ignore_errors=True)
    lines = []
    tiny = ["--dataset", "digits", "--set", "digits.test_fraction=0.72", "--model", "logreg"]
    wall1 = run(*tiny, "--seeds", "1", "--out", str(OUT / "overhead1"))
    whole1, _ = trial_seconds(OUT / "overhead1")
    wall = run(*tiny, "--seeds", "200", "--out", str(OUT / "overhead"))
    whole, inner = trial_seconds(OUT / "overhead")
    total = 100 * (wall / whole - 1)
    steady = 100 * ((wall - wall1) / (whole - whole1) - 1)
    lines += ["| check | measured | target | met |", "|---|---|---|---|",
              f"| 200 tiny trials (logreg, ~500 digits), local executor, 1 worker: wall {wall:.1f} s; summed trial "
              f"times {whole:.1f} s (of which train + predict {inner:.1f} s) | overhead {total:.0f}% | ≤ 20% | "
              f"{'yes' if total <= 20 else 'NO'} |",
              f"| the same command with 1 trial (fixed start-up: interpreter, scikit-learn in driver and worker, "
              f"data) | {wall1:.1f} s | | |",
              f"| overhead per trial once started: (wall − start-up) / (trial times − first trial) − 1 | "
              f"{steady:.0f}% ({1000 * (wall - wall1 - (whole - whole1)) / 199:.1f} ms per trial) | | |"]
    suite = ["--dataset", "mnist", "--set", "mnist.n_train=20000", "--model", "linear-svm", "--seeds", "20"]
    t1 = run(*suite, "--workers", "1", "--out", str(OUT / "w1"))
    t2 = run(*suite, "--workers", "2", "--out", str(OUT / "w2"))
    tr = run(*suite, "--executor", "ray", "--out", str(OUT / "ray"))
    same2 = board(OUT / "w1") == board(OUT / "w2")
    samer = board(OUT / "w1") == board(OUT / "ray")
    lines += [f"| 20 CPU-bound trials (linear-svm, 20,000 MNIST images, 20 seeds), `--workers 1` | {t1:.1f} s | | |",
              f"| same, `--workers 2` (local) | {t2:.1f} s, {t1 / t2:.2f}× | ≥ 1.7× | {'yes' if t1 / t2 >= 1.7 else 'NO'} |",
              f"| same, `--executor ray` (local Ray, 2 CPUs; includes Ray start-up) | {tr:.1f} s, {t1 / tr:.2f}× "
              f"| ≥ 1.7× | {'yes' if t1 / tr >= 1.7 else 'NO'} |",
              f"| identical leaderboard (accuracy, macro-F1) | workers 2: {'yes' if same2 else 'NO'}, "
              f"ray: {'yes' if samer else 'NO'} | yes | {'yes' if same2 and samer else 'NO'} |"]
    update_section("scale", "Executors: overhead and scaling", "\n".join(lines))


if __name__ == "__main__":
    main()
