"""Gradient checks of the NumPy engine against two references, in float64.

For each op, a :class:`Case` holds float64 inputs, the engine's forward/backward and (where torch has the
same op) a torch expression. The scalar objective is ``L = sum_k <out_k, R_k>`` with random ``R``, so
dL/d(out) = R is fed to the engine's backward. The engine's gradients are compared with

* central finite differences of L (fourth-order 5-point stencil, step 1e-4), and
* torch autograd (forward outputs too), with torch's weights set to the engine's.

Relative error: ``max_i |a_i - r_i| / max(|a_i|, |r_i|, floor)`` where ``floor = 1e-3 * max_i |r_i|``, so
entries that are nearly zero are judged against the scale of their array rather than blowing up.
torch is imported lazily inside :func:`check_case`; without torch the torch column is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .engine import functional as F

TOLERANCE = 1e-6
FD_STEP = 1e-4


@dataclass
class Case:
    """One op under test. ``ours(inputs) -> (outputs, backward)`` with ``backward(douts) -> grads`` keyed
    like ``inputs``; ``theirs(torch, tensors) -> outputs`` or None when torch has no such op."""

    op: str
    inputs: dict[str, np.ndarray]
    ours: Callable
    theirs: Callable | None = None
    note: str = ""
    fd_adjust: Callable | None = None  # applied to the finite-difference grads (conventions such as padding_idx)


def rel_error(a: np.ndarray, ref: np.ndarray) -> tuple[float, tuple, float, float]:
    """(max relative error, index of the worst element, its value, its reference value)."""
    a, ref = np.asarray(a, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if a.shape != ref.shape:
        return np.inf, (), np.nan, np.nan
    if a.size == 0:
        return 0.0, (), 0.0, 0.0
    floor = max(1e-3 * float(np.abs(ref).max()), 1e-300)
    err = np.abs(a - ref) / np.maximum(np.maximum(np.abs(a), np.abs(ref)), floor)
    err = np.where(np.isnan(err), np.inf, err)
    idx = np.unravel_index(int(np.argmax(err)), err.shape)
    return float(err[idx]), tuple(int(i) for i in idx), float(a[idx]), float(ref[idx])


def compare(ours: dict, refs: dict) -> tuple[float, str]:
    """Worst relative error over several named arrays, and a message naming the worst element."""
    worst, msg = 0.0, "all equal"
    for key, ref in refs.items():
        err, idx, val, rv = rel_error(ours[key], ref)
        if err >= worst:
            worst, msg = err, f"{key}{list(idx)}: got {val:.12g}, reference {rv:.12g} (rel err {err:.2e})"
    return worst, msg


def _objective(case: Case, inputs: dict, weights: tuple) -> float:
    outs, _ = case.ours(inputs)
    return float(sum(np.vdot(np.asarray(o, dtype=np.float64), w) for o, w in zip(outs, weights)))


def numerical_grads(case: Case, weights: tuple, step: float = FD_STEP) -> dict[str, np.ndarray]:
    """Five-point central differences of ``sum <out, weights>`` w.r.t. every input array."""
    grads = {}
    for key, arr in case.inputs.items():
        g = np.zeros_like(arr)
        flat, gflat = arr.reshape(-1), g.reshape(-1)  # views: perturb in place, restore after
        for j in range(flat.size):
            orig = flat[j]
            vals = []
            for delta in (2 * step, step, -step, -2 * step):
                flat[j] = orig + delta
                vals.append(_objective(case, case.inputs, weights))
            flat[j] = orig
            gflat[j] = (-vals[0] + 8 * vals[1] - 8 * vals[2] + vals[3]) / (12 * step)
        grads[key] = g
    return grads


def _torch():
    try:
        import torch
    except ImportError:  # torch is an optional extra
        return None
    return torch


def check_case(case: Case, seed: int = 0, with_fd: bool = True, with_torch: bool = True) -> dict:
    """Run one case; returns op, fd/torch errors, worst-element messages and ``passed``."""
    rng = np.random.default_rng(seed)
    outs, backward = case.ours(case.inputs)
    weights = tuple(rng.standard_normal(np.shape(o)) for o in outs)
    grads = backward(weights)
    row = {"op": case.op, "fd_rel_err": None, "torch_rel_err": None, "fd_worst": "", "torch_worst": "",
           "note": case.note}
    if with_fd:
        fd = numerical_grads(case, weights)
        row["fd_rel_err"], row["fd_worst"] = compare(grads, case.fd_adjust(fd) if case.fd_adjust else fd)
    torch = _torch() if (with_torch and case.theirs is not None) else None
    if torch is not None:
        tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in case.inputs.items()}
        touts = case.theirs(torch, tensors)
        total = sum((t * torch.as_tensor(w)).sum() for t, w in zip(touts, weights))
        total.backward()
        fwd = {f"output{i}": t.detach().numpy() for i, t in enumerate(touts)}
        ref = {k: (t.grad.numpy() if t.grad is not None else np.zeros_like(case.inputs[k])) for k, t in tensors.items()}
        mine = {**{f"output{i}": np.asarray(o) for i, o in enumerate(outs)}, **grads}
        row["torch_rel_err"], row["torch_worst"] = compare(mine, {**fwd, **ref})
    elif with_torch and case.theirs is not None:
        row["note"] = (row["note"] + "; " if row["note"] else "") + "torch not installed"
    errs = [e for e in (row["fd_rel_err"], row["torch_rel_err"]) if e is not None]
    row["passed"] = bool(errs) and max(errs) <= TOLERANCE
    return row


# ---------------------------------------------------------------- cases: one factory per op


def _grads_only(g: dict, keys) -> dict:
    return {k: g[k] for k in keys}


def conv2d_case(rng, n=2, c=3, h=7, w=6, f=4, k=(3, 3), stride=1, padding=0) -> Case:
    inputs = {"x": rng.standard_normal((n, c, h, w)), "weight": rng.standard_normal((f, c, *k)),
              "bias": rng.standard_normal(f)}

    def ours(p):
        out, cache = F.conv2d_forward(p["x"], p["weight"], p["bias"], stride, padding)
        return (out,), lambda d: _grads_only(F.conv2d_backward(d[0], cache), p)

    def theirs(torch, t):
        return (torch.nn.functional.conv2d(t["x"], t["weight"], t["bias"], stride=stride, padding=padding),)

    return Case(f"conv2d k={k} s={stride} p={padding}", inputs, ours, theirs)


def distinct_values(rng, shape, gap=1e-2) -> np.ndarray:
    """A random permutation of an evenly spaced grid: no ties, every pair at least ``gap`` apart."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * gap - size * gap / 2).reshape(shape)


