"""Contract tests over the registered scratch neural nets (engine-built twins of the torch models)."""

from __future__ import annotations

import pickle
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from classbench.errors import UserError
from classbench.models import MODELS, create_model
from classbench.models.neural_params import TRAINING_PARAMS

from .conftest import NET_MODELS, TEXT_MODELS, twin_class

HISTORY_KEYS = {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "lr", "train_samples"}
MODALITIES = {"scratch-lenet5": {"image"}, "scratch-seed-cnn": {"image"}, "scratch-mlp": {"image", "tabular"},
              "scratch-lstm": {"text"}, "scratch-gru": {"text"}}


def test_the_five_nets_are_registered_with_metadata():
    for name in NET_MODELS:
        entry = MODELS.entry(name)
        cls = entry.load()
        assert entry.meta["family"] == "scratch" == cls.family and entry.meta["summary"]
        assert set(entry.meta["modalities"]) == set(cls.modalities) == MODALITIES[name]
    for name in TEXT_MODELS:  # the training subset is announced where users pick models
        assert "max_train_samples=5000" in MODELS.entry(name).meta["summary"]


def test_registering_and_building_import_no_torch():
    code = ("import sys, classbench.models as m, numpy as np; [m.MODELS.get(n) for n in %r]; "
            "m.create_model('scratch-mlp', epochs=1, hidden=[4]).fit(np.random.rand(20, 3), np.arange(20) %% 2); "
            "sys.exit('torch' in sys.modules)") % (NET_MODELS,)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("name", NET_MODELS)
def test_param_space_declares_every_init_argument(name):
    cls = MODELS.get(name)
    params = cls().get_params()
    assert set(params) == set(cls.param_space), "every __init__ argument needs a Param, and only those"
    assert set(TRAINING_PARAMS) <= set(params)
    assert cls().check_hyperparams() == params


@pytest.mark.parametrize("name", NET_MODELS)
def test_same_hyperparameters_defaults_and_ranges_as_the_torch_twin(name, torch):
    """scratch-X and X can share one suite's settings: same names, defaults, types, ranges and choices."""
    ours, theirs = MODELS.get(name), twin_class(name)
    assert ours.twin == name.removeprefix("scratch-")
    mine = ours().get_params()
    # scratch runs on the CPU only, in float32: the torch-only device and precision settings have no twin
    twin = {k: v for k, v in theirs().get_params().items() if k not in ("device", "precision")}
    extra = {"max_train_samples"} if name in TEXT_MODELS else set()
    assert set(mine) - extra == set(twin)
    for key, value in twin.items():
        assert mine[key] == value, key
        assert replace(ours.param_space[key], doc="") == replace(theirs.param_space[key], doc=""), key


@pytest.mark.parametrize("name", NET_MODELS)
def test_fit_predict_shapes_and_probabilities(name, tiny, data_for):
    X, y, Xt, yt = data_for(name)
    model = tiny(name)
    assert model.fit(X, y) is model
    assert list(model.classes_) == sorted(set(y))
    pred = model.predict(Xt)
    assert pred.shape == (len(Xt),) and set(pred) <= set(model.classes_)
    proba = model.predict_proba(Xt)
    assert proba.shape == (len(Xt), len(model.classes_)) and proba.dtype == np.float64
    assert np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_array_equal(model.classes_[proba.argmax(1)], pred)
    assert model.n_params_ == sum(p.size for p in model.net_.params.values()) > 0
    assert all(p.dtype == np.float32 for p in model.net_.params.values()), "training runs in float32"
    if name not in TEXT_MODELS:
        assert model.input_shape_ == (1, 8, 8)


@pytest.mark.parametrize("name", ["scratch-lenet5", "scratch-seed-cnn", "scratch-mlp"])
def test_parameter_count_equals_the_torch_twin(name, torch):
    for shape in [(1, 8, 8), (3, 28, 28)]:
        net = MODELS.get(name)()._build_net(shape, 10, seed=0)
        module = twin_class(name)()._build_module(shape, 10)
        assert net.n_params == sum(p.numel() for p in module.parameters()), shape


@pytest.mark.parametrize("name", NET_MODELS)
def test_same_seed_same_model_other_seed_other_model(name, tiny, data_for):
    X, y, Xt, _ = data_for(name)
    extra = {"augment": True} if "augment" in MODELS.get(name)().get_params() else {}
    if extra:  # 16x16 images: large enough to be shifted
        X, Xt = (np.repeat(np.repeat(a, 2, axis=2), 2, axis=3) for a in (X, Xt))
    a, b = tiny(name, random_state=3, **extra).fit(X, y), tiny(name, random_state=3, **extra).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(Xt), b.predict_proba(Xt))
    for key, value in a.net_.params.items():
        np.testing.assert_array_equal(value, b.net_.params[key], err_msg=key)
    assert [{**r, "seconds": 0} for r in a.history_] == [{**r, "seconds": 0} for r in b.history_]
    c = tiny(name, random_state=4, **extra).fit(X, y)
    assert not np.array_equal(a.predict_proba(Xt), c.predict_proba(Xt))


@pytest.mark.parametrize("name", NET_MODELS)
def test_clone_and_pickle(name, tiny, data_for):
    X, y, Xt, _ = data_for(name)
    model = tiny(name, epochs=1)
    twin = clone(model)
    assert twin.get_params() == model.get_params() and not hasattr(twin, "net_")
    model.fit(X, y)
    assert not hasattr(clone(model), "net_")
    back = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(back.predict_proba(Xt), model.predict_proba(Xt))
    assert back.history_ == model.history_ and list(back.classes_) == list(model.classes_)


