"""Reading tables: CSV/TSV (pandas), Parquet (pyarrow), ARFF (liac-arff), OpenML; texts one per line.

The contract a tabular ``Dataset`` follows (what the trial's preprocessing builds on):

* ``modality == "tabular"``; ``X_train`` and ``X_test`` are float64 arrays of shape (n, d); NaN marks a
  missing value; a nominal column holds its category codes 0..m-1 as floats (NaN = missing).
* ``meta["columns"]`` is a list of d dicts ``{"name": str, "kind": "numeric" | "nominal",
  "categories": [str, ...]}`` ("categories" only for nominal columns, in a fixed order: ARFF's declared
  order, a Parquet dictionary's order, or sorted for CSV: numerically when every value is a number).
  ``meta["feature_names"]`` lists the same names.
* The loader imputes, scales and one-hot encodes nothing: that is the trial's pipeline, fitted on each
  trial's training rows. Tabular datasets without ``meta["columns"]`` (e.g. scikit-learn's diabetes) are
  all-numeric.
* ``encode_frame(frame, columns)`` codes raw rows (a pandas DataFrame with the training column names)
  the same way, for ``classbench predict``; a category not seen when the dataset was read becomes NaN,
  i.e. it is treated as a missing value.

Modules: ``columns`` (type inference, coding, ``encode_frame``), ``raw`` (the table every reader returns),
``delimited`` (CSV/TSV/Parquet), ``arff``, ``texts`` (one text per line, fastText), ``openml``. Nothing
here imports pandas, pyarrow or liac-arff at module level, so ``classbench list`` stays fast.
"""

from __future__ import annotations

from .columns import encode_frame

__all__ = ["encode_frame"]
