"""LSTM and GRU over whole sequences (batch first), with backpropagation through time and padding masks.

Equations and parameter layouts are torch.nn.LSTM / torch.nn.GRU's (single layer, one direction), so
``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0`` copy over unchanged.

LSTM, gates stacked in the order i, f, g, o (each block has ``hidden`` rows)::

    i = s(W_ii x + b_ii + W_hi h + b_hi)     f = s(W_if x + b_if + W_hf h + b_hf)
    g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = s(W_io x + b_io + W_ho h + b_ho)
    c' = f * c + i * g                        h' = o * tanh(c')

GRU, gates stacked in the order r, z, n::

    r = s(W_ir x + b_ir + W_hr h + b_hr)     z = s(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    h' = (1 - z) * n + z * h

Masks: ``mask[b, t]`` False marks a padding step. There the state is carried through unchanged
(``h_t = h_{t-1}``, ``c_t = c_{t-1}``) and the output ``y[b, t]`` is 0, which is what torch returns for
``pack_padded_sequence`` -> RNN -> ``pad_packed_sequence``; ``h_n`` is then the state after each sequence's
last valid step. Any mask pattern works (not only trailing padding).
"""

from __future__ import annotations

import numpy as np

from ..errors import EngineError, check_ndim
from .activations import sigmoid


def lengths_to_mask(lengths, t: int) -> np.ndarray:
    """Boolean mask of shape (n, t) that is True for the first ``lengths[b]`` steps of row b."""
    lengths = np.asarray(lengths)
    return np.arange(t)[None, :] < lengths[:, None]


def _check(op, x, w_ih, w_hh, b_ih, b_hh, gates, states, mask):
    check_ndim(op, "x", x, 3, "(n, t, input_size)")
    check_ndim(op, "weight_ih", w_ih, 2, f"({gates}*hidden, input_size)")
    check_ndim(op, "weight_hh", w_hh, 2, f"({gates}*hidden, hidden)")
    n, t, i = x.shape
    hid = w_hh.shape[1]
    if w_hh.shape != (gates * hid, hid) or w_ih.shape != (gates * hid, i):
        raise EngineError(
            f"{op}: x {tuple(x.shape)}, weight_ih {tuple(w_ih.shape)}, weight_hh {tuple(w_hh.shape)} do not fit: "
            f"expected weight_ih ({gates}*hidden, {i}) and weight_hh ({gates}*hidden, hidden)"
        )
    for name, b in (("bias_ih", b_ih), ("bias_hh", b_hh)):
        if b is not None and b.shape != (gates * hid,):
            raise EngineError(f"{op}: {name} has shape {tuple(b.shape)}, expected ({gates * hid},)")
    for name, s in states.items():
        if s is not None and s.shape != (n, hid):
            raise EngineError(f"{op}: {name} has shape {tuple(s.shape)}, expected {(n, hid)}")
    if mask is not None and (not isinstance(mask, np.ndarray) or mask.shape != (n, t)):
        raise EngineError(f"{op}: mask has shape {getattr(mask, 'shape', mask)}, expected {(n, t)}")
    return n, t, hid


def _input_projection(x, w_ih, b_ih, b_hh):
    xw = x @ w_ih.T  # (n, t, gates*hidden): one matmul for all steps
    for b in (b_ih, b_hh):
        if b is not None:
            xw += b
    return xw


def _param_grads(da, dhw, x, hs, w_ih, w_hh, has_bias):
    """Weight/bias/input gradients from the per-step pre-activation gradients (one matmul each)."""
    g = da.shape[-1]
    da2, dhw2 = da.reshape(-1, g), dhw.reshape(-1, g)
    return {
        "x": da @ w_ih,
        "weight_ih": da2.T @ x.reshape(-1, x.shape[-1]),
        "weight_hh": dhw2.T @ hs.reshape(-1, hs.shape[-1]),
        "bias_ih": da2.sum(axis=0) if has_bias[0] else None,
        "bias_hh": dhw2.sum(axis=0) if has_bias[1] else None,
    }


