"""classbench.gradcheck: the table behind `classbench gradcheck` passes, and it does catch a wrong gradient."""

from __future__ import annotations

import numpy as np

from classbench import gradcheck
from classbench.engine import functional as F


def test_run_gradchecks_all_pass(torch):
    rows = gradcheck.run_gradchecks(seed=0)
    ops = {r["op"].split()[0] for r in rows}
    assert {"conv2d", "max_pool2d", "avg_pool2d", "dense", "relu", "sigmoid", "tanh", "softmax", "flatten",
            "dropout", "embedding", "squared_error", "softmax_cross_entropy", "cross_entropy",
            "bce_with_logits", "lstm", "gru"} <= ops
    failed = [f"{r['op']}: {r['fd_worst']} | {r['torch_worst']}" for r in rows if not r["passed"]]
    assert not failed, "\n".join(failed)
    for r in rows:
        assert r["fd_rel_err"] is not None
        assert (r["torch_rel_err"] is None) == r["op"].startswith("dropout"), r["op"]
    table = gradcheck.format_table(rows)
    assert f"{len(rows)}/{len(rows)} ops pass" in table and "conv2d" in table


def test_a_wrong_gradient_fails_with_the_worst_element(monkeypatch, torch):
    wrong = (F.sigmoid_forward, lambda dout, a: dout * a, gradcheck._ACTIVATIONS["sigmoid"][2])  # forgot (1 - a)
    monkeypatch.setitem(gradcheck._ACTIVATIONS, "sigmoid", wrong)
    case = gradcheck.activation_case(np.random.default_rng(0), "sigmoid")
    row = gradcheck.check_case(case)
    assert not row["passed"] and row["fd_rel_err"] > 0.1 and row["torch_rel_err"] > 0.1
    assert row["fd_worst"].startswith("x[") and "reference" in row["fd_worst"]
    assert "FAIL sigmoid" in gradcheck.format_table([row])


def test_rel_error_reports_index_and_values():
    err, idx, val, ref = gradcheck.rel_error(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.0], [3.0, 5.0]]))
    assert idx == (1, 1) and (val, ref) == (4.0, 5.0) and abs(err - 0.2) < 1e-12
