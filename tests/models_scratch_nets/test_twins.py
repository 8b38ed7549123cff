"""The scratch nets follow their torch twins: same initial weights -> same loss curve.

Two levels: (1) float64 training steps on identical batches, each side with its own wrapper's loss,
optimizer and update code, losses equal to 1e-4 (observed ~1e-12); (2) a whole ``fit`` in float32 from
the same initial weights and seed: the wrappers must draw the same validation split, shuffles,
augmentation shifts and learning rates, so every ``history_`` row agrees.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest

from classbench.models import MODELS
from classbench.models.neural_params import SCHEDULES
from classbench.text import TextVectorizer

from .conftest import make_reviews, twin_class

TOL = 1e-4


def _torch_rnn_key(name: str) -> tuple:
    """torch text-net parameter name -> (layer, direction, tensor) for recurrent tensors, else (name,)."""
    stacked = re.fullmatch(r"rnn\.(\w+?)_l(\d+)(_reverse)?", name)  # one nn.LSTM/GRU with num_layers
    if stacked:
        return int(stacked[2]), "bwd" if stacked[3] else "fwd", stacked[1]
    per_layer = re.fullmatch(r"(fwd|bwd)\.(\d+)\.(\w+?)_l0", name)  # one module per layer and direction
    if per_layer:
        return int(per_layer[2]), per_layer[1], per_layer[3]
    return (name,)


def _engine_rnn_keys(net) -> dict:
    """engine parameter key -> the same kind of key as :func:`_torch_rnn_key`."""
    keys, layer = {}, 0
    for i, part in enumerate(net.layers):
        if hasattr(part, "inner"):  # Bidirectional: "fwd.weight_ih", "bwd.weight_ih", ...
            keys.update({f"{i}.{k}": (layer, *k.split(".")) for k in part.params})
        elif "weight_hh" in part.params:
            keys.update({f"{i}.{k}": (layer, "fwd", k) for k in part.params})
        else:
            keys.update({f"{i}.{k}": ("emb." if i == 0 else "out.") + k for k in part.params})
            continue
        layer += 1
    return {k: v if isinstance(v, tuple) else (v,) for k, v in keys.items()}


def copy_weights(module, net) -> None:
    """torch parameters -> engine parameters: the vision nets list their layers in the same order; the
    recurrent tensors of the text nets are matched by layer, direction and name."""
    theirs = {name: p.detach().cpu().numpy() for name, p in module.named_parameters()}
    mine = net.params
    if any("weight_hh" in k for k in mine):
        by_key = {_torch_rnn_key(name): value for name, value in theirs.items()}
        pairs = [(mine[k], by_key[key]) for k, key in _engine_rnn_keys(net).items()]
        assert len(pairs) == len(theirs)
    else:
        pairs = list(zip(mine.values(), theirs.values()))
        assert len(mine) == len(theirs)
    for a, b in pairs:
        assert a.shape == b.shape
        np.copyto(a, b)


def _fp32(twin_cls):
    """The scratch engine trains in float32: compare with the torch twin in float32 too (not bfloat16)."""
    return {"precision": "float32"} if "precision" in twin_cls().get_params() else {}


def step_both(torch, name, settings, X, y, steps=6, bs=16, vectorizer=None):
    """Train both twins ``steps`` minibatches in float64 from torch's initial weights; (scratch, torch) losses."""
    from classbench.models.scratch.training import lr_factor

    scratch, twin = MODELS.get(name)(**settings), twin_class(name)(**settings, device="cpu", **_fp32(twin_class(name)))
    if vectorizer is not None:
        scratch.vectorizer_ = twin.vectorizer_ = vectorizer
    shape, k = X.shape[1:], int(y.max()) + 1
    torch.manual_seed(0)
    module = twin._build_module(shape, k).double().train()
    net = scratch._build_net(shape, k, seed=0, dtype=np.float64)
    copy_weights(module, net)
    p = scratch.check_hyperparams()
    opt_s, loss_s = scratch._make_optimizer(p), scratch._make_loss()
    opt_t, loss_t = twin._optimizer(module, twin.check_hyperparams()), twin._loss_fn()
    rng = np.random.default_rng(1)
    out = []
    for step in range(steps):
        idx = rng.choice(len(X), bs, replace=False)
        xb = X[idx] if vectorizer is not None else X[idx].astype(np.float64)
        yb = y[idx]
        lr = p["lr"] * lr_factor(p["lr_schedule"], step, steps)
        opt_s.lr = lr
        for group in opt_t.param_groups:
            group["lr"] = lr
        mine, _ = scratch._train_step(net, loss_s, opt_s, xb, yb)
        loss = loss_t(module(torch.from_numpy(xb)), torch.from_numpy(yb))
        opt_t.zero_grad()
        loss.backward()
        opt_t.step()
        out.append((mine, loss.item()))
    after = copy.deepcopy(net)  # the trained weights, compared through a copy of torch's
    copy_weights(module, after)
    for key, value in net.params.items():
        np.testing.assert_allclose(value, after.params[key], rtol=1e-6, atol=1e-8, err_msg=key)
    return np.array(out)


