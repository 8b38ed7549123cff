"""Named UCI tables: every ARFF of Weka's data folder (real data), the count check, the OpenML fallback."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from classbench.datasets import DATASETS, DataContext
from classbench.datasets.uci import REGRESSION_NAMES, TEXT_NAMES, UCI_NAMES
from classbench.errors import DataError

from ..conftest import real_data_dir
from .conftest import load, write

# rows and class counts of each file, from ../shared/datasets/weka-arff/README.md (independent of uci.py)
WEKA = {
    "breast-cancer": (286, [201, 85]), "contact-lenses": (24, [15, 5, 4]), "credit-g": (1000, [700, 300]),
    "diabetes": (768, [500, 268]), "glass": (214, [76, 70, 29, 17, 13, 9]), "hypothyroid": (3772, [3481, 194, 95, 2]),
    "ionosphere": (351, [225, 126]), "iris": (150, [50, 50, 50]), "labor": (57, [37, 20]),
    "segment-challenge": (1500, None), "segment-test": (810, None), "soybean": (683, None),
    "unbalanced": (856, [844, 12]), "vote": (435, [267, 168]), "weather.nominal": (14, [9, 5]),
    "ReutersCorn-train": (1554, None), "ReutersCorn-test": (604, None), "ReutersGrain-train": (1554, None),
    "ReutersGrain-test": (604, None), "cpu": (209, "regression"), "cpu.with.vendor": (209, "regression"),
}
N_CLASSES = {"segment-challenge": 7, "segment-test": 7, "soybean": 19, "ReutersCorn-train": 2,
             "ReutersCorn-test": 2, "ReutersGrain-train": 2, "ReutersGrain-test": 2}


def _weka() -> Path:
    folder = Path(real_data_dir().split(os.pathsep)[0]) / "weka-arff"
    if not folder.is_dir():
        pytest.skip("no weka-arff/ in CLASSBENCH_DATA")
    return folder


@pytest.mark.realdata
def test_every_arff_of_weka_loads_with_its_counts():
    folder = _weka()
    files = sorted(p.stem for p in folder.glob("*.arff"))
    assert files == sorted(WEKA), "a file of weka-arff/ is not covered by this test"
    for stem in files:
        rows, counts = WEKA[stem]
        task = "&task=regression" if counts == "regression" else ""
        ds = load(f"arff:{folder / stem}.arff?test_fraction=0.2{task}")
        assert len(ds.y_train) + len(ds.y_test) == rows, stem
        if counts == "regression":
            assert ds.task == "regression" and ds.X_train.shape[1] in (6, 7), stem
            continue
        y = np.r_[ds.y_train, ds.y_test]
        assert sorted(np.bincount(y).tolist(), reverse=True) == (counts or sorted(np.bincount(y), reverse=True)), stem
        assert ds.n_classes == N_CLASSES.get(stem, len(counts or ())), stem
        if stem.startswith("Reuters"):
            assert ds.modality == "text" and isinstance(ds.X_train[0], str) and len(ds.X_train[0]) > 50
        else:
            assert ds.modality == "tabular" and ds.X_train.dtype == np.float64
            assert len(ds.meta["columns"]) == ds.X_train.shape[1]


@pytest.mark.realdata
def test_named_tables_from_the_data_folder():
    _weka()
    ctx = DataContext.from_env(download=False)
    assert set(UCI_NAMES) >= {"breast-cancer", "credit-g", "pima-diabetes", "glass", "hypothyroid", "ionosphere",
                              "iris", "labor", "segment", "soybean", "vote", "unbalanced"}
    for name in UCI_NAMES + TEXT_NAMES + REGRESSION_NAMES:
        ds = load(name, ctx)
        assert ds.provenance["copy"] == "local", name
    seg = load("segment", ctx)
    assert (len(seg.y_train), len(seg.y_test)) == (1500, 810) and seg.provenance["fixed_split"]
    soy = load("soybean", ctx)
    cats = soy.meta["columns"][0]["categories"]
    assert soy.n_classes == 19 and all(c["kind"] == "nominal" for c in soy.meta["columns"]) and len(cats) == 7
    assert np.isnan(np.r_[soy.X_train, soy.X_test]).any()  # '?' stays missing for the trial to handle
    hyp = load("hypothyroid", ctx)
    assert "TBG" in hyp.provenance["columns"]["all_missing"] and hyp.classes[-1] == "secondary_hypothyroid"


IRIS_HEAD = ("@relation iris\n@attribute sepallength numeric\n@attribute sepalwidth numeric\n"
             "@attribute class {Iris-setosa,Iris-versicolor,Iris-virginica}\n@data\n")


def _iris(n_per_class: int = 50) -> str:
    cls = ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]
    return IRIS_HEAD + "".join(f"{4 + k + i / 100:.2f},{3 + i / 200:.3f},{c}\n"
                               for k, c in enumerate(cls) for i in range(n_per_class))


def test_a_local_copy_is_used_only_when_its_counts_match(tmp_path, openml_server):
    good, short = tmp_path / "good", tmp_path / "short"
    write(good / "weka-arff" / "iris.arff", _iris())
    write(short / "weka-arff" / "iris.arff", _iris(49))
    ctx = DataContext(data_dirs=[short, good], cache_dir=tmp_path / "cache", download=False)
    with pytest.warns(UserWarning, match=r"iris: ignoring .*short/weka-arff/iris.arff: 147 rows, expected 150"):
        ds = load("iris", ctx)
    assert ds.provenance["copy"] == "local" and str(good) in next(iter(ds.provenance["files"]))
    assert Counter(np.r_[ds.y_train, ds.y_test].tolist()) == {0: 50, 1: 50, 2: 50}
    assert openml_server.log == []


def test_fetched_from_openml_by_id_when_no_copy_is_found(tmp_path, openml_server):
    openml_server.add_dataset(61, "iris", arff=_iris())
    ctx = DataContext(data_dirs=[tmp_path / "empty"], cache_dir=tmp_path / "cache", download=True)
    ds = load("iris", ctx)
    assert ds.provenance["copy"] == "openml" and ds.provenance["openml_id"] == 61
    assert (tmp_path / "cache" / "openml" / "61" / "data.arff").is_file()
    assert ds.classes == ["Iris-setosa", "Iris-versicolor", "Iris-virginica"] and len(ds.y_test) == 36
    # an OpenML answer with other counts is not this dataset: refused
    openml_server.add_dataset(37, "diabetes", arff=_iris())
    with pytest.raises(DataError, match=r"OpenML's dataset 37 .* has 150 rows, expected 768, .*not used"):
        load("pima-diabetes", ctx)
    # offline with nothing on disk: every place is named, and what to put where
    with pytest.raises(DataError, match=r"no usable copy in the data folders \(searched: .*empty/weka-arff \(no "
                                        r"glass.arff\).*fetching it from OpenML \(id 41\) failed.*downloads are "
                                        r"turned off.*Put Weka's glass.arff into DIR/weka-arff/"):
        load("glass", DataContext(data_dirs=[tmp_path / "empty"], cache_dir=tmp_path / "cache", download=False))


def test_names_are_listed_without_reading_anything():
    for name in UCI_NAMES + TEXT_NAMES + REGRESSION_NAMES:
        entry = DATASETS.entry(name)
        src = entry.load()
        assert src.summary and src.modality in ("tabular", "text")
    assert "diabetes" not in UCI_NAMES  # scikit-learn's regression set keeps that name


def test_list_datasets_shows_schemes_and_uci_names_without_heavy_imports():
    import subprocess
    import sys

    code = ("import sys; from classbench.cli import main; main(['list', 'datasets']); "
            "print([m for m in ('pandas', 'pyarrow', 'arff', 'sklearn', 'torch') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    for word in ("pima-diabetes", "segment", "soybean", "arff:PATH", "openml:ID|NAME", "textlines:PATH",
                 "fasttext:PATH", "tsv:PATH", "parquet:PATH", "table:PATH"):
        assert word in out, word
