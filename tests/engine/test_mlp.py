"""The notebook's two-layer MLP, by hand: backprop with squared loss and with softmax cross-entropy.

    a1 = W1 x + b1,  h = sigmoid(a1),  y = W2 h + b2            (squared loss on y)
    z  = W2 h + b2,  y = softmax(z)                               (cross-entropy on y)

delta2 = dL/d(output pre-activation), delta1 = (W2^T delta2) * h (1 - h); dW = delta @ input^T.
"""

from __future__ import annotations

import numpy as np
import pytest

from classbench.engine import layers as L


def _mlp(rng):
    net = L.Sequential(L.Dense(5, 4, rng=rng, dtype=np.float64), L.Sigmoid(), L.Dense(4, 3, rng=rng, dtype=np.float64))
    for p in net.params.values():  # non-zero biases too
        p[...] = rng.standard_normal(p.shape)
    return net


def _by_hand(net, x, delta2):
    w1, b1, w2 = net.params["0.weight"], net.params["0.bias"], net.params["2.weight"]
    h = 1 / (1 + np.exp(-(x @ w1.T + b1)))
    delta1 = (delta2 @ w2) * h * (1 - h)  # sigmoid'(a) = a (1 - a) on the activation
    return {"2.weight": delta2.T @ h, "2.bias": delta2.sum(0), "0.weight": delta1.T @ x, "0.bias": delta1.sum(0)}


@pytest.mark.parametrize("loss", ["squared", "cross_entropy"])
def test_two_layer_mlp_backprop(torch, loss):
    rng = np.random.default_rng(3)
    net = _mlp(rng)
    x = rng.standard_normal((6, 5))
    out = net(x)
    if loss == "squared":
        t = rng.standard_normal((6, 3))
        crit = L.MSELoss("half_sum")
        crit(out, t)
        delta2 = out - t  # dL/dy = y - t
    else:
        labels = rng.integers(0, 3, size=6)
        crit = L.SoftmaxCrossEntropy("sum")
        crit(out, labels)
        y = np.exp(out - out.max(1, keepdims=True))
        y /= y.sum(1, keepdims=True)
        delta2 = y - np.eye(3)[labels]  # softmax + cross-entropy fused: y - t
    dx = net.backward(crit.backward())
    grads = net.grads
    for k, ref in _by_hand(net, x, delta2).items():
        np.testing.assert_allclose(grads[k], ref, rtol=1e-12, atol=1e-13, err_msg=k)

    tp = {k: torch.tensor(v, requires_grad=True) for k, v in net.params.items()}
    tx = torch.tensor(x, requires_grad=True)
    z = torch.sigmoid(tx @ tp["0.weight"].T + tp["0.bias"]) @ tp["2.weight"].T + tp["2.bias"]
    if loss == "squared":
        tl = 0.5 * ((z - torch.as_tensor(t)) ** 2).sum()
    else:
        tl = torch.nn.functional.cross_entropy(z, torch.as_tensor(labels), reduction="sum")
    tl.backward()
    for k, t_ in tp.items():
        np.testing.assert_allclose(grads[k], t_.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=k)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