def lstm_forward(x, weight_ih, weight_hh, bias_ih=None, bias_hh=None, h0=None, c0=None, mask=None):
    """Run an LSTM over the sequence.

    Parameters
    ----------
    x : array of shape (n, t, input_size)
    weight_ih : (4*hidden, input_size); weight_hh : (4*hidden, hidden); bias_ih, bias_hh : (4*hidden,) or None
    h0, c0 : arrays of shape (n, hidden) or None (zeros)
    mask : bool array of shape (n, t) or None (all steps valid)

    Returns
    -------
    (y, h_n, c_n) : y of shape (n, t, hidden) (0 at masked steps), h_n and c_n of shape (n, hidden)
    cache : for :func:`lstm_backward`
    """
    n, t, hid = _check("lstm", x, weight_ih, weight_hh, bias_ih, bias_hh, 4, {"h0": h0, "c0": c0}, mask)
    dt = x.dtype
    xw = _input_projection(x, weight_ih, bias_ih, bias_hh)
    acts = np.empty((n, t, 4 * hid), dtype=dt)  # i, f, g, o after their nonlinearities
    hs = np.empty((n, t, hid), dtype=dt)  # state entering each step
    cs = np.empty((n, t, hid), dtype=dt)
    tcs = np.empty((n, t, hid), dtype=dt)  # tanh(c') of each step
    y = np.empty((n, t, hid), dtype=dt)
    h = np.zeros((n, hid), dt) if h0 is None else h0
    c = np.zeros((n, hid), dt) if c0 is None else c0
    whh_t = weight_hh.T
    for s in range(t):
        hs[:, s], cs[:, s] = h, c
        a = xw[:, s] + h @ whh_t
        act = sigmoid(a)
        act[:, 2 * hid : 3 * hid] = np.tanh(a[:, 2 * hid : 3 * hid])
        i, f, g, o = act[:, :hid], act[:, hid : 2 * hid], act[:, 2 * hid : 3 * hid], act[:, 3 * hid :]
        c_new = f * c + i * g  # [eq:lstm-cell]
        tc = np.tanh(c_new)
        h_new = o * tc  # [eq:lstm-hidden]
        acts[:, s], tcs[:, s] = act, tc
        if mask is None:
            h, c = h_new, c_new
            y[:, s] = h_new
        else:
            m = mask[:, s, None]
            h, c = np.where(m, h_new, h), np.where(m, c_new, c)  # [eq:rnn-mask]
            y[:, s] = np.where(m, h_new, 0)
    cache = (x, weight_ih, weight_hh, (bias_ih is not None, bias_hh is not None), mask, acts, hs, cs, tcs)
    return (y, h, c), cache


def lstm_backward(douts, cache) -> dict:
    """Backpropagation through time for :func:`lstm_forward`.

    Parameters
    ----------
    douts : (dy, dh_n, dc_n), any of them None; dy of shape (n, t, hidden), dh_n and dc_n (n, hidden)

    Returns
    -------
    dict with ``x``, ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (None without bias), ``h0``, ``c0``
    """
    x, w_ih, w_hh, has_bias, mask, acts, hs, cs, tcs = cache
    dy, dh_n, dc_n = douts
    n, t, hid = hs.shape
    _check_douts("lstm", (n, t, hid), dy, {"dh_n": dh_n, "dc_n": dc_n})
    dt = x.dtype
    dh = np.zeros((n, hid), dt) if dh_n is None else dh_n
    dc = np.zeros((n, hid), dt) if dc_n is None else dc_n
    da = np.empty((n, t, 4 * hid), dtype=dt)
    for s in reversed(range(t)):
        act, tc = acts[:, s], tcs[:, s]
        i, f, g, o = act[:, :hid], act[:, hid : 2 * hid], act[:, 2 * hid : 3 * hid], act[:, 3 * hid :]
        dh_new = dh if dy is None else dh + dy[:, s]
        if mask is not None:
            m = mask[:, s, None]
            dh_new, dc_in = np.where(m, dh_new, 0), np.where(m, dc, 0)
        else:
            dc_in = dc
        dc_new = dc_in + dh_new * o * (1 - tc * tc)  # [eq:lstm-bptt-c]
        dai = dc_new * g * i * (1 - i)
        daf = dc_new * cs[:, s] * f * (1 - f)
        dag = dc_new * i * (1 - g * g)
        dao = dh_new * tc * o * (1 - o)
        da_s = np.concatenate([dai, daf, dag, dao], axis=1)  # [eq:lstm-bptt-gates]
        da[:, s] = da_s
        dh_prev = da_s @ w_hh
        dc_prev = dc_new * f
        if mask is not None:  # padding steps pass the state's gradient straight through
            dh_prev += np.where(m, 0, dh)
            dc_prev += np.where(m, 0, dc)
        dh, dc = dh_prev, dc_prev
    grads = _param_grads(da, da, x, hs, w_ih, w_hh, has_bias)
    grads["h0"], grads["c0"] = dh, dc
    return grads


def _check_douts(op, shape, dy, finals):
    n, t, hid = shape
    if dy is not None and dy.shape != shape:
        raise EngineError(f"{op} backward: dy has shape {tuple(dy.shape)}, expected {shape}")
    for name, d in finals.items():
        if d is not None and d.shape != (n, hid):
            raise EngineError(f"{op} backward: {name} has shape {tuple(d.shape)}, expected {(n, hid)}")