def assert_same_curve(losses):
    np.testing.assert_allclose(losses[:, 0], losses[:, 1], rtol=0, atol=TOL)
    assert np.ptp(losses[:, 1]) > 1e-3, "the loss should move: these steps must actually train"


@pytest.mark.parametrize("loss", ["cross-entropy", "squared"])
@pytest.mark.parametrize(("optimizer", "activation", "schedule"), [
    ("sgd", "relu", "constant"), ("momentum", "tanh", "onecycle"), ("adam", "sigmoid", "cosine"),
    ("rmsprop", "relu", "step")])
def test_mlp_steps_match_torch(torch, digits, loss, optimizer, activation, schedule):
    X, y, _, _ = digits
    lr = {"sgd": 0.5, "momentum": 0.1, "adam": 1e-2, "rmsprop": 1e-3}[optimizer]
    settings = {"hidden": [24, 16], "activation": activation, "loss": loss, "dropout": 0.0, "lr": lr,
                "optimizer": optimizer, "lr_schedule": schedule, "weight_decay": 1e-3}
    assert_same_curve(step_both(torch, "scratch-mlp", settings, X, y))


@pytest.mark.parametrize(("activation", "pooling", "optimizer"), [("relu", "max", "sgd"), ("tanh", "avg", "adam"),
                                                                  ("tanh", "max", "momentum")])
def test_lenet5_steps_match_torch(torch, digits, activation, pooling, optimizer):
    X, y, _, _ = digits
    lr = {"sgd": 0.3, "adam": 3e-3, "momentum": 0.05}[optimizer]
    settings = {"activation": activation, "pooling": pooling, "optimizer": optimizer, "lr": lr,
                "lr_schedule": "constant"}
    assert_same_curve(step_both(torch, "scratch-lenet5", settings, X, y))


def test_lenet5_on_mnist_sized_images_matches_torch(torch):
    rng = np.random.default_rng(0)
    X = rng.random((40, 1, 28, 28)).astype(np.float32)
    y = np.arange(40) % 10
    assert_same_curve(step_both(torch, "scratch-lenet5", {"optimizer": "sgd", "lr": 0.2}, X, y, steps=3, bs=8))


def test_seed_cnn_steps_match_torch(torch, digits):
    X, y, _, _ = digits
    settings = {"dropout": 0.0, "optimizer": "sgd", "lr": 0.1, "lr_schedule": "constant"}
    assert_same_curve(step_both(torch, "scratch-seed-cnn", settings, X, y, steps=4))


@pytest.mark.parametrize("name", ["scratch-lstm", "scratch-gru"])
@pytest.mark.parametrize(("optimizer", "layers", "bidirectional"), [("sgd", 1, False), ("rmsprop", 1, False),
                                                                     ("adam", 2, True)])
def test_recurrent_steps_match_torch(torch, name, optimizer, layers, bidirectional):
    texts, labels = make_reviews(120, 5)
    vec = TextVectorizer(max_words=40, maxlen=12).fit(texts)
    X, y = vec.transform(texts).astype(np.int64), (labels == "pos").astype(np.int64)
    assert (X == 0).any(axis=1).mean() > 0.3, "some texts must be padded, so that masks matter"
    lr = {"sgd": 1.0, "rmsprop": 3e-3, "adam": 1e-2}[optimizer]
    settings = {"units": 7, "embedding_dim": 6, "dropout": 0.0, "optimizer": optimizer, "lr": lr,
                "num_layers": layers, "bidirectional": bidirectional, "max_words": 40, "maxlen": 12}
    assert_same_curve(step_both(torch, name, settings, X, y, vectorizer=vec))


