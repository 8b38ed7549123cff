"""LSTM/GRU: gradients vs finite differences and torch (copied weights), masks vs pack_padded_sequence."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.engine import functional as F
from classbench.gradcheck import rnn_case

SHAPES = [(3, 5, 4, 3), (1, 1, 2, 2), (2, 7, 3, 5)]  # n, t, input, hidden


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("n,t,i,hid", SHAPES)
def test_rnn_matches_torch(torch, rng, kind, n, t, i, hid, assert_case):
    assert_case(rnn_case(rng, kind, n, t, i, hid))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("lengths", [[5, 2, 4], [1, 5, 3], [5, 5, 5]])
def test_masked_rnn_matches_packed_sequence(torch, rng, kind, lengths, assert_case):
    """Outputs at valid steps, zeros at padding, h_n (and c_n) at each sequence's last valid step."""
    assert_case(rnn_case(rng, kind, 3, 5, 4, 3, lengths=lengths))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_rnn_without_bias(torch, rng, kind, assert_case):
    assert_case(rnn_case(rng, kind, bias=False))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_any_mask_pattern_finite_differences(rng, kind, assert_case):
    mask = np.array([[0, 0, 1, 1, 1], [1, 0, 1, 0, 1], [1, 1, 1, 1, 0]], dtype=bool)
    assert_case(rnn_case(rng, kind, 3, 5, 4, 3, mask=mask), with_torch=False)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_masked_steps_carry_the_state(rng, kind):
    """Left padding: the valid steps give exactly what the unpadded sequence gives; padding outputs 0."""
    case = rnn_case(rng, kind, 2, 6, 3, 4)
    p = case.inputs
    fwd = F.lstm_forward if kind == "lstm" else F.gru_forward
    mask = np.array([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]], dtype=bool)
    outs, _ = fwd(**p, mask=mask)
    ref, _ = fwd(**{**p, "x": p["x"][:1, 2:], "h0": p["h0"][:1], **({"c0": p["c0"][:1]} if kind == "lstm" else {})})
    np.testing.assert_allclose(outs[0][0, 2:], ref[0][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(outs[0][0, :2], 0)
    for final, final_ref in zip(outs[1:], ref[1:]):
        np.testing.assert_allclose(final[0], final_ref[0], rtol=1e-12, atol=1e-14)


def test_lstm_module_weights_copy_over(torch):
    """A torch.nn.LSTM's own parameters, copied in unchanged, give torch's outputs (gate order i, f, g, o)."""
    torch.manual_seed(0)
    module = torch.nn.LSTM(3, 4, batch_first=True).double()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    y_ref, (h_ref, c_ref) = module(x)
    w = {k.removesuffix("_l0"): v.detach().numpy() for k, v in module.named_parameters()}
    (y, h, c), _ = F.lstm_forward(x.numpy(), **w)
    np.testing.assert_allclose(y, y_ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c, c_ref[0].detach().numpy(), rtol=1e-12, atol=1e-14)
    gru = torch.nn.GRU(3, 4, batch_first=True).double()
    y_ref, h_ref = gru(x)
    w = {k.removesuffix("_l0"): v.detach().numpy() for k, v in gru.named_parameters()}
    (y, h), _ = F.gru_forward(x.numpy(), **w)
    np.testing.assert_allclose(h, h_ref[0].detach().numpy(), rtol=1e-12, atol=1e-14)


def test_float32_stays_float32(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    w_ih, w_hh = (rng.standard_normal((12, 4)).astype(np.float32), rng.standard_normal((12, 3)).astype(np.float32))
    (y, h, c), cache = F.lstm_forward(x, w_ih, w_hh)
    grads = F.lstm_backward((np.ones_like(y), None, None), cache)
    assert y.dtype == h.dtype == c.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values() if g is not None)
