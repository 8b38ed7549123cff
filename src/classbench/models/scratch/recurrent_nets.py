"""The scratch twins of the torch text nets ``lstm`` and ``gru``: embedding -> dropout -> LSTM/GRU (engine,
padding masks) -> dropout -> dense on the last state, trained by ``training.ScratchNetClassifier``.

Texts go through the same pipeline as the torch twins (``classbench.text``: the validation share is
held out first, the vocabulary comes from the training texts only, START + post-padding to ``maxlen``).
Each batch is cut to its longest text and the recurrent layers get the padding mask, so the final state
is taken at each text's last real token, as torch's packed sequences do. ``num_layers`` stacks layers
(dropout between them, as torch) and ``bidirectional`` adds a layer that reads each text backwards.

Backpropagation through time in NumPy is slow (one Python step per token), so by default these models
train on a seeded random subset of ``max_train_samples`` training texts; ``fit_info_`` and every
``history_`` row say how many texts were used (``train_samples``) out of how many (``train_samples_available``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...datasets.base import stratified_holdout
from ...engine import EngineError, optim
from ...engine import layers as L
from ...errors import UserError
from ...params import Param
from ...text import TextVectorizer, check_texts, tokenize
from ..neural_params import TRAINING_PARAMS
from .training import ScratchNetClassifier, store_params

#: the torch text models' pipeline parameters (same names, bounds and meaning) plus the training subset
TEXT_PARAMS: dict[str, Param] = {
    "max_words": Param(int, low=4, doc="vocabulary size in ids: 3 reserved (PAD, START, UNK) + the most frequent words"),
    "maxlen": Param(int, low=2, high=100_000, doc="tokens kept per text (START included), padded at the end; see truncating"),
    "truncating": Param(str, choices=("pre", "post"), doc="a text longer than maxlen keeps its end (pre) or start"),
    "embedding_dim": Param(int, low=1, doc="size of the word vectors"),
    "dropout": Param(float, low=0.0, high=0.9, doc="dropout probability"),
    "units": Param(int, low=1, doc="hidden units of each recurrent layer (and direction)"),
    "num_layers": Param(int, low=1, high=8, doc="stacked recurrent layers"),
    "bidirectional": Param(bool, doc="also read each review backwards"),
    "max_train_samples": Param(int, low=2, nullable=True,
                               doc="train on a seeded random subset of this many texts (None: all of them)"),
}


class Bidirectional(L.Layer):
    """A forward and a backward recurrent layer over post-padded sequences; their outputs concatenated.

    The backward layer reads each row's valid prefix reversed (``x[b, len_b - 1 - s]``) under the same
    mask, so its final state is the one after the row's first token, as torch's reverse direction.
    Input (n, t, d) with a prefix mask (n, t); output (n, t, 2 units) or (n, 2 units).
    """

    accepts_mask = True

    def __init__(self, fwd: L.Layer, bwd: L.Layer):
        super().__init__()
        self.inner = (fwd, bwd)
        self.return_sequences = fwd.return_sequences
        self.params = {f"{tag}.{k}": v for tag, layer in zip(("fwd", "bwd"), self.inner) for k, v in layer.params.items()}
        self.name = f"Bidirectional({fwd.name})"
        fwd.name, bwd.name = f"{self.name} forward", f"{self.name} backward"

    @staticmethod
    def _reverse_index(mask: np.ndarray | None, n: int, t: int) -> np.ndarray:
        steps = np.arange(t)
        lengths = np.full(n, t) if mask is None else mask.sum(1)
        if mask is not None and not np.array_equal(mask, steps < lengths[:, None]):
            raise EngineError("Bidirectional: the mask must mark a prefix of each row (post-padding)")
        return np.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)

    @staticmethod
    def _flip(a: np.ndarray, rev: np.ndarray) -> np.ndarray:
        return a[np.arange(len(a))[:, None], rev]

    def _forward(self, x, mask=None):
        rev = self._reverse_index(mask, *x.shape[:2])
        out_f = self.inner[0].forward(x, mask)
        out_b = self.inner[1].forward(self._flip(x, rev), mask)
        if self.return_sequences:
            out_b = self._flip(out_b, rev)
        self._cache = (out_f.shape[-1], rev)
        return np.concatenate([out_f, out_b], axis=-1)

    def _backward(self, dout):
        units, rev = self._cache
        d_f, d_b = np.ascontiguousarray(dout[..., :units]), np.ascontiguousarray(dout[..., units:])
        dx = self.inner[0].backward(d_f)
        dx_b = self.inner[1].backward(self._flip(d_b, rev) if self.return_sequences else d_b)
        self.grads = {f"{tag}.{k}": g for tag, layer in zip(("fwd", "bwd"), self.inner) for k, g in layer.grads.items()}
        return dx + self._flip(dx_b, rev)


def _keras_init(net: L.Sequential, cell: str, units: int, rng: np.random.Generator, dtype: Any) -> None:
    """Keras' defaults, as the torch twins (``text/nets.py``) and the notebook: embeddings U(-0.05, 0.05)
    (padding row zero), Glorot-uniform input and output weights, orthogonal recurrent weights per gate,
    zero biases except the LSTM forget gate's (1, in ``bias_ih``)."""
    from ...engine.init import glorot_uniform, orthogonal

    def visit(layer: L.Layer) -> None:
        if isinstance(layer, Bidirectional):
            for inner in layer.inner:
                visit(inner)
            return
        p = layer.params
        if isinstance(layer, L.Embedding):
            p["weight"][...] = rng.uniform(-0.05, 0.05, p["weight"].shape)
            if layer.padding_idx is not None:
                p["weight"][layer.padding_idx] = 0
        elif isinstance(layer, (L.LSTM, L.GRU)):
            p["weight_ih"][...] = glorot_uniform(rng, p["weight_ih"].shape, dtype)
            p["weight_hh"][...] = np.concatenate([orthogonal(rng, (units, units), dtype)
                                                  for _ in range(len(p["weight_hh"]) // units)])
            for key in ("bias_ih", "bias_hh"):
                if key in p:
                    p[key][...] = 0
            if cell == "lstm" and "bias_ih" in p:
                p["bias_ih"][units: 2 * units] = 1.0  # gates i, f, g, o: the forget gate
        elif isinstance(layer, L.Dense):
            p["weight"][...] = glorot_uniform(rng, p["weight"].shape, dtype)
            if "bias" in p:
                p["bias"][...] = 0

    for layer in net.layers:
        visit(layer)


class _ScratchRNN(ScratchNetClassifier):
    """Base of ``ScratchLSTM`` / ``ScratchGRU``: raw texts in, token ids to an engine network."""

    modalities = frozenset({"text"})
    param_space = {**TRAINING_PARAMS, **TEXT_PARAMS}
    cell = "lstm"
    max_blas_threads = 1  # one small matrix product per token

    def __init__(self, *, units: int = 32, num_layers: int = 1, bidirectional: bool = False, max_words: int = 10000,
                 maxlen: int = 256, truncating: str = "pre", embedding_dim: int = 50, dropout: float = 0.2,
                 max_train_samples: int | None = 5000,
                 epochs: int = 5, batch_size: int = 32, lr: float = 1e-3, optimizer: str = "rmsprop",
                 momentum: float = 0.0, weight_decay: float = 0.0, lr_schedule: str = "constant",
                 validation_fraction: float = 0.2, early_stopping: int | None = None, random_state: int | None = None,
                 verbose: bool = False) -> None:
        store_params(self, locals())

    # ---- fitting: texts -> ids, then the shared wrapper -------------------------------------------
    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "_ScratchRNN":
        """Train from scratch.

        Parameters
        ----------
        X : array-like of str of shape (n,)
            Raw texts; the vocabulary is built from the training texts actually used.
        y : array of shape (n,), labels of any type
        X_val, y_val : optional held-out texts and labels, monitored every epoch
        """
        p = self.check_hyperparams()
        texts = check_texts(X, f"model {self._name}")
        y = self._labels(y, len(texts), "y")
        if (X_val is None) != (y_val is None):
            raise UserError(f"model {self._name}: pass both X_val and y_val, or neither.")
        seed = p["random_state"]
        if seed is None:
            seed = int(np.random.default_rng().integers(2**31 - 1))
        tokens = [tokenize(t) for t in texts]
        val_tokens = None
        if X_val is not None:
            val_tokens = [tokenize(t) for t in check_texts(X_val, f"model {self._name}", "X_val")]
        elif p["validation_fraction"] > 0 and len(np.unique(y)) > 1:
            tr, va = stratified_holdout(y, p["validation_fraction"], seed)
            if len(va):
                val_tokens, y_val = [tokens[i] for i in va], y[va]
                tokens, y = [tokens[i] for i in tr], y[tr]
        available, cap = len(tokens), p["max_train_samples"]
        if cap is not None and available > cap:
            keep = np.sort(np.random.default_rng([seed, 3]).choice(available, cap, replace=False))
            tokens, y = [tokens[i] for i in keep], y[keep]
        self.__dict__.pop("vectorizer_", None)
        vec = TextVectorizer(max_words=p["max_words"], maxlen=p["maxlen"], truncating=p["truncating"]).fit_tokens(tokens)
        self.vectorizer_ = vec
        Xi = vec.transform_tokens(tokens)
        Xv = None if val_tokens is None else vec.transform_tokens(val_tokens)
        self._pending_info = {"train_samples_available": available, "subset_seed": seed if len(tokens) < available else None}
        return super().fit(Xi, y, X_val=Xv, y_val=y_val)

    def _as_input(self, X: Any, what: str) -> np.ndarray:
        """Texts (array-like of str of shape (n,)) -> int64 ids of shape (n, maxlen); an int id matrix as is."""
        arr = X if isinstance(X, np.ndarray) else np.asarray(X, dtype=object)
        vec: TextVectorizer | None = getattr(self, "vectorizer_", None)
        if vec is None:
            raise UserError(f"model {self._name}: call fit before predict.")
        if arr.ndim == 2 and np.issubdtype(arr.dtype, np.integer):
            ids = arr
        else:
            ids = vec.transform(check_texts(arr, f"model {self._name}", what))
        if ids.shape[1:] != (vec.width,) or len(ids) == 0 or ids.min() < 0 or ids.max() >= vec.vocab_size:
            raise UserError(f"model {self._name}: {what} is not an id matrix of this model's vocabulary "
                            f"(shape (n, {vec.width}), ids 0..{vec.vocab_size - 1}); pass raw texts instead.")
        return np.ascontiguousarray(ids, dtype=np.int64)

    def _net_input(self, xb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ids cut to the batch's longest text, and the mask of real tokens (at least one per row)."""
        lengths = np.maximum((xb != 0).sum(1), 1)
        width = int(lengths.max())
        return xb[:, :width], np.arange(width)[None, :] < lengths[:, None]

    def _make_optimizer(self, p: dict[str, Any]) -> optim.Optimizer:
        """Keras' RMSprop (rho 0.9, eps 1e-7) for 'rmsprop', as the torch twins; the wrapper's otherwise."""
        if p["optimizer"] == "rmsprop":
            try:
                return optim.RMSprop(p["lr"], alpha=0.9, eps=1e-7, momentum=p["momentum"], weight_decay=p["weight_decay"])
            except EngineError as exc:
                raise UserError(f"model {self._name}: {exc}. Use momentum < 1.") from None
        return super()._make_optimizer(p)

    def _build_net(self, input_shape, n_classes, seed, dtype=np.float32) -> L.Sequential:
        rng, drop = np.random.default_rng([seed, 1]), np.random.default_rng([seed, 2])
        cell = L.LSTM if self.cell == "lstm" else L.GRU
        layers: list[L.Layer] = [L.Embedding(self.vectorizer_.vocab_size, self.embedding_dim, padding_idx=0, rng=rng,
                                             dtype=dtype)]
        if self.dropout > 0:
            layers.append(L.Dropout(self.dropout, rng=drop))
        size, dirs = self.embedding_dim, 2 if self.bidirectional else 1
        for i in range(self.num_layers):
            make = [cell(size, self.units, return_sequences=i < self.num_layers - 1, rng=rng, dtype=dtype)
                    for _ in range(dirs)]
            layers.append(Bidirectional(*make) if self.bidirectional else make[0])
            if self.dropout > 0:  # between stacked layers (torch's RNN dropout) and before the output layer
                layers.append(L.Dropout(self.dropout, rng=drop))
            size = self.units * dirs
        layers.append(L.Dense(size, n_classes, rng=rng, init="torch", dtype=dtype))
        net = L.Sequential(*layers, input_grad=False)
        _keras_init(net, self.cell, self.units, rng, dtype)
        return net

    def decode(self, ids: Any) -> str:
        """The words of one encoded row, shape (maxlen,), as the network sees them."""
        return self.vectorizer_.decode(ids)


class ScratchLSTM(_ScratchRNN):
    """The notebook's LSTM from scratch (twin: lstm): embedding 50, dropout 0.2, LSTM 32, RMSprop, 5 epochs,
    20% validation, 10,000 words, reviews cut at 256 tokens; by default on 5,000 training texts."""

    cell = "lstm"
    twin = "lstm"


class ScratchGRU(_ScratchRNN):
    """The notebook's GRU from scratch (twin: gru): as ``ScratchLSTM`` with a GRU cell."""

    cell = "gru"
    twin = "gru"
