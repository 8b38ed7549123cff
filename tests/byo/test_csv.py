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


def test_encoding_rules_with_a_split_column(tmp_path):
    path = write_csv(tmp_path / "t.csv", HEADER, ROWS)
    ds = load(f"csv:{path}?target=kind&drop=id&standardize=false")
    assert ds.modality == "tabular" and ds.classes == ["cat", "dog"]
    assert ds.provenance["split"] == "column 'split'" and len(ds.y_train) == 4 and len(ds.y_test) == 2
    names = ds.meta["feature_names"]
    assert names == ["size", "size__missing", "color=(missing)", "color=blue", "color=red",
                     "weight", "weight__missing"]
    X = dict(zip(names, np.concatenate([ds.X_train, ds.X_test]).T))
    # numeric: missing -> median of the TRAIN values (1, 2, 3 -> 2; 10, 30, 40 -> 30), plus an indicator
    assert X["size"].tolist() == [1, 2, 3, 2, 1000, 2] and X["size__missing"].tolist() == [0, 0, 0, 1, 0, 1]
    assert X["weight"].tolist() == [10, 30, 30, 40, 30, 60]
    # categorical: categories from the train rows only; "green" (test only) -> all zeros; missing is a category
    onehot = np.stack([X["color=(missing)"], X["color=blue"], X["color=red"]], 1)
    assert onehot.tolist() == [[0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 1, 0]]
    assert ds.X_train.dtype == np.float32 and ds.y_train.tolist() == [0, 1, 0, 1]


def test_standardize_uses_train_statistics(tmp_path):
    path = write_csv(tmp_path / "t.csv", HEADER, ROWS)
    ds = load(f"csv:{path}?target=kind&drop=id")
    size = ds.X_train[:, ds.meta["feature_names"].index("size")]
    assert abs(size.mean()) < 1e-6 and abs(size.std() - 1) < 1e-5
    assert ds.X_test[0, 0] > 100  # the test outlier is scaled with train statistics, not its own
    assert set(np.unique(ds.X_train[:, 1])) <= {0.0, 1.0}  # indicators are never scaled


def test_labels_of_any_type_sorted_numerically_and_stratified_split(tmp_path):
    rows = [[i * 0.5, f"{i % 3}x", [2, 10, 1][i % 3]] for i in range(30)]
    path = write_csv(tmp_path / "t.csv", ["a", "b", "y"], rows)
    ds = load(f"csv:{path}?target=y&test_fraction=0.2&split_seed=3")
    assert ds.classes == ["1", "2", "10"]
    assert np.bincount(ds.y_test).tolist() == [2, 2, 2] and len(ds.y_train) == 24
    assert ds.meta["feature_names"] == ["a", "b=0x", "b=1x", "b=2x"]
    again = load(f"csv:{path}?target=y&test_fraction=0.2&split_seed=3")
    assert np.array_equal(again.X_test, ds.X_test)


@pytest.mark.parametrize("delimiter, suffix", [(";", ".csv"), ("\t", ".tsv"), ("|", ".txt")])
def test_delimiters_are_sniffed(tmp_path, delimiter, suffix):
    path = write_csv(tmp_path / f"t{suffix}", ["x", "label"], [[i, "ab"[i % 2]] for i in range(8)], delimiter)
    ds = load(f"csv:{path}?target=label")
    assert ds.meta["feature_names"] == ["x"] and ds.provenance["delimiter"] == delimiter


def test_target_errors_list_the_columns(tmp_path):
    path = write_csv(tmp_path / "t.csv", HEADER, ROWS)
    with pytest.raises(UserError, match=r"'species', which .* does not have. Its columns: 'id', 'size', 'color'"):
        load(f"csv:{path}?target=species")
    with pytest.raises(UserError, match=r"say which column holds the class labels.*'kind', 'split'"):
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
    with pytest.raises(DataError, match=r"line 3 has 3 field\(s\) but the header has 2"):
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
    assert "split=train" in ds.meta["feature_names"]
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
    with pytest.raises(UserError, match=r"column 'name' .* 6 distinct values .*max_categories=4.*drop=\"name\""):
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
