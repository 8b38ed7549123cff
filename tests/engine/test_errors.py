"""Bad input raises EngineError (a ValueError) naming the op or layer and the shapes, where it starts."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.engine import EngineError
from classbench.engine import functional as F
from classbench.engine import layers as L


def test_engine_error_is_a_value_error():
    assert issubclass(EngineError, ValueError)


@pytest.mark.parametrize(
    "call,pattern",
    [
        (lambda: F.conv2d_forward(np.zeros((2, 3, 8, 8)), np.zeros((4, 2, 3, 3))), r"conv2d: input has 3 channels.*\(2, 3, 8, 8\).*\(4, 2, 3, 3\)"),
        (lambda: F.conv2d_forward(np.zeros((3, 8, 8)), np.zeros((4, 3, 3, 3))), r"conv2d: x must have 4 dims.*\(3, 8, 8\)"),
        (lambda: F.conv2d_forward(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 5, 5))), r"conv2d: kernel 5 is larger.*\(1, 1, 4, 4\)"),
        (lambda: F.conv2d_forward(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), stride=0), r"conv2d: stride must be >= 1"),
        (lambda: F.conv2d_forward(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), padding=-1), r"conv2d: padding must be >= 0"),
        (lambda: F.conv2d_forward(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), stride=1.5), r"conv2d: stride must be an int"),
        (lambda: F.maxpool2d_forward(np.zeros((1, 1, 4, 4)), (2, 2, 2)), r"max_pool2d: kernel_size must be an int or a pair"),
        (lambda: F.conv2d_forward(np.zeros((1, 1, 4, 4)), np.zeros((2, 1, 3, 3)), np.zeros(3)), r"conv2d: bias has shape \(3,\)"),
        (lambda: F.maxpool2d_forward(np.zeros((1, 1, 4, 4)), 2, padding=2), r"max_pool2d: padding 2 must be at most half"),
        (lambda: F.avgpool2d_forward(np.zeros((1, 1, 2, 2)), 3), r"avg_pool2d: kernel 3 is larger"),
        (lambda: F.dense_forward(np.zeros((2, 5)), np.zeros((3, 4))), r"dense: x has shape \(2, 5\).*\(3, 4\)"),
        (lambda: F.embedding_forward(np.array([[0, 9]]), np.zeros((5, 2))), r"embedding: indices .* range over \[0, 9\]"),
        (lambda: F.embedding_forward(np.array([0.5]), np.zeros((5, 2))), r"embedding: indices must be an integer array"),
        (lambda: F.softmax_cross_entropy_forward(np.zeros((3, 4)), np.array([0, 1, 4])), r"labels range over \[0, 4\]"),
        (lambda: F.squared_error_forward(np.zeros((3, 4)), np.zeros((3,))), r"squared_error: prediction shape \(3, 4\)"),
        (lambda: F.squared_error_forward(np.zeros(3), np.zeros(3), "avg"), r"reduction must be one of"),
        (lambda: F.lstm_forward(np.zeros((2, 3, 4)), np.zeros((12, 4)), np.zeros((12, 4))), r"lstm: x \(2, 3, 4\), weight_ih \(12, 4\), weight_hh \(12, 4\)"),
        (lambda: F.gru_forward(np.zeros((2, 3, 4)), np.zeros((9, 4)), np.zeros((9, 3)), mask=np.ones((2, 4), bool)), r"gru: mask has shape \(2, 4\)"),
        (lambda: F.dropout_forward(np.zeros(3), 1.0, np.random.default_rng(0)), r"dropout: p must be in"),
    ],
)
def test_bad_shapes_and_geometry(call, pattern):
    with pytest.raises(EngineError, match=pattern):
        call()


def test_backward_checks_dout_shape():
    out, cache = F.conv2d_forward(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)))
    with pytest.raises(EngineError, match=r"conv2d backward: dout has shape \(1, 2, 2, 2\), expected \(1, 2, 3, 3\)"):
        F.conv2d_backward(np.zeros((1, 2, 2, 2)), cache)


def _net(rng):
    return L.Sequential(L.Conv2d(1, 2, 3, rng=rng), L.ReLU(), L.Flatten(), L.Dense(8, 3, rng=rng), L.Tanh())


def test_nan_in_input_is_blamed_on_the_data(rng):
    x = rng.standard_normal((2, 1, 4, 4))
    x[1, 0, 2, 3] = np.nan
    with pytest.raises(EngineError, match=r"Sequential: input of shape \(2, 1, 4, 4\) is not finite.*\(1, 0, 2, 3\)"):
        _net(rng)(x)


def test_nan_in_weights_is_reported_by_that_layer(rng):
    net = _net(rng)
    net.layers[3].params["weight"][0, 0] = np.inf
    with pytest.raises(EngineError, match=r"layer 3 Dense\(8->3\): output .* parameter 'weight' .* diverged"):
        net(rng.standard_normal((2, 1, 4, 4)).astype(np.float32))


@pytest.mark.filterwarnings("ignore:overflow encountered", "ignore:invalid value encountered")
def test_overflow_is_reported_where_it_happens(rng):
    net = L.Sequential(L.Dense(2, 2, rng=rng), L.Dense(2, 2, rng=rng))
    net.layers[1].params["weight"][:] = 3e38
    x = np.ones((1, 2), np.float32) * 10
    with pytest.raises(EngineError, match=r"layer 1 Dense\(2->2\): output .* overflowed here"):
        net(x)


def test_nan_gradient_is_caught_in_backward(rng):
    net = _net(rng)
    out = net(rng.standard_normal((2, 1, 4, 4)))
    dout = np.ones_like(out)
    dout[0, 1] = np.nan
    with pytest.raises(EngineError, match=r"layer 4 Tanh: input gradient .* already was, so the problem is upstream"):
        net.backward(dout)


def test_loss_rejects_nan_predictions():
    with pytest.raises(EngineError, match=r"SoftmaxCrossEntropy: prediction of shape \(1, 2\) is not finite"):
        L.SoftmaxCrossEntropy()(np.array([[np.nan, 0.0]]), np.array([0]))
