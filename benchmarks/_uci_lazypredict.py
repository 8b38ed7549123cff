"""Runs in LazyPredict's own virtualenv (see benchmarks/uci.py): LazyClassifier and two scikit-learn
references (a J48-like entropy tree, a 100-tree random forest) on each dataset's exported folds.

    python _uci_lazypredict.py FOLDER OUT.json NAME...

For each dataset: LazyPredict's per-model accuracy averaged over the folds (a model that failed on a fold
counts 0 there), its best model, and the two references' mean accuracies. Writes OUT.json.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def frame(d: dict, rows: list[int]) -> pd.DataFrame:
    X = [d["X"][i] for i in rows]
    df = pd.DataFrame(X, columns=d["columns"])
    for name, kind in zip(d["columns"], d["kinds"]):
        df[name] = df[name].astype("object" if kind == "nominal" else "float64")
    return df


def references(d: dict, tr: list[int], te: list[int]) -> tuple[float, float]:
    """The same ColumnTransformer for both: most-frequent + one-hot, median (numeric); then the tree/forest."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.tree import DecisionTreeClassifier

    nom = [c for c, k in zip(d["columns"], d["kinds"]) if k == "nominal"]
    num = [c for c, k in zip(d["columns"], d["kinds"]) if k != "nominal"]
    y = np.array(d["y"], dtype=object)
    out = []
    for est in (DecisionTreeClassifier(criterion="entropy", min_samples_leaf=2, random_state=0),
                RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1)):
        pre = ColumnTransformer([("num", SimpleImputer(strategy="median", keep_empty_features=True), num),
                                 ("nom", make_pipeline(SimpleImputer(strategy="most_frequent", keep_empty_features=True),
                                                       OneHotEncoder(handle_unknown="ignore")), nom)])
        model = make_pipeline(pre, est).fit(frame(d, tr), y[tr])
        out.append(float(np.mean(model.predict(frame(d, te)) == y[te])))
    return out[0], out[1]


def main() -> None:
    from lazypredict.Supervised import LazyClassifier

    folder, out_path, names = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    results = {}
    for name in names:
        d = json.loads((folder / f"{name}.json").read_text())
        y = np.array(d["y"], dtype=object)
        per_model: dict[str, list[float]] = {}
        trees, forests = [], []
        t0 = time.perf_counter()
        for k, (tr, te) in enumerate(d["folds"]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf = LazyClassifier(verbose=0, ignore_warnings=True, random_state=0, n_jobs=1)
                scores = clf.fit(frame(d, tr), frame(d, te), y[tr], y[te])
            if isinstance(scores, tuple):
                scores = scores[0]
            for model, acc in scores["Accuracy"].items():
                per_model.setdefault(model, [0.0] * len(d["folds"]))[k] = float(acc)
        lp_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for tr, te in d["folds"]:
            t, f = references(d, tr, te)
            trees.append(t)
            forests.append(f)
        means = {m: float(np.mean(v)) for m, v in per_model.items()}
        best = max(means, key=means.get)
        results[name] = {"lazypredict_best": [best, means[best]], "lazypredict_models": means,
                         "tree": float(np.mean(trees)), "forest": float(np.mean(forests)),
                         "lazypredict_s": lp_s, "references_s": time.perf_counter() - t0}
        print(f"{name}: LazyPredict best {best} {means[best]:.4f} ({lp_s:.0f} s)", flush=True)
    out_path.write_text(json.dumps(results))


if __name__ == "__main__":
    main()
