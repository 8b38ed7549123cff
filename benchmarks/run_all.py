"""Run every benchmark script, one after another (`make bench`; well over an hour on 2 cores).

Usage: CLASSBENCH_DATA=/path/to/datasets .venv/bin/python benchmarks/run_all.py [--only NAME,...]

Each script that has a BENCHMARKS.md section writes it itself (between its ``<!-- section:NAME -->``
markers). ``faces`` and ``scratch_linear`` print their tables instead; their sections are edited by hand
from that output. Run on an otherwise idle machine: timings shared with other jobs are not comparable.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = Path(tempfile.gettempdir()) / "classbench-bench"

# (name, arguments): the commands that BENCHMARKS.md names for each section
STEPS = [
    ("scale", ["scale.py"]),
    ("report", ["report.py", "--repeat", "3", "--write"]),
    ("predict", ["predict.py"]),
    ("seed", ["seed.py", "--tradeoff"]),
    ("mnist-records", ["mnist_records.py", "all", "--write", "--results", str(RESULTS / "mnist-records.jsonl")]),
    ("scratch-nets", ["scratch_nets.py", "--write", "--results", str(RESULTS / "scratch.jsonl")]),
    ("scratch-nets-text", ["scratch_nets.py", "--only", "lstm,gru", "--write", "--results",
                           str(RESULTS / "scratch-text.jsonl")]),
    ("imdb", ["imdb.py", "--write", "--results", str(RESULTS / "imdb.jsonl")]),
    ("faces", ["faces.py"]),
    ("scratch-linear", ["scratch_linear.py"]),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(n for n, _ in STEPS)}")
    args = ap.parse_args()
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    unknown = only - {n for n, _ in STEPS}
    if unknown:
        sys.exit(f"--only: no benchmark named {', '.join(sorted(unknown))}; choose from "
                 f"{', '.join(n for n, _ in STEPS)}")
    if not os.environ.get("CLASSBENCH_DATA"):
        sys.exit("set CLASSBENCH_DATA to the folder holding mnist/, yalefaces/ and imdb/ "
                 "(e.g. CLASSBENCH_DATA=../shared/datasets make bench)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name, argv in STEPS:
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        print(f"== {name}: {' '.join(argv)}", flush=True)
        r = subprocess.run([sys.executable, str(HERE / argv[0]), *argv[1:]], cwd=HERE.parent)
        print(f"== {name}: {'done' if r.returncode == 0 else f'FAILED (exit {r.returncode})'} in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        if r.returncode != 0:
            return r.returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
