"""GPU check (issue 16, item 8): seed-cnn, modern-cnn, lstm and gru on CUDA, in float32 and in bfloat16.

Usage, on a machine with a CUDA GPU and the datasets (one command, about 5-8 minutes on a recent GPU):
  CLASSBENCH_DATA=../shared/datasets .venv/bin/python benchmarks/gpu.py run --results OUT/gpu.jsonl
then, wherever the results file is (it is all the GPU machine needs to send back):
  .venv/bin/python benchmarks/gpu.py table --results OUT/gpu.jsonl --write     (BENCHMARKS.md section "gpu")
A rehearsal of the same code on the CPU, in seconds (small slices, one epoch, no accuracy check):
  CLASSBENCH_DATA=../shared/datasets .venv/bin/python benchmarks/gpu.py run --device cpu --quick

On this project's lent GPU machine (the `device` tool: its python3 has CUDA torch, scikit-learn, SciPy and
pandas; ../shared does not travel, but MNIST's 11 MB and IMDB's 28 MB archive fit its 64 MiB transfer):
  here:  echo /.gpudata/ >> .git/info/exclude && mkdir -p .gpudata && cp -r ../shared/datasets/mnist ../shared/datasets/imdb .gpudata/
  there: run(carry=[".gpudata"], timeout_s=600, command="PYTHONUNBUFFERED=1 PYTHONPATH=src CLASSBENCH_DATA=.gpudata
         python3 benchmarks/gpu.py run --results $OUT/gpu.jsonl")   (split --models over two runs if time is short)
  here:  .venv/bin/python benchmarks/gpu.py table --results <the returned gpu.jsonl> --write

Each model trains once per precision (seed 0) through classbench's own model class (``create_model`` with
``device`` and ``precision``) on the full data: MNIST 60,000 / 10,000 for seed-cnn and modern-cnn with their
defaults, IMDB 25,000 / 25,000 for lstm and gru with the imdb suite's training (``benchmarks/imdb.py``,
``RNN_TRAINING``). A row records the training wall time (CUDA synchronised), the test accuracy, the GPU's
name and its peak memory. The accuracy check: GPU kernels are not bit-for-bit the CPU's and the seeds draw
differently on the GPU, so "the same accuracy as on CPU" means within the spread of seeds of the CPU mean of
3 seeds measured on this project's 2-core machine (``CPU_REFERENCE``, with the BENCHMARKS.md section each
comes from; a CPU figure that changes there must change here too).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _md import ROOT, update_section  # noqa: E402

#: model -> (CPU mean accuracy of seeds 0-2, allowed difference, BENCHMARKS.md section it comes from). The
#: allowed difference is about twice the range of the three CPU seeds (MNIST) or of the two recurrent nets'
#: seeds (IMDB: 0.8932-0.8957 and 0.9032-0.9061).
CPU_REFERENCE = {
    "seed-cnn": (0.9955, 0.0015, "mnist-records (0.9954, 0.9955, 0.9955)"),
    "modern-cnn": (0.9967, 0.0015, "mnist-records (0.9965, 0.9965, 0.9970)"),
    "lstm": (0.8941, 0.008, "imdb (0.8957, 0.8933, 0.8932)"),
    "gru": (0.9049, 0.008, "imdb (0.9032, 0.9061, 0.9052)"),
}
MODELS = tuple(CPU_REFERENCE)
PRECISIONS = ("float32", "bfloat16")
DEFAULT_RESULTS = ROOT / "benchmarks" / "out" / "gpu.jsonl"


def _mnist(quick: bool) -> tuple[np.ndarray, ...]:
    from _mnist import mnist_arrays

    Xtr, ytr, Xte, yte = mnist_arrays()
    if quick:
        Xtr, ytr, Xte, yte = Xtr[:2000], ytr[:2000], Xte[:1000], yte[:1000]
    return (Xtr.astype(np.float32) / 255.0)[:, None], ytr, (Xte.astype(np.float32) / 255.0)[:, None], yte


def _imdb(quick: bool) -> tuple[np.ndarray, ...]:
    from classbench.datasets import DataContext, load_dataset

    ctx = DataContext.from_env(None, download=False)
    ds = load_dataset("imdb", ctx=ctx, **({"n_train": 1000, "n_test": 1000} if quick else {}))
    return ds.X_train, ds.y_train, ds.X_test, ds.y_test


def _params(name: str, quick: bool) -> dict:
    from imdb import RNN_TRAINING

    params = dict(RNN_TRAINING) if name in ("lstm", "gru") else {}
    if quick:
        params["epochs"] = 1
        if name in ("lstm", "gru"):
            params["maxlen"] = 64
    return params


def run(args: argparse.Namespace) -> None:
    import torch

    from classbench.models import create_model

    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("torch sees no CUDA GPU here: run this on a GPU machine, or rehearse with --device cpu --quick.")
    gpu = torch.cuda.get_device_name(0) if args.device == "cuda" else platform.processor() or platform.machine()
    data: dict[str, tuple] = {}
    for name in args.models:
        kind = "imdb" if name in ("lstm", "gru") else "mnist"
        if kind not in data:
            t0 = time.perf_counter()
            data[kind] = _mnist(args.quick) if kind == "mnist" else _imdb(args.quick)
            print(f"{kind}: loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        Xtr, ytr, Xte, yte = data[kind]
        for precision in args.precisions:
            params = _params(name, args.quick)
            model = create_model(name, device=args.device, precision=precision, random_state=args.seed, **params)
            if args.device == "cuda":
                torch.cuda.reset_peak_memory_stats()
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            model.fit(Xtr, ytr)
            if args.device == "cuda":
                torch.cuda.synchronize()
            train_s = time.perf_counter() - t0
            acc = float(np.mean(np.asarray(model.predict(Xte)) == np.asarray(yte)))
            row = {"model": name, "precision": precision, "precision_used": getattr(model, "precision_", None),
                   "device": str(getattr(model, "device_", args.device)), "gpu": gpu, "seed": args.seed,
                   "params": params, "quick": args.quick, "accuracy": acc, "train_s": round(train_s, 1),
                   "epochs": len(getattr(model, "history_", []) or []),
                   "peak_gpu_mib": round(torch.cuda.max_memory_allocated() / 2**20) if args.device == "cuda" else None,
                   "torch": torch.__version__, "cuda": torch.version.cuda,
                   "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
            args.results.parent.mkdir(parents=True, exist_ok=True)
            with open(args.results, "a") as fh:
                fh.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


def verdict(row: dict) -> str:
    """Whether a row's accuracy is the CPU one (see CPU_REFERENCE); a rehearsal is not checked."""
    if row.get("quick"):
        return "rehearsal (not checked)"
    ref, tol, _ = CPU_REFERENCE[row["model"]]
    return "yes" if abs(row["accuracy"] - ref) <= tol else "NO"


