"""`classbench predict`: raw inputs prepared as in training, end to end through `run --save-models`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from classbench.cli import main
from classbench.datasets import load_dataset
from classbench.errors import DataError, UserError
from classbench.models import create_model
from classbench.persist import read_meta, save_model
from classbench.predict import _apply_pipeline, predict_inputs, read_images

from ..conftest import real_data_dir

SPEC8 = {"kind": "image", "channels": 1, "height": 8, "width": 8, "scale": 1 / 255, "steps": []}


def _png(path, x):
    """Write a (1, h, w) array in [0, 1] as an 8-bit grey PNG."""
    Image.fromarray(np.round(x[0] * 255).astype(np.uint8), mode="L").save(path)
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """One `classbench run --save-models` on digits (logreg, two seeds), and 40 test PNGs."""
    tmp = tmp_path_factory.mktemp("e2e")
    out = tmp / "out"
    code = main(["run", "--dataset", "digits", "--model", "logreg", "--set", "logreg.C=0.5", "--seeds", "2",
                 "--save-models", "--out", str(out), "--no-report", "--quiet"])
    assert code == 0
    ds = load_dataset("digits")
    png = tmp / "png"
    png.mkdir()
    for i in range(40):
        _png(png / f"{i:02d}.png", ds.X_test[i])
    return out, png, ds.y_test[:40]


def test_run_saves_every_model_with_its_trial(run_dir):
    out, _, _ = run_dir
    db = sqlite3.connect(out / "classbench.db")
    rows = db.execute("SELECT model, trial_key, extra_json, accuracy FROM trials").fetchall()
    assert len(rows) == 2 and len({r[1] for r in rows}) == 2
    for model, key, extra, acc in rows:
        path = json.loads(extra)["model_path"]
        assert path.endswith(key)
        meta = read_meta(path)
        assert meta["model"] == model and meta["trial"]["key"] == key
        assert meta["metrics"]["accuracy"] == pytest.approx(acc)
        assert meta["dataset"]["name"] == "digits" and meta["class_names"] == [str(i) for i in range(10)]


def test_predict_pngs_by_run_and_label(run_dir, capsys):
    out, png, labels = run_dir
    capsys.readouterr()
    assert main(["predict", "latest:logreg(C=0.5)", str(png), "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 40 and lines[0].startswith(str(png / "00.png") + ": ")
    got = [int(line.split(": ")[1].split(" ")[0]) for line in lines]
    assert np.mean(np.array(got) == labels) >= 0.9
    assert all(" (p=" in line for line in lines)


def test_predict_json_top_k(run_dir, capsys):
    out, png, labels = run_dir
    run_id = next((out / "runs").iterdir()).name
    folder = next((out / "runs" / run_id / "models").iterdir())
    capsys.readouterr()
    for ref in (f"{run_id}:logreg", str(folder)):
        assert main(["predict", ref, str(png / "00.png"), str(png / "01.png"), "--json", "--top", "3",
                     "--out", str(out)]) == 0
        res = json.loads(capsys.readouterr().out)
        assert [r["input"] for r in res] == [str(png / "00.png"), str(png / "01.png")]
        for r in res:
            probs = [t["probability"] for t in r["top"]]
            assert len(probs) == 3 and probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-6
            assert r["label"] == r["top"][0]["label"] and r["probability"] == probs[0]


def test_torch_model_predicts_from_pngs(tmp_path, capsys):
    """The fast path (torch.nn only) gives the model's own probabilities for the same pixels."""
    ds = load_dataset("digits")
    model = create_model("mlp", hidden=[16], epochs=2, random_state=0).fit(ds.X_train, ds.y_train)
    folder = save_model(model, tmp_path / "mlp", dataset=ds)
    paths = [_png(tmp_path / f"{i}.png", ds.X_test[i]) for i in range(5)]
    X = np.round(ds.X_test[:5] * 255) / 255
    capsys.readouterr()
    assert main(["predict", str(folder), *map(str, paths), "--json", "--top", "10"]) == 0
    res = json.loads(capsys.readouterr().out)
    proba = model.predict_proba(X)
    for r, p in zip(res, proba):
        assert {t["label"]: t["probability"] for t in r["top"]} == pytest.approx(
            {str(k): v for k, v in enumerate(p)}, abs=2e-6)


def test_predict_errors_say_what_and_where(run_dir, tmp_path, capsys):
    out, png, _ = run_dir
    assert main(["predict", "latest:knn", str(png), "--out", str(out)]) == 2
    assert "has no saved model 'knn'. Saved models: logreg(C=0.5)." in capsys.readouterr().err
    text = tmp_path / "review.txt"
    text.write_text("not an image")
    assert main(["predict", "latest:logreg", str(text), "--out", str(out)]) == 2
    assert f"{text} is not an image classbench can read" in capsys.readouterr().err
    assert main(["predict", "latest:logreg", str(tmp_path / "missing.png"), "--out", str(out)]) == 2
    assert "missing.png' does not exist" in capsys.readouterr().err


