"""arff: Weka's format through liac-arff: nominal order, '?' missing, quoted values, sparse rows, strings, errors."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.errors import DataError, UserError

from .conftest import load, write

HEAD = """% comment line
@relation 'my relation'

@attribute width numeric
@attribute shape {'round, smooth', 'jagged \\'n\\' sharp', plain}
@attribute age integer
@attribute class {yes,no}

@data
"""


def _rows(n: int = 12) -> str:
    shapes = ["'round, smooth'", "'jagged \\'n\\' sharp'", "plain", "?"]
    return "".join(f"{i * 0.5 if i % 5 else '?'},{shapes[i % 4]},{20 + i},{'yes' if i % 3 else 'no'}\n"
                   for i in range(n))


def test_nominal_order_missing_and_quoted_values(tmp_path):
    path = write(tmp_path / "t.arff", HEAD + _rows())
    ds = load(f"arff:{path}?test_fraction=0.34")
    # the class is the last attribute; classes and categories in the declared order, not sorted
    assert ds.classes == ["yes", "no"] and ds.provenance["target"] == "class"
    assert ds.meta["columns"] == [
        {"name": "width", "kind": "numeric"},
        {"name": "shape", "kind": "nominal", "categories": ["round, smooth", "jagged 'n' sharp", "plain"]},
        {"name": "age", "kind": "numeric"}]
    X = np.concatenate([ds.X_train, ds.X_test])
    ages = X[:, 2].astype(int)
    order = np.argsort(ages)
    np.testing.assert_array_equal(X[order, 1], [0, 1, 2, np.nan] * 3)  # codes, NaN where '?'
    assert np.isnan(X[order, 0]).tolist() == [i % 5 == 0 for i in range(12)]
    assert ds.provenance["relation"] == "my relation" and ds.provenance["format"] == "arff"


def test_target_by_name_or_position_and_table_scheme(tmp_path):
    path = write(tmp_path / "t.arff", HEAD + _rows())
    # rows 10..21 are the data lines; the '?' shapes sit on lines 13, 17 and 21
    with pytest.raises(DataError, match=r"3 row\(s\) .* no value in the label column 'shape' \(line 13, line 17, line 21\)"):
        load(f"table:{path}?target=1")
    ds = load(f"table:{path}?target=1&skip_bad=true&test_fraction=0.34")
    assert ds.classes == ["round, smooth", "jagged 'n' sharp", "plain"] and ds.provenance["n_skipped"] == 3
    assert ds.meta["columns"][-1] == {"name": "class", "kind": "nominal", "categories": ["yes", "no"]}
    by_name = load(f"arff:{path}?target=shape&skip_bad=true&test_fraction=0.34")
    assert np.array_equal(by_name.X_train, ds.X_train, equal_nan=True)


SPARSE = """@relation sparse
@attribute w1 numeric
@attribute w2 numeric
@attribute colour {red,green}
@attribute class {a,b}
@data
{0 1.5,3 b}
{1 2,2 green,3 a}
{3 a}
{0 ?,2 green,3 b}
{0 4,1 5,2 red,3 a}
{1 1,3 b}
"""


def test_sparse_rows_expand_with_zero_and_the_first_nominal_value(tmp_path):
    ds = load(f"arff:{write(tmp_path / 's.arff', SPARSE)}?test_fraction=0.34")
    X = np.concatenate([ds.X_train, ds.X_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    got = sorted(zip(map(tuple, np.nan_to_num(X, nan=-1).tolist()), y.tolist()))
    assert got == sorted([((1.5, 0, 0), 1), ((0, 2, 1), 0), ((0, 0, 0), 0), ((-1, 0, 1), 1), ((4, 5, 0), 0),
                          ((0, 1, 0), 1)])


def test_a_string_attribute_makes_a_text_dataset(tmp_path):
    from classbench.datasets import get_source

    head = "@relation reviews\n@attribute id numeric\n@attribute body string\n@attribute class {pos,neg}\n@data\n"
    rows = "".join(f"{i},'{['a great film', 'dull, long and bad'][i % 2]} number {i}',{['pos', 'neg'][i % 2]}\n"
                   for i in range(12))
    path = write(tmp_path / "r.arff", head + rows)
    assert get_source(f"arff:{path}").modality == "text"  # known before loading, so the runner picks text models
    ds = load(f"arff:{path}?test_fraction=0.34")
    assert ds.modality == "text" and ds.X_train.dtype == object and ds.classes == ["pos", "neg"]
    assert all(("great" in t) == (c == 0) for t, c in zip(ds.X_train, ds.y_train))
    assert "dull, long and bad number 1" in list(ds.X_train) + list(ds.X_test)
    assert ds.provenance["text_column"] == "body" and ds.provenance["left_out"] == ["id"]
    two = write(tmp_path / "two.arff", head.replace("@attribute class", "@attribute title string\n@attribute class")
                + rows.replace(",pos", ",'t',pos").replace(",neg", ",'t',neg"))
    with pytest.raises(UserError, match=r"2 STRING attributes \('body', 'title'\); say which one .* text=NAME"):
        load(f"arff:{two}")
    assert load(f"arff:{two}?text=title&test_fraction=0.34").provenance["text_column"] == "title"
    assert get_source(f"arff:{two}?drop=body,title").modality == "tabular"
    assert load(f"arff:{two}?drop=body,title&test_fraction=0.34").meta["feature_names"] == ["id"]


@pytest.mark.parametrize("row, why", [
    ("1,plain,30,maybe", r"line 10 \(attribute 'class': value 'maybe' is not one of its declared values \{yes, no\}\)"),
    ("wide,plain,30,yes", r"line 10 \(attribute 'width': 'wide' is not a number\)"),
    ("1,plain,30,yes,9", r"line 10.*Bad @DATA instance format"),
])
def test_defects_name_the_line_and_the_attribute(tmp_path, row, why):
    path = write(tmp_path / "bad.arff", HEAD + row + "\n" + _rows())
    with pytest.raises(DataError, match=r"bad.arff is not a readable ARFF file at " + why):
        load(f"arff:{path}")


def test_date_attributes_are_refused_with_the_line(tmp_path):
    path = write(tmp_path / "d.arff", '@relation d\n@attribute when date "yyyy-MM-dd"\n@attribute c {a,b}\n@data\n'
                 '2020-01-01,a\n')
    with pytest.raises(DataError, match=r"at line 2 \(liac-arff reads NUMERIC, .* DATE and relational ones are not"):
        load(f"arff:{path}")
