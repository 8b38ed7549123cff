"""The classbench contract, parametrized over every registered scratch linear / kernel model."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone

from classbench.errors import UserError
from classbench.models import MODELS, create_model

_MODULES = ("linear", "iterative", "kernel", "svm")


def _module(entry) -> str:
    return entry.target.split(":")[0] if isinstance(entry.target, str) else entry.target.__module__


# the linear and kernel models of this package (the scratch neural nets have their own tests)
MINE = sorted(e.name for e in MODELS if _module(e) in {f"classbench.models.scratch.{m}" for m in _MODULES})

#: small settings so each fit takes well under a second on the 8x8 digits
FAST = {
    "scratch-ridge": {},
    "scratch-lda": {},
    "scratch-kfd": {"n_landmarks": 150},
    "scratch-perceptron": {"epochs": 3},
    "scratch-logreg": {"max_iter": 40},
    "scratch-linear-svm": {"max_iter": 40},
    "scratch-kernel-svm": {"C": 5.0},
}


@pytest.fixture(scope="module")
def small(digits):
    Xtr, ytr, Xte, yte = digits
    return Xtr[:400].reshape(-1, 1, 8, 8), ytr[:400], Xte[:200].reshape(-1, 1, 8, 8), yte[:200]


def test_all_seven_are_registered():
    expected = {"scratch-ridge", "scratch-lda", "scratch-kfd", "scratch-perceptron", "scratch-logreg",
                "scratch-linear-svm", "scratch-kernel-svm"}
    assert expected <= set(MINE)
    for name in expected:
        entry = MODELS.entry(name)
        assert entry.meta["family"] == "scratch"
        assert set(entry.meta["modalities"]) == {"image", "tabular"}
        assert entry.load().family == "scratch"


def test_registration_imports_neither_sklearn_nor_torch():
    code = ("import sys, classbench.models.scratch; "
            "bad = [m for m in ('sklearn', 'torch') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("name", MINE)
def test_fit_predict_shapes_and_history(name, small):
    Xtr, ytr, Xte, yte = small
    model = create_model(name, **FAST[name])
    assert model.fit(Xtr, ytr, X_val=Xte, y_val=yte) is model
    pred = model.predict(Xte)
    assert pred.shape == (len(Xte),) and set(pred) <= set(ytr)
    assert np.mean(pred == yte) > 0.8, f"{name}: accuracy {np.mean(pred == yte):.3f} on digits"
    assert isinstance(model.n_params_, int) and model.n_params_ > 0
    assert model.history_ and all({"epoch", "loss", "accuracy", "seconds"} <= set(r) for r in model.history_)
    assert "val_accuracy" in model.history_[-1]
    assert abs(model.history_[-1]["val_accuracy"] - np.mean(pred == yte)) < 1e-12
    dec = model.decision_function(Xte)
    assert dec.shape[0] == len(Xte) and np.isfinite(dec).all()
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(Xte)
        assert proba.shape == (len(Xte), 10)
        np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-9)
        assert np.mean(model.classes_[proba.argmax(1)] == pred) > 0.99


@pytest.mark.parametrize("name", MINE)
def test_labels_of_any_type(name, small):
    Xtr, ytr, Xte, _ = small
    ref = create_model(name, **FAST[name]).fit(Xtr, ytr).predict(Xte)
    # labels sorting in the same order as 0..9, so the class indices (and tie-breaks) are the same
    for labels in (np.array([f"{chr(97 + k)}-digit" for k in range(10)]), np.arange(10) * 3.0 - 7, np.arange(10) > 4):
        y = labels[ytr]
        pred = create_model(name, **FAST[name]).fit(Xtr, y).predict(Xte)
        assert pred.dtype == y.dtype and set(pred) <= set(y)
        if len(set(y)) == 10:
            np.testing.assert_array_equal(pred, labels[ref])


@pytest.mark.parametrize("name", MINE)
def test_deterministic_under_a_seed(name, small):
    Xtr, ytr, Xte, _ = small
    a = create_model(name, random_state=3, **FAST[name]).fit(Xtr, ytr)
    b = create_model(name, random_state=3, **FAST[name]).fit(Xtr, ytr)
    np.testing.assert_array_equal(a.decision_function(Xte), b.decision_function(Xte))


@pytest.mark.parametrize("name", MINE)
def test_clone_keeps_params_and_refits(name, small):
    Xtr, ytr, Xte, _ = small
    model = create_model(name, **FAST[name]).fit(Xtr, ytr)
    twin = clone(model)
    assert twin.get_params() == model.get_params() and not hasattr(twin, "classes_")
    np.testing.assert_array_equal(twin.fit(Xtr, ytr).predict(Xte), model.predict(Xte))


def _bad_values(space):
    """(param, bad value) for every declared parameter that has a bound or a choice list."""
    for key, p in space.items():
        if p.choices is not None:
            yield key, "no-such-choice"
        elif p.low is not None:
            yield key, (p.low if p.low_open else p.low - 1)
        elif p.kind is bool:
            yield key, "yes"


@pytest.mark.parametrize("name", MINE)
def test_bad_hyperparameters_raise_user_error(name, small):
    Xtr, ytr, _, _ = small
    cls = MODELS.get(name)
    bad = list(_bad_values(cls.param_space))
    assert bad
    for key, value in bad:
        with pytest.raises(UserError, match=key):
            create_model(name, **{key: value})
        with pytest.raises(UserError, match=key):  # built directly: fit validates too
            cls(**{key: value}).fit(Xtr, ytr)
    with pytest.raises(UserError, match="unknown parameter"):
        create_model(name, no_such_param=1)


@pytest.mark.parametrize("name", MINE)
def test_bad_data_raises_value_error(name, small):
    """Data mistakes raise ValueError with scikit-learn's messages (the contract's ``_check_X``)."""
    Xtr, ytr, Xte, _ = small
    with pytest.raises(ValueError, match="one class"):
        create_model(name, **FAST[name]).fit(Xtr[:20], np.zeros(20))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        create_model(name, **FAST[name]).fit(Xtr, ytr[:-1])
    broken = Xtr.reshape(len(Xtr), -1).copy()
    broken[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        create_model(name, **FAST[name]).fit(broken, ytr)
    model = create_model(name, **FAST[name]).fit(Xtr, ytr)
    with pytest.raises(ValueError, match="expecting 64 features"):
        model.predict(Xte.reshape(len(Xte), -1)[:, :10])


@pytest.mark.parametrize("name", MINE)
def test_standardize_option(name, small):
    """standardize=True is the same model fitted on features standardized with the training mean and std
    (a constant feature keeps scale 1), and on features of very different scales it changes the model."""
    Xtr, ytr, Xte, yte = small
    weights = np.linspace(1.0, 50.0, 64)  # pixel j scaled by weights[j]: standardizing undoes it
    Xtr, Xte = Xtr.reshape(len(Xtr), -1) * weights, Xte.reshape(len(Xte), -1) * weights
    mean, std = Xtr.mean(axis=0), Xtr.std(axis=0)
    std[std == 0] = 1.0
    model = create_model(name, standardize=True, **FAST[name]).fit(Xtr, ytr)
    by_hand = create_model(name, standardize=False, **FAST[name]).fit((Xtr - mean) / std, ytr)
    np.testing.assert_allclose(model.decision_function(Xte), by_hand.decision_function((Xte - mean) / std),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model.predict(Xte), by_hand.predict((Xte - mean) / std))
    assert np.mean(model.predict(Xte) == yte) > 0.75
    if name == "scratch-lda":  # LDA without shrinkage is invariant to rescaling features: nothing changes
        return
    raw = create_model(name, standardize=False, **FAST[name]).fit(Xtr, ytr)
    assert not np.allclose(raw.decision_function(Xte), model.decision_function(Xte), rtol=1e-3)
