"""A model trained on a described table is saved with its fitted preprocessing, and `classbench predict`
applies both to raw CSV rows (category names, missing-value markers, unseen categories)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from classbench.bench.preprocess import TabularPipeline
from classbench.errors import UserError
from classbench.models import create_model
from classbench.persist import load_model, save_model
from classbench.predict import predict_inputs

from ._table import COLUMNS, mixed_table

CATS = {1: ["red", "green", "blue"], 3: ["s", "m", "l", "xl"]}


def _raw_rows(X: np.ndarray) -> list[list[str]]:
    """The coded rows as a user's CSV has them: names for categories, '?' or '' for missing values."""
    out = []
    for i, row in enumerate(X):
        cells = []
        for j, v in enumerate(row):
            if np.isnan(v):
                cells.append("?" if i % 2 else "")
            else:
                cells.append(CATS[j][int(v)] if j in CATS else repr(float(v)))
        out.append(cells)
    return out


@pytest.mark.parametrize("name", ["logreg", "hist-gb", "categorical-nb", "lightgbm"])
def test_save_load_predict_raw_rows(tmp_path, table, name):
    pipe = TabularPipeline(create_model(name), COLUMNS).fit(table.X_train, table.y_train)
    folder = save_model(pipe, tmp_path / "m", dataset=table)
    meta = json.loads((folder / "model.json").read_text())
    assert meta["model"] == name and meta["input"]["columns"][1]["categories"] == CATS[1]
    assert (name == "logreg") == any(f.startswith("table") for f in meta["payload"])  # native: no preprocessor
    if name == "lightgbm":  # the booster as LightGBM's own text format, no skops object
        assert not any(f.endswith(".skops") for f in meta["payload"])
    loaded = load_model(folder).model
    assert isinstance(loaded, TabularPipeline)
    assert np.array_equal(loaded.predict(table.X_test), pipe.predict(table.X_test))
    expected = pipe.predict_proba(table.X_test)
    # with a header in another order, plus the target column; and without a header, target last
    rows = _raw_rows(table.X_test)
    names = [c["name"] for c in COLUMNS]
    order = [3, 0, 2, 1]
    with open(tmp_path / "header.csv", "w") as fh:
        fh.write(",".join(["class"] + [names[j] for j in order]) + "\n")
        for r, y in zip(rows, table.y_test):
            fh.write(",".join([table.classes[y]] + [r[j] for j in order]) + "\n")
    with open(tmp_path / "plain.csv", "w") as fh:
        for r, y in zip(rows, table.y_test):
            fh.write(",".join(r + [table.classes[y]]) + "\n")
    for f in ("header.csv", "plain.csv"):
        res = predict_inputs(folder, [str(tmp_path / f)], top=3)
        assert len(res) == len(rows)
        got = np.array([[t["probability"] for t in sorted(r["top"], key=lambda t: t["label"])] for r in res])
        assert np.allclose(got, expected, atol=1e-6), f
    assert res[0]["input"].endswith("plain.csv:1")


def test_unseen_category_and_bad_number(tmp_path, table):
    pipe = TabularPipeline(create_model("logreg"), COLUMNS).fit(table.X_train, table.y_train)
    folder = save_model(pipe, tmp_path / "m", dataset=table)
    (tmp_path / "odd.csv").write_text("age,colour,income,size\n41,purple,1200,m\nNA,red,,xl\n")
    res = predict_inputs(folder, [str(tmp_path / "odd.csv")])
    assert len(res) == 2 and all(r["label"] in table.classes for r in res)
    (tmp_path / "bad.csv").write_text("age,colour,income,size\nold,red,1200,m\n")
    with pytest.raises(UserError, match="'old' is not a number"):
        predict_inputs(folder, [str(tmp_path / "bad.csv")])
    (tmp_path / "narrow.csv").write_text("41,red\n")
    with pytest.raises(UserError, match="has 2 columns and no header"):
        predict_inputs(folder, [str(tmp_path / "narrow.csv")])


def test_regression_models_get_the_same_preprocessing(tmp_path):
    from classbench.bench.preprocess import TabularRegressionPipeline, wrap_for
    from classbench.datasets.base import Dataset

    X, _ = mixed_table(200, seed=4)
    t = 0.05 * np.nan_to_num(X[:, 0], nan=40.0) + np.where(X[:, 1] == 2, 3.0, 0.0)
    ds = Dataset("mixed-reg", X[:150], t[:150], X[150:], t[150:], [], "tabular", meta={"columns": COLUMNS},
                 task="regression")
    model = wrap_for(create_model("ridge-regression"), ds)
    assert isinstance(model, TabularRegressionPipeline)
    model.fit(ds.X_train, ds.y_train)
    pred = model.predict(ds.X_test)
    assert np.corrcoef(pred, ds.y_test)[0, 1] > 0.8  # the one-hot colour column carries 3 of the signal
    folder = save_model(model, tmp_path / "reg", dataset=ds)
    loaded = load_model(folder).model
    assert isinstance(loaded, TabularRegressionPipeline) and np.allclose(loaded.predict(ds.X_test), pred)
    (tmp_path / "rows.csv").write_text("age,colour,income,size\n41,blue,1200,m\n30,red,?,s\n")
    res = predict_inputs(folder, [str(tmp_path / "rows.csv")])
    assert [set(r) for r in res] == [{"input", "value"}] * 2
    assert res[0]["value"] - res[1]["value"] > 2  # blue adds about 3
