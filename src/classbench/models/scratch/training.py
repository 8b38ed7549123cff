"""The one training wrapper shared by the scratch neural nets (NumPy engine, no torch).

It mirrors ``classbench.models.torch.training.TorchClassifier`` step for step, so that a scratch twin
and its torch model take the same hyperparameters with the same meaning: the same input checks, label
encoding and stratified validation split, the same shuffling and augmentation stream (one
``np.random.default_rng(seed)`` draws each epoch's permutation, then each batch's shifts or affine maps,
see :mod:`.augment`), the same optimizers (``engine.optim`` reproduces torch.optim's updates), the same
label smoothing, per-step learning-rate schedules, early stopping and per-epoch ``history_``. Weights and dropout masks come from their own seeded
generators. Training runs in float32; BLAS threads follow ``CLASSBENCH_THREADS`` (capped per model by
``max_blas_threads``). A model with ``batch_shards > 1`` (scratch-lenet5: 2) trains each batch as that many
fixed pieces on replicas sharing the weights, in up to ``CLASSBENCH_THREADS`` Python threads
(:mod:`.shards`); the pieces, not the threads, fix the arithmetic, so the result is the same on any
thread count.

A model subclasses :class:`ScratchNetClassifier` and builds its engine network in
``_build_net(input_shape, n_classes, seed, dtype)``.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from typing import Any, ClassVar, Iterator

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ...contract import Classifier, net_input, net_labels
from ...datasets.base import stratified_holdout
from ...engine import EngineError, optim
from ...engine import functional as F
from ...engine import layers as L
from ...errors import UserError
from ...params import Param
from ..neural_params import TRAINING_PARAMS, augment_shift, epoch_done, lr_factor  # noqa: F401 (re-exported)
from . import augment
from .augment import random_shift  # noqa: F401  (re-exported: the torch wrapper's name)
from .shards import ShardedNet, shardable

LOSSES = ("cross-entropy", "squared")
_EVAL_BATCH = 256  # bounds the im2col buffers at prediction time (seed-cnn: ~160 MB)


def _batch(X: np.ndarray, idx: np.ndarray, kind: str | None, drawn: np.ndarray | None, shift: int) -> np.ndarray:
    """Rows ``idx`` of X (shape (n, ...)), each image distorted by its row of ``drawn`` (see ``augment.apply``)."""
    return augment.apply(kind, X[idx], drawn, shift)


def threads() -> int:
    """BLAS threads for training and prediction: ``CLASSBENCH_THREADS``, else every core."""
    raw = os.environ.get("CLASSBENCH_THREADS", str(os.cpu_count() or 1))
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise UserError(f"CLASSBENCH_THREADS must be a positive integer; got {raw!r}. Unset it or set e.g. 2.")
    return n


@contextlib.contextmanager
def thread_limit(cap: int | None = None) -> Iterator[None]:
    """BLAS threads = ``CLASSBENCH_THREADS``, at most ``cap``, inside the block."""
    n = threads() if cap is None else min(threads(), cap)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - ships with scikit-learn
        yield
        return
    with threadpool_limits(limits=n):
        yield


class SoftmaxSquaredLoss:
    """The notebook's squared loss: mean over all n*k entries of (softmax(z) - onehot)^2 (torch's
    ``mse_loss(softmax(logits), one_hot)``), with its gradient through the softmax."""

    name = "SoftmaxSquaredLoss"

    def forward(self, logits: np.ndarray, target: np.ndarray) -> float:
        """logits : array of shape (n, k); target : int labels of shape (n,)."""
        prob, self._soft = F.softmax_forward(logits, axis=1)
        onehot = np.zeros_like(prob)
        onehot[np.arange(len(target)), target] = 1
        loss, self._sq = F.squared_error_forward(prob, onehot, "mean")
        return loss

    __call__ = forward

    def backward(self, dloss: float = 1.0) -> np.ndarray:
        return F.softmax_backward(F.squared_error_backward(dloss, self._sq), self._soft)


def store_params(obj: Any, params: dict[str, Any]) -> None:
    """``__init__`` helper: keep every keyword argument as an attribute (scikit-learn style)."""
    for key, value in params.items():
        if key not in ("self", "__class__"):
            setattr(obj, key, value)


def clear_caches(net: L.Layer) -> None:
    """Drop the arrays that the last forward pass kept for backward (memory, pickle size)."""
    for layer in [net, *getattr(net, "layers", ())]:
        layer._cache = None
        for inner in getattr(layer, "inner", ()):
            inner._cache = None


class ScratchNetClassifier(Classifier):
    """Shared fit / predict for engine networks (see the module docstring)."""

    family = "scratch"
    param_space: ClassVar[dict[str, Param]] = TRAINING_PARAMS
    #: True: X must be images (n, c, h, w) or (n, h, w); False: any (n, ...) array (flattened by the net)
    image_only: ClassVar[bool] = False
    #: the registry name of the torch model this one mirrors (used in messages only)
    twin: ClassVar[str] = ""
    #: at most this many BLAS threads (None: ``CLASSBENCH_THREADS``). Convolutions and recurrences run
    #: many small per-sample matrix products: a second BLAS thread gains nothing there and, on a busy
    #: CPU, its synchronisation made a LeNet-5 epoch up to 4x slower; dense layers do gain from threads.
    max_blas_threads: ClassVar[int | None] = None
    #: > 1: each training batch is cut into this many fixed pieces, trained on replicas of the net that
    #: share its weights, up to ``CLASSBENCH_THREADS`` pieces at a time (``shards.py``): two
    #: threads without BLAS-level synchronisation, and the same result for any thread count. Used only
    #: when the net qualifies (no dropout), else ignored.
    batch_shards: ClassVar[int] = 1

    # ---- what a subclass provides -------------------------------------------------------------
    def _build_net(self, input_shape: tuple[int, ...], n_classes: int, seed: int,
                   dtype: Any = np.float32) -> L.Sequential:
        """The network: input of shape (batch, *input_shape) -> logits of shape (batch, n_classes)."""
        raise NotImplementedError

    def _net_input(self, xb: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(what the net takes, padding mask or None) for one batch of ``_as_input`` rows."""
        return xb, None

    def _make_optimizer(self, p: dict[str, Any]) -> optim.Optimizer:
        """torch's update rules: sgd, momentum (heavy ball), adam, rmsprop (with ``momentum``)."""
        try:
            return optim.make_optimizer(p["optimizer"], p["lr"], momentum=p["momentum"], weight_decay=p["weight_decay"])
        except EngineError as exc:
            raise UserError(f"model {self._name}: {exc}. Use momentum < 1.") from None

    def _make_loss(self) -> Any:
        if getattr(self, "loss", "cross-entropy") == "squared":
            return SoftmaxSquaredLoss()
        return L.SoftmaxCrossEntropy(smoothing=float(getattr(self, "label_smoothing", 0.0)))

    @property
    def _name(self) -> str:
        return type(self).__name__

    # ---- inputs (the torch wrapper's checks and messages) ----------------------------------------
    def _as_input(self, X: Any, what: str) -> np.ndarray:
        """X as a float32 array of shape (n, c, h, w) or (n, d); UserError when it cannot be one."""
        return net_input(f"model {self._name}", X, what, image_only=self.image_only,
                         fitted=getattr(self, "input_shape_", None),
                         hint="Text datasets need a text model such as 'scratch-lstm'; pick an image/tabular dataset or model.")

    def _labels(self, y: Any, n: int, what: str) -> np.ndarray:
        return net_labels(f"model {self._name}", y, n, what)

    # ---- fitting --------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "ScratchNetClassifier":
        """Train from scratch.

        Parameters
        ----------
        X : float array of shape (n, c, h, w), (n, h, w) or (n, d)
        y : array of shape (n,), labels of any type
        X_val, y_val : optional held-out data of the same kind, monitored every epoch (else, with
            ``validation_fraction`` > 0, a seeded stratified share of X is held out)
        """
        p = self.check_hyperparams()
        info = self.__dict__.pop("_pending_info", {})
        for attr in ("input_shape_", "net_"):
            self.__dict__.pop(attr, None)
        X = self._as_input(X, "X")
        y_idx = self._encode_labels(self._labels(y, len(X), "y"))
        if len(self.classes_) < 2:
            raise UserError(f"model {self._name}: y holds a single class ({self.classes_[0]!r}); a classifier "
                            f"needs two or more (one class is not enough).")
        seed = p["random_state"]
        if seed is None:
            seed = int(np.random.default_rng().integers(2**31 - 1))
        if (X_val is None) != (y_val is None):
            raise UserError(f"model {self._name}: pass both X_val and y_val, or neither.")
        Xv = yv = None
        if X_val is not None:
            Xv = self._as_input(X_val, "X_val")
            if Xv.shape[1:] != X.shape[1:]:
                raise UserError(f"model {self._name}: X_val samples are {Xv.shape[1:]}, X samples {X.shape[1:]}.")
            yv_raw = self._labels(y_val, len(Xv), "y_val")
            unseen = np.setdiff1d(np.unique(yv_raw), self.classes_)
            if len(unseen):
                raise UserError(f"model {self._name}: y_val has labels absent from y: {list(unseen[:5])}.")
            yv = np.searchsorted(self.classes_, yv_raw).astype(np.int64)
        elif p["validation_fraction"] > 0:
            tr, va = stratified_holdout(y_idx, p["validation_fraction"], seed)
            if len(va):
                X, y_idx, Xv, yv = X[tr], y_idx[tr], X[va], y_idx[va]
        if p["early_stopping"] is not None and Xv is None:
            raise UserError(
                f"model {self._name}: early_stopping={p['early_stopping']} needs validation data; set "
                f"validation_fraction > 0 (e.g. 0.1) or pass X_val and y_val."
            )
        self.input_shape_ = tuple(X.shape[1:])
        self.n_features_in_ = int(np.prod(self.input_shape_))
        self.fit_info_ = {"train_samples": len(X), **info}
        with thread_limit(self.max_blas_threads):
            net = self._build_net(self.input_shape_, len(self.classes_), seed)
            self.n_params_ = int(net.n_params)
            try:
                self.history_ = self._train(net, X, y_idx, Xv, yv, p, seed)
            finally:
                clear_caches(net)
        self.net_ = net.eval()
        return self

    def _train_step(self, net: L.Sequential, loss_fn: Any, opt: optim.Optimizer, xb: np.ndarray,
                    yb: np.ndarray) -> tuple[float, np.ndarray]:
        """One minibatch: forward, loss, backward, update. Returns (mean loss, logits)."""
        inp, mask = self._net_input(xb)
        logits = net.forward(inp, mask)
        loss = loss_fn.forward(logits, yb)
        net.backward(loss_fn.backward())
        opt.step(net.params, net.grads)
        return loss, logits

    def _train(self, net: L.Sequential, X: np.ndarray, y: np.ndarray, Xv: np.ndarray | None,
               yv: np.ndarray | None, p: dict[str, Any], seed: int) -> list[dict[str, Any]]:
        loss_fn, opt = self._make_loss(), self._make_optimizer(p)
        rng = np.random.default_rng(seed)
        history: list[dict[str, Any]] = []
        self.history_ = history  # filled epoch by epoch: a watcher (the local executor) can read it during fit
        extra = {k: v for k, v in self.fit_info_.items() if k.startswith("train_samples")}
        net.train()
        sharded = None
        if self.batch_shards > 1 and shardable(net):
            shape, k = tuple(X.shape[1:]), len(self.classes_)
            sharded = ShardedNet(net, lambda: self._build_net(shape, k, seed), self.batch_shards, threads())
        try:
            return self._epochs(net, sharded, loss_fn, opt, rng, X, y, Xv, yv, p, history, extra)
        finally:
            if sharded is not None:
                sharded.close()

    def _epochs(self, net, sharded, loss_fn, opt, rng, X, y, Xv, yv, p, history, extra) -> list[dict[str, Any]]:
        """The epoch loop of :meth:`_train` (``sharded``: a :class:`ShardedNet` over ``net``, or None)."""
        n, epochs = len(X), p["epochs"]
        bs = min(p["batch_size"], n)
        steps = math.ceil(n / bs)
        total = epochs * steps
        kind, shift = augment.augmentation(getattr(self, "augment", False), X)  # the torch loop's choice
        patience, best_loss, best_state, bad = p["early_stopping"], math.inf, None, 0
        step, lr_now = 0, p["lr"]
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            perm = rng.permutation(n)
            loss_sum, correct = 0.0, 0
            bar = None
            if p["verbose"]:
                from tqdm.auto import tqdm

                bar = tqdm(total=steps, desc=f"{self._name} epoch {epoch}/{epochs}", unit="batch", leave=True)
            for b in range(steps):
                idx = perm[b * bs : (b + 1) * bs]
                yb = y[idx]
                drawn = augment.draw(kind, rng, len(idx), shift)  # in the main thread, the torch loop's order
                lr_now = p["lr"] * lr_factor(p["lr_schedule"], step, total)
                opt.lr = lr_now
                try:
                    with np.errstate(over="ignore", invalid="ignore"):  # the engine reports NaN/Inf itself
                        if sharded is None:
                            loss, logits = self._train_step(net, loss_fn, opt, _batch(X, idx, kind, drawn, shift), yb)
                        else:  # each piece gathers and distorts its own images, in its own thread
                            loss, logits = sharded.train_step(loss_fn, opt, lambda s, idx=idx, drawn=drawn: (
                                self._net_input(_batch(X, idx[s], kind, None if drawn is None else drawn[s], shift))), yb)
                except EngineError as exc:
                    if bar is not None:
                        bar.close()
                    raise RuntimeError(self._diverged(epoch, b, steps, p, str(exc))) from exc
                step += 1
                loss_sum += loss * len(idx)
                correct += int((logits.argmax(1) == yb).sum())
                if bar is not None:
                    bar.update(1)
                    if b % 20 == 0 or b == steps - 1:
                        bar.set_postfix(loss=f"{loss:.4f}", lr=f"{lr_now:.2e}")
            train_loss = loss_sum / n
            if not math.isfinite(train_loss):
                raise RuntimeError(self._diverged(epoch, steps - 1, steps, p, f"the training loss is {train_loss}"))
            row: dict[str, Any] = {"epoch": epoch, "loss": train_loss, "accuracy": correct / n, "val_loss": None,
                                   "val_accuracy": None, "seconds": 0.0, "lr": lr_now, **extra}
            if Xv is not None:
                row["val_loss"], row["val_accuracy"] = self._evaluate(net, Xv, yv, loss_fn)
            row["seconds"] = time.perf_counter() - t0
            history.append(row)
            if bar is not None:
                shown = {k: f"{row[k]:.4f}" for k in ("loss", "accuracy", "val_loss", "val_accuracy") if row[k] is not None}
                bar.set_postfix(shown)
                bar.close()
            epoch_done(row)  # tuning: a pruner may stop a hopeless candidate here
            if patience is not None:
                if row["val_loss"] < best_loss:
                    best_loss, bad = row["val_loss"], 0
                    best_state = net.state_dict()
                    self.best_epoch_ = epoch
                else:
                    bad += 1
                    if bad >= patience:
                        break
        if best_state is not None:
            net.load_state_dict(best_state)
        return history

    def _diverged(self, epoch: int, b: int, steps: int, p: dict[str, Any], detail: str) -> str:
        hint = (" Training diverged (the values overflowed to NaN/Inf); try a smaller lr."
                if "finite" in detail or "nan" in detail.lower() or "inf" in detail.lower() else "")
        return (f"model {self._name}: training stopped at epoch {epoch}, batch {b + 1} of {steps} "
                f"(lr={p['lr']}, optimizer={p['optimizer']}): {detail}.{hint}")

    def _logits(self, net: L.Sequential, X: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """(start, logits) per batch of at most ``_EVAL_BATCH`` rows, in eval mode."""
        net.eval()
        try:
            for i in range(0, len(X), _EVAL_BATCH):
                inp, mask = self._net_input(X[i : i + _EVAL_BATCH])
                yield i, net.forward(inp, mask)
        finally:
            clear_caches(net)

    def _evaluate(self, net: L.Sequential, X: np.ndarray, y: np.ndarray, loss_fn: Any) -> tuple[float, float]:
        """(mean loss, accuracy) in eval mode, batched; the net is back in training mode afterwards."""
        loss_sum, correct = 0.0, 0
        for i, logits in self._logits(net, X):
            yb = y[i : i + _EVAL_BATCH]
            loss_sum += loss_fn.forward(logits, yb) * len(yb)
            correct += int((logits.argmax(1) == yb).sum())
        net.train()
        return loss_sum / len(X), correct / len(X)

    # ---- prediction ------------------------------------------------------------------------------
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, float64 array of shape (n, n_classes), columns in ``classes_`` order.

        Parameters
        ----------
        X : array of shape (n, *input_shape_)
        """
        check_is_fitted(self, "net_")
        X = self._as_input(X, "X")
        out = np.empty((len(X), len(self.classes_)), dtype=np.float64)
        with thread_limit(self.max_blas_threads):
            for i, logits in self._logits(self.net_, X):
                out[i : i + len(logits)] = F.softmax(logits.astype(np.float64), axis=1)
        return out / out.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """Labels (from ``classes_``), array of shape (n,). X : array of shape (n, *input_shape_)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
