"""scikit-learn's estimator checks on every registered model that takes (n, d) matrices, every family.

The models come from the registry (``configs.instances``), so a model registered later is checked
with no edit here. A check a model cannot pass is declared beside the model (``_xfail_checks``: check
name -> reason) and runs as a strict expected failure: if it starts passing, the test fails, and the
declaration must go. Models that take images or raw texts only are checked in ``test_other_inputs``.
"""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import estimator_checks_generator, parametrize_with_checks

from classbench.contract import expected_failed_checks
from classbench.models import MODELS

from .configs import CONFIGS, instances, takes_matrices

_ALL = instances()
_MATRIX = [m for m in _ALL if takes_matrices(m)]


@parametrize_with_checks(_MATRIX, expected_failed_checks=expected_failed_checks, xfail_strict=True)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_every_registered_model_is_checked():
    """Each registered model is instantiated here, and goes to the scikit-learn checks or to the image / text
    checks by its own input tags; every configuration names a registered model."""
    checked = {MODELS.entry(name).name for name in CONFIGS}
    assert checked <= set(MODELS.names()), f"configurations for unregistered models: {checked - set(MODELS.names())}"
    names = {type(m) for m in _ALL}
    assert names == {MODELS.get(n) for n in MODELS.names()}
    assert _MATRIX, "no model takes (n, d) matrices?"


@pytest.mark.parametrize("model", [m for m in _ALL if expected_failed_checks(m)], ids=lambda m: type(m).__name__)
def test_declared_exceptions_name_real_checks_with_reasons(model):
    """A declared exception names a check scikit-learn runs on this model, with a reason of a few words."""
    from sklearn.utils.estimator_checks import _check_name

    run = {_check_name(check) for _, check in estimator_checks_generator(model, mark=None)}
    for name, why in expected_failed_checks(model).items():
        assert name in run, f"{type(model).__name__} declares {name!r}, which scikit-learn does not run on it"
        assert len(why.split()) >= 5, f"{type(model).__name__}: give the reason {name!r} cannot apply"
