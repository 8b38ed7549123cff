"""The shared training wrapper's behaviour: losses, activations, optimizers, schedules, early stopping."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from classbench.errors import UserError  # noqa: E402
from classbench.models import create_model  # noqa: E402
from classbench.models.neural_params import OPTIMIZERS, SCHEDULES  # noqa: E402
from classbench.models.torch.functional import augment_shift, lr_factor, random_shift  # noqa: E402
from classbench.models.torch.training import _precision  # noqa: E402
from classbench.models.torch.vision import MLP, LeNet5, SeedCNN  # noqa: E402


def accuracy(model, X, y) -> float:
    return float(np.mean(model.predict(X) == y))


@pytest.mark.parametrize("loss", ["cross-entropy", "squared"])
def test_both_losses_learn_digits(loss, digits):
    X, y, Xt, yt = digits
    model = create_model("mlp", loss=loss, epochs=20, lr=5e-3, hidden=[64], random_state=0).fit(X, y)
    assert accuracy(model, Xt, yt) > 0.9
    assert model.history_[-1]["loss"] < model.history_[0]["loss"]
    if loss == "squared":  # the reported loss is the mean squared error of probabilities: below 1/K at chance
        assert all(r["loss"] < 0.1 for r in model.history_)


def test_activation_none_is_a_linear_model(circles):
    X, y, Xt, yt = circles
    settings = {"hidden": [32, 32], "epochs": 30, "batch_size": 32, "lr": 1e-2, "dropout": 0.0, "random_state": 0}
    linear = create_model("mlp", activation="none", **settings).fit(X, y)
    relu = create_model("mlp", activation="relu", **settings).fit(X, y)
    assert accuracy(relu, Xt, yt) > 0.95
    assert accuracy(linear, Xt, yt) < 0.75
    # the stacked layers collapse to one affine map x @ W + b
    W, b = torch.eye(2), torch.zeros(2)
    for layer in linear.module_:
        if isinstance(layer, torch.nn.Linear):
            W, b = W @ layer.weight.T, b @ layer.weight.T + layer.bias
    with torch.no_grad():
        direct = linear.module_(torch.from_numpy(Xt))
        np.testing.assert_allclose(torch.from_numpy(Xt) @ W + b, direct, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_lowers_the_loss(optimizer, small_digits):
    X, y, _, _ = small_digits
    lr = {"sgd": 0.5, "momentum": 0.1, "adam": 3e-3, "rmsprop": 1e-3}[optimizer]
    model = create_model("mlp", optimizer=optimizer, lr=lr, momentum=0.5, epochs=8, batch_size=32,
                         lr_schedule="constant", random_state=0).fit(X, y)
    assert model.history_[-1]["loss"] < 0.4 * model.history_[0]["loss"], model.history_


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_schedules(schedule, small_digits):
    total = 100
    f = np.array([lr_factor(schedule, s, total) for s in range(total)])
    assert (f > 0).all() and f.max() <= 1.0 + 1e-12
    if schedule == "constant":
        assert (f == 1).all()
    elif schedule == "step":
        assert f[0] == 1 and math.isclose(f[60], 0.1) and math.isclose(f[-1], 0.01)
    elif schedule == "cosine":
        assert f[0] == 1 and (np.diff(f) <= 0).all() and f[-1] < 1e-3
    else:
        assert math.isclose(f[0], 1 / 25) and f.argmax() == 30 and f[-1] < 1e-3
    # the wrapper applies the schedule per step: the last epoch's lr is the last step's
    X, y, _, _ = small_digits
    model = create_model("mlp", lr_schedule=schedule, lr=0.01, epochs=2, batch_size=100, random_state=0).fit(X, y)
    assert math.isclose(model.history_[-1]["lr"], 0.01 * lr_factor(schedule, 5, 6))


def test_early_stopping_restores_the_best_epoch(digits):
    X, y, Xt, yt = digits
    Xv, yv = Xt[:200], yt[:200]
    model = create_model("mlp", hidden=[128], dropout=0.0, lr=0.05, lr_schedule="constant", epochs=30,
                         early_stopping=2, random_state=0).fit(X[:150], y[:150], X_val=Xv, y_val=yv)
    losses = [r["val_loss"] for r in model.history_]
    assert len(losses) < 30, "an over-fitting net with a high constant lr should stop early"
    assert model.best_epoch_ == int(np.argmin(losses)) + 1
    assert len(losses) == model.best_epoch_ + 2
    proba = model.predict_proba(Xv)
    final_loss = -np.mean(np.log(proba[np.arange(len(yv)), yv]))
    assert math.isclose(final_loss, losses[model.best_epoch_ - 1], rel_tol=1e-4)


def test_early_stopping_needs_validation_data(small_digits):
    X, y, _, _ = small_digits
    with pytest.raises(UserError, match="early_stopping.*validation_fraction"):
        create_model("mlp", early_stopping=3).fit(X, y)


def test_validation_labels_must_be_known(small_digits):
    X, y, Xt, yt = small_digits
    with pytest.raises(UserError, match="absent from y"):
        create_model("mlp", epochs=1).fit(X, y, X_val=Xt, y_val=np.array(["zz"] * len(Xt)))


def test_divergence_is_reported_with_model_and_epoch(small_digits):
    X, y, _, _ = small_digits
    model = create_model("mlp", optimizer="sgd", lr=1e12, lr_schedule="constant", epochs=3, random_state=0)
    with pytest.raises(RuntimeError, match=r"MLP.*epoch 1"):
        model.fit(X * 1e3, y)


def test_random_shift_moves_pixels_and_fills_zeros():
    x = torch.arange(1, 17, dtype=torch.float32).reshape(1, 1, 4, 4).repeat(3, 2, 1, 1)
    out = random_shift(x, np.array([[0, 0], [1, 0], [-2, 1]]), 2)
    assert torch.equal(out[0], x[0])
    assert torch.equal(out[1, :, 1:], x[1, :, :-1]) and (out[1, :, 0] == 0).all()
    assert torch.equal(out[2, :, :2, 1:], x[2, :, 2:, :-1]) and (out[2, :, 2:] == 0).all()
    assert (out[2, :, :, 0] == 0).all()
    assert [augment_shift(s) for s in [(28, 28), (8, 8), (60, 80), (14, 200)]] == [2, 0, 4, 1]


@pytest.mark.parametrize("cls", [SeedCNN, LeNet5])
def test_augment_shifts_images_of_14_px_and_more_only(cls, small_digits):
    X, y, _, _ = small_digits

    def weights(X, augment):
        model = cls(augment=augment, epochs=1, random_state=0).fit(X, y)
        return torch.cat([t.flatten() for t in model.module_.state_dict().values()])

    assert torch.equal(weights(X, True), weights(X, False))  # 8x8: nothing to shift
    X16 = X.repeat(2, axis=2).repeat(2, axis=3)
    assert not torch.equal(weights(X16, True), weights(X16, False))


def test_cnns_accept_many_image_sizes_and_refuse_tiny_or_flat_ones(small_digits):
    for cls in (SeedCNN, LeNet5):
        for shape in [(1, 28, 28), (1, 60, 80), (3, 32, 32), (1, 4, 4)]:
            assert cls()._build_module(shape, 7)(torch.zeros(2, *shape)).shape == (2, 7)
        with pytest.raises(UserError, match="at least 4x4"):
            cls()._build_module((1, 3, 8), 7)
        X, y, _, _ = small_digits
        with pytest.raises(UserError, match=r"takes \(n, c, h, w\) images"):
            cls(epochs=1).fit(X.reshape(len(X), -1), y)


def test_lenet5_layout_on_mnist_sizes():
    module = LeNet5()._build_module((1, 28, 28), 10)
    shapes, x = [], torch.zeros(1, 1, 28, 28)
    for layer in module:
        x = layer(x)
        shapes.append(tuple(x.shape[1:]))
    assert shapes[0] == (6, 28, 28) and shapes[2] == (6, 14, 14)  # C1, S2
    assert shapes[3] == (16, 10, 10) and shapes[5] == (16, 5, 5)  # C3, S4
    assert shapes[7] == (120,) and shapes[9] == (84,) and shapes[-1] == (10,)  # C5, F6, output
    tanh_avg = LeNet5(activation="tanh", pooling="avg")._build_module((1, 28, 28), 10)
    assert any(isinstance(m, torch.nn.Tanh) for m in tanh_avg) and any(isinstance(m, torch.nn.AvgPool2d) for m in tanh_avg)


def test_seed_cnn_layout_matches_the_notebook():
    module = SeedCNN()._build_module((1, 28, 28), 10)
    convs = [m for m in module if isinstance(m, torch.nn.Conv2d)]
    dense = [m for m in module if isinstance(m, torch.nn.Linear)]
    assert [(c.out_channels, c.kernel_size, c.padding) for c in convs] == [(32, (5, 5), (2, 2)), (64, (5, 5), (2, 2))]
    assert [(d.in_features, d.out_features) for d in dense] == [(7 * 7 * 64, 1024), (1024, 10)]
    assert [m.p for m in module if isinstance(m, torch.nn.Dropout)] == [0.4]


def test_mlp_takes_tabular_vectors_and_string_settings(circles):
    X, y, _, _ = circles
    model = create_model("mlp", hidden=[8], activation="tanh", epochs=1, random_state=0).fit(X, y)
    assert model.input_shape_ == (2,) and model.n_params_ == 2 * 8 + 8 + 8 * 2 + 2
    assert MLP(hidden=[]).fit(X, y).n_params_ == 2 * 2 + 2


def test_environment_errors(monkeypatch, small_digits):
    X, y, _, _ = small_digits
    monkeypatch.setenv("CLASSBENCH_THREADS", "many")
    with pytest.raises(UserError, match="CLASSBENCH_THREADS"):
        create_model("mlp", epochs=1).fit(X, y)
    monkeypatch.setenv("CLASSBENCH_THREADS", "1")
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match="device='cuda'"):
            create_model("mlp", epochs=1, device="cuda").fit(X, y)


def test_bfloat16_mixed_precision_learns(digits):
    X, y, Xt, yt = digits
    fits = {
        prec: create_model("seed-cnn", precision=prec, epochs=5, augment=False, random_state=0).fit(X, y)
        for prec in ("float32", "bfloat16")
    }
    assert {m.precision_ for m in fits.values()} == {"float32", "bfloat16"}
    assert all(accuracy(m, Xt, yt) > 0.85 for m in fits.values())
    assert not np.array_equal(fits["float32"].predict_proba(Xt), fits["bfloat16"].predict_proba(Xt))
    assert all(m.module_[0].weight.dtype == torch.float32 for m in fits.values())  # weights stay float32


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_is_bfloat16_exactly_where_the_hardware_has_it(native, monkeypatch):
    """auto: bfloat16 on a CPU with AMX tiles or a CUDA GPU with bf16, float32 otherwise (never on an 'mps')."""
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: native, raising=False)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: native)
    want = "bfloat16" if native else "float32"
    assert _precision("auto", torch.device("cpu")) == want
    assert _precision("auto", torch.device("cuda")) == want
    assert _precision("auto", torch.device("mps")) == "float32"
    assert _precision("float32", torch.device("cuda")) == "float32"
    assert _precision("bfloat16", torch.device("cpu")) == "bfloat16"
    assert _precision("float32", torch.device("cpu")) == "float32"
