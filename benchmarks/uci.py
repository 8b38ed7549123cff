"""The `uci` suite against LazyPredict and decision-tree / random-forest references, on the same folds.

    CLASSBENCH_DATA=../shared/datasets python benchmarks/uci.py --lazypredict-python LPVENV/bin/python
    python benchmarks/uci.py --workers 2 --out uci-bench-out --skip-lazypredict      # classbench side only

classbench side: ``classbench.run_suite("uci", workers=2)``, exactly what ``classbench run uci --workers 2``
does, timed from the call to its return. Per dataset, the best model by mean 10-fold accuracy.

The other side runs in LazyPredict's own virtualenv (it is never a classbench dependency; make it with
``python3 -m venv LPVENV && LPVENV/bin/pip install lazypredict lightgbm``) on the SAME folds: this script
writes each table (raw values, categories as names, missing as null) and classbench's fold indices (seed 0:
stratified 10-fold over all rows; segment: its fixed split) to JSON, and ``_uci_lazypredict.py`` runs
``LazyClassifier`` on every fold, plus two references on the same folds: scikit-learn's
DecisionTreeClassifier(criterion="entropy", min_samples_leaf=2) and RandomForestClassifier(100 trees), as
stand-ins for Weka's J48 and RandomForest (we found no published Weka figures for these exact files and
folds; they are labelled as stand-ins in the table). It runs two processes (datasets split between them),
the same two cores classbench's two workers get.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent


def classbench_side(out: Path, workers: int) -> tuple[dict[str, dict[str, Any]], float, list[dict[str, Any]]]:
    import classbench as cb

    t0 = time.perf_counter()
    result = cb.run_suite("uci", out=str(out), workers=workers, progress=False)
    wall = time.perf_counter() - t0
    if result.interrupted:
        raise SystemExit(f"uci: interrupted; finish it with `classbench run --resume {result.run_id} --out {out}`")
    best: dict[str, dict[str, Any]] = {}
    for r in result.rows:
        if r["accuracy"] is not None and (r["dataset"] not in best or r["accuracy"] > best[r["dataset"]]["accuracy"]):
            best[r["dataset"]] = r
    return best, wall, result.rows


def export_folds(folder: Path) -> list[str]:
    """One JSON per dataset of the suite: raw rows, column kinds, labels and the suite's folds."""
    import classbench as cb
    from classbench.bench.protocols import fold_indices, pooled
    from classbench.config import load_suite

    suite = load_suite("uci")
    names = []
    for d in suite.datasets:
        ds = cb.load_dataset(d.name)
        protocol = suite.protocol_for(d)
        X, y, groups = pooled(ds)
        if protocol.kind == "holdout":
            n = len(ds.y_train)
            folds = [(list(range(n)), list(range(n, len(y))))]
        else:
            folds = [tuple(map(list, map(np.ndarray.tolist, fold_indices(protocol, y, groups, f, 0))))
                     for f in range(protocol.k)]
        cols = ds.meta["columns"]
        rows = []
        for row in X:
            rows.append([None if np.isnan(v) else (c["categories"][int(v)] if c["kind"] == "nominal" else float(v))
                         for v, c in zip(row, cols)])
        (folder / f"{d.name}.json").write_text(json.dumps({
            "name": d.name, "columns": [c["name"] for c in cols], "kinds": [c["kind"] for c in cols],
            "X": rows, "y": [ds.classes[i] for i in y], "folds": folds}))
        names.append(d.name)
    return names


def other_side(python: str, folder: Path, names: list[str], procs: int = 2) -> tuple[dict[str, Any], float, float]:
    """(results per dataset, wall seconds of the whole side, LazyPredict's own share: the slower process's
    sum of LazyClassifier seconds, references left out)."""
    t0 = time.perf_counter()
    jobs = []
    for i in range(procs):
        part = names[i::procs]
        out = folder / f"lazypredict-{i}.json"
        jobs.append((subprocess.Popen([python, str(HERE / "_uci_lazypredict.py"), str(folder), str(out), *part],
                                      env={**os.environ, "OMP_NUM_THREADS": "1"}), out))
    results: dict[str, Any] = {}
    for proc, out in jobs:
        if proc.wait() != 0:
            raise SystemExit(f"the LazyPredict side failed (exit {proc.returncode}); see its output above")
        results.update(json.loads(out.read_text()))
    wall = time.perf_counter() - t0
    lp = max(sum(results[n]["lazypredict_s"] for n in names[i::procs]) for i in range(procs))
    return results, wall, lp


