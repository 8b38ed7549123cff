"""Max pooling with ties: the documented rule (first maximum in row-major window order) and torch CPU."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.engine import functional as F
from classbench.gradcheck import pool_case


def _dx(x, k, stride=None, padding=0, dout=None):
    out, cache = F.maxpool2d_forward(x, k, stride, padding)
    return out, F.maxpool2d_backward(np.ones_like(out) if dout is None else dout, cache)


def test_rule_first_max_in_row_major_order():
    x = np.array([[[[1.0, 3.0], [3.0, 0.0]]]])  # tie between (0, 1) and (1, 0)
    out, dx = _dx(x, 2)
    assert out.item() == 3.0
    np.testing.assert_array_equal(dx[0, 0], [[0, 1], [0, 0]])
    flat = np.full((1, 1, 2, 2), 7.0)  # all equal: the top-left element wins
    np.testing.assert_array_equal(_dx(flat, 2)[1][0, 0], [[1, 0], [0, 0]])


def test_rule_with_overlapping_windows():
    """Constant 3x3 input, 2x2 windows, stride 1: every window sends its gradient to its top-left."""
    x = np.zeros((1, 1, 3, 3))
    dout = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    _, dx = _dx(x, 2, 1, dout=dout)
    np.testing.assert_array_equal(dx[0, 0], [[1, 2, 0], [3, 4, 0], [0, 0, 0]])


def test_padding_never_wins_a_tie():
    """Padding is -inf, so even an all-negative window routes to a real input."""
    x = -np.ones((1, 1, 3, 3))
    out, dx = _dx(x, 3, 2, 1)
    assert np.all(out == -1)
    assert dx.sum() == out.size


@pytest.mark.parametrize("k,stride,padding", [(2, 2, 0), (3, 1, 1), (3, 2, 1), ((2, 3), (1, 2), 0)])
def test_ties_agree_with_torch_cpu(torch, assert_case, k, stride, padding):
    """torch's CPU kernel also keeps the first maximum (strict >), so gradients agree exactly with ties."""
    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, size=(2, 3, 7, 6)).astype(np.float64)  # many ties
    case = pool_case(rng, "max", k=k, stride=stride, padding=padding, x=x)
    assert_case(case, fd=False, tol=1e-12)  # only the order of accumulation on overlaps may differ
    out, idx = torch.nn.functional.max_pool2d(torch.as_tensor(x), k, stride, padding, return_indices=True)
    _, cache = F.maxpool2d_forward(x, k, stride, padding)
    arg, _, (kh, kw, sh, sw, ph, pw, ho, wo) = cache
    rows = np.arange(ho)[:, None] * sh - ph + arg // kw
    cols = np.arange(wo)[None, :] * sw - pw + arg % kw
    np.testing.assert_array_equal(rows * x.shape[3] + cols, idx.numpy(), err_msg="argmax differs from torch's")


@pytest.mark.parametrize("k,stride", [(2, 2), (3, 1)])
def test_nan_wins_its_window_like_torch_cpu(torch, k, stride):
    """A NaN is the maximum of its window (the last NaN when there are several), as in torch's CPU kernel:
    same outputs, same gradients, same argmax indices."""
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, size=(2, 2, 6, 6)).astype(np.float32)
    x[0, 0, 0, 1] = x[0, 1, 3, 2] = x[0, 1, 3, 3] = x[1, 0, 5, 5] = np.nan
    out, dx = _dx(x, k, stride)
    xt = torch.as_tensor(x).requires_grad_()
    ref, idx = torch.nn.functional.max_pool2d(xt, k, stride, return_indices=True)
    ref.sum().backward()
    np.testing.assert_array_equal(out, ref.detach().numpy())  # NaN == NaN here
    np.testing.assert_array_equal(dx, xt.grad.numpy())
    _, (arg, _, (kh, kw, sh, sw, ph, pw, ho, wo)) = F.maxpool2d_forward(x, k, stride)
    rows = np.arange(ho)[:, None] * sh + arg // kw
    cols = np.arange(wo)[None, :] * sw + arg % kw
    np.testing.assert_array_equal(rows * x.shape[3] + cols, idx.numpy())