# ---- whole fits -----------------------------------------------------------------------------------

def fit_both(torch, monkeypatch, name, settings, X, y, **fit_kw):
    """Fit the torch twin, then the scratch net from the torch net's initial weights (float32, same seed)."""
    twin_cls, scratch_cls = twin_class(name), MODELS.get(name)
    initial = {}
    build_module, build_net = twin_cls._build_module, scratch_cls._build_net

    def keep_initial(self, shape, k):
        module = build_module(self, shape, k)
        initial["module"] = copy.deepcopy(module)
        return module

    def from_torch(self, shape, k, seed, dtype=np.float32):
        net = build_net(self, shape, k, seed, dtype)
        copy_weights(initial["module"], net)
        return net

    monkeypatch.setattr(twin_cls, "_build_module", keep_initial)
    monkeypatch.setattr(scratch_cls, "_build_net", from_torch)
    twin = twin_cls(**settings, device="cpu", random_state=7, **_fp32(twin_cls)).fit(X, y, **fit_kw)
    extra = {"max_train_samples": None} if "max_words" in settings else {}
    scratch = scratch_cls(**settings, **extra, random_state=7).fit(X, y, **fit_kw)
    assert len(scratch.history_) == len(twin.history_) == settings["epochs"]
    for mine, theirs in zip(scratch.history_, twin.history_):
        for key in ("loss", "val_loss"):
            np.testing.assert_allclose(mine[key], theirs[key], rtol=0, atol=TOL, err_msg=f"{key} {mine['epoch']}")
        for key in ("accuracy", "val_accuracy", "lr"):
            assert mine[key] == pytest.approx(theirs[key], abs=1e-9), key
    return scratch, twin


@pytest.mark.parametrize("loss", ["cross-entropy", "squared"])
def test_mlp_fit_follows_torch(torch, monkeypatch, small_digits, loss):
    X, y, _, _ = small_digits
    settings = {"hidden": [32], "loss": loss, "dropout": 0.0, "epochs": 3, "batch_size": 50, "lr": 3e-3,
                "validation_fraction": 0.2}
    fit_both(torch, monkeypatch, "scratch-mlp", settings, X, y)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_lenet5_fit_with_augmentation_follows_torch(torch, monkeypatch, small_digits, schedule):
    """Same shuffles, same random shifts, same per-step learning rates."""
    X, y, Xt, yt = (np.repeat(np.repeat(a, 2, axis=2), 2, axis=3) if a.ndim == 4 else a for a in small_digits)
    assert X.shape[2:] == (16, 16)  # large enough to be shifted (by up to 1 pixel)
    settings = {"augment": True, "epochs": 2, "batch_size": 64, "lr_schedule": schedule}
    scratch, twin = fit_both(torch, monkeypatch, "scratch-lenet5", settings, X, y, X_val=Xt, y_val=yt)
    np.testing.assert_allclose(scratch.predict_proba(Xt), twin.predict_proba(Xt), atol=1e-4)


@pytest.mark.parametrize(("name", "settings"), [
    ("scratch-lenet5", {"epochs": 2, "batch_size": 64}),
    ("scratch-seed-cnn", {"dropout": 0.0, "epochs": 1, "batch_size": 50}),  # torch's dropout masks differ
])
def test_fit_with_affine_distortions_and_label_smoothing_follows_torch(torch, monkeypatch, small_digits, name,
                                                                       settings):
    """Same affine draws from the shuffling generator, same bilinear resampling (lenet5: on two batch
    shards, each distorting its own rows), same smoothed targets: the loss curves agree."""
    X, y, Xt, yt = (np.repeat(np.repeat(a, 2, axis=2), 2, axis=3) if a.ndim == 4 else a for a in small_digits)
    n = 150 if name == "scratch-seed-cnn" else len(X)
    settings = {**settings, "augment": "affine", "label_smoothing": 0.1}
    scratch, twin = fit_both(torch, monkeypatch, name, settings, X[:n], y[:n], X_val=Xt[:50], y_val=yt[:50])
    proba = scratch.predict_proba(Xt)
    np.testing.assert_allclose(proba, twin.predict_proba(Xt), atol=1e-4)
    plain = MODELS.get(name)(**{**settings, "augment": "none"}, random_state=7).fit(X[:n], y[:n])  # same init
    assert np.abs(plain.predict_proba(Xt) - proba).max() > 10 * TOL, "the distortions must change the training"