def table(best: dict[str, dict[str, Any]], others: dict[str, Any]) -> tuple[str, int, int]:
    lines = ["| dataset | classbench best (10-fold acc.) | LazyPredict best (same folds) | DecisionTree (J48 stand-in) "
             "| RandomForest (Weka RF stand-in) | classbench >= best other |",
             "|---|---|---|---|---|---|"]
    wins = total = 0
    for name, r in best.items():
        o = others.get(name)
        if o is None:
            lines.append(f"| {name} | {r['model']} {r['accuracy']:.4f} | - | - | - | - |")
            continue
        lp_model, lp_acc = o["lazypredict_best"]
        best_other = max(lp_acc, o["tree"], o["forest"])
        ok = r["accuracy"] >= best_other - 1e-9
        wins += ok
        total += 1
        lines.append(f"| {name} | {r['model']} {r['accuracy']:.4f} | {lp_model} {lp_acc:.4f} | {o['tree']:.4f} "
                     f"| {o['forest']:.4f} | {'yes' if ok else 'no'} ({r['accuracy'] - best_other:+.4f}) |")
    return "\n".join(lines), wins, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=None, help="results folder for the classbench run (default: a temp folder)")
    ap.add_argument("--lazypredict-python", default=os.environ.get("LAZYPREDICT_PYTHON"),
                    help="the python of LazyPredict's own virtualenv (or set LAZYPREDICT_PYTHON)")
    ap.add_argument("--skip-lazypredict", action="store_true")
    ap.add_argument("--reuse-lazypredict", metavar="FOLDER", default=None,
                    help="take the LazyPredict side from an earlier run's OUT/folds (same folds: they are "
                         "deterministic) instead of running it again")
    ap.add_argument("--no-write", action="store_true", help="print, do not update BENCHMARKS.md")
    args = ap.parse_args()
    if not os.environ.get("CLASSBENCH_DATA"):
        raise SystemExit("set CLASSBENCH_DATA to the folder holding weka-arff/ (e.g. ../shared/datasets)")
    if not (args.skip_lazypredict or args.reuse_lazypredict or args.lazypredict_python):
        raise SystemExit("pass --lazypredict-python LPVENV/bin/python (a virtualenv with lazypredict and lightgbm), "
                         "or --skip-lazypredict")
    out = Path(args.out or tempfile.mkdtemp(prefix="uci-bench-"))
    best, wall, rows = classbench_side(out, args.workers)
    print(f"classbench uci suite: {wall:.0f} s", flush=True)
    others: dict[str, Any] = {}
    other_wall = lp_wall = None
    if args.reuse_lazypredict:
        from classbench.config import load_suite

        names = [d.name for d in load_suite("uci").datasets]
        for f in sorted(Path(args.reuse_lazypredict).glob("lazypredict-*.json")):
            others.update(json.loads(f.read_text()))
        lp_wall = max(sum(others[n]["lazypredict_s"] for n in names[i::2] if n in others) for i in range(2))
        other_wall = lp_wall + max(sum(others[n]["references_s"] for n in names[i::2] if n in others)
                                   for i in range(2))
    elif not args.skip_lazypredict:
        folder = out / "folds"
        folder.mkdir(parents=True, exist_ok=True)
        others, other_wall, lp_wall = other_side(args.lazypredict_python, folder, export_folds(folder))
    body, wins, total = table(best, others)
    from classbench.bench.ranking import format_ranks

    n_trials = sum(r["n_trials"] for r in rows)
    text = (f"{body}\n\nclassbench's best matches or beats the best of LazyPredict and both references on "
            f"{wins} of {total} datasets. Time: classbench `uci` suite ({n_trials} trials, --workers "
            f"{args.workers}) {wall:.0f} s" + (f"; LazyPredict's LazyClassifier on the same folds (2 processes) "
                                                 f"{lp_wall:.0f} s ({other_wall:.0f} s with the two references"
                                                 f"{', summed from the reused run' if args.reuse_lazypredict else ''})."
                                                 if other_wall else ".")
            + "\n\nMean rank of each classbench model over the datasets:\n\n```\n" + format_ranks(rows) + "\n```")
    if args.no_write:
        print(text)
        return
    sys.path.insert(0, str(HERE))
    from _md import update_section

    update_section("uci", "UCI tables: the `uci` suite vs LazyPredict (issue 15)", text)


if __name__ == "__main__":
    main()
