"""Preprocessing of tables, fitted inside each trial on that trial's training rows only.

Table loaders hand over raw columns: a float64 matrix where NaN marks a missing value and a nominal column
holds category codes 0..m-1, described by ``Dataset.meta["columns"]`` (``{"name", "kind": "numeric" |
"nominal", "categories": [...]}``). ``TabularPipeline`` wraps a classbench model with what it needs before
it sees those rows, and it is fitted with the model, on the same rows:

* most models: a scikit-learn ``ColumnTransformer``: nominal columns get ``SimpleImputer(most_frequent)``
  then ``OneHotEncoder(handle_unknown="ignore")`` (a category never seen in training becomes all zeros);
  numeric columns ``SimpleImputer(median, add_indicator=True)`` then ``StandardScaler``;
* models that handle categories and missing values themselves (``native_categorical = True`` on the class:
  ``hist-gb``, ``lightgbm``) get the codes untouched (NaN included) and the indices of the nominal
  columns through their ``categorical`` hyperparameter.

So with ``--protocol kfold:10`` every fold has its own medians, scales and category lists, and nothing of a
test fold reaches them. The wrapper keeps the classbench contract (``fit``/``predict``/``predict_proba``,
``classes_``, ``n_params_``, ``history_``, ``get_params`` so ``clone`` works) and is saved with the model
(see ``classbench.persist``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.metaestimators import available_if

from ..contract import Classifier, Regressor

#: HistGradientBoosting's categorical features need codes below its max_bins (255): wider nominal columns
#: are passed to native models as their (ordinal) codes instead.
MAX_NATIVE_CATEGORIES = 255


def check_columns(columns: Any, d: int | None = None) -> list[dict[str, Any]]:
    """``columns`` as a list of ``{"name", "kind", "categories"}`` dicts; ValueError if malformed."""
    cols = [dict(c) for c in (columns or [])]
    for i, c in enumerate(cols):
        if c.get("kind") not in ("numeric", "nominal"):
            raise ValueError(f"column {i} ({c.get('name')!r}): kind must be 'numeric' or 'nominal', got {c.get('kind')!r}")
    if d is not None and len(cols) != d:
        raise ValueError(f"the table has {d} columns but its description lists {len(cols)}")
    return cols


def nominal_indices(columns: list[dict[str, Any]]) -> list[int]:
    return [i for i, c in enumerate(columns) if c["kind"] == "nominal"]


def build_preprocessor(columns: list[dict[str, Any]]) -> Any:
    """The unfitted ``ColumnTransformer`` for ``columns`` (see the module docstring)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    nominal = nominal_indices(columns)
    numeric = [i for i in range(len(columns)) if i not in set(nominal)]
    parts = []
    if numeric:
        parts.append(("numeric", make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True), StandardScaler()),
            numeric))
    if nominal:
        parts.append(("nominal", make_pipeline(
            SimpleImputer(strategy="most_frequent", keep_empty_features=True),
            OneHotEncoder(handle_unknown="ignore", sparse_output=False)), nominal))
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)