def test_images_of_any_size_and_mode_are_converted(tmp_path):
    from classbench.datasets.byo_images import _to_array

    rng = np.random.default_rng(0)
    rgb = (rng.random((40, 30, 3)) * 255).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "big.png")
    Image.fromarray(rgb).save(tmp_path / "big.bmp")
    rgba = np.dstack([rgb, np.full((40, 30), 128, np.uint8)])
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "alpha.png")
    photo = (rng.random((300, 200, 3)) * 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.jpg", quality=90)
    names = ["big.png", "big.bmp", "alpha.png", "photo.jpg"]
    X = read_images([tmp_path / n for n in names], SPEC8)
    assert X.shape == (4, 1, 8, 8) and X.dtype == np.float32 and 0 <= X.min() and X.max() <= 1
    np.testing.assert_array_equal(X[0], X[1])
    for i, name in enumerate(names):  # the same conversion as imagefolder's loader
        np.testing.assert_allclose(X[i], _to_array((tmp_path / name).read_bytes(), "grayscale", (8, 8)), atol=1e-6)
    rgb_spec = {**SPEC8, "channels": 3, "height": 5, "width": 6}
    assert read_images([tmp_path / "big.png"], rgb_spec).shape == (1, 3, 5, 6)


def test_face_steps_reproduce_the_yalefaces_loader(tmp_path):
    from classbench.datasets._yalefaces_faces import preprocess
    from classbench.datasets.yalefaces import decode

    px = (np.random.default_rng(1).random((243, 320)) ** 2 * 255).astype(np.uint8)
    Image.fromarray(px, mode="L").save(tmp_path / "subject01.gif")
    face = decode("subject01.gif", (tmp_path / "subject01.gif").read_bytes(), str(tmp_path))
    crop = [70, 3, 250, 243]
    want, _ = preprocess([face.pixels], crop, 60, 80, True, "test")
    spec = {"kind": "image", "channels": 1, "height": 80, "width": 60, "scale": 1 / 255,
            "steps": [{"op": "crop", "box": crop, "reference_size": [320, 243]}, {"op": "equalize"}]}
    np.testing.assert_allclose(read_images([tmp_path / "subject01.gif"], spec), want, atol=1e-6)


def test_text_files_and_lines(tmp_path):
    X = np.array(["great film loved it", "awful film hated it"] * 10, dtype=object)
    model = create_model("tfidf-logreg", min_df=1).fit(X, np.array(["pos", "neg"] * 10))
    folder = save_model(model, tmp_path / "m")
    (tmp_path / "a.txt").write_text("I loved this great film")
    (tmp_path / "b.txt").write_text("hated it\n\nawful\n")
    res = predict_inputs(folder, [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")], top=2)
    assert [r["label"] for r in res] == ["pos", "neg"] and len(res[0]["top"]) == 2
    res = predict_inputs(folder, [str(tmp_path / "b.txt")], lines=True)
    assert [r["input"] for r in res] == [f"{tmp_path / 'b.txt'}:1", f"{tmp_path / 'b.txt'}:3"]
    (tmp_path / "c.bin").write_bytes(b"\0\1\2")
    with pytest.raises(DataError, match=r"c\.bin is a binary file"):
        predict_inputs(folder, [str(tmp_path / "c.bin")])


def test_csv_rows_by_name_or_order(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y = (X[:, 0] + 2 * X[:, 2] > 0).astype(int)
    model = create_model("logreg").fit(X, y)
    spec = {"kind": "tabular", "n_features": 3, "feature_names": ["a", "b", "c"], "pipeline": None}
    folder = save_model(model, tmp_path / "m", preprocess=spec)
    want = [str(v) for v in model.predict(X[:4])]
    named = tmp_path / "named.csv"
    named.write_text("c,id,a,b\n" + "".join(f"{r[2]},{i},{r[0]},{r[1]}\n" for i, r in enumerate(X[:4])))
    plain = tmp_path / "plain.csv"
    plain.write_text("".join(",".join(map(str, r)) + "\n" for r in X[:4]))
    for path in (named, plain):
        res = predict_inputs(folder, [str(path)])
        assert [r["label"] for r in res] == want
    assert res[0]["input"] == f"{plain}:1" and predict_inputs(folder, [str(named)])[0]["input"] == f"{named}:2"
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2\n")
    with pytest.raises(UserError, match=r"bad\.csv has 2 columns but the model takes 3 features named a, b, c"):
        predict_inputs(folder, [str(bad)])
    bad.write_text("a,b,c\n1,x,3\n")
    with pytest.raises(DataError, match=r"bad\.csv, line 2: column 2 is 'x', not a number"):
        predict_inputs(folder, [str(bad)])


def test_table_pipeline_prepares_raw_columns(tmp_path):
    pipeline = {"columns": [
        {"name": "age", "kind": "numeric", "median": 30.0, "mean": 32.0, "std": 4.0, "indicator": True},
        {"name": "color", "kind": "categorical", "categories": ["(missing)", "blue", "red"]}]}
    X = _apply_pipeline(tmp_path / "x.csv", ["color", "age"], [["red", "40"], ["", "NA"], ["green", "28"]], pipeline)
    np.testing.assert_allclose(X, [[2, 0, 0, 0, 1], [-0.5, 1, 1, 0, 0], [-1, 0, 0, 0, 0]])


@pytest.mark.realdata
def test_yalefaces_files_predict_as_the_loaded_test_set(tmp_path):
    """The raw GIF files, prepared from model.json alone, give the loader's exact test pixels."""
    from classbench.datasets import DataContext
    from classbench.datasets.yalefaces import YaleFaces

    real_data_dir()
    source = YaleFaces()
    ds = source.load(DataContext.from_env(download=False))
    if ds.provenance.get("kind") != "folder":
        pytest.skip("the yalefaces copy is a zip archive; this test reads its files one by one")
    model = create_model("eigenfaces").fit(ds.X_train, ds.y_train)
    folder = save_model(model, tmp_path / "faces", dataset=ds)
    spec = read_meta(folder)["input"]
    files = [ds.provenance["location"] + "/" + name for name in ds.meta["files_test"]]
    np.testing.assert_allclose(read_images([Path(f) for f in files], spec), ds.X_test, atol=1e-6)
    res = predict_inputs(folder, files)
    assert [r["label"] for r in res] == [ds.classes[i] for i in model.predict(ds.X_test)]


def test_models_from_csv_datasets_take_raw_rows(tmp_path):
    """A model trained on a csv: dataset (coded columns, NaN for missing; the preprocessing fitted in the
    trial's pipeline) predicts the same labels from the raw CSV rows, columns in any order."""
    from classbench.bench.preprocess import TabularPipeline

    rng = np.random.default_rng(0)
    lines = []
    for i, (a, b) in enumerate(rng.normal(size=(80, 2))):
        color = ["red", "green", "blue", ""][i % 4]
        label = "yes" if a + b + (color == "red") > 0.3 else "no"
        lines.append(f"{'NA' if i % 7 == 0 else a},{b * 100 + 50},{color},{label}\n")
    data = tmp_path / "data.csv"
    data.write_text("a,b,color,label\n" + "".join(lines))
    ds = load_dataset(f"csv:{data}?target=label")
    assert ds.meta["feature_names"] == ["a", "b", "color"]
    model = TabularPipeline(create_model("logreg"), ds.meta["columns"]).fit(ds.X_train, ds.y_train)
    folder = save_model(model, tmp_path / "m", dataset=ds)
    res = predict_inputs(folder, [str(data)])
    X_all = np.array([[np.nan if c.strip() in ("", "NA") else (float(c) if j < 2 else
                       ds.meta["columns"][2]["categories"].index(c)) for j, c in enumerate(ln.rstrip().split(",")[:3])]
                      for ln in lines])
    assert [r["label"] for r in res] == [ds.classes[i] for i in model.predict(X_all)]
    reordered = tmp_path / "reordered.csv"  # columns by name, in any order, the label absent
    reordered.write_text("color,b,a\nred,50,NA\n,80,-1.5\n")
    assert len(predict_inputs(folder, [str(reordered)])) == 2


def test_csv_models_without_a_recorded_pipeline_refuse_raw_rows(tmp_path):
    model = create_model("logreg").fit(np.eye(4, 2, dtype=np.float32), [0, 1, 0, 1])
    spec = {"kind": "tabular", "n_features": 2, "feature_names": ["a", "b"], "pipeline": None, "raw_csv": False}
    folder = save_model(model, tmp_path / "old", preprocess=spec)
    new = tmp_path / "new.csv"
    new.write_text("b,a\n1.5,2.0\n-3,-1\n")
    with pytest.raises(UserError, match=r"new\.csv: this model was trained on a CSV whose columns the loader "
                                        r"transformed"):
        predict_inputs(folder, [str(new)])


def test_regression_models_print_values(tmp_path):
    from classbench.models import MODELS

    assert "ridge-regression" in MODELS, "model 'ridge-regression' is not registered: renamed? update this test"
    ds = load_dataset("diabetes")
    model = create_model("ridge-regression").fit(ds.X_train, ds.y_train)
    folder = save_model(model, tmp_path / "m", dataset=ds)
    np.savetxt(tmp_path / "rows.csv", ds.X_test[:3], delimiter=",")
    res = predict_inputs(folder, [str(tmp_path / "rows.csv")])
    np.testing.assert_allclose([r["value"] for r in res], model.predict(ds.X_test[:3]), rtol=1e-6)
