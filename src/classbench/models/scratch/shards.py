"""Data-parallel training steps on threads: fixed batch shards, one replica of the net per shard.

A minibatch of ``n`` samples is cut into ``shards`` fixed, contiguous pieces. Each piece runs forward and
backward on its own replica of the network; the replicas share the parameter ARRAYS (so an optimiser step
on the first is seen by all) but keep their own caches and gradients. The loss is taken over the whole
batch (its ``1/n`` is the batch's), so the summed replica gradients are exactly the gradient of the
batch loss; only the floating-point summation order differs from one unsharded pass.

The shards do not depend on the number of threads: with one thread they run one after the other, with
two or more at the same time (NumPy and BLAS release the GIL in the heavy work), and the result is the
same to the bit. Only nets whose samples do not interact qualify: no dropout (its mask stream would be
drawn in a thread-dependent order), no batch statistics; :func:`shardable` checks the first.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import numpy as np

from ...engine.errors import EngineError
from ...engine.layers import Dropout, Layer, Sequential


def shardable(net: Layer) -> bool:
    """True for a :class:`Sequential` of plain layers without dropout (nothing shared across samples)."""
    return isinstance(net, Sequential) and not any(
        isinstance(layer, Dropout) or hasattr(layer, "inner") for layer in net.layers)


def bounds(n: int, shards: int) -> list[slice]:
    """The non-empty contiguous pieces of ``range(n)``: piece k is ``[k*n//shards, (k+1)*n//shards)``."""
    cuts = [k * n // shards for k in range(shards + 1)]
    return [slice(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


class ShardedNet:
    """``shards`` replicas of ``net`` (built by ``build()``, then pointed at ``net``'s parameter arrays).

    Parameters
    ----------
    net : Sequential, the network being trained (replica 0; it keeps the trained weights)
    build : callable returning a fresh network of the same architecture (its own weights are discarded)
    shards : number of batch pieces (>= 1)
    threads : at most this many pieces run at the same time (1: one after the other)
    """

    def __init__(self, net: Sequential, build: Callable[[], Sequential], shards: int, threads: int = 1):
        if shards < 1 or threads < 1:
            raise EngineError(f"ShardedNet: shards and threads must be >= 1, got {shards} and {threads}")
        if not shardable(net):
            raise EngineError("ShardedNet: the net holds dropout or nested layers; train it unsharded")
        self.nets = [net]
        for _ in range(shards - 1):
            rep = build()
            if [type(a) for a in rep.layers] != [type(b) for b in net.layers]:
                raise EngineError("ShardedNet: build() returned a different architecture")
            for mine, theirs in zip(rep.layers, net.layers):
                mine.params = theirs.params  # the same dict of the same arrays
                mine.training = theirs.training
            self.nets.append(rep)
        self._pool = ThreadPoolExecutor(min(threads, shards)) if threads > 1 and shards > 1 else None

    def _map(self, fn: Callable[..., Any], jobs: list[tuple]) -> list[Any]:
        """``fn(*job)`` for every job, in threads when there is a pool; results (and errors) in job order."""
        if self._pool is None or len(jobs) == 1:
            return [fn(*job) for job in jobs]
        # each job runs in a copy of the caller's context, so np.errstate and the like carry over
        futures = [self._pool.submit(contextvars.copy_context().run, fn, *job) for job in jobs]
        return [f.result() for f in futures]

    def train_step(self, loss_fn: Any, opt: Any, piece: Callable[[slice], tuple[np.ndarray, np.ndarray | None]],
                   yb: np.ndarray) -> tuple[float, np.ndarray]:
        """Forward every shard, the loss over the whole batch, backward every shard, one optimiser step
        with the summed gradients. Returns (mean loss, logits of shape (n, k)).

        Parameters
        ----------
        piece : ``piece(s)`` -> (net input, padding mask or None) for the rows ``s`` (a slice) of the batch;
            called in the shard's thread, so gathering and augmenting the rows run in parallel too
        yb : int array of shape (n,), the labels of the whole batch
        """
        pieces = bounds(len(yb), len(self.nets))
        jobs = [(net, s) for net, s in zip(self.nets, pieces)]
        outs = self._map(lambda net, s: net.forward(*piece(s)), jobs)
        logits = outs[0] if len(outs) == 1 else np.concatenate(outs)
        loss = loss_fn.forward(logits, yb)
        dlogits = loss_fn.backward()
        self._map(lambda net, s: net.backward(dlogits[s]), jobs)
        used = [net for net, _ in jobs]
        grads = used[0].grads
        for net in used[1:]:  # fixed order: replica 0 + replica 1 + ...
            grads = {k: g if h is None else (h if g is None else g + h) for (k, g), h in
                     zip(grads.items(), net.grads.values())}
        opt.step(self.nets[0].params, grads)
        return loss, logits

    def close(self) -> None:
        """Stop the threads and drop every replica's cached activations."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        for net in self.nets:
            net._cache = None
            for layer in net.layers:
                layer._cache = None
        self.nets = self.nets[:1]
