"""Yale faces benchmark: run the face suites through the public API and print one markdown table.

    CLASSBENCH_DATA=../shared/datasets python benchmarks/faces.py                  # faces, faces-cnn, faces-seed
    python benchmarks/faces.py --suites faces --workers 2 --data-dir DIR --out /tmp/faces-bench

Each suite runs exactly as ``classbench run SUITE`` would (same runner, same result store); this
script only times the runs, gathers the leaderboards and checks them against the targets of the
issue (leave-one-out >= 0.98 for the best model, fisherfaces >= 0.95, eigenfaces >= 0.80, the best
CNN >= 0.90 on 5 stratified 8/3 splits, the whole `faces` suite within 10 minutes).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGETS: list[tuple[str, str, str, float]] = [
    # (suite, model prefix or "*" for the best row, what, minimum mean accuracy)
    ("faces", "*", "best model, leave-one-out", 0.98),
    ("faces", "fisherfaces", "fisherfaces, leave-one-out", 0.95),
    ("faces", "eigenfaces", "eigenfaces (best setting), leave-one-out", 0.80),
    ("faces-cnn", "*cnn", "best CNN, 8/3 splits x 5 seeds", 0.90),
]
MAX_FACES_SECONDS = 600.0


def run(suite: str, out: Path, workers: int, data_dir: str | None) -> tuple[list[dict[str, Any]], float]:
    import classbench

    t0 = time.perf_counter()
    result = classbench.run_suite(suite, out=str(out), workers=workers, data_dir=data_dir, progress=False)
    if result.interrupted:
        raise SystemExit(f"{suite}: interrupted; finish it with `classbench run --resume {result.run_id} --out {out}`")
    return result.rows, time.perf_counter() - t0


def pm(mean: float | None, std: float | None, digits: int = 4) -> str:
    if mean is None:
        return "-"
    return f"{mean:.{digits}f}" + (f" ± {std:.{digits}f}" if std is not None else "")


def table(results: dict[str, tuple[list[dict[str, Any]], float]]) -> str:
    lines = ["| suite | protocol | model | accuracy (mean ± std) | train s / trial | trials | suite wall s |",
             "|---|---|---|---|---|---|---|"]
    for suite, (rows, wall) in results.items():
        for r in rows:
            status = "" if r["status"] == "ok" else f" [{r['status']}: {r['n_failed']} failed]"
            lines.append(f"| {suite} | {r['protocol']} | {r['model']}{status} | {pm(r['accuracy'], r['accuracy_std'])} "
                         f"| {pm(r['train_s'], None, 2)} | {r['n_trials']} | {wall:.0f} |")
    return "\n".join(lines)


def check(results: dict[str, tuple[list[dict[str, Any]], float]]) -> list[str]:
    out = []
    for suite, prefix, what, minimum in TARGETS:
        if suite not in results:
            continue
        rows = [r for r in results[suite][0] if r["accuracy"] is not None]
        if prefix == "*cnn":
            rows = [r for r in rows if "cnn" in r["model"]]
        elif prefix != "*":
            rows = [r for r in rows if r["model"].startswith(prefix)]
        best = max(rows, key=lambda r: r["accuracy"], default=None)
        got = best["accuracy"] if best else None
        ok = got is not None and got >= minimum
        out.append(f"- {'PASS' if ok else 'FAIL'}: {what} >= {minimum:.2f}: "
                   f"{'-' if got is None else f'{got:.4f}'} ({best['model'] if best else 'no result'})")
    if "faces" in results:
        wall = results["faces"][1]
        out.append(f"- {'PASS' if wall <= MAX_FACES_SECONDS else 'FAIL'}: whole `faces` suite <= "
                   f"{MAX_FACES_SECONDS:.0f} s: {wall:.0f} s")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--suites", nargs="+", default=["faces", "faces-cnn", "faces-seed"])
    p.add_argument("--workers", type=int, default=2, help="trials in parallel (default 2: one per core)")
    p.add_argument("--data-dir", default=None, help="folder holding yalefaces/ (default: CLASSBENCH_DATA)")
    p.add_argument("--out", default=None, help="results folder (default: a temporary folder)")
    args = p.parse_args(argv)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="classbench-faces-"))
    results = {}
    for suite in args.suites:
        print(f"running {suite} ...", file=sys.stderr, flush=True)
        results[suite] = run(suite, out, args.workers, args.data_dir)
        print(f"  {suite}: {results[suite][1]:.0f} s", file=sys.stderr, flush=True)
    print(f"### Yale faces ({os.cpu_count()} CPUs, {args.workers} workers, {platform.processor() or platform.machine()})\n")
    print(table(results))
    print()
    print("\n".join(check(results)))
    print(f"\nResults database: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
