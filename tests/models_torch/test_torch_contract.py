"""Contract tests run over every registered torch model (a new model is covered by adding one line)."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402

from classbench.errors import UserError  # noqa: E402
from classbench.models import MODELS, create_model  # noqa: E402
from classbench.models.neural_params import TRAINING_PARAMS  # noqa: E402


def _in_this_package(entry) -> bool:
    target = entry.target
    module = target.partition(":")[0] if isinstance(target, str) else target.__module__
    return module.startswith("classbench.models.torch.")


#: the models of classbench.models.torch (the text family has torch models of its own, tested there)
TORCH_MODELS = [entry.name for entry in MODELS if _in_this_package(entry)]
HISTORY_KEYS = {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "lr"}


def test_the_three_models_are_registered_with_metadata():
    assert {"seed-cnn", "lenet5", "mlp"} <= set(TORCH_MODELS)
    for name in TORCH_MODELS:
        meta = MODELS.entry(name).meta
        assert meta["family"] == "torch" and meta["summary"]
        assert set(meta["modalities"]) == set(MODELS.get(name).modalities) and "image" in meta["modalities"]


def test_registering_does_not_import_torch():
    code = "import sys, classbench.models as m; assert 'seed-cnn' in m.MODELS; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_param_space_declares_every_init_argument(name):
    cls = MODELS.get(name)
    params = cls().get_params()
    assert set(params) == set(cls.param_space), "every __init__ argument needs a Param, and only those"
    assert set(TRAINING_PARAMS) | {"device"} <= set(params)
    assert cls().check_hyperparams() == params  # the defaults are valid as they are


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_fit_predict_shapes_and_probabilities(name, tiny, small_digits):
    X, y, Xt, yt = small_digits
    model = tiny(name)
    assert model.fit(X, y) is model
    assert list(model.classes_) == sorted(set(y))
    pred = model.predict(Xt)
    assert pred.shape == (len(Xt),) and set(pred) <= set(model.classes_)
    proba = model.predict_proba(Xt)
    assert proba.shape == (len(Xt), 10)
    assert np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_array_equal(model.classes_[proba.argmax(1)], pred)
    assert model.n_params_ == sum(p.numel() for p in model.module_.parameters()) > 0
    assert model.input_shape_ == (1, 8, 8)


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_same_seed_same_model_other_seed_other_model(name, tiny, small_digits):
    X, y, Xt, _ = small_digits
    X, Xt = (A.repeat(2, axis=2).repeat(2, axis=3) for A in (X, Xt))  # 16x16, so augment shifts by 1 px
    extra = {"augment": True} if "augment" in MODELS.get(name)().get_params() else {}
    a, b = tiny(name, random_state=3, **extra).fit(X, y), tiny(name, random_state=3, **extra).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(Xt), b.predict_proba(Xt))
    for (k, va), vb in zip(a.module_.state_dict().items(), b.module_.state_dict().values()):
        assert torch.equal(va, vb), k
    c = tiny(name, random_state=4, **extra).fit(X, y)
    assert not np.array_equal(a.predict_proba(Xt), c.predict_proba(Xt))
    unseeded = tiny(name, random_state=None, **extra).fit(X, y)  # its drawn seed replays the same model
    replay = tiny(name, random_state=unseeded.seed_, **extra).fit(X, y)
    np.testing.assert_array_equal(unseeded.predict_proba(Xt), replay.predict_proba(Xt))


@pytest.mark.parametrize("name", TORCH_MODELS)
@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 13, 17)])
def test_every_parameter_gets_a_gradient(name, shape):
    torch.manual_seed(0)
    module = MODELS.get(name)()._build_module(shape, 5).train()
    out = module(torch.rand(16, *shape))
    assert out.shape == (16, 5)
    torch.nn.functional.cross_entropy(out, torch.arange(16) % 5).backward()
    for pname, param in module.named_parameters():
        assert param.grad is not None, f"{name}: {pname} got no gradient"
        assert param.grad.abs().sum() > 0, f"{name}: {pname} got an all-zero gradient"


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_clone_and_pickle(name, tiny, small_digits):
    X, y, Xt, _ = small_digits
    model = tiny(name, epochs=1)
    twin = clone(model)
    assert twin.get_params() == model.get_params() and not hasattr(twin, "module_")
    model.fit(X, y)
    assert not hasattr(clone(model), "module_")
    back = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(back.predict_proba(Xt), model.predict_proba(Xt))
    assert back.history_ == model.history_ and list(back.classes_) == list(model.classes_)


@pytest.mark.parametrize("name", TORCH_MODELS)
@pytest.mark.parametrize(
    ("param", "value", "why"),
    [("epohcs", 3, "unknown parameter 'epohcs'.*Did you mean 'epochs'"),
     ("epochs", "ten", "'epochs'.*expected an integer"),
     ("lr", -0.1, "'lr'.*out of range"),
     ("optimizer", "adamw", "'optimizer'.*not an accepted choice"),
     ("device", "tpu", "'device'.*not an accepted choice")],
)
def test_bad_hyperparameters_are_user_errors_naming_the_parameter(name, param, value, why):
    with pytest.raises(UserError, match=why):
        create_model(name, **{param: value})


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_fit_validates_hyperparameters_set_directly(name, small_digits):
    X, y, _, _ = small_digits
    with pytest.raises(UserError, match="'batch_size'"):
        MODELS.get(name)(batch_size=0).fit(X, y)


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_history_one_row_per_epoch(name, tiny, small_digits):
    X, y, _, _ = small_digits
    plain = tiny(name, epochs=3).fit(X, y)
    assert [r["epoch"] for r in plain.history_] == [1, 2, 3]
    for row in plain.history_:
        assert set(row) == HISTORY_KEYS
        assert row["val_loss"] is None and row["val_accuracy"] is None
        assert row["loss"] > 0 and 0 <= row["accuracy"] <= 1 and row["seconds"] > 0 and row["lr"] > 0
    held = tiny(name, epochs=2, validation_fraction=0.2).fit(X, y)
    assert len(held.history_) == 2
    assert all(isinstance(r["val_loss"], float) and 0 <= r["val_accuracy"] <= 1 for r in held.history_)


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_input_errors_are_user_errors(name, tiny, small_digits):
    X, y, Xt, _ = small_digits
    model = tiny(name, epochs=1)
    with pytest.raises(NotFittedError):
        model.predict(Xt)
    with pytest.raises(UserError, match="one label per sample"):
        model.fit(X, y[:-1])
    with pytest.raises(UserError, match="both X_val and y_val"):
        model.fit(X, y, X_val=Xt)
    with pytest.raises(UserError, match="single class"):
        model.fit(X[:5], np.zeros(5))
    with pytest.raises(UserError, match="NaN"):
        model.fit(np.full_like(X, np.nan), y)
    model.fit(X, y)
    with pytest.raises(UserError, match="fitted on"):
        model.predict(np.zeros((3, 1, 9, 9), np.float32))
