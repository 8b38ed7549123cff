"""The tabular models, each fitted on a mixed table with missing values and nominal columns through the
trial's preprocessing. (scikit-learn's estimator checks run on every registered model in tests/contract.)"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from classbench.bench.preprocess import TabularPipeline
from classbench.models import MODELS, create_model
from classbench.models.classical import tabular as T

from ._table import COLUMNS, mixed_table

TABULAR = ["hist-gb", "lightgbm", "extra-trees", "decision-tree", "gaussian-nb", "categorical-nb", "qda",
           "adaboost", "svc"]
_FAST = {"hist-gb": {"max_iter": 20}, "lightgbm": {"n_estimators": 20}, "extra-trees": {"n_estimators": 20},
         "adaboost": {"n_estimators": 10}}


@pytest.mark.parametrize("name", TABULAR)
def test_fits_mixed_table_with_missing_values(name):
    X, y = mixed_table(300, seed=1)
    model = TabularPipeline(create_model(name, **_FAST.get(name, {})), COLUMNS)
    clone(model)  # get_params/set_params round trip
    model.fit(X[:220], y[:220])
    pred = model.predict(X[220:])
    assert pred.shape == (80,) and set(pred) <= {0, 1, 2}
    assert np.mean(pred == y[220:]) > 0.6, name  # the signal is strong: every model must find it
    assert model.n_params_ > 0 and model.history_
    if hasattr(model, "predict_proba"):
        p = model.predict_proba(X[220:])
        assert p.shape == (80, 3) and np.allclose(p.sum(axis=1), 1) and np.all(np.isfinite(p))
    # a row with every value missing and unseen categories still gets a prediction
    odd = np.array([[np.nan, np.nan, np.nan, np.nan], [40.0, 2.0, 1e4, np.nan]])
    assert model.predict(odd).shape == (2,)


def test_registered_for_tables():
    for name in TABULAR:
        assert "tabular" in MODELS.entry(name).meta["modalities"], name
        assert MODELS.entry(name).meta["family"] == "sklearn"
    for cls in (T.HistGB, T.LightGBM, T.CategoricalNB):
        assert cls.native_categorical
    for name in TABULAR:
        model = create_model(name)
        assert set(model.get_params()) == set(model.param_space), name


def test_native_models_see_codes_and_the_categorical_mask():
    X, y = mixed_table(200)
    model = TabularPipeline(create_model("hist-gb", max_iter=10), COLUMNS).fit(X, y)
    assert model.preprocessor_ is None and model.model_.categorical == [1, 3]
    assert list(model.model_.pipeline_.is_categorical_) == [False, True, False, True]
    other = TabularPipeline(create_model("logreg"), COLUMNS).fit(X, y)
    # 2 numeric + 2 missing indicators + 3 colours + 4 sizes
    assert other.preprocessor_.transform(X).shape[1] == 2 + 2 + 3 + 4


def test_lightgbm_missing_is_a_user_error(monkeypatch):
    import builtins

    from classbench.errors import UserError

    real = builtins.__import__

    def no_lightgbm(name, *args, **kwargs):
        if name == "lightgbm" or name.startswith("lightgbm."):
            raise ImportError("No module named 'lightgbm'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_lightgbm)
    X, y = mixed_table(50)
    with pytest.raises(UserError, match="pip install 'classbench\\[tables\\]'"):
        T.LightGBM().fit(np.nan_to_num(X), y)


def test_categorical_nb_matches_scikit_learn_on_complete_columns():
    """No missing values: the nominal part is CategoricalNB (Laplace), the numeric part GaussianNB."""
    from sklearn.naive_bayes import CategoricalNB as SkCat
    from sklearn.naive_bayes import GaussianNB as SkGauss

    from classbench.models.classical.tabular_fit import MixedNB

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    codes = np.column_stack([(y + rng.integers(0, 2, 200)) % 4, rng.integers(0, 3, 200)]).astype(float)
    nums = rng.normal(size=(200, 2)) + y[:, None]
    ours = MixedNB(categorical=[0, 1]).fit(codes, y)
    assert np.allclose(ours.predict_proba(codes), SkCat(alpha=1.0).fit(codes, y).predict_proba(codes))
    ours = MixedNB(categorical=[]).fit(nums, y)
    assert np.allclose(ours.predict_proba(nums), SkGauss().fit(nums, y).predict_proba(nums))
    # a missing value contributes nothing: same answer as the model fitted without that column
    X = np.column_stack([codes[:, 0], nums[:, 0]])
    X_miss = X.copy()
    X_miss[:, 1] = np.nan
    both = MixedNB(categorical=[0]).fit(X, y)
    only = MixedNB(categorical=[0]).fit(X[:, :1], y)
    assert np.allclose(both.predict_proba(X_miss), only.predict_proba(X[:, :1]))
