"""Thin stateful shells over :mod:`.functional`: they hold parameters, gradients, the cache of the last
forward pass and a train/eval flag, and check that nothing they produce is NaN/Inf.

Every layer has ``params`` and ``grads`` (dicts of arrays with the same keys; parameters are updated in
place by :mod:`.optim`), ``forward(x)`` and ``backward(dout) -> dx``. :class:`Sequential` chains layers,
names their parameters ``"{index}.{name}"`` like torch, and forwards a padding mask to recurrent layers.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from .errors import EngineError, check_finite, first_nonfinite
from .init import get_initializer, torch_default


def _rng(rng) -> np.random.Generator:
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    if not isinstance(rng, np.random.Generator):
        raise EngineError(f"layers: rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")
    return rng


class Layer:
    """Base class. Subclasses implement ``_forward`` and ``_backward``."""

    accepts_mask = False

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray | None] = {}
        self.training = True
        self.check_finite = True
        self.need_input_grad = True
        self.name = type(self).__name__
        self._cache = None

    def forward(self, x, mask=None):
        """Run the layer; raise EngineError at the first layer whose output is NaN/Inf."""
        out = self._forward(x, mask) if self.accepts_mask else self._forward(x)
        if self.check_finite:
            bad = first_nonfinite(out)
            if bad is not None:
                raise EngineError(self._diagnose("output", out, x, bad))
        return out

    def backward(self, dout):
        """Gradients w.r.t. the parameters (stored in ``grads``) and the input (returned)."""
        if self._cache is None:
            raise EngineError(f"{self.name}: backward() called before forward()")
        dx = self._backward(dout)
        if self.check_finite:
            for key, g in [("input gradient", dx), *((f"gradient of {k}", g) for k, g in self.grads.items())]:
                bad = None if g is None else first_nonfinite(g)
                if bad is not None:
                    raise EngineError(self._diagnose(key, g, dout, bad))
        return dx

    def _diagnose(self, what, arr, incoming, bad) -> str:
        """Say where the NaN/Inf started: upstream, in this layer's parameters, or in this op itself."""
        head = f"{self.name}: {what} of shape {tuple(arr.shape)} is not finite ({bad})"
        if isinstance(incoming, np.ndarray) and first_nonfinite(incoming) is not None:
            return head + f"; its incoming array {tuple(incoming.shape)} already was, so the problem is upstream."
        for k, p in self.params.items():
            if first_nonfinite(p) is not None:
                return head + f"; its parameter {k!r} {tuple(p.shape)} is not finite: training diverged (lower the learning rate)."
        return head + f"; the incoming array {getattr(incoming, 'shape', '?')} and the parameters are finite, so the values overflowed here."

    __call__ = forward

    def train(self, mode: bool = True) -> "Layer":
        self.training = mode
        return self

    def eval(self) -> "Layer":
        return self.train(False)

    def zero_grad(self) -> None:
        self.grads = {k: None for k in self.params}

    @property
    def n_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def __repr__(self) -> str:
        return self.name