@pytest.mark.parametrize("name", NET_MODELS)
@pytest.mark.parametrize(
    ("param", "value", "why"),
    [("epohcs", 3, "unknown parameter 'epohcs'.*Did you mean 'epochs'"),
     ("epochs", "ten", "'epochs'.*expected an integer"),
     ("lr", -0.1, "'lr'.*out of range"),
     ("optimizer", "adamw", "'optimizer'.*not an accepted choice"),
     ("lr_schedule", "linear", "'lr_schedule'.*not an accepted choice")],
)
def test_bad_hyperparameters_are_user_errors_naming_the_parameter(name, param, value, why):
    with pytest.raises(UserError, match=why):
        create_model(name, **{param: value})


@pytest.mark.parametrize(("name", "param", "value"), [
    ("scratch-lenet5", "pooling", "median"), ("scratch-lenet5", "activation", "sigmoid"),
    ("scratch-mlp", "hidden", [64, "x"]), ("scratch-mlp", "loss", "hinge"), ("scratch-seed-cnn", "dropout", 1.0),
    ("scratch-lstm", "max_train_samples", 1), ("scratch-gru", "units", 0)])
def test_bad_model_specific_hyperparameters(name, param, value):
    with pytest.raises(UserError, match=f"'{param}'"):
        create_model(name, **{param: value})


@pytest.mark.parametrize("name", NET_MODELS)
def test_fit_validates_hyperparameters_set_directly(name, data_for):
    X, y, _, _ = data_for(name)
    with pytest.raises(UserError, match="'batch_size'"):
        MODELS.get(name)(batch_size=0).fit(X, y)


@pytest.mark.parametrize("name", NET_MODELS)
def test_history_one_row_per_epoch(name, tiny, data_for):
    X, y, _, _ = data_for(name)
    plain = tiny(name, epochs=3, validation_fraction=0.0).fit(X, y)
    assert [r["epoch"] for r in plain.history_] == [1, 2, 3]
    for row in plain.history_:
        assert HISTORY_KEYS <= set(row)
        assert row["val_loss"] is None and row["val_accuracy"] is None
        assert row["loss"] > 0 and 0 <= row["accuracy"] <= 1 and row["seconds"] > 0 and row["lr"] > 0
        assert row["train_samples"] == len(X)
    held = tiny(name, epochs=2, validation_fraction=0.2).fit(X, y)
    assert len(held.history_) == 2 and held.fit_info_["train_samples"] == round(0.8 * len(X))
    assert all(isinstance(r["val_loss"], float) and 0 <= r["val_accuracy"] <= 1 for r in held.history_)


@pytest.mark.parametrize("name", TEXT_MODELS)
def test_text_models_say_when_they_train_on_a_subset(name, tiny, reviews):
    X, y, Xt, _ = reviews
    model = tiny(name, max_train_samples=50, validation_fraction=0.25).fit(X, y)
    assert model.fit_info_["train_samples"] == 50 and model.fit_info_["train_samples_available"] == 180
    assert all(r["train_samples"] == 50 and r["train_samples_available"] == 180 for r in model.history_)
    again = tiny(name, max_train_samples=50, validation_fraction=0.25).fit(X, y)  # the subset is seeded
    np.testing.assert_array_equal(model.predict_proba(Xt), again.predict_proba(Xt))
    full = tiny(name, max_train_samples=None, validation_fraction=0.25).fit(X, y)
    assert full.fit_info_ == {"train_samples": 180, "train_samples_available": 180, "subset_seed": None}


@pytest.mark.parametrize("name", [n for n in NET_MODELS if n not in TEXT_MODELS])
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
    with pytest.raises(UserError, match="numeric array.*text model"):
        model.fit(np.array(["a b", "c"] * 10, dtype=object), y[:20])
    model.fit(X, y)
    with pytest.raises(UserError, match="fitted on"):
        model.predict(np.zeros((3, 1, 9, 9), np.float32))


@pytest.mark.parametrize("name", TEXT_MODELS)
def test_text_input_errors_are_user_errors(name, tiny, reviews):
    X, y, Xt, _ = reviews
    model = tiny(name, epochs=1)
    with pytest.raises(UserError, match="not a string"):
        model.fit(list(range(len(X))), y)
    with pytest.raises(NotFittedError):
        model.predict(Xt)
    model.fit(X, y)
    with pytest.raises(UserError, match="id matrix"):
        model.predict(np.zeros((2, 5), np.int64))


@pytest.mark.parametrize(("name", "kind"), [("scratch-mlp", "image"), ("scratch-lenet5", "image"),
                                            ("scratch-lstm", "text")])
def test_divergence_names_the_model_the_epoch_and_the_layer(name, kind, tiny, small_digits, reviews):
    """A huge learning rate overflows: the engine names the layer, the wrapper the model and the epoch."""
    X, y, _, _ = reviews if kind == "text" else small_digits
    model = tiny(name, lr=1e38, optimizer="sgd", lr_schedule="constant", epochs=3)
    with pytest.raises(RuntimeError, match=r"model Scratch\w+: training stopped at epoch \d+, batch \d+ of \d+ "
                                           r"\(lr=1e\+38, optimizer=sgd\): (layer \d+ .*not finite|\w+: loss is (inf|nan)).*smaller lr"):
        model.fit(X, y)
