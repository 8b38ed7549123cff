"""csv:PATH?target=COL: typing, encoding, missing values, labels, splits and errors naming columns and lines."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from classbench.errors import DataError, UserError

from .conftest import load, write_csv

HEADER = ["id", "size", "color", "weight", "kind", "split"]
ROWS = [
    [1, 1.0, "red", 10, "cat", "train"],
    [2, 2.0, "blue", "", "dog", "train"],
    [3, 3.0, "", 30, "cat", "train"],
    [4, "NA", "red", 40, "dog", "train"],
    [5, 1000, "green", "?", "cat", "test"],
    [6, "", "blue", 60, "dog", "test"],
]


def test_coding_rules_with_a_split_column(tmp_path):
    path = write_csv(tmp_path / "t.csv", HEADER, ROWS)
    ds = load(f"csv:{path}?target=kind&drop=id")
    assert ds.modality == "tabular" and ds.classes == ["cat", "dog"]
    assert ds.provenance["split"] == "column 'split'" and len(ds.y_train) == 4 and len(ds.y_test) == 2
    assert ds.meta["columns"] == [{"name": "size", "kind": "numeric"},
                                  {"name": "color", "kind": "nominal", "categories": ["blue", "green", "red"]},
                                  {"name": "weight", "kind": "numeric"}]
    assert ds.meta["feature_names"] == ["size", "color", "weight"]
    X = np.concatenate([ds.X_train, ds.X_test])
    assert X.dtype == np.float64 and X.shape == (6, 3)
    # nothing is filled in or scaled: missing cells (empty, NA, ?) are NaN; the trial's pipeline imputes them
    nan = np.nan
    np.testing.assert_array_equal(X[:, 0], [1, 2, 3, nan, 1000, nan])
    np.testing.assert_array_equal(X[:, 2], [10, nan, 30, 40, nan, 60])
    # nominal: codes into the sorted categories of the file (the trial decides what train-unseen ones become)
    np.testing.assert_array_equal(X[:, 1], [2, 0, nan, 2, 1, 0])
    assert ds.y_train.tolist() == [0, 1, 0, 1]


def test_standardize_moved_out_of_the_loader(tmp_path):
    path = write_csv(tmp_path / "t.csv", HEADER, ROWS)
    with pytest.raises(UserError, match=r"standardize is no longer a parameter of the table loader.*each trial"):
        load(f"csv:{path}?target=kind&standardize=false")


def test_labels_of_any_type_sorted_numerically_and_stratified_split(tmp_path):
    rows = [[i * 0.5, f"{i % 3}x", [2, 10, 1][i % 3]] for i in range(30)]
    path = write_csv(tmp_path / "t.csv", ["a", "b", "y"], rows)
    ds = load(f"csv:{path}?target=y&test_fraction=0.2&split_seed=3")
    assert ds.classes == ["1", "2", "10"]
    assert np.bincount(ds.y_test).tolist() == [2, 2, 2] and len(ds.y_train) == 24
    assert ds.meta["feature_names"] == ["a", "b"] and ds.meta["columns"][1]["categories"] == ["0x", "1x", "2x"]
    again = load(f"csv:{path}?target=y&test_fraction=0.2&split_seed=3")
    assert np.array_equal(again.X_test, ds.X_test)


@pytest.mark.parametrize("delimiter, suffix", [(";", ".csv"), ("\t", ".tsv"), ("|", ".txt")])
def test_delimiters_are_sniffed(tmp_path, delimiter, suffix):
    path = write_csv(tmp_path / f"t{suffix}", ["x", "label"], [[i, "ab"[i % 2]] for i in range(8)], delimiter)
    ds = load(f"csv:{path}?target=label")
    assert ds.meta["feature_names"] == ["x"] and ds.provenance["delimiter"] == delimiter
    assert ds.X_train.dtype == np.float64


def test_target_errors_list_the_columns(tmp_path):
    path = write_csv(tmp_path / "t.csv", HEADER, ROWS)
    with pytest.raises(UserError, match=r"target='species' is neither a column of .* Its columns: 'id', 'size', 'color'"):
        load(f"csv:{path}?target=species")
    with pytest.raises(UserError, match=r"target='9' .* as a position it must lie in -6..5"):
        load(f"csv:{path}?target=9")
    with pytest.raises(UserError, match=r"say which column holds the class labels.*target=-1.*'kind', 'split'"):
        load(f"csv:{path}")
    const = write_csv(tmp_path / "c.csv", ["x", "y"], [[i, "same"] for i in range(5)])
    with pytest.raises(DataError, match=r"holds one value only, 'same'; classification needs at least 2"):
        load(f"csv:{const}?target=y")


def test_missing_labels_and_bad_rows_name_their_lines(tmp_path):
    rows = [[i, "ab"[i % 2]] for i in range(8)]
    rows[5][1] = ""
    path = write_csv(tmp_path / "t.csv", ["x", "y"], rows)
    with pytest.raises(DataError, match=r"1 row\(s\) .* no value in the label column 'y' \(line 7\)"):
        load(f"csv:{path}?target=y")
    ds = load(f"csv:{path}?target=y&skip_bad=true")
    assert len(ds.y_train) + len(ds.y_test) == 7 and ds.provenance["skipped_rows"] == ["line 7"]
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,a\n2,b,3\n3,a\n")
    with pytest.raises(DataError, match=r"line 3 has 3 field\(s\) but the first row has 2"):
        load(f"csv:{bad}?target=y")
    trailing = tmp_path / "trailing.csv"
    trailing.write_text("x,y\n" + "".join(f"{i},{'ab'[i % 2]},\n" for i in range(6)))
    assert load(f"csv:{trailing}?target=y").meta["feature_names"] == ["x"]


def test_split_column_problems(tmp_path):
    rows = [[i, "ab"[i % 2], "train" if i < 6 else "validation"] for i in range(8)]
    path = write_csv(tmp_path / "t.csv", ["x", "y", "split"], rows)
    with pytest.raises(DataError, match=r"must hold train or test, but line 8 holds 'validation'"):
        load(f"csv:{path}?target=y")
    ds = load(f"csv:{path}?target=y&split_column=\"\"&categorical=split")  # an ordinary column now
    assert "split" in ds.meta["feature_names"]
    rows = [[i, "abc"[i % 3] if i < 6 else "c", "train" if i < 6 else "test"] for i in range(8)]
    rows[2][1] = rows[5][1] = "a"
    path = write_csv(tmp_path / "u.csv", ["x", "y", "split"], rows)
    with pytest.raises(DataError, match=r"class\(es\) c occur only in the test rows"):
        load(f"csv:{path}?target=y")


def test_single_row_class_and_id_like_columns(tmp_path):
    rows = [[i, f"name{i}", "ab"[i % 2]] for i in range(8)] + [[9, "z", "c"]]
    path = write_csv(tmp_path / "t.csv", ["x", "name", "y"], rows)
    with pytest.raises(UserError, match=r"class 'c' \(1 row\) cannot be put in both"):
        load(f"csv:{path}?target=y")
    rows = [[i, f"name{i}", "ab"[i % 2]] for i in range(8)]
    path = write_csv(tmp_path / "u.csv", ["x", "name", "y"], rows)
    with pytest.raises(UserError, match=r"column 'name' .* 8 distinct values .*max_categories=4.*drop=\"name\""):
        load(f"csv:{path}?target=y&max_categories=4")
    assert load(f"csv:{path}?target=y&drop=name").meta["feature_names"] == ["x"]


def test_undecodable_bytes_are_replaced_and_counted(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"x,y\n" + b"".join(b"%d,caf\xe9%d\n" % (i, i % 2) for i in range(6)))
    ds = load(f"csv:{path}?target=y")
    assert ds.provenance["replaced_bytes"] == 6 and ds.classes == ["caf\ufffd0", "caf\ufffd1"]
    ds = load(f"csv:{path}?target=y&encoding=latin-1")
    assert ds.provenance["replaced_bytes"] == 0 and ds.classes == ["caf\xe90", "caf\xe91"]


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is not None, reason="pyarrow is installed")
def test_parquet_without_pyarrow_says_how_to_install(tmp_path):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1....PAR1")
    with pytest.raises(DataError, match=r"needs pyarrow.*pip install pyarrow"):
        load(f"csv:{path}?target=y")
