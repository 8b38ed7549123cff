"""Tuning (issue 14): default against tuned test accuracy with the same budget, budgets kept, pruning, parallelism.

Usage: flock .bench.lock env CLASSBENCH_DATA=../shared/datasets \\
       .venv/bin/python benchmarks/tuning.py [--trials N] [--only digits,table,budget,workers,faces,mnist]

Parts (each one `classbench run ... --tune` command; numbers read back from its results database and
its Optuna storage):

- digits: logreg, linear-svm, rbf-svm, random-forest, mlp and lenet5 on the embedded 8x8 digits, every
  model with the same budget (--tune N, inner holdout of 20% of the training rows): default and tuned test
  accuracy, candidates, how many the pruner stopped, seconds per study;
- table: the same (lenet5 aside: images only) on one real table, Weka's diabetes.arff (`pima-diabetes`);
- faces: Yale faces, stratified 8 train / 3 test images per subject, 3 seeds (one study per split);
- budget: mlp and rbf-svm on digits with --tune-timeout 60 and no trial limit: the study's own clock
  against its 60 s (overrun allowed: 10%);
- workers: rbf-svm on digits, 16 trials of the random sampler, with --workers 1, --workers 2 and --executor ray --workers 2:
  tuning seconds and speed-up, and whether the chosen parameters agree;
- mnist: mlp on MNIST, 20 trials with the median pruner: whole command against 15 minutes (only when the
  load average is under 1.5, else reported as not measured).

`--only assemble` measures nothing and rewrites the section from the parts already measured.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _md import ROOT, command, update_section  # noqa: E402

EXE = str(ROOT / ".venv" / "bin" / "classbench")
OUT = ROOT / "benchmarks" / "out" / "tuning"
MODELS = ("logreg", "linear-svm", "rbf-svm", "random-forest", "mlp", "lenet5")


def run(out: Path, *args: str, limit: float | None = None) -> float | None:
    """Run one command into ``out`` (emptied first); its wall time, or None when it passed ``limit`` seconds
    (then it is stopped, workers included)."""
    import shutil
    import signal

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    p = subprocess.Popen([EXE, "run", *args, "--out", str(out), "--no-report", "--quiet"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True)
    try:
        _, err = p.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return None
    if p.returncode != 0:
        sys.exit(f"classbench run {' '.join(args)} failed:\n{err[-3000:]}")
    return time.perf_counter() - t0


def rows(out: Path) -> list[dict]:
    db = sqlite3.connect(out / "classbench.db")
    db.row_factory = sqlite3.Row
    return [dict(r) for r in db.execute("SELECT * FROM trials ORDER BY seq")]


def compare(out: Path) -> list[dict]:
    """Per (dataset, model): default and tuned mean test accuracy and the tuning records."""
    by: dict[tuple[str, str], dict] = {}
    for t in rows(out):
        spec = json.loads(t["spec_json"])
        d = by.setdefault((t["dataset"], t["model"]), {"default": [], "tuned": [], "info": []})
        if spec.get("tuned"):
            d["tuned"].append(t["accuracy"])
            d["info"].append(spec["tuned"])
        else:
            d["default"].append(t["accuracy"])
    out_rows = []
    for (dataset, model), d in by.items():
        mean = lambda v: None if not v or None in v else sum(v) / len(v)  # noqa: E731
        infos = d["info"]
        out_rows.append({"dataset": dataset, "model": model, "default": mean(d["default"]),
                         "tuned": mean(d["tuned"]), "studies": len(infos),
                         "candidates": sum(i["n_candidates"] for i in infos),
                         "pruned": sum(i["n_pruned"] for i in infos), "failed": sum(i["n_failed"] for i in infos),
                         "tune_s": sum(i["tune_s"] for i in infos) / max(1, len(infos)),
                         "params": [i["params"] for i in infos]})
    return out_rows


def fmt_params(p: dict | None) -> str:
    if not p:
        return "-"
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(p.items()))


def table(rs: list[dict], params: bool = True) -> str:
    head = "| dataset | model | default | tuned | gain | studies | candidates | pruned | failed | s per study |"
    head += " chosen (first study) |" if params else ""
    lines = [head, "|" + "|".join("---" for _ in head.split("|")[1:-1]) + "|"]
    for r in rs:
        gain = "-" if r["default"] is None or r["tuned"] is None else f"{r['tuned'] - r['default']:+.4f}"
        cells = [r["dataset"], r["model"], f"{r['default']:.4f}" if r["default"] is not None else "-",
                 f"{r['tuned']:.4f}" if r["tuned"] is not None else "-", gain, str(r["studies"]),
                 str(r["candidates"]), str(r["pruned"]), str(r["failed"]), f"{r['tune_s']:.0f}"]
        if params:
            cells.append(fmt_params(r["params"][0] if r["params"] else None))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def study_clocks(out: Path) -> list[tuple[str, float, float]]:
    """(study, elapsed seconds by its own clock, timeout) from the Optuna storage."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = f"sqlite:///{(out / 'tuning.db').resolve()}"
    got = []
    for s in optuna.get_all_study_summaries(url, include_best_trial=False):
        a = s.user_attrs
        got.append((a.get("label", s.study_name), float(a.get("elapsed_s", 0.0)), a["budget"].get("timeout")))
    return got


