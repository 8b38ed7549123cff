"""models.scratch.shards: sharded training steps equal one unsharded step, for any thread count."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from classbench.engine import EngineError, optim
from classbench.engine import layers as L
from classbench.models.scratch.shards import ShardedNet, bounds, shardable


def _lenet(seed: int = 0, dtype=np.float64) -> L.Sequential:
    kw = {"rng": np.random.default_rng(seed), "init": "torch", "dtype": dtype}
    return L.Sequential(
        L.Conv2d(1, 3, 3, padding=1, **kw), L.MaxPool2d(2), L.ReLU(),
        L.Conv2d(3, 4, 3, **kw), L.MaxPool2d(2), L.ReLU(),
        L.Flatten(), L.Dense(4, 5, **kw), L.Tanh(), L.Dense(5, 3, **kw),
        input_grad=False,
    )


def _batch(n: int = 13, dtype=np.float64):
    rng = np.random.default_rng(7)
    return rng.standard_normal((n, 1, 8, 8)).astype(dtype), rng.integers(0, 3, n)


def test_bounds_cover_the_batch_once():
    assert bounds(13, 2) == [slice(0, 6), slice(6, 13)]
    assert bounds(1, 2) == [slice(0, 1)]  # an empty piece is dropped
    assert [s.stop - s.start for s in bounds(10, 3)] == [3, 3, 4]


@pytest.mark.parametrize("shards", [2, 3])
def test_sharded_step_is_the_unsharded_step(shards):
    """Same loss, logits and updated weights as one pass over the whole batch (float64: to ~1e-15)."""
    x, y = _batch()
    plain, net = _lenet(), _lenet()
    opt_a, opt_b = optim.Adam(1e-2), optim.Adam(1e-2)
    loss_a, loss_b = L.SoftmaxCrossEntropy(), L.SoftmaxCrossEntropy()
    sharded = ShardedNet(net, lambda: _lenet(seed=99), shards, threads=2)
    try:
        for _ in range(3):
            logits_a = plain.forward(x)
            la = loss_a.forward(logits_a, y)
            plain.backward(loss_a.backward())
            grads_a = copy.deepcopy(plain.grads)
            opt_a.step(plain.params, plain.grads)
            lb, logits_b = sharded.train_step(loss_b, opt_b, lambda s: (x[s], None), y)
            assert lb == pytest.approx(la, rel=1e-12)
            np.testing.assert_allclose(logits_b, logits_a, rtol=1e-12, atol=1e-14)
            for k in grads_a:  # replica 0's own gradient covers only its piece: the sum is what counts
                assert not np.allclose(net.grads[k], grads_a[k], rtol=1e-9, atol=0), k
            for k, v in plain.params.items():
                np.testing.assert_allclose(net.params[k], v, rtol=1e-10, atol=1e-13, err_msg=k)
    finally:
        sharded.close()


def test_thread_count_does_not_change_a_bit():
    x, y = _batch(dtype=np.float32)
    weights = []
    for threads in (1, 2):
        net = _lenet(dtype=np.float32)
        sharded = ShardedNet(net, lambda: _lenet(dtype=np.float32), 2, threads=threads)
        opt, loss = optim.Adam(1e-2), L.SoftmaxCrossEntropy()
        for _ in range(3):
            sharded.train_step(loss, opt, lambda s: (x[s], None), y)
        sharded.close()
        weights.append(net.state_dict())
    for k in weights[0]:
        assert np.array_equal(weights[0][k], weights[1][k]), k


def test_replicas_share_the_weights_not_the_gradients():
    net = _lenet()
    sharded = ShardedNet(net, lambda: _lenet(seed=5), 2)
    rep = sharded.nets[1]
    for k, v in net.params.items():
        assert rep.params[k] is v, k
    x, y = _batch()
    sharded.train_step(L.SoftmaxCrossEntropy(), optim.SGD(0.1), lambda s: (x[s], None), y)
    assert all(a is not b for a, b in zip(net.grads.values(), rep.grads.values()))
    sharded.close()
    assert sharded.nets == [net] and all(layer._cache is None for layer in net.layers)


def test_nets_with_dropout_are_not_sharded():
    kw = {"rng": 0, "init": "torch"}
    net = L.Sequential(L.Dense(4, 3, **kw), L.Dropout(0.5, rng=1), L.Dense(3, 2, **kw))
    assert not shardable(net) and shardable(_lenet())
    with pytest.raises(EngineError, match="dropout"):
        ShardedNet(net, lambda: net, 2)
    with pytest.raises(EngineError, match="different architecture"):
        ShardedNet(_lenet(), lambda: L.Sequential(L.Flatten(), L.Dense(64, 3, **kw)), 2)


def test_an_error_in_a_thread_reaches_the_caller():
    x, y = _batch()
    x[-1, 0, 0, 0] = np.nan  # in the second piece only
    sharded = ShardedNet(_lenet(), lambda: _lenet(), 2, threads=2)
    with pytest.raises(EngineError, match="not finite"):
        sharded.train_step(L.SoftmaxCrossEntropy(), optim.SGD(0.1), lambda s: (x[s], None), y)
    sharded.close()


def test_lenet5_trains_on_two_shards_with_the_same_result_on_one_and_two_threads(monkeypatch, tiny, small_digits):
    from classbench.models.scratch import shards

    X, y, Xt, _ = small_digits
    calls = []
    step = shards.ShardedNet.train_step
    monkeypatch.setattr(shards.ShardedNet, "train_step", lambda self, *a: calls.append(len(self.nets)) or step(self, *a))
    probs = []
    for threads in ("1", "2"):
        monkeypatch.setenv("CLASSBENCH_THREADS", threads)
        probs.append(tiny("scratch-lenet5", epochs=1).fit(X, y).predict_proba(Xt))
    assert calls and set(calls) == {2}
    assert np.array_equal(probs[0], probs[1])