def pool_case(rng, kind="max", n=2, c=2, h=7, w=6, k=3, stride=2, padding=1, x=None, **kw) -> Case:
    """Pooling case; inputs have no ties unless ``x`` is given. ``kw``: count_include_pad for avg."""
    x = distinct_values(rng, (n, c, h, w)) if x is None else x
    fwd, bwd = ((F.maxpool2d_forward, F.maxpool2d_backward) if kind == "max"
                else (F.avgpool2d_forward, F.avgpool2d_backward))

    def ours(p):
        out, cache = fwd(p["x"], k, stride, padding, **kw)
        return (out,), lambda d: {"x": bwd(d[0], cache)}

    def theirs(torch, t):
        fn = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d
        return (fn(t["x"], k, stride, padding, **kw),)

    extra = "".join(f" {a}={b}" for a, b in kw.items())
    return Case(f"{kind}_pool2d k={k} s={stride} p={padding}{extra}", {"x": x}, ours, theirs)


def dense_case(rng, n=5, d_in=7, d_out=3, lead=()) -> Case:
    inputs = {"x": rng.standard_normal((*lead, n, d_in)), "weight": rng.standard_normal((d_out, d_in)),
              "bias": rng.standard_normal(d_out)}

    def ours(p):
        out, cache = F.dense_forward(p["x"], p["weight"], p["bias"])
        return (out,), lambda d: _grads_only(F.dense_backward(d[0], cache), p)

    return Case("dense (linear)", inputs, ours, lambda torch, t: (torch.nn.functional.linear(t["x"], t["weight"], t["bias"]),))


_ACTIVATIONS = {
    "relu": (F.relu_forward, F.relu_backward, lambda torch: torch.relu),
    "sigmoid": (F.sigmoid_forward, F.sigmoid_backward, lambda torch: torch.sigmoid),
    "tanh": (F.tanh_forward, F.tanh_backward, lambda torch: torch.tanh),
    "softmax": (F.softmax_forward, F.softmax_backward, lambda torch: lambda z: torch.softmax(z, dim=-1)),
    "flatten": (F.flatten_forward, F.flatten_backward, lambda torch: lambda z: torch.flatten(z, 1)),
}


def activation_case(rng, name: str, shape=(4, 3, 5), scale=3.0) -> Case:
    x = rng.standard_normal(shape) * scale
    if name == "relu":  # keep away from the kink at 0 (finite differences reach 2 * FD_STEP)
        x = np.where(np.abs(x) < 1e-2, 0.5, x)
    fwd, bwd, tfn = _ACTIVATIONS[name]

    def ours(p):
        out, cache = fwd(p["x"])
        return (out,), lambda d: {"x": bwd(d[0], cache)}

    return Case(name, {"x": x}, ours, lambda torch, t: (tfn(torch)(t["x"]),))