def gru_forward(x, weight_ih, weight_hh, bias_ih=None, bias_hh=None, h0=None, mask=None):
    """Run a GRU over the sequence.

    Parameters
    ----------
    x : array of shape (n, t, input_size)
    weight_ih : (3*hidden, input_size); weight_hh : (3*hidden, hidden); bias_ih, bias_hh : (3*hidden,) or None
    h0 : array of shape (n, hidden) or None (zeros)
    mask : bool array of shape (n, t) or None

    Returns
    -------
    (y, h_n) : y of shape (n, t, hidden) (0 at masked steps), h_n of shape (n, hidden)
    cache : for :func:`gru_backward`
    """
    n, t, hid = _check("gru", x, weight_ih, weight_hh, bias_ih, bias_hh, 3, {"h0": h0}, mask)
    dt = x.dtype
    xw = _input_projection(x, weight_ih, bias_ih, None)  # b_hn must stay inside r * (.)
    rzn = np.empty((n, t, 3 * hid), dtype=dt)  # r, z, n after their nonlinearities
    hns = np.empty((n, t, hid), dtype=dt)  # W_hn h + b_hn of each step
    hs = np.empty((n, t, hid), dtype=dt)
    y = np.empty((n, t, hid), dtype=dt)
    h = np.zeros((n, hid), dt) if h0 is None else h0
    whh_t = weight_hh.T
    for s in range(t):
        hs[:, s] = h
        hw = h @ whh_t
        if bias_hh is not None:
            hw += bias_hh
        rz = sigmoid(xw[:, s, : 2 * hid] + hw[:, : 2 * hid])
        r, z = rz[:, :hid], rz[:, hid:]
        hn = hw[:, 2 * hid :]
        nn = np.tanh(xw[:, s, 2 * hid :] + r * hn)  # [eq:gru-n]
        h_new = nn + z * (h - nn)  # (1 - z) n + z h  [eq:gru-hidden]
        rzn[:, s, : 2 * hid], rzn[:, s, 2 * hid :], hns[:, s] = rz, nn, hn
        if mask is None:
            h = h_new
            y[:, s] = h_new
        else:
            m = mask[:, s, None]
            h = np.where(m, h_new, h)
            y[:, s] = np.where(m, h_new, 0)
    cache = (x, weight_ih, weight_hh, (bias_ih is not None, bias_hh is not None), mask, rzn, hns, hs)
    return (y, h), cache


def gru_backward(douts, cache) -> dict:
    """Backpropagation through time for :func:`gru_forward`.

    Parameters
    ----------
    douts : (dy, dh_n), either may be None; dy of shape (n, t, hidden), dh_n of shape (n, hidden)

    Returns
    -------
    dict with ``x``, ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (None without bias), ``h0``
    """
    x, w_ih, w_hh, has_bias, mask, rzn, hns, hs = cache
    dy, dh_n = douts
    n, t, hid = hs.shape
    _check_douts("gru", (n, t, hid), dy, {"dh_n": dh_n})
    dt = x.dtype
    dh = np.zeros((n, hid), dt) if dh_n is None else dh_n
    dax = np.empty((n, t, 3 * hid), dtype=dt)  # gradient w.r.t. W_i x + b_i
    dah = np.empty((n, t, 3 * hid), dtype=dt)  # gradient w.r.t. W_h h + b_h
    for s in reversed(range(t)):
        r, z, nn = rzn[:, s, :hid], rzn[:, s, hid : 2 * hid], rzn[:, s, 2 * hid :]
        dh_new = dh if dy is None else dh + dy[:, s]
        if mask is not None:
            m = mask[:, s, None]
            dh_new = np.where(m, dh_new, 0)
        dan = dh_new * (1 - z) * (1 - nn * nn)  # [eq:gru-bptt]
        dar = dan * hns[:, s] * r * (1 - r)
        daz = dh_new * (hs[:, s] - nn) * z * (1 - z)
        dax[:, s, :hid], dax[:, s, hid : 2 * hid], dax[:, s, 2 * hid :] = dar, daz, dan
        dah[:, s, :hid], dah[:, s, hid : 2 * hid], dah[:, s, 2 * hid :] = dar, daz, dan * r
        dh_prev = dh_new * z + dah[:, s] @ w_hh
        if mask is not None:
            dh_prev += np.where(m, 0, dh)
        dh = dh_prev
    grads = _param_grads(dax, dah, x, hs, w_ih, w_hh, has_bias)
    grads["h0"] = dh
    return grads
