"""MNIST records (issue 16, items 1-2): modern-cnn, seed-cnn and lenet5 on the full 60,000 / 10,000 split.

Usage:
  CLASSBENCH_DATA=../shared/datasets .venv/bin/python benchmarks/mnist_records.py run MODEL SEED
      [--threads N] [--set PARAM=VALUE ...] [--results FILE]
  .venv/bin/python benchmarks/mnist_records.py table [--results FILE] [--write]
  CLASSBENCH_DATA=../shared/datasets .venv/bin/python benchmarks/mnist_records.py all [--results FILE] [--write]

``all`` is the issue's protocol with every model's defaults: modern-cnn (which trains on one thread) with seeds
0, 1, 2, two at a time; then seed-cnn and lenet5 on 2 threads, one run at a time (their time is the wall time,
so run ``all`` on an otherwise idle machine); then ``table``.

``run`` trains one model with one seed through classbench's own model class (``create_model``) and appends
a JSON line: test accuracy, training wall time, training CPU time of the process, the threads used and the
1-minute load average before and after. Runs may go in parallel (one per core, ``--threads 1``): on one
thread the process CPU time is the training time on an otherwise idle core, whatever else runs beside it.
``table`` prints (and with ``--write`` stores as the ``mnist-records`` section of BENCHMARKS.md) the mean of
the seeds per model and setting, against the issue's targets.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _md import ROOT, update_section  # noqa: E402
from _mnist import mnist_arrays  # noqa: E402

# label -> (accuracy floor of the seed mean, training-time ceiling in s, reference)
TARGETS = {
    "modern-cnn": (0.996, 600, "Simard et al. 2003: 0.996 (elastic distortions); Ciresan et al. 2011-12: 0.9965-0.9975"),
    "seed-cnn": (0.995, 180, "notebook 0.9712; first round 0.9945-0.9952 in 175-217 s"),
    "lenet5": (0.993, 60, "LeCun et al. 1998: 0.9905; first round 0.9944 in 70-75 s"),
}
DEFAULT_RESULTS = ROOT / "benchmarks" / "out" / "mnist-records.jsonl"


def _value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def run(args: argparse.Namespace) -> None:
    os.environ["CLASSBENCH_THREADS"] = str(args.threads)
    from classbench.models import create_model

    params = dict(kv.split("=", 1) for kv in args.set)
    params = {k: _value(v) for k, v in params.items()}
    Xtr, ytr, Xte, yte = mnist_arrays()
    Xtr = (Xtr.astype(np.float32) / 255.0)[:, None]
    Xte = (Xte.astype(np.float32) / 255.0)[:, None]
    model = create_model(args.model, random_state=args.seed, **params)
    load0 = os.getloadavg()[0]
    c0, t0 = time.process_time(), time.perf_counter()
    model.fit(Xtr, ytr)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    acc = float(np.mean(model.predict(Xte) == yte))
    row = {"model": args.model, "params": params, "seed": args.seed, "threads": args.threads,
           "accuracy": acc, "train_wall_s": round(wall, 1), "train_cpu_s": round(cpu, 1),
           "epochs": len(model.history_), "n_params": model.n_params_,
           "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    args.results.parent.mkdir(parents=True, exist_ok=True)
    with open(args.results, "a") as fh:
        fh.write(json.dumps(row) + "\n")
    print(json.dumps(row))


def _label(row: dict) -> str:
    inner = ", ".join(f"{k}={v}" for k, v in sorted(row["params"].items()))
    return f"{row['model']}({inner})" if inner else row["model"]


def table(args: argparse.Namespace) -> str:
    rows = [json.loads(line) for line in args.results.read_text().splitlines() if line.strip()]
    groups: dict[tuple[str, int], list[dict]] = {}
    for r in rows:
        groups.setdefault((_label(r), r["threads"]), []).append(r)
    out = ["| model | threads | seeds | test accuracy per seed | mean | train s per seed (wall) | train s per seed "
           "(process CPU) | time counted | 1-min load | target | met |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (label, threads), rs in groups.items():
        rs = sorted(rs, key=lambda r: r["seed"])
        mean = float(np.mean([r["accuracy"] for r in rs]))
        # one thread: CPU time = time on an idle core; more threads: the wall time (measured on an idle machine)
        counted = [r["train_cpu_s"] if threads == 1 else r["train_wall_s"] for r in rs]
        floor, ceiling, ref = TARGETS.get(rs[0]["model"], (None, None, ""))
        met = "-"
        if floor is not None and len(rs) >= 3:
            met = "yes" if mean >= floor and max(counted) <= ceiling else "NO"
        target = f">= {floor} in <= {ceiling} s ({ref})" if floor is not None else "-"
        accs = ", ".join(format(r["accuracy"], ".4f") for r in rs)
        walls = ", ".join(format(r["train_wall_s"], ".0f") for r in rs)
        cpus = ", ".join(format(r["train_cpu_s"], ".0f") for r in rs)
        kind = "CPU" if threads == 1 else "wall"
        seen = [x for r in rs for x in (r["load_before"], r["load_after"])]
        out.append(f"| {label} | {threads} | {len(rs)} | {accs} | {mean:.4f} | {walls} | {cpus} | "
                   f"max {max(counted):.0f} s ({kind}) | {min(seen):.1f}-{max(seen):.1f} | {target} | {met} |")
    text = "\n".join(out) + (
        "\n\n1-min load: the 1-minute load averages at the start and end of the runs. One-thread "
        "runs count the process CPU time of `fit` (the time the training takes on an otherwise idle core; other "
        "jobs shared the machine), several-thread runs the wall time of `fit`.\n")
    print(text)
    return text


def run_all(args: argparse.Namespace) -> None:
    """The protocol of the issue, each run a subprocess of this script (see the module docstring)."""
    me = [sys.executable, str(Path(__file__).resolve()), "run"]
    tail = ["--results", str(args.results)]
    queue = [[*me, "modern-cnn", str(seed), "--threads", "1", *tail] for seed in (0, 1, 2)]
    running: list[subprocess.Popen] = []
    while queue or running:
        while queue and len(running) < 2:
            running.append(subprocess.Popen(queue.pop(0), cwd=ROOT))
        running[0].wait()
        if running[0].returncode != 0:
            sys.exit(f"{running[0].args} failed")
        running.pop(0)
    for model in ("seed-cnn", "lenet5"):
        for seed in (0, 1, 2):
            subprocess.run([*me, model, str(seed), "--threads", "2", *tail], cwd=ROOT, check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("model")
    r.add_argument("seed", type=int)
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE")
    r.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    for name in ("table", "all"):
        t = sub.add_parser(name)
        t.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
        t.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    if args.cmd == "run":
        run(args)
    else:
        if args.cmd == "all":
            run_all(args)
        text = table(args)
        if args.write:
            update_section("mnist-records", "MNIST records: modern-cnn, seed-cnn, lenet5 (issue 16)", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
