"""Gradient checks of every op against finite differences and torch autograd, in float64."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.gradcheck import (
    activation_case,
    conv2d_case,
    dense_case,
    dropout_case,
    embedding_case,
    loss_case,
    pool_case,
)

CONV = [  # n, c, h, w, f, kernel, stride, padding
    (1, 1, 5, 5, 1, (3, 3), 1, 0),
    (2, 3, 7, 6, 4, (3, 3), 1, 1),
    (2, 3, 8, 7, 2, (3, 2), 2, 1),
    (2, 2, 9, 9, 3, (5, 5), 2, 2),
    (1, 2, 6, 5, 2, (1, 1), 1, 0),
    (2, 1, 7, 7, 2, (3, 3), 3, 0),  # stride leaves a remainder: floor like torch
    (2, 2, 5, 7, 3, (2, 4), (2, 1), (0, 2)),  # asymmetric everything
    (1, 2, 4, 4, 3, (4, 4), 1, 0),  # kernel covers the whole input
    (3, 1, 6, 6, 2, (5, 5), 1, 2),  # LeNet-like "same" padding
]


@pytest.mark.parametrize("n,c,h,w,f,k,stride,padding", CONV)
def test_conv2d(torch, rng, n, c, h, w, f, k, stride, padding, assert_case):
    assert_case(conv2d_case(rng, n, c, h, w, f, k, stride, padding))


POOL = [  # h, w, kernel, stride, padding
    (6, 6, 2, 2, 0),
    (7, 6, 3, 2, 1),
    (5, 5, 3, 1, 0),  # overlapping windows
    (6, 7, (2, 3), (1, 2), (1, 1)),
    (7, 5, 2, None, 0),  # odd sizes: the last row/column is dropped
    (8, 8, 3, 3, 1),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("h,w,k,stride,padding", POOL)
def test_pool(torch, rng, kind, h, w, k, stride, padding, assert_case):
    assert_case(pool_case(rng, kind, 2, 2, h, w, k, stride, padding))


@pytest.mark.parametrize("h,w,k,stride,padding", [(7, 6, 3, 2, 1), (6, 7, (2, 3), (1, 2), (1, 1))])
def test_avg_pool_excluding_padding(torch, rng, h, w, k, stride, padding, assert_case):
    assert_case(pool_case(rng, "avg", 2, 2, h, w, k, stride, padding, count_include_pad=False))


@pytest.mark.parametrize("n,d_in,d_out,lead", [(5, 7, 3, ()), (1, 1, 1, ()), (4, 3, 6, (2,))])
def test_dense(torch, rng, n, d_in, d_out, lead, assert_case):
    assert_case(dense_case(rng, n, d_in, d_out, lead))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "flatten"])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4, 3)])
def test_activations(torch, rng, name, shape, assert_case):
    assert_case(activation_case(rng, name, shape))


def test_sigmoid_and_softmax_extreme_inputs(torch, assert_case):
    x = np.array([[-800.0, -40.0, 0.0, 40.0, 800.0]])
    case = activation_case(np.random.default_rng(0), "sigmoid")
    case.inputs["x"] = x
    assert_case(case, fd=False)
    soft = activation_case(np.random.default_rng(0), "softmax")
    soft.inputs["x"] = x
    assert_case(soft, fd=False)


def test_dropout_finite_differences(rng, assert_case):
    assert_case(dropout_case(rng), with_torch=False)


@pytest.mark.parametrize("padding_idx", [None, 0, 4])
def test_embedding(torch, rng, padding_idx, assert_case):
    assert_case(embedding_case(rng, padding_idx=padding_idx))


LOSSES = [
    ("squared_error", "half_sum"),
    ("squared_error", "sum"),
    ("squared_error", "mean"),
    ("softmax_cross_entropy", "mean"),
    ("softmax_cross_entropy", "sum"),
    ("cross_entropy", "mean"),
    ("cross_entropy", "sum"),
    ("bce_with_logits", "mean"),
    ("bce_with_logits", "sum"),
]


@pytest.mark.parametrize("name,reduction", LOSSES)
def test_losses(torch, rng, name, reduction, assert_case):
    assert_case(loss_case(rng, name, reduction=reduction))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("smoothing", [0.1, 0.5, 1.0])
def test_label_smoothing_cross_entropy(torch, rng, reduction, smoothing, assert_case):
    """Loss and gradient equal torch's ``cross_entropy(label_smoothing=e)`` (and finite differences)."""
    row = assert_case(loss_case(rng, "softmax_cross_entropy", reduction=reduction, smoothing=smoothing))
    assert "smoothing" in row["op"]


def test_label_smoothing_changes_the_loss_and_rejects_bad_values():
    from classbench.engine import EngineError
    from classbench.engine import layers as L

    z, labels = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]]), np.array([0, 1])
    plain, smooth = L.SoftmaxCrossEntropy(), L.SoftmaxCrossEntropy(smoothing=0.3)
    assert smooth(z, labels) > plain(z, labels)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    t = np.full((2, 3), 0.1) + 0.7 * np.eye(3)[labels]  # by hand: 0.7 onehot + 0.3 / 3
    np.testing.assert_allclose(smooth.backward(), (np.exp(logp) - t) / 2, atol=1e-12)
    with pytest.raises(EngineError, match=r"smoothing must lie in \[0, 1\], got -0.1"):
        L.SoftmaxCrossEntropy(smoothing=-0.1)(z, labels)


def test_cross_entropy_is_stable_for_huge_logits(torch):
    from classbench.engine import functional as F

    z = np.array([[1000.0, 0.0, -1000.0], [0.0, 1e4, 0.0]])
    loss, cache = F.softmax_cross_entropy_forward(z, np.array([1, 1]))
    ref = torch.nn.functional.cross_entropy(torch.as_tensor(z), torch.as_tensor([1, 1])).item()
    assert np.isfinite(loss) and abs(loss - ref) <= 1e-9 * abs(ref), (loss, ref)
    assert np.all(np.isfinite(F.softmax_cross_entropy_backward(1.0, cache)))
    bce, _ = F.bce_with_logits_forward(np.array([1000.0, -1000.0]), np.array([0.0, 1.0]))
    assert bce == pytest.approx(1000.0)