class TabularPipeline(Classifier):
    """A classbench ``model`` behind the preprocessing of a table described by ``columns``.

    Parameters
    ----------
    model : classbench model (unfitted; cloned at fit)
    columns : list of dict
        One ``{"name", "kind": "numeric"|"nominal", "categories": [...]}`` per column of X.

    ``fit(X, y)`` takes X : float64 array of shape (n, len(columns)) with NaN for missing values and
    nominal columns as codes. Fitted: ``preprocessor_`` (a ColumnTransformer, or None for a model with
    native categorical handling) and ``model_`` (the fitted clone of ``model``).
    """

    family = "sklearn"

    def __init__(self, model: Any = None, columns: Any = None):
        self.model = model
        self.columns = columns

    @property
    def native(self) -> bool:
        return bool(getattr(type(self.model), "native_categorical", False))

    def _raw(self, X: Any, reset: bool) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"A table must be 2-D (rows, columns), got shape {X.shape}.")
        if np.isinf(X).any():
            raise ValueError("Input X contains infinity (a missing value must be NaN).")
        d = len(self.columns or []) or X.shape[1]
        if X.shape[1] != d:
            raise ValueError(f"X has {X.shape[1]} columns, but the table has {d}.")
        if reset:
            self.n_features_in_ = d
        return X

    def _columns(self, d: int) -> list[dict[str, Any]]:
        return check_columns(self.columns, d) if self.columns else [{"name": f"x{i}", "kind": "numeric"}
                                                                  for i in range(d)]

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "TabularPipeline":
        from sklearn.base import clone

        X = self._raw(X, reset=True)
        cols = self._columns(X.shape[1])
        self.model_ = clone(self.model)
        if self.native:
            cat = [i for i in nominal_indices(cols) if len(cols[i].get("categories") or ()) <= MAX_NATIVE_CATEGORIES]
            self.model_.set_params(categorical=cat or None)
            self.preprocessor_ = None
            Xt = X
        else:
            self.preprocessor_ = build_preprocessor(cols).fit(X)
            Xt = self.preprocessor_.transform(X)
        if X_val is not None and y_val is not None:
            self.model_.fit(Xt, y, X_val=self.transform(X_val), y_val=y_val)
        else:
            self.model_.fit(Xt, y)
        if hasattr(self.model_, "classes_"):
            self.classes_ = self.model_.classes_
        self.n_params_ = int(getattr(self.model_, "n_params_", 0) or 0) + _count_stats(self.preprocessor_)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Raw coded rows -> what the model takes. X : float64 array of shape (n, n_columns)."""
        X = self._raw(X, reset=False)
        return X if self.preprocessor_ is None else self.preprocessor_.transform(X)

    @property
    def history_(self) -> list[dict[str, Any]]:
        return getattr(getattr(self, "model_", None), "history_", None) or []

    def predict(self, X: Any) -> np.ndarray:
        self._check_fitted()
        return self.model_.predict(self.transform(X))

    def _check_fitted(self) -> None:
        from sklearn.exceptions import NotFittedError

        if not hasattr(self, "model_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet. Call 'fit' first.")

    @available_if(lambda self: hasattr(self.model, "predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        self._check_fitted()
        return self.model_.predict_proba(self.transform(X))

    @available_if(lambda self: hasattr(self.model, "decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        self._check_fitted()
        return self.model_.decision_function(self.transform(X))

    @classmethod
    def from_fitted(cls, model: Any, columns: list[dict[str, Any]], preprocessor: Any) -> Any:
        """The wrapper around an already fitted ``model`` and ``preprocessor`` (a saved model, loaded)."""
        if getattr(model, "task", "classification") == "regression" and cls is TabularPipeline:
            cls = TabularRegressionPipeline
        out = cls(model=model, columns=columns)
        out.model_, out.preprocessor_ = model, preprocessor
        out.n_features_in_ = len(columns)
        if hasattr(model, "classes_"):
            out.classes_ = model.classes_
        out.n_params_ = int(getattr(model, "n_params_", 0) or 0) + _count_stats(preprocessor)
        return out


def _count_stats(pre: Any) -> int:
    """Numbers the preprocessing learned: medians, means, scales, category lists."""
    if pre is None:
        return 0
    total = 0
    for _, step, _cols in getattr(pre, "transformers_", []):
        for sub in getattr(step, "steps", [(None, step)]):
            est = sub[1]
            for attr in ("statistics_", "mean_", "scale_"):
                v = getattr(est, attr, None)
                if isinstance(v, np.ndarray) and v.dtype.kind == "f":
                    total += v.size
            total += sum(len(c) for c in getattr(est, "categories_", []))
    return int(total)


class TabularRegressionPipeline(Regressor):
    """``TabularPipeline`` for regression models: the same preprocessing, fitted the same way."""

    family = "sklearn"

    def __init__(self, model: Any = None, columns: Any = None):
        self.model = model
        self.columns = columns

    native = TabularPipeline.native
    _raw = TabularPipeline._raw
    _columns = TabularPipeline._columns
    fit = TabularPipeline.fit
    transform = TabularPipeline.transform
    history_ = TabularPipeline.history_
    predict = TabularPipeline.predict
    _check_fitted = TabularPipeline._check_fitted
    from_fitted = classmethod(TabularPipeline.from_fitted.__func__)


def is_table_pipeline(model: Any) -> bool:
    return isinstance(model, (TabularPipeline, TabularRegressionPipeline))


def wrap_for(model: Any, dataset: Any) -> Any:
    """``model`` inside a ``TabularPipeline`` (``TabularRegressionPipeline`` for a regression model) when
    ``dataset`` is a described table, else ``model`` itself."""
    columns = (getattr(dataset, "meta", None) or {}).get("columns")
    if getattr(dataset, "modality", None) != "tabular" or not columns:
        return model
    cls = TabularRegressionPipeline if getattr(model, "task", "") == "regression" else TabularPipeline
    return cls(model=model, columns=check_columns(columns))
