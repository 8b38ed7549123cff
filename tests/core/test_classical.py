"""The scikit-learn family against the contract and scikit-learn's own estimator checks."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from classbench.datasets import load_dataset
from classbench.errors import UserError
from classbench.models import MODELS, create_model
from classbench.models.classical import estimators as E

CLASSICAL = [e.name for e in MODELS if e.meta.get("family") == "sklearn" and "image" in e.meta.get("modalities", ())]
SMALL = {"rbf-svm": {"n_components": 200}, "poly-svm": {"n_components": 200}, "random-forest": {"n_estimators": 30}}


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.mark.parametrize("name", CLASSICAL)
def test_contract_on_digits(name, digits):
    model = create_model(name, **SMALL.get(name, {}))
    assert model.fit(digits.X_train, digits.y_train) is model
    pred = model.predict(digits.X_test)
    assert pred.shape == digits.y_test.shape
    assert (pred == digits.y_test).mean() > 0.85
    assert model.n_params_ > 0 and list(model.classes_) == list(range(10))
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(digits.X_test[:20])
        assert proba.shape == (20, 10) and np.allclose(proba.sum(1), 1.0)
    again = clone(model).fit(digits.X_train, digits.y_train).predict(digits.X_test)
    assert np.array_equal(pred, again), "same seed must give the same predictions"


def test_string_labels(digits):
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    m = create_model("logreg").fit(digits.X_train, names[digits.y_train])
    assert set(m.predict(digits.X_test)) <= set(names)


def test_exact_kernel_svm_caps_training_set(digits):
    m = create_model("rbf-svm", method="exact", max_train_samples=300).fit(digits.X_train, digits.y_train)
    assert m.pipeline_.support_vectors_.shape[0] <= 300
    assert (m.predict(digits.X_test) == digits.y_test).mean() > 0.9


@pytest.mark.parametrize("params,msg", [({"C": 0}, "out of range"), ({"method": "fast"}, "one of 'nystroem'"),
                                        ({"n_componets": 5}, "Did you mean 'n_components'")])
def test_hyperparameter_errors(params, msg):
    with pytest.raises(UserError, match=msg):
        create_model("rbf-svm", **params)


@parametrize_with_checks(
    [E.Ridge(), E.LogReg(), E.KNN(), E.RBFSVM(n_components=50), E.PolySVM(n_components=50)], xfail_strict=True)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
