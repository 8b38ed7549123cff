"""modern-cnn and what it brought to the shared torch loop: affine augmentation and label smoothing."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from classbench.errors import UserError  # noqa: E402
from classbench.models import create_model  # noqa: E402
from classbench.models.torch.functional import random_affine  # noqa: E402
from classbench.models.torch.modern import ModernCNN  # noqa: E402


def test_affine_with_zero_ranges_is_the_identity_and_seeded_maps_repeat():
    x = torch.rand(4, 2, 28, 28)
    same = random_affine(x, np.random.default_rng(0), degrees=0, scale=0, shear=0, shift=0)
    torch.testing.assert_close(same, x, atol=1e-5, rtol=0)
    a = random_affine(x, np.random.default_rng(1))
    b = random_affine(x, np.random.default_rng(1))
    assert torch.equal(a, b) and not torch.allclose(a, x, atol=1e-2)
    assert not torch.equal(a, random_affine(x, np.random.default_rng(2)))


def test_affine_rotates_by_the_drawn_angle():
    """A pure 90-degree rotation of a square image moves a pixel of the top row to the left column."""
    x = torch.zeros(1, 1, 5, 5)
    x[0, 0, 0, 2] = 1.0  # top row, middle
    class Quarter:  # draws u = 1 for the angle, 0.5 (no change) for the rest
        def uniform(self, size):
            u = np.full(size, 0.5)
            u[:, 0] = 1.0
            return u
    out = random_affine(x, Quarter(), degrees=90, scale=0.1, shear=0.2, shift=0.1)
    assert out[0, 0].argmax().item() in (2 * 5 + 0, 2 * 5 + 4)  # the middle of the left or right column
    assert math.isclose(out.sum().item(), 1.0, abs_tol=1e-4)


def test_layout_width_and_size_checks():
    module = ModernCNN()._build_module((1, 28, 28), 10)
    convs = [m for m in module if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [24, 48, 48, 96, 96] and all(c.bias is None for c in convs)
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in module) == 5
    n_params = sum(p.numel() for p in module.parameters())
    assert 150_000 < n_params < 165_000
    for shape in [(1, 28, 28), (3, 32, 32), (1, 60, 80), (1, 8, 8)]:
        assert ModernCNN(width=8)._build_module(shape, 7).eval()(torch.zeros(2, *shape)).shape == (2, 7)
    with pytest.raises(UserError, match="at least 4x4"):
        ModernCNN()._build_module((1, 3, 8), 7)


def test_label_smoothing_is_the_smoothed_cross_entropy():
    logits, target = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 0, 1])
    loss = ModernCNN(label_smoothing=0.2)._loss_fn()(logits, target)
    logp = torch.log_softmax(logits, 1)
    soft = torch.full((6, 4), 0.2 / 4)
    soft[torch.arange(6), target] += 0.8
    torch.testing.assert_close(loss, -(soft * logp).sum(1).mean())
    plain = ModernCNN(label_smoothing=0.0)._loss_fn()(logits, target)
    torch.testing.assert_close(plain, torch.nn.functional.cross_entropy(logits, target))


def _weights(model):
    return torch.cat([t.flatten().float() for t in model.module_.state_dict().values()])


def test_affine_augmentation_applies_from_14_px(small_digits):
    X, y, _, _ = small_digits
    settings = {"width": 4, "epochs": 1, "random_state": 0}
    fit = {a: create_model("modern-cnn", augment=a, **settings).fit(X, y) for a in ("none", "affine")}
    assert torch.equal(_weights(fit["none"]), _weights(fit["affine"]))  # 8x8: never distorted
    X16 = X.repeat(2, axis=2).repeat(2, axis=3)
    fit16 = {a: create_model("modern-cnn", augment=a, **settings).fit(X16, y) for a in ("none", "shift", "affine")}
    w = {a: _weights(m) for a, m in fit16.items()}
    assert not torch.equal(w["none"], w["affine"]) and not torch.equal(w["shift"], w["affine"])


def test_learns_digits_on_one_thread_whatever_the_thread_setting(monkeypatch, digits):
    X, y, Xt, yt = digits
    fits = []
    for threads in ("1", "2"):
        monkeypatch.setenv("CLASSBENCH_THREADS", threads)
        fits.append(create_model("modern-cnn", width=8, epochs=8, random_state=0).fit(X, y))
        assert torch.get_num_threads() == 1
    assert np.mean(fits[0].predict(Xt) == yt) > 0.9
    assert np.array_equal(fits[0].predict_proba(Xt), fits[1].predict_proba(Xt))


def test_a_model_pickled_before_label_smoothing_existed_loads_as_trained_without_it():
    state = create_model("seed-cnn").__getstate__()
    state.pop("label_smoothing")
    old = object.__new__(type(create_model("seed-cnn")))
    old.__setstate__(state)
    assert old.get_params()["label_smoothing"] == 0.0
