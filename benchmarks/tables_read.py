"""Reading tables (issue 15): how long `classbench` takes to load Weka's ARFF files and generated CSVs,
next to a bare ``pandas.read_csv`` of the same CSV (what the line checks, the typing and the coding cost).

    CLASSBENCH_DATA=../shared/datasets .venv/bin/python benchmarks/tables_read.py

Each time is the median of 3 loads (check + load, as a run does) in this process, pandas already imported.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _md import update_section  # noqa: E402


def _median_s(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _write_csv(path: Path, n: int, seed: int = 0) -> None:
    """n rows: 5 numeric columns (2% missing in one), 2 nominal (one with empty cells), a yes/no label."""
    rng = np.random.default_rng(seed)
    r = rng.normal(size=(n, 5))
    colours = np.array(["red", "green", "blue", ""])[np.arange(n) % 4]
    sizes = np.array(["S", "M", "L"])[np.arange(n) % 3]
    with open(path, "w") as f:
        f.write("a,b,c,d,e,colour,size,label\n")
        for i in range(n):
            e = "NA" if i % 50 == 0 else f"{r[i, 4]:.3f}"
            f.write(f"{r[i, 0]:.4f},{r[i, 1]:.4f},{r[i, 2]:.4f},{r[i, 3]:.4f},{e},{colours[i]},{sizes[i]},"
                    f"{'yes' if r[i, 0] > 0 else 'no'}\n")


def main() -> None:
    import pandas as pd

    from classbench.datasets import DataContext, load_dataset
    from classbench.datasets.uci import SPECS

    ctx = DataContext.from_env(download=False)
    rows = ["| dataset | files | rows | columns (numeric + nominal) | load, s |", "|---|---|---:|---|---:|"]
    for spec in SPECS:
        ds = load_dataset(spec.name, ctx=ctx)
        cols = ds.meta.get("columns")
        kinds = (f"{sum(c['kind'] == 'numeric' for c in cols)} + {sum(c['kind'] == 'nominal' for c in cols)}"
                 if cols else "1 text")
        s = _median_s(lambda name=spec.name: load_dataset(name, ctx=ctx))
        rows.append(f"| {spec.name} | {', '.join(f + '.arff' for f in spec.files)} | "
                    f"{len(ds.y_train) + len(ds.y_test):,} | {kinds} | {s:.3f} |")
    csv_rows = ["| rows | file, MB | classbench `csv:` load, s | `pandas.read_csv`, s | ratio |", "|---:|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        for n in (10_000, 100_000, 200_000):
            path = Path(tmp) / f"t{n}.csv"
            _write_csv(path, n)
            ours = _median_s(lambda p=path: load_dataset(f"csv:{p}?target=label", ctx=ctx))
            bare = _median_s(lambda p=path: pd.read_csv(p))
            csv_rows.append(f"| {n:,} | {path.stat().st_size / 1e6:.1f} | {ours:.2f} | {bare:.2f} | {ours / bare:.1f} |")
    body = (
        "Every ARFF of Weka's data folder through its name (`DIR/weka-arff/`, liac-arff; row and class counts "
        "checked before use):\n\n" + "\n".join(rows) +
        "\n\nGenerated CSVs (8 columns: 5 numeric, 2 nominal, the label; missing values) through `csv:` "
        "(stdlib tokenizer pass for line numbers and field counts, pandas' C parser for the cells, typing and "
        "coding of every column, stratified split) against a bare `pandas.read_csv` of the same file:\n\n"
        + "\n".join(csv_rows))
    update_section("tables-read", "Reading tables (issue 15)", body)


if __name__ == "__main__":
    main()
