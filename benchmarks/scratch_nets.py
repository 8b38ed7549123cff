"""Scratch neural nets (NumPy engine) next to their torch twins on real MNIST; prints a markdown table.

    CLASSBENCH_DATA=/path/to/datasets python benchmarks/scratch_nets.py [--threads 2] [--rounds 3]
        [--only lenet5,mlp,mlp-squared,seed-cnn,lstm,gru] [--seed 0] [--results FILE] [--table] [--write [--keep]]

CLASSBENCH_DATA is the folder holding ``mnist/`` with the four IDX .gz files (parsed here with gzip and
NumPy), and ``imdb/`` for the text cases (``lstm``, ``gru``: 6,250 seeded training reviews, 20% of them
held out for validation as the models' default, and 5,000 seeded test reviews, the same for both twins). Every run is a fresh subprocess with ``CLASSBENCH_THREADS=--threads`` (BLAS threads for the
scratch side, and scratch-lenet5's two half-batch threads; torch threads for the other), so its peak RSS is its own. Both twins get the same settings
(the registry defaults unless ``--set``), the same data and the same seed.

Speed on a shared CPU: the per-epoch time is measured by ``--rounds`` rounds of one-epoch runs that
alternate scratch and torch (so a busy spell slows both), and the ratio of the medians is reported; the
full runs' own per-epoch times are reported too, with the 1-minute load average around the timing runs.
Targets: scratch-lenet5 test accuracy >= 0.988 and within 0.1 point of torch lenet5's, its seconds per
epoch <= 2x torch lenet5's, peak RSS <= 2 GiB; scratch-mlp within 0.3 points of torch mlp with the same
settings, for both losses. Results are appended to ``--results`` (JSON lines) as they
come, so ``--table`` can print the table of a run that was interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _mnist import find_mnist, mnist_arrays  # noqa: E402

#: key -> (registry name of the torch twin, extra settings for both twins)
CASES = {"lenet5": ("lenet5", {}), "mlp": ("mlp", {}), "mlp-squared": ("mlp", {"loss": "squared"}),
         "seed-cnn": ("seed-cnn", {}), "lstm": ("lstm", {}), "gru": ("gru", {})}
TARGETS = {"lenet5": "acc >= 0.988 and within 0.1 point, s/epoch <= 2x, peak <= 2 GiB", "mlp": "within 0.3 points",
           "mlp-squared": "within 0.3 points"}
#: the text cases run on IMDB: both twins get the same seeded N training reviews (the scratch net uses all
#: of them: max_train_samples=None) and are scored on the same seeded N test reviews
IMDB = {"n_train": 6250, "n_test": 5000}




def load_mnist() -> tuple[np.ndarray, ...]:
    Xtr, ytr, Xte, yte = mnist_arrays()
    return Xtr[:, None] / np.float32(255), ytr, Xte[:, None] / np.float32(255), yte


def job(spec: dict) -> dict:
    """Inside the subprocess: fit one model, measure, return a result row."""
    from classbench.models import create_model

    if spec["case"] in ("lstm", "gru"):
        from classbench import load_dataset

        ds = load_dataset("imdb", **IMDB)
        X, y, Xt, yt = ds.X_train, ds.y_train, ds.X_test, ds.y_test
    else:
        X, y, Xt, yt = load_mnist()
    params = dict(spec["params"])
    if spec["model"] in ("scratch-lstm", "scratch-gru"):
        params["max_train_samples"] = None
    model = create_model(spec["model"], random_state=spec["seed"], **params)
    load0 = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(X, y)
    fit_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    acc = None if spec.get("no_eval") else float(np.mean(model.predict(Xt) == yt))
    epochs = [r["seconds"] for r in model.history_]
    return {**spec, "test_acc": acc, "fit_s": fit_s, "cpu_s": cpu_s, "epoch_s": epochs,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "n_params": model.n_params_,
            "train_acc": model.history_[-1]["accuracy"], "load1": [load0, os.getloadavg()[0]]}


def parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def spawn(spec: dict, threads: int) -> dict:
    env = {**os.environ, "CLASSBENCH_THREADS": str(threads)}
    out = subprocess.run([sys.executable, __file__, "--job", json.dumps(spec)], env=env, capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise SystemExit(f"job {spec} failed:\n{out.stderr[-3000:]}")
    row = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps({k: v for k, v in row.items() if k != "params"}), flush=True)
    return row


KEPT = "Kept from an earlier run of this section"
TABLE_HEAD = ["| case | threads | seed | model | test acc | s/epoch (full run, median) | s/epoch (alternating 1-epoch "
              "runs, median) | scratch / torch | peak RSS MB | params | target | met |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]


def table(rows: list[dict]) -> str:
    lines = list(TABLE_HEAD)
    for key, threads, seed in dict.fromkeys((r["case"], r["threads"], r["seed"]) for r in rows):
        mine = [r for r in rows if (r["case"], r["threads"], r["seed"]) == (key, threads, seed)]
        full = {r["model"]: r for r in mine if r["kind"] == "full"}
        timing: dict[str, list[float]] = {}
        for r in mine:
            if r["kind"] == "timing":
                timing.setdefault(r["model"], []).append(r["epoch_s"][0])
        names = sorted(set(full) | set(timing), key=lambda m: not m.startswith("scratch"))
        med = {m: statistics.median(timing[m]) for m in timing}
        fmed = {m: statistics.median(full[m]["epoch_s"]) for m in full}
        scratch = next((m for m in names if m.startswith("scratch")), None)
        torch_name = next((m for m in names if not m.startswith("scratch")), None)
        ratio = (med[scratch] / med[torch_name] if scratch in med and torch_name in med
                 else fmed[scratch] / fmed[torch_name] if scratch in fmed and torch_name in fmed else None)
        met = ""
        if scratch in full and torch_name in full:
            a, b = full[scratch]["test_acc"], full[torch_name]["test_acc"]
            if key == "lenet5":
                met = str(a >= 0.988 and a >= b - 0.001 and ratio is not None and ratio <= 2
                          and full[scratch]["peak_mb"] <= 2048)
            elif key.startswith("mlp"):
                met = str(abs(a - b) <= 0.003)
        for m in names:
            f = full.get(m, {})
            lines.append(f"| {key} | {threads} | {seed} | {m} | " + (f"{f['test_acc']:.4f} |" if f else "- |"))
            lines[-1] += (f" {fmed[m]:.1f} |" if m in fmed else " - |") + (
                f" {med[m]:.1f} (n={len(timing[m])}) |" if m in med else " - |")
            lines[-1] += (f" {ratio:.2f} |" if ratio is not None and m == scratch else " |")
            lines[-1] += (f" {f['peak_mb']:.0f} | {f['n_params']:,} |" if f else " - | - |")
            lines[-1] += (f" {TARGETS.get(key, '')} | {met} |" if m == scratch else " | |")
    loads = [x for r in rows if r["kind"] == "timing" for x in r.get("load1", [])]
    if loads:
        lines.append(f"\n1-minute load average at the start and end of the timing runs: {min(loads):.1f} to "
                     f"{max(loads):.1f} (2 cores shared with other work; both sides of a ratio ran under it).")
    return "\n".join(lines)


def kept_rows(section: str, measured: set[str]) -> str:
    """The rows of the cases that this run did not measure, taken from the current BENCHMARKS.md section
    ``section`` with the command and machine lines that produced them; "" when there are none."""
    from _md import BENCHMARKS

    m = re.search(rf"<!-- section:{re.escape(section)} -->(.*?)<!-- /section:{re.escape(section)} -->",
                  BENCHMARKS.read_text() if BENCHMARKS.exists() else "", re.S)
    if not m:
        return ""
    main_part, _, older = m.group(1).partition(KEPT)

    def rows_of(text: str) -> list[str]:
        return [ln for ln in text.splitlines() if ln.startswith("| ") and not ln.startswith("| case")
                and ln.split("|")[1].strip() not in measured]

    def block(text: str) -> str:  # its command and machine, the kept rows, its load-average line
        how = [ln.strip() for ln in text.splitlines() if ln.startswith(("Command:", "Machine:"))]
        load = [ln.strip() for ln in text.splitlines() if ln.startswith("1-minute load")]
        return "\n".join([*how, "", *TABLE_HEAD, *rows_of(text), *([""] + load if load else [])])

    # what the previous section had itself kept keeps its own command lines
    blocks = [block(text) for text in (main_part, older) if text and rows_of(text)]
    return "".join(f"\n\n{KEPT} (not re-measured by the command above):\n\n{b}" for b in blocks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--job", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="alternating one-epoch timing rounds per case")
    ap.add_argument("--only", default="lenet5,mlp,mlp-squared", help=f"cases among {', '.join(CASES)}")
    ap.add_argument("--set", action="append", default=[], metavar="CASE.PARAM=VALUE", help="override for both twins")
    ap.add_argument("--no-full", dest="full", action="store_false", help="timing rounds only (no full runs)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--results", type=Path, default=Path("benchmarks/scratch-nets-results.jsonl"))
    ap.add_argument("--table", action="store_true", help="only print the table of --results")
    ap.add_argument("--merge", type=Path, nargs="*", default=[], help="more result files to put in the table")
    ap.add_argument("--write", action="store_true", help="also write the table into BENCHMARKS.md")
    ap.add_argument("--keep", action="store_true",
                    help="with --write: keep the section's rows of the cases this run did not measure (marked as kept)")
    ap.add_argument("--section", default=None,
                    help="BENCHMARKS.md section (default: scratch-nets, or scratch-nets-text when only lstm/gru ran)")
    args = ap.parse_args()
    if args.job:
        print(json.dumps(job(json.loads(args.job))))
        return
    if not args.table:
        find_mnist()
        args.results.unlink(missing_ok=True)
        for key in args.only.split(","):
            twin, params = CASES[key]
            params = dict(params)
            for item in args.set:
                target, _, value = item.partition("=")
                case, _, name = target.rpartition(".")
                if case in (key, ""):
                    params[name] = parse_value(value)
            base = {"case": key, "seed": args.seed, "params": params, "threads": args.threads}
            runs = []
            for _ in range(args.rounds if key not in ("lstm", "gru") else 0):  # alternate: a busy spell of the shared CPU slows both sides alike
                for name in (f"scratch-{twin}", twin):
                    runs.append({**base, "model": name, "kind": "timing", "no_eval": True,
                                 "params": {**params, "epochs": 1}})
            if args.full:
                runs += [{**base, "model": name, "kind": "full"} for name in (f"scratch-{twin}", twin)]
            for spec in runs:
                row = spawn(spec, args.threads)
                with args.results.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
    rows = [json.loads(line) for path in [args.results, *args.merge] for line in path.read_text().splitlines()
            if line.strip()]
    body = table(rows)
    print(body)
    if args.write:
        sys.path.insert(0, str(Path(__file__).parent))
        from _md import update_section

        text_only = {r["case"] for r in rows} <= {"lstm", "gru"}
        section = args.section or ("scratch-nets-text" if text_only else "scratch-nets")
        title = ("Scratch recurrent nets vs their torch twins (IMDB: 6,250 training reviews, 5,000 test reviews)"
                 if text_only else "Scratch neural nets vs their torch twins (MNIST)")
        if args.keep:
            body += kept_rows(section, {r["case"] for r in rows})
        update_section(section, title, body)


if __name__ == "__main__":
    main()
