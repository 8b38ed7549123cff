"""encode_frame: raw rows coded exactly as the loader coded the training table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from classbench.datasets.tables import encode_frame
from classbench.errors import DataError, UserError

from .conftest import load, write


def test_rows_read_from_the_same_csv_code_like_the_training_data(tmp_path):
    lines = ["id,size,colour,zip,y"] + [f"{i},{[1.5, 'NA', 3][i % 3]},{['red', 'blue', ''][i % 3]},{100 + i % 2},"
                                       f"{'ab'[i % 2]}" for i in range(12)]
    path = write(tmp_path / "t.csv", "\n".join(lines) + "\n")
    ds = load(f"csv:{path}?target=y&drop=id&categorical=zip&test_fraction=0.25")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    X = encode_frame(raw, ds.meta["columns"])
    assert X.shape == (12, 3) and ds.meta["feature_names"] == ["size", "colour", "zip"]

    def rows(A):
        return sorted(map(tuple, np.nan_to_num(A, nan=-9).tolist()))

    assert rows(X) == rows(np.concatenate([ds.X_train, ds.X_test]))  # the same coded rows, NaN where missing
    assert np.isnan(X[:, 1]).sum() == 4 and set(X[:, 2]) == {0.0, 1.0}


def test_types_unseen_categories_and_missing_markers():
    columns = [{"name": "n", "kind": "numeric"},
               {"name": "c", "kind": "nominal", "categories": ["1", "2", "x y"]},
               {"name": "b", "kind": "nominal", "categories": ["false", "true"]}]
    frame = pd.DataFrame({"n": ["1.5", " 2 ", "?", "inf", "", "7"],
                          "c": [1.0, "2", " x y ", "unseen", None, np.nan],
                          "b": [True, False, "TRUE", "false", "?", "maybe"],
                          "target": ["a"] * 6})
    X = encode_frame(frame, columns)
    assert X.dtype == np.float64 and X.shape == (6, 3)
    np.testing.assert_array_equal(X[:, 0], [1.5, 2, np.nan, np.nan, np.nan, 7])
    np.testing.assert_array_equal(X[:, 1], [0, 1, 2, np.nan, np.nan, np.nan])  # unseen -> NaN, like missing
    np.testing.assert_array_equal(X[:, 2], [1, 0, 1, 0, np.nan, np.nan])
    numbers = encode_frame(pd.DataFrame({"n": [1, 2, np.inf]}), columns[:1])  # numeric dtype: taken as is
    np.testing.assert_array_equal(numbers[:, 0], [1, 2, np.nan])


def test_bad_input_is_a_user_error():
    columns = [{"name": "n", "kind": "numeric"}, {"name": "c", "kind": "nominal", "categories": ["a"]}]
    with pytest.raises(UserError, match=r"lack column\(s\) 'c' that the model was trained on"):
        encode_frame(pd.DataFrame({"n": [1]}), columns)
    with pytest.raises(DataError, match=r"Row 2, column 'n': 'ten' is not a number"):
        encode_frame(pd.DataFrame({"n": ["1", "ten"], "c": ["a", "a"]}), columns)