class Conv2d(Layer):
    """``conv2d_forward`` with weight (out, in, kh, kw) and bias (out,). Input (n, in, h, w)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, *,
                 rng=None, init="he", dtype=np.float32):
        super().__init__()
        kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        shape = (out_channels, in_channels, kh, kw)
        rng = _rng(rng)
        self.params["weight"] = get_initializer(init)(rng, shape, dtype)
        if bias:
            fan_in = in_channels * kh * kw
            self.params["bias"] = (torch_default(rng, (out_channels,), dtype, fan_in) if init == "torch"
                                   else np.zeros(out_channels, dtype))
        self.stride, self.padding = stride, padding
        self.name = f"Conv2d({in_channels}->{out_channels}, k={kernel_size}, s={stride}, p={padding})"

    def _forward(self, x):
        out, self._cache = F.conv2d_forward(x, self.params["weight"], self.params.get("bias"), self.stride, self.padding)
        return out

    def _backward(self, dout):
        g = F.conv2d_backward(dout, self._cache, need_input_grad=self.need_input_grad)
        self.grads = {k: g[k] for k in self.params}
        return g["x"]


class Dense(Layer):
    """``y = x W^T + b`` with weight (out, in) and bias (out,). Input (n, in)."""

    def __init__(self, in_features, out_features, bias=True, *, rng=None, init="he", dtype=np.float32):
        super().__init__()
        rng = _rng(rng)
        self.params["weight"] = get_initializer(init)(rng, (out_features, in_features), dtype)
        if bias:
            self.params["bias"] = (torch_default(rng, (out_features,), dtype, in_features) if init == "torch"
                                   else np.zeros(out_features, dtype))
        self.name = f"Dense({in_features}->{out_features})"

    def _forward(self, x):
        out, self._cache = F.dense_forward(x, self.params["weight"], self.params.get("bias"))
        return out

    def _backward(self, dout):
        g = F.dense_backward(dout, self._cache)
        self.grads = {k: g[k] for k in self.params}
        return g["x"]


class _Stateless(Layer):
    """A layer without parameters around a (forward, backward) pair of functions."""

    _fwd = _bwd = None

    def _forward(self, x):
        out, self._cache = type(self)._fwd(x, *self._args())
        return out

    def _backward(self, dout):
        return type(self)._bwd(dout, self._cache)

    def _args(self) -> tuple:
        return ()


class ReLU(_Stateless):
    _fwd, _bwd = F.relu_forward, F.relu_backward


class Sigmoid(_Stateless):
    _fwd, _bwd = F.sigmoid_forward, F.sigmoid_backward


class Tanh(_Stateless):
    _fwd, _bwd = F.tanh_forward, F.tanh_backward


class Flatten(_Stateless):
    _fwd, _bwd = F.flatten_forward, F.flatten_backward


class Softmax(_Stateless):
    """Softmax over ``axis`` (for probability outputs; train with :class:`SoftmaxCrossEntropy` on logits)."""

    _fwd, _bwd = F.softmax_forward, F.softmax_backward

    def __init__(self, axis: int = -1):
        super().__init__()
        self.axis = axis

    def _args(self):
        return (self.axis,)


class MaxPool2d(_Stateless):
    """Max pooling; ties send the gradient to the first maximum in row-major window order (as torch CPU)."""

    _fwd, _bwd = F.maxpool2d_forward, F.maxpool2d_backward

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.geometry = (kernel_size, stride, padding)
        self.name = f"MaxPool2d(k={kernel_size}, s={stride or kernel_size}, p={padding})"

    def _args(self):
        return self.geometry


class AvgPool2d(MaxPool2d):
    _fwd, _bwd = F.avgpool2d_forward, F.avgpool2d_backward

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__(kernel_size, stride, padding)
        self.geometry = (kernel_size, stride, padding, count_include_pad)
        self.name = self.name.replace("Max", "Avg")


class Dropout(Layer):
    """Inverted dropout in training mode, identity in eval mode; masks come from ``rng``."""

    def __init__(self, p: float = 0.5, *, rng=None):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise EngineError(f"Dropout: p must be in [0, 1), got {p!r}")
        self.p, self.rng = p, _rng(rng)
        self.name = f"Dropout(p={p})"

    def _forward(self, x):
        out, mask = F.dropout_forward(x, self.p, self.rng, self.training)
        self._cache = ("mask", mask)
        return out

    def _backward(self, dout):
        return F.dropout_backward(dout, self._cache[1])


class Embedding(Layer):
    """Row lookup: int indices (n, t) -> (n, t, dim); weight ~ N(0, 1) like torch, padding row zero."""

    def __init__(self, num_embeddings, dim, padding_idx=None, *, rng=None, dtype=np.float32):
        super().__init__()
        w = _rng(rng).standard_normal((num_embeddings, dim)).astype(dtype)
        if padding_idx is not None:
            w[padding_idx] = 0
        self.params["weight"] = w
        self.padding_idx = padding_idx
        self.name = f"Embedding({num_embeddings}, {dim}, padding_idx={padding_idx})"

    def _forward(self, x):
        out, self._cache = F.embedding_forward(x, self.params["weight"], self.padding_idx)
        return out

    def _backward(self, dout):
        self.grads = F.embedding_backward(dout, self._cache)
        return None


class _Recurrent(Layer):
    """Single-layer LSTM/GRU over (n, t, input_size); returns the sequence (n, t, hidden) or h_n (n, hidden)."""

    accepts_mask = True
    gates = 0

    def __init__(self, input_size, hidden_size, return_sequences=False, bias=True, *, rng=None, dtype=np.float32):
        super().__init__()
        rng, g = _rng(rng), self.gates * hidden_size
        shapes = {"weight_ih": (g, input_size), "weight_hh": (g, hidden_size)}
        if bias:
            shapes.update(bias_ih=(g,), bias_hh=(g,))
        for k, shape in shapes.items():  # torch's RNN init: U(-1/sqrt(hidden), 1/sqrt(hidden)) for all
            self.params[k] = torch_default(rng, shape, dtype, fan_in=hidden_size)
        self.return_sequences = return_sequences
        self.name = f"{type(self).__name__}({input_size}->{hidden_size})"

    def _args(self):
        p = self.params
        return p["weight_ih"], p["weight_hh"], p.get("bias_ih"), p.get("bias_hh")

    def _backward(self, dout):
        n_final = 2 if self.gates == 4 else 1
        douts = (dout, *([None] * n_final)) if self.return_sequences else (None, dout, *([None] * (n_final - 1)))
        g = (F.lstm_backward if self.gates == 4 else F.gru_backward)(douts, self._cache)
        self.grads = {k: g[k] for k in self.params}
        return g["x"]


class LSTM(_Recurrent):
    gates = 4

    def _forward(self, x, mask=None):
        (y, h, _), self._cache = F.lstm_forward(x, *self._args(), mask=mask)
        return y if self.return_sequences else h


class GRU(_Recurrent):
    gates = 3

    def _forward(self, x, mask=None):
        (y, h), self._cache = F.gru_forward(x, *self._args(), mask=mask)
        return y if self.return_sequences else h


class Sequential(Layer):
    """Layers applied in order. ``input_grad=False`` skips the first layer's input gradient (data)."""

    accepts_mask = True

    def __init__(self, *layers: Layer, input_grad: bool = True):
        super().__init__()
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise EngineError(f"Sequential: needs one or more Layer objects, got {layers!r}")
        self.layers = list(layers)
        for i, layer in enumerate(self.layers):
            layer.name = f"layer {i} {layer.name}"
        self.layers[0].need_input_grad = input_grad
        self.name = "Sequential"

    def forward(self, x, mask=None):
        if self.check_finite:
            check_finite(self.name, "input", x, " Clean the data (NaN/Inf in the features) before training.")
        for layer in self.layers:
            x = layer.forward(x, mask)
        self._cache = True
        return x

    __call__ = forward

    def backward(self, dout):
        if self._cache is None:
            raise EngineError("Sequential: backward() called before forward()")
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def train(self, mode: bool = True) -> "Sequential":
        self.training = mode
        for layer in self.layers:
            layer.train(mode)
        return self

    def zero_grad(self) -> None:
        for layer in self.layers:
            layer.zero_grad()

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()}

    @params.setter
    def params(self, value):  # Layer.__init__ assigns {}; a Sequential's params live in its layers
        pass

    @property
    def grads(self) -> dict[str, np.ndarray | None]:
        return {f"{i}.{k}": layer.grads.get(k) for i, layer in enumerate(self.layers) for k in layer.params}

    @grads.setter
    def grads(self, value):
        pass

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter (e.g. to keep the best epoch)."""
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays into the parameters in place; keys and shapes must match exactly."""
        params = self.params
        if state.keys() != params.keys():
            raise EngineError(f"Sequential.load_state_dict: keys differ: {sorted(set(state) ^ set(params))}")
        for k, v in state.items():
            if v.shape != params[k].shape:
                raise EngineError(f"Sequential.load_state_dict: {k!r} has shape {v.shape}, expected {params[k].shape}")
            np.copyto(params[k], v)

    def __repr__(self) -> str:
        return "Sequential(\n" + "\n".join(f"  {layer.name}" for layer in self.layers) + "\n)"


