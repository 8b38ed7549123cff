"""Layers and Sequential: shapes, dtypes, parameter naming, modes, state, training, engine purity."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from classbench import engine
from classbench.engine import functional as F
from classbench.engine import init, optim
from classbench.engine import layers as L


def lenet(rng):
    return L.Sequential(
        L.Conv2d(1, 6, 5, padding=2, rng=rng), L.ReLU(), L.MaxPool2d(2),
        L.Conv2d(6, 16, 5, rng=rng), L.ReLU(), L.MaxPool2d(2), L.Flatten(),
        L.Dense(400, 120, rng=rng), L.ReLU(), L.Dense(120, 84, rng=rng), L.ReLU(), L.Dense(84, 10, rng=rng),
        input_grad=False,
    )


def test_lenet_shapes_dtypes_and_names(rng):
    net = lenet(rng)
    x = rng.standard_normal((3, 1, 28, 28)).astype(np.float32)
    out = net(x)
    assert out.shape == (3, 10) and out.dtype == np.float32
    loss = L.SoftmaxCrossEntropy()
    loss(out, np.array([0, 1, 2]))
    assert net.backward(loss.backward()) is None  # input_grad=False
    assert net.n_params == 61706  # LeNet-5's parameter count, as torch counts it
    assert list(net.params)[:3] == ["0.weight", "0.bias", "3.weight"]
    assert net.grads.keys() == net.params.keys()
    for k, g in net.grads.items():
        assert g.shape == net.params[k].shape and g.dtype == np.float32, k


def test_training_reduces_the_loss(rng):
    """A few Adam steps on a fixed batch must drive the loss down (the whole stack is wired right)."""
    net = L.Sequential(L.Conv2d(1, 4, 3, padding=1, rng=rng), L.ReLU(), L.AvgPool2d(2), L.Flatten(),
                       L.Dropout(0.1, rng=rng), L.Dense(4 * 4 * 4, 3, rng=rng))
    x = rng.standard_normal((12, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 3, size=12)
    crit, opt = L.SoftmaxCrossEntropy(), optim.Adam(lr=0.02)
    first = crit(net(x), y)
    for _ in range(40):
        crit(net(x), y)
        net.backward(crit.backward())
        opt.step(net.params, net.grads)
    net.eval()
    assert crit(net(x), y) < 0.3 * first


def test_dropout_modes_and_seed():
    x = np.ones((200, 50), np.float32)
    a, b = L.Dropout(0.3, rng=7), L.Dropout(0.3, rng=7)
    out_a, out_b = a(x), b(x)
    np.testing.assert_array_equal(out_a, out_b)  # same seed, same mask
    assert abs(out_a.mean() - 1.0) < 0.03  # inverted dropout keeps the expectation
    assert set(np.unique(out_a)) <= {0.0, np.float32(1 / 0.7)}
    np.testing.assert_array_equal(a.backward(np.ones_like(x)), out_a)  # gradient uses the same mask
    a.eval()
    assert a(x) is x


def test_recurrent_layers_and_masks(rng):
    ids = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5]])
    mask = ids != 0
    for rnn in (L.LSTM, L.GRU):
        net = L.Sequential(L.Embedding(6, 4, padding_idx=0, rng=rng), rnn(4, 3, rng=rng), L.Dense(3, 2, rng=rng))
        out = net(ids, mask=mask)
        assert out.shape == (2, 2)
        crit = L.SoftmaxCrossEntropy()
        crit(out, np.array([0, 1]))
        net.backward(crit.backward())
        assert np.all(net.grads["0.weight"][0] == 0)  # padding row gets no gradient
        seq = rnn(4, 3, return_sequences=True, rng=rng)
        y = seq(rng.standard_normal((2, 5, 4)).astype(np.float32), mask)
        assert y.shape == (2, 5, 3) and np.all(y[0, 3:] == 0)
        assert seq.backward(np.ones_like(y)).shape == (2, 5, 4)


@pytest.mark.parametrize(
    "fwd,bwd,args",
    [
        (F.sigmoid_forward, F.sigmoid_backward, ()), (F.tanh_forward, F.tanh_backward, ()),
        (F.softmax_forward, F.softmax_backward, ()), (F.relu_forward, F.relu_backward, ()),
        (F.maxpool2d_forward, F.maxpool2d_backward, (2, 1, 1)), (F.avgpool2d_forward, F.avgpool2d_backward, (3, 2, 1)),
    ],
)
def test_dtype_follows_the_input(rng, fwd, bwd, args):
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((2, 3, 5, 5)).astype(dtype)
        out, cache = fwd(x, *args)
        assert out.dtype == dtype and bwd(np.ones_like(out), cache).dtype == dtype


def test_state_dict_round_trip(rng):
    net = lenet(rng)
    saved = net.state_dict()
    for p in net.params.values():
        p += 1
    net.load_state_dict(saved)
    for k, p in net.params.items():
        np.testing.assert_array_equal(p, saved[k])
    with pytest.raises(engine.EngineError, match="keys differ"):
        net.load_state_dict({"0.weight": saved["0.weight"]})


@pytest.mark.parametrize("name", ["he_normal", "he_uniform", "glorot_normal", "glorot_uniform"])
def test_initialisers_have_the_documented_variance(name):
    shape = (64, 32, 3, 3)
    w = init.get_initializer(name)(np.random.default_rng(0), shape)
    fan_in, fan_out = 32 * 9, 64 * 9
    target = 2 / fan_in if name.startswith("he") else 2 / (fan_in + fan_out)
    assert w.dtype == np.float32 and w.shape == shape
    assert abs(w.var() / target - 1) < 0.05
    np.testing.assert_array_equal(w, init.get_initializer(name)(np.random.default_rng(0), shape))


def test_cross_entropy_chain_equals_fused_gradient(rng):
    """Notebook identity: softmax backward of dL/dy = -t/y gives y - t (per sample)."""
    z = rng.standard_normal((4, 5))
    labels = np.array([0, 3, 1, 4])
    y, scache = F.softmax_forward(z)
    _, ccache = F.cross_entropy_forward(y, labels, "sum")
    chained = F.softmax_backward(F.cross_entropy_backward(1.0, ccache), scache)
    _, fcache = F.softmax_cross_entropy_forward(z, labels, "sum")
    fused = F.softmax_cross_entropy_backward(1.0, fcache)
    np.testing.assert_allclose(chained, fused, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fused, y - np.eye(5)[labels], rtol=1e-12, atol=1e-15)


def test_engine_imports_nothing_else():
    """engine/ is pure NumPy: no torch, no other classbench module (static check and a fresh process)."""
    root = pathlib.Path(engine.__file__).parent
    for path in root.rglob("*.py"):
        depth = len(path.relative_to(root).parts) - 1  # packages below engine/
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.level - 1 <= depth, f"{path.name} imports from outside engine/ ({'.' * node.level}{node.module})"
                continue
            names = [node.module] if isinstance(node, ast.ImportFrom) else (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for m in names:
                assert m.split(".")[0] in {"numpy", "math", "__future__", "typing"}, f"{path.name} imports {m}"
    code = "import sys, classbench.engine; print([m for m in sys.modules if m.startswith(('torch', 'classbench.'))])"
    loaded = eval(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert loaded and all(m.startswith("classbench.engine") for m in loaded), loaded
