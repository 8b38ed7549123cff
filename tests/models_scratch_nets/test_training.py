"""The scratch training wrapper's own behaviour: learning, early stopping, threads, optimizer settings."""

from __future__ import annotations

import os

import numpy as np
import pytest

from classbench.errors import UserError
from classbench.models import create_model


def accuracy(model, X, y) -> float:
    return float(np.mean(model.predict(X) == y))


@pytest.mark.parametrize("loss", ["cross-entropy", "squared"])
def test_both_losses_learn_digits(loss, digits):
    X, y, Xt, yt = digits
    model = create_model("scratch-mlp", loss=loss, epochs=12, lr=5e-3, hidden=[64], random_state=0).fit(X, y)
    assert accuracy(model, Xt, yt) > 0.9
    assert model.history_[-1]["loss"] < model.history_[0]["loss"]
    if loss == "squared":  # the mean squared error of probabilities: below 1/K at chance
        assert all(r["loss"] < 0.1 for r in model.history_)


def test_lenet5_learns_digits(digits):
    X, y, Xt, yt = digits
    model = create_model("scratch-lenet5", epochs=5, batch_size=32, lr_schedule="cosine", augment=False,
                         random_state=0).fit(X, y)
    assert accuracy(model, Xt, yt) > 0.9, model.history_


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop"])
def test_every_optimizer_lowers_the_loss(optimizer, small_digits):
    X, y, _, _ = small_digits
    lr = {"sgd": 0.5, "momentum": 0.1, "adam": 3e-3, "rmsprop": 1e-3}[optimizer]
    model = create_model("scratch-mlp", optimizer=optimizer, lr=lr, momentum=0.5, epochs=8, batch_size=32,
                         lr_schedule="constant", random_state=0).fit(X, y)
    assert model.history_[-1]["loss"] < 0.4 * model.history_[0]["loss"], model.history_


def test_early_stopping_keeps_the_best_epoch(digits):
    X, y, Xt, yt = digits
    Xv, yv = Xt[:200], yt[:200]
    model = create_model("scratch-mlp", epochs=12, lr=0.05, lr_schedule="constant", early_stopping=2,
                         hidden=[64], random_state=0).fit(X, y, X_val=Xv, y_val=yv)
    val = [r["val_loss"] for r in model.history_]
    assert model.best_epoch_ == int(np.argmin(val)) + 1
    assert len(val) == 12 or len(val) - model.best_epoch_ == 2
    proba = model.predict_proba(Xv)  # the kept weights are the best epoch's: its validation loss again
    assert -np.mean(np.log(proba[np.arange(len(yv)), yv])) == pytest.approx(min(val), rel=1e-4)


def test_early_stopping_needs_validation_data(small_digits):
    X, y, _, _ = small_digits
    with pytest.raises(UserError, match="early_stopping=2 needs validation data"):
        create_model("scratch-mlp", early_stopping=2).fit(X, y)


def test_momentum_of_one_is_a_user_error(small_digits):
    X, y, _, _ = small_digits
    with pytest.raises(UserError, match="momentum"):
        create_model("scratch-mlp", optimizer="momentum", momentum=1.0, epochs=1).fit(X, y)


def test_threads_come_from_the_environment(monkeypatch, small_digits):
    from threadpoolctl import threadpool_info

    from classbench.models.scratch import training

    X, y, _, _ = small_digits
    monkeypatch.setenv("CLASSBENCH_THREADS", "two")
    with pytest.raises(UserError, match="CLASSBENCH_THREADS"):
        create_model("scratch-mlp", epochs=1).fit(X, y)
    monkeypatch.setenv("CLASSBENCH_THREADS", "2")
    with training.thread_limit():  # (the tests otherwise run with one BLAS thread)
        blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
        assert blas and all(n == min(2, os.cpu_count() or 1) for n in blas), threadpool_info()
        with training.thread_limit(1):  # the conv and recurrent nets' cap
            assert all(pool["num_threads"] == 1 for pool in threadpool_info() if pool["user_api"] == "blas")


def test_verbose_shows_a_progress_bar(small_digits, capsys):
    X, y, _, _ = small_digits
    create_model("scratch-mlp", epochs=2, verbose=True, hidden=[8], random_state=0).fit(X, y)
    err = capsys.readouterr().err
    assert "ScratchMLP epoch 2/2" in err and "loss" in err


def test_small_images_too_small_for_two_poolings(small_digits):
    X, y, _, _ = small_digits
    with pytest.raises(UserError, match="too small"):
        create_model("scratch-seed-cnn", epochs=1).fit(X[:, :, :3, :3], y)