class _Loss:
    """Loss shell: ``forward(pred, target) -> float`` then ``backward(dloss=1.0) -> dpred``."""

    _fwd = _bwd = None

    def __init__(self, reduction: str = "mean"):
        self.reduction, self._cache = reduction, None
        self.name = type(self).__name__
        self._extra: tuple = ()  # the loss's own arguments after the reduction

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        check_finite(self.name, "prediction", pred)
        loss, self._cache = type(self)._fwd(pred, target, self.reduction, *self._extra)
        if not np.isfinite(loss):
            raise EngineError(f"{self.name}: loss is {loss} for prediction {pred.shape} (targets out of range?)")
        return loss

    __call__ = forward

    def backward(self, dloss: float = 1.0) -> np.ndarray:
        if self._cache is None:
            raise EngineError(f"{self.name}: backward() called before forward()")
        return type(self)._bwd(dloss, self._cache)


class SoftmaxCrossEntropy(_Loss):
    """Fused softmax + cross-entropy on logits (n, k) with int labels (n,); gradient (softmax - onehot) / n.
    ``smoothing`` e > 0: targets (1 - e) onehot + e / k (torch's ``cross_entropy(label_smoothing=e)``)."""

    _fwd, _bwd = F.softmax_cross_entropy_forward, F.softmax_cross_entropy_backward

    def __init__(self, reduction: str = "mean", smoothing: float = 0.0):
        super().__init__(reduction)
        self.smoothing = float(smoothing)  # checked by the functional op: in [0, 1]
        self._extra = (self.smoothing,)


class MSELoss(_Loss):
    """Squared error; reduction "mean" (torch's mse_loss), "sum" or "half_sum" (gradient y - t)."""

    _fwd, _bwd = F.squared_error_forward, F.squared_error_backward


class BCEWithLogits(_Loss):
    """Binary cross-entropy on logits; gradient (sigmoid(z) - t) / size."""

    _fwd, _bwd = F.bce_with_logits_forward, F.bce_with_logits_backward