def dropout_case(rng, shape=(6, 7), p=0.4, seed=3) -> Case:
    def ours(inp):
        out, cache = F.dropout_forward(inp["x"], p, np.random.default_rng(seed))
        return (out,), lambda d: {"x": F.dropout_backward(d[0], cache)}

    return Case(f"dropout p={p}", {"x": rng.standard_normal(shape)}, ours, None,
                note="no torch reference (different random stream)")


def embedding_case(rng, vocab=9, dim=4, shape=(3, 5), padding_idx=0) -> Case:
    idx = rng.integers(0, vocab, size=shape)
    idx.flat[:2] = padding_idx if padding_idx is not None else 1  # make sure the padding row is used

    def ours(p):
        out, cache = F.embedding_forward(idx, p["weight"], padding_idx)
        return (out,), lambda d: F.embedding_backward(d[0], cache)

    def theirs(torch, t):
        return (torch.nn.functional.embedding(torch.as_tensor(idx), t["weight"], padding_idx=padding_idx),)

    def padding_row_gets_no_grad(fd):  # torch's convention, not the true derivative
        if padding_idx is not None:
            fd["weight"][padding_idx] = 0
        return fd

    return Case(f"embedding padding_idx={padding_idx}", {"weight": rng.standard_normal((vocab, dim))}, ours, theirs,
                fd_adjust=padding_row_gets_no_grad)


def _scalar_loss_case(op, inputs, fwd, bwd, theirs, fixed=()):
    def ours(p):
        loss, cache = fwd(*(p[k] for k in inputs), *fixed)
        return (np.float64(loss),), lambda d: {list(inputs)[0]: bwd(float(d[0]), cache)}

    return Case(op, inputs, ours, theirs)


def loss_case(rng, name: str, n=6, k=4, reduction="mean", smoothing=0.0) -> Case:
    """``smoothing``: label smoothing of softmax_cross_entropy (torch's ``label_smoothing``)."""
    tF = lambda torch: torch.nn.functional  # noqa: E731
    if name == "squared_error":
        t = rng.standard_normal((n, k))
        red = {"mean": "mean", "sum": "sum", "half_sum": "sum"}[reduction]
        scale = 0.5 if reduction == "half_sum" else 1.0
        return _scalar_loss_case(
            f"squared_error ({reduction})", {"y": rng.standard_normal((n, k))}, F.squared_error_forward,
            F.squared_error_backward,
            lambda torch, p: (scale * tF(torch).mse_loss(p["y"], torch.as_tensor(t), reduction=red),), (t, reduction))
    if name == "softmax_cross_entropy":
        labels = rng.integers(0, k, size=n)
        return _scalar_loss_case(
            f"softmax_cross_entropy ({reduction}{f', smoothing {smoothing:g}' if smoothing else ''})",
            {"z": rng.standard_normal((n, k)) * 3}, F.softmax_cross_entropy_forward, F.softmax_cross_entropy_backward,
            lambda torch, p: (tF(torch).cross_entropy(p["z"], torch.as_tensor(labels), reduction=reduction,
                                                      label_smoothing=smoothing),),
            (labels, reduction, smoothing))
    if name == "cross_entropy":
        labels = rng.integers(0, k, size=n)
        probs = F.softmax(rng.standard_normal((n, k)))
        return _scalar_loss_case(
            f"cross_entropy on probabilities ({reduction})", {"p": probs}, F.cross_entropy_forward,
            F.cross_entropy_backward,
            lambda torch, p: (tF(torch).nll_loss(torch.log(p["p"]), torch.as_tensor(labels), reduction=reduction),),
            (labels, reduction))
    if name == "bce_with_logits":
        t = (rng.random((n, k)) < 0.5).astype(np.float64)
        return _scalar_loss_case(
            f"bce_with_logits ({reduction})", {"z": rng.standard_normal((n, k)) * 4},
            F.bce_with_logits_forward, F.bce_with_logits_backward,
            lambda torch, p: (tF(torch).binary_cross_entropy_with_logits(p["z"], torch.as_tensor(t), reduction=reduction),),
            (t, reduction))
    raise ValueError(f"unknown loss {name!r}")