def part_models(name: str, dataset_args: list[str], models: tuple[str, ...], trials: int) -> str:
    out = OUT / name
    args = [*dataset_args, *sum((["--model", m] for m in models), []), "--tune", str(trials)]
    wall = run(out, *args)
    return (f"`classbench run {' '.join(args)}` ({wall:.0f} s in all)\n\n" + table(compare(out)) + "\n")


def part_budget() -> str:
    out = OUT / "budget"
    args = ["--dataset", "digits", "--model", "mlp", "--model", "rbf-svm", "--tune-timeout", "60"]
    wall = run(out, *args)
    lines = ["| study | budget s | its clock s | overrun |", "|---|---|---|---|"]
    for label, elapsed, timeout in study_clocks(out):
        lines.append(f"| {label} | {timeout:g} | {elapsed:.1f} | {elapsed / timeout - 1:+.1%} |")
    cmp = compare(out)
    extra = ", ".join(f"{r['model']}: {r['candidates']} candidates ({r['pruned']} pruned)" for r in cmp)
    return f"`classbench run {' '.join(args)}` ({wall:.0f} s in all; {extra})\n\n" + "\n".join(lines) + "\n"


def part_workers() -> str:
    # the random sampler proposes candidate k from (seed, k) alone: the same 16 candidates on every executor, so
    # the times compare like for like (TPE's proposals depend on the batch size, and so do fit times)
    base = ["--dataset", "digits", "--model", "rbf-svm", "--tune", "16", "--tune-sampler", "random"]
    lines = ["| executor | command wall s | tuning s (sum of studies) | speed-up (tuning) | chosen params |",
             "|---|---|---|---|---|"]
    ref = None
    for label, extra in (("local, 1 worker", ["--workers", "1"]), ("local, 2 workers", ["--workers", "2"]),
                         ("ray, 2 workers", ["--executor", "ray", "--workers", "2"])):
        out = OUT / ("workers-" + label.replace(", ", "-").replace(" ", ""))
        wall = run(out, *base, *extra)
        cmp = compare(out)
        tune_s = sum(r["tune_s"] for r in cmp)
        ref = ref or tune_s
        chosen = "; ".join(f"{r['model']}: {fmt_params(r['params'][0])}" for r in cmp if r["params"])
        lines.append(f"| {label} | {wall:.0f} | {tune_s:.0f} | {ref / tune_s:.2f}x | {chosen} |")
    return (f"`classbench run {' '.join(base)}` with each executor (random sampler: the same 16 candidates "
            f"on each, so their times compare)\n\n" + "\n".join(lines) + "\n")


