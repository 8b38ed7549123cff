"""The contract on models that take images (n, c, h, w) or raw texts, not (n, d) matrices.

scikit-learn's checks feed number matrices, which these models refuse by design (their input tags say
so and scikit-learn then skips them). Here they get every scikit-learn check that needs no data, and
the data checks again on their own kind of input: fit returns self, labels of any type, probabilities,
not-fitted errors, clone, pickling, determinism under a seed, refitting, and ValueError (UserError is
one) for bad inputs. Models come from the registry, so a model registered later is covered.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.utils import estimator_checks as EC
from sklearn.utils import get_tags

from .configs import instances, takes_matrices

_OTHER = [m for m in instances() if not takes_matrices(m)]
_IDS = [type(m).__name__ for m in _OTHER]

_NO_DATA_CHECKS = [EC.check_estimator_cloneable, EC.check_estimator_repr, EC.check_no_attributes_set_in_init,
                   EC.check_parameters_default_constructible, EC.check_get_params_invariance, EC.check_set_params,
                   EC.check_do_not_raise_errors_in_init_or_set_params, EC.check_mixin_order,
                   EC.check_valid_tag_types, EC.check_estimator_tags_renamed]

_POS = "good great fine lovely superb nice wonderful".split()
_NEG = "bad awful poor dull terrible boring weak".split()


def _data(model, n: int = 32, seed: int = 0):
    """Two easy classes labelled 'no'/'yes' (strings: labels of any type), n samples of the model's input."""
    rng = np.random.default_rng(seed)
    y = np.array(["no", "yes"] * (n // 2))
    if get_tags(model).input_tags.string:
        X = np.array([" ".join(rng.choice(_POS if c == "yes" else _NEG, size=6)) for c in y], dtype=object)
    else:
        X = rng.normal(0, 0.3, size=(n, 1, 12, 12)).astype(np.float32)
        X[y == "yes", :, 2:6, 2:6] += 2.0  # a bright square: one epoch learns it
    return X, y


def test_these_are_image_or_text_models():
    for m in _OTHER:
        tags = get_tags(m).input_tags
        assert tags.three_d_array or tags.string, type(m).__name__


@pytest.mark.parametrize("check", _NO_DATA_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("model", _OTHER, ids=_IDS)
def test_sklearn_checks_that_need_no_data(model, check):
    check(type(model).__name__, clone(model))


@pytest.mark.parametrize("model", _OTHER, ids=_IDS)
def test_fit_predict_clone_pickle_determinism(model):
    X, y = _data(model)
    est = clone(model).set_params(random_state=0)
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert est.fit(X, y) is est
    assert list(est.classes_) == ["no", "yes"]
    pred = est.predict(X)
    assert pred.shape == (len(X),) and set(pred) <= {"no", "yes"}
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(est.classes_[proba.argmax(axis=1)], pred)
    assert not hasattr(clone(est), "classes_") and clone(est).get_params() == est.get_params()
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict_proba(X), proba)
    # the same seed gives the same model; refitting the same object too (nothing left from the first fit)
    np.testing.assert_allclose(clone(est).fit(X, y).predict_proba(X), proba, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(est.fit(X, y).predict_proba(X), proba, rtol=1e-6, atol=1e-7)
    # predicting in parts gives the same answers as all at once
    parts = np.concatenate([est.predict_proba(X[:5]), est.predict_proba(X[5:])])
    np.testing.assert_allclose(parts, proba, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("model", _OTHER, ids=_IDS)
def test_column_vector_y_warns_and_fits_the_same(model):
    X, y = _data(model)
    est = clone(model).set_params(random_state=0)
    flat = est.fit(X, y).predict_proba(X)
    with pytest.warns(DataConversionWarning, match="A column-vector y was passed"):
        est.fit(X, y[:, None])
    np.testing.assert_allclose(est.predict_proba(X), flat, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("model", _OTHER, ids=_IDS)
def test_bad_inputs_raise_value_errors(model):
    X, y = _data(model)
    est = clone(model).set_params(random_state=0)
    with pytest.raises(ValueError, match="y"):
        est.fit(X, None)
    with pytest.raises(ValueError):
        est.fit(X, y[:-1])  # one label short
    with pytest.raises(ValueError, match="class"):
        est.fit(X, np.array(["yes"] * len(X)))
    with pytest.raises(ValueError):
        est.fit(X[:0], y[:0])  # empty
    if not get_tags(model).input_tags.string:
        import scipy.sparse as sp

        with pytest.raises(TypeError, match="[Ss]parse"):
            est.fit(sp.csr_matrix(X.reshape(len(X), -1)), y)
    est.fit(X, y)
    if get_tags(model).input_tags.string:
        with pytest.raises(ValueError):
            est.predict(np.array([1.5, 2.5]))  # numbers are not texts
        with pytest.raises(ValueError):
            est.predict(np.array([["a", "b"]], dtype=object))  # 2-D
    else:
        bad = X.copy()
        bad[0, 0, 0, 0] = np.nan
        with pytest.raises(ValueError, match="NaN"):
            est.predict(bad)
        with pytest.raises(ValueError, match="features"):
            est.predict(X[:, :, :10, :10])  # another image size than at fit
        with pytest.raises(ValueError):
            est.predict(X.reshape(len(X), -1))  # vectors, not images
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the failed predictions left the model usable
        assert est.predict(X).shape == (len(X),)
