"""Train the torch models on real MNIST and print test accuracy and time (the issue-2 targets).

Usage:  CLASSBENCH_THREADS=2 python benchmarks/torch_mnist_check.py [--data DIR] [--models seed-cnn,lenet5,...]
            [--set name.param=value ...] [--seed 0] [--json out.json]

DIR (default: $CLASSBENCH_DATA) holds ``mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``.
The IDX files are parsed here directly so that this check does not depend on the dataset package.
On a shared machine wall time is pessimistic: cpu_seconds / threads is the time on idle cores.
Targets (60k train / 10k test, 2 CPU cores): seed-cnn >= 0.994 in <= 4 min, lenet5 >= 0.992 in <= 2 min,
mlp >= 0.980, mlp with loss="squared" >= 0.975.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time
from pathlib import Path

import numpy as np

TARGETS = {"seed-cnn": (0.994, 240), "lenet5": (0.992, 120), "mlp": (0.980, None), "mlp-squared": (0.975, None)}


def read_idx(path: Path, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        return np.frombuffer(fh.read(), dtype=np.uint8, offset=offset)


def load_mnist(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    def images(name: str) -> np.ndarray:
        return (read_idx(root / name, 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255.0)

    return (
        images("train-images-idx3-ubyte.gz"),
        read_idx(root / "train-labels-idx1-ubyte.gz", 8).astype(np.int64),
        images("t10k-images-idx3-ubyte.gz"),
        read_idx(root / "t10k-labels-idx1-ubyte.gz", 8).astype(np.int64),
    )


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def parse_value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("["):
        return json.loads(text)
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("CLASSBENCH_DATA", ""))
    ap.add_argument("--models", default="seed-cnn,lenet5,mlp,mlp-squared")
    ap.add_argument("--set", nargs="*", default=[], help="overrides: model.param=value")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    if not args.data:
        raise SystemExit("give --data DIR or set CLASSBENCH_DATA (a folder holding mnist/)")
    from classbench.models import create_model

    X, y, Xt, yt = load_mnist(Path(args.data.split(os.pathsep)[0]) / "mnist")
    rows = []
    for key in args.models.split(","):
        name, params = ("mlp", {"loss": "squared"}) if key == "mlp-squared" else (key, {})
        for item in args.set:
            target, _, value = item.partition("=")
            model_key, _, param = target.rpartition(".")
            if model_key in (key, ""):
                params[param] = parse_value(value)
        model = create_model(name, random_state=args.seed, verbose=args.verbose, **params)
        t0, c0 = time.perf_counter(), time.process_time()
        model.fit(X, y)
        fit_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
        acc = float(np.mean(model.predict(Xt) == yt))
        goal, budget = TARGETS.get(key, (None, None))
        ok = (goal is None or acc >= goal) and (budget is None or fit_s <= budget)
        row = {"model": key, "params": params, "epochs": len(model.history_), "fit_seconds": round(fit_s, 1),
               "cpu_seconds": round(cpu_s, 1), "threads": torch_threads(),
               "precision": getattr(model, "precision_", None),
               "epoch_seconds": [round(r["seconds"], 1) for r in model.history_],
               "train_acc": round(model.history_[-1]["accuracy"], 4), "test_acc": acc,
               "target": goal, "budget_s": budget, "ok": ok}
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