@pytest.mark.parametrize("name", ["scratch-lstm", "scratch-gru"])
def test_recurrent_fit_follows_torch(torch, monkeypatch, reviews, name):
    """Same validation split, vocabulary and batches; masks give torch's packed-sequence states."""
    X, y, Xt, _ = reviews
    settings = {"units": 6, "embedding_dim": 5, "dropout": 0.0, "max_words": 30, "maxlen": 10, "epochs": 2,
                "batch_size": 32, "lr": 3e-3}
    scratch, twin = fit_both(torch, monkeypatch, name, settings, X, y)
    assert scratch.vectorizer_.words == twin.vectorizer_.words
    np.testing.assert_allclose(scratch.predict_proba(Xt), twin.predict_proba(Xt), atol=1e-4)


# ---- the wrapper's building blocks ----------------------------------------------------------------

def test_schedules_and_shifts_are_the_torch_wrappers(torch):
    from classbench.models.scratch import training as mine
    from classbench.models.torch import training as theirs

    for schedule in SCHEDULES:
        for total in (1, 7, 100):
            assert [mine.lr_factor(schedule, s, total) for s in range(total)] == \
                   [theirs.lr_factor(schedule, s, total) for s in range(total)]
    for size in [(8, 8), (14, 15), (28, 28), (13, 40), (60, 80), (96, 96)]:
        assert mine.augment_shift(size) == theirs.augment_shift(size)
    rng = np.random.default_rng(0)
    x = rng.random((6, 2, 7, 9)).astype(np.float32)
    shifts = rng.integers(-2, 3, size=(6, 2))
    np.testing.assert_array_equal(mine.random_shift(x, shifts, 2), theirs.random_shift(torch.from_numpy(x), shifts, 2))


@pytest.mark.parametrize("name", ["scratch-lstm", "scratch-gru"])
def test_recurrent_nets_start_from_the_twins_keras_initialisation(torch, reviews, name):
    """Same distributions as the torch twin (not the same draws): without this the scratch twin trained far
    slower (0.71 against 0.84 on 6,250 IMDB reviews)."""
    X, y, _, _ = reviews
    units = 64  # wide enough that each weight block holds >= 128 draws: its max and std pin the distribution
    settings = {"units": units, "embedding_dim": 32, "max_words": 30, "maxlen": 10, "epochs": 1}
    scratch = MODELS.get(name)(**settings, random_state=0)
    scratch.vectorizer_ = TextVectorizer(max_words=30, maxlen=10).fit(list(X))
    twin = twin_class(name)(**settings, device="cpu", random_state=0)
    twin.vectorizer_ = scratch.vectorizer_
    module = twin._build_module((10,), 2)
    net = scratch._build_net((10,), 2, 0)
    emb, rnn, dense = net.layers[0], net.layers[2], net.layers[-1]
    for w, w_t in ((emb.params["weight"][1:], module.emb.weight[1:]),
                   (rnn.params["weight_ih"], module.rnn.weight_ih_l0), (dense.params["weight"], module.out.weight)):
        w_t = w_t.detach().numpy()
        assert w.shape == w_t.shape
        # same uniform limit (the largest of >= 128 draws is within 2% of it) and the same spread
        assert 0.9 <= np.abs(w).max() / np.abs(w_t).max() <= 1.1, w.shape
        assert 0.85 <= w.std() / w_t.std() <= 1.15, w.shape
        assert abs(w.mean()) < 4 * w_t.std() / np.sqrt(w.size)  # centred: within 4 standard errors
    assert not emb.params["weight"][0].any()
    for gate in np.split(rnn.params["weight_hh"], rnn.params["weight_hh"].shape[0] // units):
        np.testing.assert_allclose(gate @ gate.T, np.eye(units), atol=1e-5)
    bias = rnn.params["bias_ih"]
    expected = module.rnn.bias_ih_l0.detach().numpy()
    np.testing.assert_array_equal(bias, expected)  # zeros, and the LSTM forget gate at 1
    assert not rnn.params["bias_hh"].any() and not dense.params["bias"].any()
