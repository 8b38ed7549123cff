"""Time the HTML + Markdown report and measure its size, for synthetic runs of 20, 100 and 1,000 trials on
digits (real store, real dataset reload, simulated predictions) and optionally for real runs.

Usage:  python benchmarks/report.py [--sizes 20,100,1000] [--db DIR ...] [--repeat 1]

Prints a markdown table. Each report is written in a fresh Python process, so the seconds include importing
matplotlib and reloading the dataset, as `classbench report` pays them. On a shared machine wall time is
pessimistic: cpu_s is the time the report process spent on a CPU. Targets: 20 trials <= 10 s, HTML <= 5 MB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
t0, c0 = time.perf_counter(), time.process_time()
from classbench.bench.store import Store
from classbench.report import write_report
store = Store(sys.argv[1], create=False)
run_id = sys.argv[2] if len(sys.argv) > 2 else store.latest_run()
path = write_report(store, run_id)
n = len(store.trials(run_id))
files = list((path.parent / (path.stem + "_files")).glob("*.png")) + [path.with_suffix(".md")]
print(json.dumps({"trials": n, "seconds": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                  "html_bytes": path.stat().st_size, "md_bytes": sum(f.stat().st_size for f in files),
                  "n_png": len(files) - 1, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

SHAPES = {20: (10, 2), 100: (50, 2), 1000: (100, 10)}  # trials -> (models, seeds)


def report_in_child(db: Path, run_id: str | None = None) -> dict:
    args = [sys.executable, "-c", CHILD, str(db)] + ([run_id] if run_id else [])
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="20,100,1000", help="synthetic run sizes (trials): any of 20, 100, 1000")
    ap.add_argument("--db", action="append", default=[], help="also report on the latest run in this --out folder")
    ap.add_argument("--repeat", type=int, default=1, help="reports per case (the median is shown, and the range)")
    ap.add_argument("--write", action="store_true", help="also write the table as the `report` section of BENCHMARKS.md")
    args = ap.parse_args()
    from classbench.report.synthetic import make_run

    cases = []
    with tempfile.TemporaryDirectory(prefix="classbench-report-bench-") as tmp:
        for size in [int(s) for s in args.sizes.split(",") if s]:
            models, seeds = SHAPES.get(size, (max(1, size // 2), 2))
            folder = Path(tmp) / f"synthetic-{size}"
            store, _ = make_run(folder, n_models=models, n_seeds=seeds, n_failed=max(1, size // 50))
            store.close()
            cases.append((f"synthetic, {models} models x {seeds} seeds", folder))
        cases += [(f"real run in {d}", Path(d)) for d in args.db]
        lines = ["| run | trials | seconds (median) | range | cpu_s | HTML bytes | md + PNG bytes | PNGs | peak MB |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        print("\n".join(lines))
        met = []
        for name, folder in cases:
            runs = sorted((report_in_child(folder) for _ in range(max(1, args.repeat))), key=lambda r: r["seconds"])
            mid = runs[len(runs) // 2]
            lines.append(f"| {name} | {mid['trials']:,} | {mid['seconds']:.1f} | {runs[0]['seconds']:.1f}–"
                         f"{runs[-1]['seconds']:.1f} | {mid['cpu_s']:.1f} | {mid['html_bytes']:,} | "
                         f"{mid['md_bytes']:,} | {mid['n_png']} | {mid['peak_mb']:.0f} |")
            print(lines[-1], flush=True)
            if mid["trials"] == 20:
                met.append(f"20-trial report: {mid['seconds']:.1f} s (median of {len(runs)}; target ≤ 10 s: "
                           f"{'met' if runs[-1]['seconds'] <= 10 else 'NOT met'} by every repeat).")
            met.append(f"{name}: HTML {mid['html_bytes'] / 1e6:.2f} MB (target ≤ 5 MB: "
                       f"{'met' if mid['html_bytes'] <= 5e6 else 'NOT met'}).")
    if args.write:
        sys.path.insert(0, str(Path(__file__).parent))
        from _md import update_section

        intro = ("Each report is written in a fresh process (imports of matplotlib and the dataset reload "
                 "included, as `classbench report` pays them); synthetic runs on digits with real store rows.")
        update_section("report", "Reports (issue 6)", intro + "\n\n" + "\n".join(lines) + "\n\n" + "\n".join(met))


if __name__ == "__main__":
    main()