def table(rows: list[dict]) -> str:
    lines = ["| model | precision | device | train s | epochs | test accuracy | CPU mean (3 seeds) | same as CPU (±) | "
             "peak GPU MiB |", "|---|---|---|---|---|---|---|---|---|"]
    speed = {}
    for r in rows:
        speed.setdefault(r["model"], {})[r["precision"]] = r["train_s"]
    for r in rows:
        ref, tol, _ = CPU_REFERENCE[r["model"]]
        lines.append(f"| {r['model']} | {r['precision']} (used: {r.get('precision_used')}) | {r['gpu']} | "
                     f"{r['train_s']:.1f} | {r['epochs']} | {r['accuracy']:.4f} | {ref:.4f} | {verdict(r)} (±{tol}) | "
                     f"{r.get('peak_gpu_mib') if r.get('peak_gpu_mib') is not None else '-'} |")
    ratios = [f"{m} {s['float32'] / s['bfloat16']:.2f}×" for m, s in speed.items()
              if s.get("float32") and s.get("bfloat16")]
    if ratios:
        lines.append("")
        lines.append("bfloat16 speed-up over float32 (training time): " + ", ".join(ratios))
    return "\n".join(lines)


def write(rows: list[dict]) -> None:
    if any(r.get("quick") for r in rows):
        sys.exit("these rows are a --quick rehearsal: they do not go in BENCHMARKS.md")
    first = rows[0]
    intro = (f"Command: `CLASSBENCH_DATA=../shared/datasets .venv/bin/python benchmarks/gpu.py run --results FILE`, "
             f"then `benchmarks/gpu.py table --results FILE --write`. GPU: {first['gpu']}; torch {first['torch']}, "
             f"CUDA {first['cuda']}; {first['date']}. One seed ({first['seed']}) per model and precision, full data "
             f"(MNIST 60,000/10,000; IMDB 25,000/25,000). CPU means: "
             + "; ".join(f"{m} from section {src}" for m, (_, _, src) in CPU_REFERENCE.items()) + ".")
    update_section("gpu", "GPU: CUDA, float32 and bfloat16 (issue 16)", intro + "\n\n" + table(rows))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="train and time every model in every precision")
    r.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    r.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    r.add_argument("--precisions", nargs="+", default=list(PRECISIONS), choices=PRECISIONS)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--quick", action="store_true", help="small slices, one epoch: a rehearsal, never checked")
    r.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    t = sub.add_parser("table", help="print the results (and with --write store them in BENCHMARKS.md)")
    t.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    t.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    if args.cmd == "run":
        if "CLASSBENCH_DATA" not in os.environ:
            sys.exit("set CLASSBENCH_DATA to the folder holding mnist/ and imdb/")
        run(args)
        return 0
    rows = [json.loads(line) for line in args.results.read_text().splitlines() if line.strip()]
    print(table(rows))
    if args.write:
        write(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
