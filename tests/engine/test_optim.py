"""One (and several) optimiser steps equal torch.optim's with the same hyperparameters."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.engine import optim

CONFIGS = [
    ("SGD", dict(lr=0.1), "SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, weight_decay=0.01), "SGD", dict(lr=0.1, weight_decay=0.01)),
    ("Momentum", dict(lr=0.05), "SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True), "SGD", dict(lr=0.05, momentum=0.8, nesterov=True)),
    ("Adam", dict(lr=1e-2), "Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
     "Adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("RMSprop", dict(lr=1e-2), "RMSprop", dict(lr=1e-2)),
    ("RMSprop", dict(lr=1e-2, momentum=0.9, centered=True, weight_decay=0.01),
     "RMSprop", dict(lr=1e-2, momentum=0.9, centered=True, weight_decay=0.01)),
]


@pytest.mark.parametrize("ours_name,ours_kw,torch_name,torch_kw", CONFIGS)
def test_steps_equal_torch(torch, ours_name, ours_kw, torch_name, torch_kw):
    rng = np.random.default_rng(0)
    params = {"w": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}
    tparams = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    ours = getattr(optim, ours_name)(**ours_kw)
    theirs = getattr(torch.optim, torch_name)(list(tparams.values()), **torch_kw)
    for step in range(5):
        grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
        ours.step(params, grads)
        for k, t in tparams.items():
            t.grad = torch.as_tensor(grads[k].copy())
        theirs.step()
        for k in params:
            ref = tparams[k].detach().numpy()
            err = np.abs(params[k] - ref).max() / np.abs(ref).max()
            assert err <= 1e-12, f"{ours_name}{ours_kw} step {step + 1}, {k}: max rel err {err:.2e}"


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam", "rmsprop"])
def test_float32_params_stay_float32_and_in_place(name):
    p = {"w": np.ones((2, 2), np.float32)}
    ref = p["w"]
    opt = optim.make_optimizer(name, lr=0.1, momentum=0.5, weight_decay=0.01)
    for _ in range(2):
        opt.step(p, {"w": np.full((2, 2), 0.5, np.float32)})
    assert p["w"] is ref and ref.dtype == np.float32 and np.all(ref < 1)


def test_bad_input_is_reported():
    opt = optim.SGD(lr=0.1)
    with pytest.raises(optim.EngineError, match="different keys"):
        opt.step({"a": np.zeros(2)}, {"b": np.zeros(2)})
    with pytest.raises(optim.EngineError, match="shape"):
        opt.step({"a": np.zeros(2)}, {"a": np.zeros(3)})
    with pytest.raises(optim.EngineError, match="lr"):
        optim.Adam(lr=0)
    with pytest.raises(optim.EngineError, match="unknown optimizer"):
        optim.make_optimizer("adagrad", lr=0.1)


def test_clip_grad_norm_matches_torch(torch):
    rng = np.random.default_rng(1)
    grads = {"a": rng.standard_normal(5), "b": rng.standard_normal((2, 3))}
    tensors = [torch.zeros(5, dtype=torch.float64, requires_grad=True), torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)]
    for t, g in zip(tensors, grads.values()):
        t.grad = torch.as_tensor(g.copy())
    ref = torch.nn.utils.clip_grad_norm_(tensors, 0.5).item()
    norm = optim.clip_grad_norm(grads, 0.5)
    assert norm == pytest.approx(ref, rel=1e-12)
    for t, g in zip(tensors, grads.values()):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)
