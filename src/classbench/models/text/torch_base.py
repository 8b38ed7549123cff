"""The text side of the shared torch wrapper: raw texts in, token ids to the network.

``TorchTextClassifier.fit`` tokenises the training texts, holds the validation share out *before* the
vocabulary is built (so the vocabulary comes from the fitted texts only), encodes both with a
``classbench.text.TextVectorizer`` and hands int id matrices to ``TorchClassifier.fit``, which does
seeding, minibatches, optimizers, history and prediction. ``_as_input`` encodes texts at prediction
time with the fitted vocabulary (an already encoded int matrix is accepted as it is).
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar, Iterator

import numpy as np
import torch
from torch import nn

from ...datasets.base import stratified_holdout
from ...errors import UserError
from ...params import Param
from ...text import TextVectorizer, check_texts, tokenize
from ..torch.training import TorchClassifier, torch_space

TEXT_PARAMS: dict[str, Param] = {
    "max_words": Param(int, low=4, doc="vocabulary size in ids: 3 reserved (PAD, START, UNK) + the most frequent words"),
    "maxlen": Param(int, low=2, high=100_000, doc="tokens kept per text (START included), padded at the end; see truncating"),
    "truncating": Param(str, choices=("pre", "post"), doc="a text longer than maxlen keeps its end (pre) or start"),
    "embedding_dim": Param(int, low=1, doc="size of the word vectors"),
    "dropout": Param(float, low=0.0, high=0.9, doc="dropout probability"),
}


def text_space(**own: Param) -> dict[str, Param]:
    """A text model's ``param_space``: shared training parameters, the text pipeline's, its own."""
    return torch_space(**TEXT_PARAMS, **own)


def store_params(obj: Any, params: dict[str, Any]) -> None:
    """``__init__`` helper: keep every keyword argument as an attribute (scikit-learn style)."""
    for key, value in params.items():
        if key not in ("self", "__class__"):
            setattr(obj, key, value)


class TorchTextClassifier(TorchClassifier):
    """Base of the torch text models: subclasses build ``_build_module(input_shape, n_classes)`` from
    ``self.vectorizer_.vocab_size``; the module takes an int64 tensor of shape (batch, width)."""

    modalities = frozenset({"text"})
    param_space: ClassVar[dict[str, Param]] = text_space()
    #: 1: word ids only; 2: a second block of bigram ids (see ``TextVectorizer``)
    _ngrams: ClassVar[int] = 1

    def _make_vectorizer(self) -> TextVectorizer:
        ngrams = getattr(self, "ngrams", self._ngrams)
        return TextVectorizer(max_words=self.max_words, maxlen=self.maxlen, ngrams=ngrams,
                              max_ngrams=getattr(self, "max_ngrams", 0), truncating=self.truncating)

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "TorchTextClassifier":
        """Train from scratch.

        Parameters
        ----------
        X : array-like of str of shape (n,)
            Raw texts; the vocabulary is built from these only (minus the validation share).
        y : array of shape (n,), labels of any type
        X_val, y_val : optional held-out texts and labels, monitored every epoch
        """
        p = self.check_hyperparams()
        texts = check_texts(X, f"model {self._name}")
        y = self._labels(y, len(texts), "y")
        if (X_val is None) != (y_val is None):
            raise UserError(f"model {self._name}: pass both X_val and y_val, or neither.")
        tokens = [tokenize(t) for t in texts]
        val_tokens = None
        if X_val is not None:
            val_tokens = [tokenize(t) for t in check_texts(X_val, f"model {self._name}", "X_val")]
        elif p["validation_fraction"] > 0 and len(np.unique(y)) > 1:
            seed = p["random_state"]
            if seed is None:
                seed = int(np.random.default_rng().integers(2**31 - 1))
            tr, va = stratified_holdout(y, p["validation_fraction"], seed)
            if len(va):
                val_tokens, y_val = [tokens[i] for i in va], y[va]
                tokens, y = [tokens[i] for i in tr], y[tr]
        self.__dict__.pop("vectorizer_", None)
        vec = self._make_vectorizer().fit_tokens(tokens)
        self.vectorizer_ = vec
        Xi = vec.transform_tokens(tokens)
        Xv = None if val_tokens is None else vec.transform_tokens(val_tokens)
        with flush_denormals():
            return super().fit(Xi, y, X_val=Xv, y_val=y_val)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n, n_classes). X : array-like of str of shape (n,), or encoded ids."""
        with flush_denormals():
            return super().predict_proba(X)

    def _as_input(self, X: Any, what: str) -> np.ndarray:
        """Texts (array-like of str of shape (n,)) -> int64 ids of shape (n, width); an int id matrix as is."""
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

    def _optimizer(self, module: nn.Module, p: dict[str, Any]) -> torch.optim.Optimizer:
        """Keras' RMSprop (rho 0.9, eps 1e-7) for 'rmsprop', as in the notebook; the wrapper's otherwise."""
        if p["optimizer"] == "rmsprop":
            return torch.optim.RMSprop(module.parameters(), lr=p["lr"], alpha=0.9, eps=1e-7,
                                       momentum=p["momentum"], weight_decay=p["weight_decay"])
        return super()._optimizer(module, p)

    def decode(self, ids: Any) -> str:
        """The words of one encoded row, shape (width,), as the network sees them."""
        return self.vectorizer_.decode(ids)


@contextlib.contextmanager
def flush_denormals() -> Iterator[None]:
    """Treat denormal floats as zero while training or predicting, then restore the previous setting.

    Recurrent gradients fade through many steps into the denormal range, where the CPU computes
    10-100x slower: without this, an IMDB GRU or LSTM step took up to 10x longer. Values below 1e-38
    change nothing in the result.
    """
    tiny = torch.tensor([1e-40], dtype=torch.float32)
    was_on = bool((tiny * 1.0).item() == 0.0)
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(was_on)


def lengths_of(x: torch.Tensor) -> torch.Tensor:
    """Tokens per row of a post-padded id block of shape (batch, maxlen), at least 1."""
    return (x != 0).sum(1).clamp_(min=1)
