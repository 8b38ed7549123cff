"""`classbench predict` speed on 1,000 MNIST test images (issue 8; target: <= 3 s including model load, 2 cores).

Usage: CLASSBENCH_DATA=/path/to/datasets .venv/bin/python benchmarks/predict.py [--repeats 5] [--no-write]

1. Trains LeNet-5 for one epoch on the first 10,000 MNIST training images and saves it (``save_model``).
2. Writes the first 1,000 MNIST test images as PNG files.
3. Runs ``classbench predict MODEL PNG_DIR`` (and ``--json``) as a fresh process, pinned to 2 cores with
   CLASSBENCH_THREADS=2, ``--repeats`` times: wall time from process start to exit, i.e. Python start-up,
   imports, model load with checksums, reading the 1,000 PNGs, inference and printing. Also reports the
   accuracy of the printed labels and one in-process breakdown of the phases.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _md import ROOT, update_section  # noqa: E402

EXE = str(ROOT / ".venv" / "bin" / "classbench")
PY = str(ROOT / ".venv" / "bin" / "python")
OUT = ROOT / "benchmarks" / "out" / "predict"

PHASES = r"""
import sys, time, json
t0 = time.perf_counter()
from classbench.predict import expand_inputs, read_images
from classbench.persist import read_meta, load_model
t1 = time.perf_counter()
spec = read_meta(sys.argv[1])["input"]
X = read_images(expand_inputs([sys.argv[2]]), spec)
t2 = time.perf_counter()
saved = load_model(sys.argv[1])
t3 = time.perf_counter()
saved.model.predict_proba(X)
t4 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "read 1,000 PNGs": t2 - t1, "load model (imports torch, checks sha256)": t3 - t2,
                  "inference": t4 - t3}))
"""


def pinned(cmd: list[str]) -> list[str]:
    try:
        os.sched_getaffinity(0)
        return ["taskset", "-c", "0,1", *cmd]
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return cmd


def prepare() -> tuple[Path, Path, list[int]]:
    import numpy as np
    from PIL import Image

    from classbench.datasets import load_dataset
    from classbench.errors import DataError, UserError
    from classbench.models import create_model
    from classbench.persist import read_meta, save_model

    model_dir, png_dir = OUT / "lenet5-mnist", OUT / "png"
    ds = load_dataset("mnist", n_train=10000, n_test=1000)
    labels = [int(v) for v in ds.y_test]
    try:
        read_meta(model_dir)  # a model saved by an older classbench (format or checksum) is trained again
        fresh = False
    except (UserError, DataError):
        fresh = True
    if fresh:
        t0 = time.perf_counter()
        model = create_model("lenet5", epochs=1, random_state=0, device="cpu").fit(ds.X_train, ds.y_train)
        print(f"trained lenet5 (1 epoch, 10,000 images) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        save_model(model, model_dir, dataset=ds, overwrite=True)
    png_dir.mkdir(parents=True, exist_ok=True)
    for i, x in enumerate(ds.X_test):
        path = png_dir / f"{i:04d}.png"
        if not path.exists():
            Image.fromarray(np.round(x[0] * 255).astype(np.uint8), mode="L").save(path)
    return model_dir, png_dir, labels


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds (user + system) of the child, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(pinned(cmd), capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), r.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-write", action="store_true", help="print the table; leave BENCHMARKS.md alone")
    args = ap.parse_args()
    if not os.environ.get("CLASSBENCH_DATA"):
        sys.exit("Set CLASSBENCH_DATA to a folder holding mnist/ (the IDX .gz files).")
    model_dir, png_dir, labels = prepare()
    env = {**os.environ, "CLASSBENCH_THREADS": "2", "OMP_NUM_THREADS": "2"}
    rows = []
    for flag in ([], ["--json"]):
        times, cpus, out = [], [], ""
        for _ in range(args.repeats):
            wall, cpu, out = timed([EXE, "predict", str(model_dir), str(png_dir), *flag], env)
            times.append(wall)
            cpus.append(cpu)
        if flag:
            got = [int(r["label"]) for r in json.loads(out)]
        else:
            got = [int(line.rsplit(": ", 1)[1].split(" ")[0]) for line in out.splitlines()]
        acc = sum(g == t for g, t in zip(got, labels)) / len(labels)
        rows.append((" ".join(["classbench predict MODEL PNG_DIR", *flag]), len(got), statistics.median(times),
                     min(times), statistics.median(cpus), acc))
    floor = [timed([PY, "-c", "import numpy, torch"], env) for _ in range(args.repeats)]
    rows.append(("python -c 'import numpy, torch' (the floor: no classbench at all)", 0,
                 statistics.median(f[0] for f in floor), min(f[0] for f in floor),
                 statistics.median(f[1] for f in floor), None))
    _, _, phases = timed([PY, "-c", PHASES, str(model_dir), str(png_dir)], env)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = ["LeNet-5 trained 1 epoch on 10,000 MNIST images; 1,000 MNIST test images as PNG files; a fresh "
             f"process per call, pinned to 2 cores, CLASSBENCH_THREADS=2; {args.repeats} calls each "
             f"(load average {load:.1f} at the end). Target: <= 3 s.", "",
             "CPU = user + system seconds of the process (roughly its wall time on idle cores, as it runs "
             "mostly on one thread).", "",
             "| command | images | median wall (s) | best wall (s) | median CPU (s) | accuracy |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| `{c}` | {f'{n:,}' if n else ''} | {med:.2f} | {best:.2f} | {cpu:.2f} | {'' if acc is None else f'{acc:.4f}'} |"
              for c, n, med, best, cpu, acc in rows]
    lines += ["", "One in-process breakdown (seconds):", "",
              "| phase | s |", "|---|---:|"]
    lines += [f"| {k} | {v:.2f} |" for k, v in json.loads(phases).items()]
    if args.no_write:
        print("\n".join(lines))
    else:
        update_section("predict", "`classbench predict`: 1,000 MNIST images", "\n".join(lines))


if __name__ == "__main__":
    main()
