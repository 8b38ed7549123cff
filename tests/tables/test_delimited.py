"""CSV/TSV through pandas and Parquet through pyarrow: headers, target by position, typing, errors with lines."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.errors import DataError, UserError

from .conftest import load, write

# the first lines of UCI's sonar.all-data: no header, 60 numbers then the class
SONAR = [
    "0.0200,0.0371,0.0428,0.0207,0.0954,0.0986,0.1539,0.1601,0.3109,0.2111,R",
    "0.0453,0.0523,0.0843,0.0689,0.1183,0.2583,0.2156,0.3481,0.3337,0.2872,R",
    "0.0262,0.0582,0.1099,0.1083,0.0974,0.2280,0.2431,0.3771,0.5598,0.6194,R",
    "0.0100,0.0171,0.0623,0.0205,0.0205,0.0368,0.1098,0.1276,0.0598,0.1264,M",
    "0.0762,0.0666,0.0481,0.0394,0.0590,0.0649,0.1209,0.2467,0.3564,0.4459,M",
    "0.0286,0.0453,0.0277,0.0174,0.0384,0.0990,0.1201,0.1833,0.2105,0.3039,M",
    "0.0317,0.0956,0.1321,0.1408,0.1674,0.1710,0.0731,0.1401,0.2083,0.3513,R",
    "0.0519,0.0548,0.0842,0.0319,0.1158,0.0922,0.1027,0.0613,0.1465,0.2838,M",
]


def test_headerless_uci_file_with_the_target_by_position(tmp_path):
    path = write(tmp_path / "sonar.all-data", "\n".join(SONAR) + "\n")
    ds = load(f"csv:{path}?target=-1&test_fraction=0.5")
    assert ds.provenance["header"] == "none" and ds.provenance["target"] == "10"
    assert ds.classes == ["M", "R"] and len(ds.y_train) + len(ds.y_test) == 8  # the first row is data too
    assert ds.meta["feature_names"] == [str(j) for j in range(10)]
    assert all(c["kind"] == "numeric" for c in ds.meta["columns"]) and ds.X_train.dtype == np.float64
    rows = {tuple(r) for r in np.concatenate([ds.X_train, ds.X_test]).tolist()}
    assert (0.02, 0.0371, 0.0428, 0.0207, 0.0954, 0.0986, 0.1539, 0.1601, 0.3109, 0.2111) in rows
    # the same column by its name (columns are named by position) and with header=none said outright
    same = load(f"csv:{path}?target=10&header=none&test_fraction=0.5")
    assert np.array_equal(same.X_train, ds.X_train) and same.provenance["target"] == "10"
    # header=first takes the first row as names (so the target is then named by that row's value)
    first = load(f"csv:{path}?target=-1&header=first&test_fraction=0.5")
    assert len(first.y_train) + len(first.y_test) == 7 and first.meta["feature_names"][0] == "0.0200"


def test_header_detection_and_the_target_first(tmp_path):
    lines = ["kind,width,height"] + [f"{'ab'[i % 2]},{i * 0.5},{10 - i}" for i in range(10)]
    path = write(tmp_path / "t.csv", "\n".join(lines) + "\n")
    ds = load(f"csv:{path}?target=0")
    assert ds.provenance["header"] == "first" and ds.provenance["target"] == "kind"
    assert ds.meta["feature_names"] == ["width", "height"] and ds.classes == ["a", "b"]
    # an all-text header-less file stays "header" under auto: header=none says otherwise
    nominal = write(tmp_path / "n.csv", "".join(f"{'xy'[i % 2]},{'uvw'[i % 3]},{'ab'[i % 2]}\n" for i in range(12)))
    assert load(f"csv:{nominal}?target=-1").provenance["header"] == "first"
    ds = load(f"csv:{nominal}?target=-1&header=none")
    assert ds.meta["columns"][1] == {"name": "1", "kind": "nominal", "categories": ["u", "v", "w"]}
    assert len(ds.y_train) + len(ds.y_test) == 12


def test_tsv_scheme_and_categorical_override(tmp_path):
    lines = ["zip\tsize\ty"] + [f"{1000 + i % 3}\t{i}\t{'ab'[i % 2]}" for i in range(12)]
    path = write(tmp_path / "t.txt", "\n".join(lines) + "\n")
    ds = load(f"tsv:{path}?target=y&categorical=zip")
    assert ds.provenance["delimiter"] == "\t"
    assert ds.meta["columns"][0] == {"name": "zip", "kind": "nominal", "categories": ["1000", "1001", "1002"]}
    assert set(np.unique(ds.X_train[:, 0])) <= {0.0, 1.0, 2.0}


def test_regression_target_by_position(tmp_path):
    lines = ["a,b,price"] + [f"{i},{i % 4},{3.5 * i + 1}" for i in range(20)]
    path = write(tmp_path / "h.csv", "\n".join(lines) + "\n")
    ds = load(f"csv:{path}?target=-1&task=regression")
    assert ds.task == "regression" and ds.y_train.dtype == np.float64
    assert np.allclose(ds.y_train, 3.5 * ds.X_train[:, 0] + 1)


def test_bad_rows_name_the_file_and_line(tmp_path):
    bad = write(tmp_path / "bad.csv", "x,y\n1,a\n2,b\n3\n4,a\n")
    with pytest.raises(DataError, match=r"bad.csv line 4 has 1 field\(s\) but the first row has 2"):
        load(f"csv:{bad}?target=y")
    quote = write(tmp_path / "quote.csv", 'x,y\n1,a\n2,"b\n3,a\n')
    with pytest.raises(DataError, match=r"quote.csv is not a readable CSV file at line 3: .*EOF inside string"):
        load(f"csv:{quote}?target=y")
    blank = write(tmp_path / "blank.csv", "x,y\n\n1,a\n2,b\n\n3,a\n4,b\n5,\n")
    with pytest.raises(DataError, match=r"no value in the label column 'y' \(line 8\)"):
        load(f"csv:{blank}?target=y")
    with pytest.raises(UserError, match=r"target='7' .* position it must lie in -2..1"):
        load(f"csv:{blank}?target=7")


def test_missing_markers_and_inf_are_nan(tmp_path):
    lines = ["a,b,y", "1,x,p", "NA,?,q", "inf,,p", "4,None,q", "n/a,x,p", "6,y,q"]
    ds = load(f"csv:{write(tmp_path / 'm.csv', chr(10).join(lines))}?target=y&split_column=&test_fraction=0.34")
    X = np.concatenate([ds.X_train, ds.X_test])
    assert np.isnan(X[:, 0]).sum() == 3 and np.isnan(X[:, 1]).sum() == 3  # NA, inf, n/a; ?, empty, None
    assert ds.meta["columns"][1]["categories"] == ["x", "y"]


def test_parquet_types_come_from_the_schema(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    n = 12
    table = pa.table({
        "size": pa.array([float(i) if i != 3 else None for i in range(n)]),
        "count": pa.array(list(range(n)), type=pa.int32()),
        "flag": pa.array([i % 2 == 0 if i != 5 else None for i in range(n)]),
        "colour": pa.array(["red", "green", "blue"] * 4).dictionary_encode(),
        "code": pa.array([str(100 + i % 2) for i in range(n)]),
        "label": pa.array(["yes", "no"] * 6),
    })
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    ds = load(f"parquet:{path}?target=label&test_fraction=0.34")
    assert ds.classes == ["no", "yes"] and ds.provenance["format"] == "parquet"
    assert ds.meta["columns"] == [
        {"name": "size", "kind": "numeric"}, {"name": "count", "kind": "numeric"},
        {"name": "flag", "kind": "nominal", "categories": ["false", "true"]},
        {"name": "colour", "kind": "nominal", "categories": ["red", "green", "blue"]},  # the dictionary's order
        {"name": "code", "kind": "numeric"}]  # strings of numbers are typed like CSV cells
    X = np.concatenate([ds.X_train, ds.X_test])
    assert np.isnan(X[:, 0]).sum() == 1 and np.isnan(X[:, 2]).sum() == 1
    assert load(f"csv:{path}?target=-1&test_fraction=0.34").meta == ds.meta  # csv: picks Parquet by extension
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match=r"broken.parquet is not a readable Parquet file"):
        load(f"parquet:{broken}?target=label")