def part_mnist(force: bool) -> str:
    load = os.getloadavg()[0]
    if load >= 1.5 and not force:
        return (f"Not measured: the load average was {load:.1f} on {os.cpu_count()} cores (other work running; "
                f"`--force-mnist` measures anyway); "
                f"a 15-minute limit measured on a loaded machine says nothing. Run with `--only mnist` on an idle "
                f"machine.\n")
    out = OUT / "mnist"
    args = ["--dataset", "mnist", "--model", "mlp", "--tune", "20", "--tune-pruner", "median"]
    wall = run(out, *args, limit=16 * 60)
    if wall is None:
        return (f"`classbench run {' '.join(args)}` did NOT finish within 16 minutes (stopped; load average "
                f"{load:.1f} at its start, {os.getloadavg()[0]:.1f} at the stop).\n")
    (r,) = compare(out)
    return (f"`classbench run {' '.join(args)}`: {wall / 60:.1f} min in all (limit 15), study {r['tune_s']:.0f} s, "
            f"{r['pruned']} of {r['candidates']} candidates pruned; test accuracy default {r['default']:.4f}, "
            f"tuned {r['tuned']:.4f}\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--only", default="digits,table,budget,workers,mnist")
    ap.add_argument("--force-mnist", action="store_true")
    a = ap.parse_args()
    parts = a.only.split(",")
    OUT.mkdir(parents=True, exist_ok=True)
    makers = {
        "digits": lambda: "### Embedded digits (1,347 train / 450 test)\n\n" + part_models(
            "digits", ["--dataset", "digits"], MODELS, a.trials),
        "table": lambda: "### A real table: Weka's diabetes.arff (`pima-diabetes`)\n\n" + part_models(
            "table", ["--dataset", "pima-diabetes"], MODELS[:5], a.trials),
        "faces": lambda: "### Yale faces, 8 train / 3 test per subject, 3 splits\n\n" + part_models(
            "faces", ["--dataset", "yalefaces", "--protocol", "split:8", "--seeds", "3"], MODELS, a.trials),
        "budget": lambda: "### Budget in seconds\n\n" + part_budget(),
        "workers": lambda: "### Parallel candidates\n\n" + part_workers(),
        "mnist": lambda: "### mlp on MNIST, 20 trials with pruning\n\n" + part_mnist(a.force_mnist),
    }
    for name in (n for n in parts if n in makers):  # each part keeps its own file: separate --only runs add up
        stamp = f"with a load average of {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at its start"
        text = makers[name]()
        (OUT / f"part-{name}.md").write_text(text.rstrip() + f"\n\nMeasured by `{command()}` {stamp}.\n")
    body = [f"Same budget for every model: {a.trials} candidates unless said otherwise (seeded TPE, inner holdout "
            f"of 20% of the training rows, median pruner for the epoch-trained mlp and lenet5), then the best "
            f"refit on all training rows and tested once; one seed unless said otherwise. The machine (2 cores) "
            f"was shared with other work while this ran, so seconds are pessimistic; each part gives the load it "
            f"ran under. Parts can come from separate `--only` runs; each names its own `classbench` command. "
            f"Reading the gains: one digit of the 450 in the test split is 0.0022, and a 95% interval on an "
            f"accuracy near 0.95 there spans about +-0.02, so gains (or losses) under about 0.02 are noise; the "
            f"run's leaderboard and report test each difference. 'its clock' is the study's own time (asks, "
            f"candidates, tells, worker start-up).\n"]
    for name in makers:
        f = OUT / f"part-{name}.md"
        if f.exists():
            body.append(f.read_text())
    update_section("tuning", "Tuning: default against tuned, same budget (issue 14)", "\n".join(body))

if __name__ == "__main__":
    main()