def rnn_case(rng, kind="lstm", n=3, t=5, i=4, hid=3, lengths=None, bias=True, mask=None) -> Case:
    """LSTM/GRU with initial states. ``lengths`` (n,) masks trailing steps (torch: pack_padded_sequence);
    an explicit boolean ``mask`` (n, t) allows any pattern but has no torch reference."""
    g = 4 if kind == "lstm" else 3
    inputs = {"x": rng.standard_normal((n, t, i)), "weight_ih": rng.standard_normal((g * hid, i)) * 0.5,
              "weight_hh": rng.standard_normal((g * hid, hid)) * 0.5, "h0": rng.standard_normal((n, hid))}
    if bias:
        inputs["bias_ih"], inputs["bias_hh"] = rng.standard_normal(g * hid) * 0.5, rng.standard_normal(g * hid) * 0.5
    if kind == "lstm":
        inputs["c0"] = rng.standard_normal((n, hid))
    if mask is None and lengths is not None:
        mask = F.lengths_to_mask(lengths, t)
    fwd, bwd = (F.lstm_forward, F.lstm_backward) if kind == "lstm" else (F.gru_forward, F.gru_backward)

    def ours(p):
        outs, cache = fwd(**p, mask=mask)
        return outs, lambda d: _grads_only(bwd(d, cache), p)

    def theirs(torch, p):
        from torch.func import functional_call
        from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

        module = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(i, hid, batch_first=True, bias=bias).double()
        params = {f"{k}_l0": p[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if k in p}
        state = (p["h0"][None], p["c0"][None]) if kind == "lstm" else p["h0"][None]
        x = p["x"]
        if lengths is not None:
            x = pack_padded_sequence(x, torch.as_tensor(lengths), batch_first=True, enforce_sorted=False)
        y, hn = functional_call(module, params, (x, state))
        if lengths is not None:
            y = pad_packed_sequence(y, batch_first=True, total_length=t)[0]
        return (y, hn[0][0], hn[1][0]) if kind == "lstm" else (y, hn[0])

    if lengths is not None:
        label = f" masked lengths={list(lengths)}"
    else:
        label = "" if mask is None else " masked " + "/".join("".join("1" if v else "0" for v in r) for r in mask)
    label += "" if bias else " no bias"
    has_ref = mask is None or lengths is not None
    return Case(f"{kind}{label}", inputs, ours, theirs if has_ref else None,
                note="" if has_ref else "no torch reference for this mask pattern")


def default_cases(rng) -> list[Case]:
    """One representative configuration per op (the tests sweep many more)."""
    return [
        conv2d_case(rng, h=8, w=7, stride=2, padding=1),
        pool_case(rng, "max"),
        pool_case(rng, "avg"),
        dense_case(rng),
        *(activation_case(rng, a) for a in ("relu", "sigmoid", "tanh", "softmax", "flatten")),
        dropout_case(rng),
        embedding_case(rng),
        loss_case(rng, "squared_error", reduction="half_sum"),
        loss_case(rng, "squared_error", reduction="mean"),
        loss_case(rng, "softmax_cross_entropy"),
        loss_case(rng, "softmax_cross_entropy", smoothing=0.1),
        loss_case(rng, "cross_entropy"),
        loss_case(rng, "bce_with_logits"),
        rnn_case(rng, "lstm"),
        rnn_case(rng, "lstm", lengths=[5, 2, 4]),
        rnn_case(rng, "gru"),
        rnn_case(rng, "gru", lengths=[3, 5, 1]),
    ]


def run_gradchecks(seed: int = 0) -> list[dict]:
    """Check every op; one dict per op with ``op``, ``fd_rel_err``, ``torch_rel_err`` (None without torch or
    when torch has no such op), the worst elements, ``note`` and ``passed`` (all errors <= 1e-6)."""
    rng = np.random.default_rng(seed)
    return [check_case(case, seed=seed) for case in default_cases(rng)]


def format_table(rows: list[dict]) -> str:
    """Plain-text table of :func:`run_gradchecks` rows, with a summary line."""
    fmt = lambda e: "n/a" if e is None else f"{e:.2e}"  # noqa: E731
    header = ("op", "vs finite diff", "vs torch", "result")
    body = [(r["op"], fmt(r["fd_rel_err"]), fmt(r["torch_rel_err"]), "ok" if r["passed"] else "FAIL")
            for r in rows]
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(4)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip() for line in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failed = [r for r in rows if not r["passed"]]
    for r in failed:
        lines.append(f"FAIL {r['op']}: {r['fd_worst'] or ''} | {r['torch_worst'] or ''}")
    notes = [f"{r['op']}: {r['note']}" for r in rows if r["note"]]
    lines += ["", *notes] if notes else []
    lines.append(f"{len(rows) - len(failed)}/{len(rows)} ops pass (max relative error <= {TOLERANCE:g}, float64)")
    return "\n".join(lines)
