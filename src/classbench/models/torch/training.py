"""The one training wrapper shared by every torch model.

A model subclasses :class:`TorchClassifier`, lists its hyperparameters in ``__init__`` (scikit-learn
style, every name of ``TRAINING_PARAMS`` plus ``device`` and its own) and builds its network in
``_build_module(input_shape, n_classes)``. Everything else lives here: input checks, label encoding,
the validation split, seeding, minibatches, optimizers, per-step learning-rate schedules, early
stopping, the per-epoch ``history_``, batched prediction, pickling.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ...contract import Classifier, net_input, net_labels
from ...datasets.base import stratified_holdout
from ...errors import UserError
from ...params import Param
from ..neural_params import TRAINING_PARAMS, epoch_done
from .functional import augment_shift, channels_last_if_conv, lr_factor, random_affine, random_shift

DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "float32", "bfloat16")
LOSSES = ("cross-entropy", "squared")

#: every torch model accepts these (the shared training settings plus the device)
TORCH_PARAMS: dict[str, Param] = {
    **TRAINING_PARAMS,
    "device": Param(str, choices=DEVICES, doc="where to train: auto = cuda when available, else cpu"),
    "precision": Param(
        str,
        choices=PRECISIONS,
        doc="training arithmetic: bfloat16 = mixed precision (weights stay float32); auto = bfloat16 where the "
        "hardware computes it natively (CPUs with AMX, CUDA GPUs with bf16), else float32",
    ),
}
_EVAL_BATCH = 1024


def torch_space(**own: Param) -> dict[str, Param]:
    """A model's ``param_space``: the shared training parameters merged with its own."""
    return {**TORCH_PARAMS, **own}


def _threads() -> int:
    raw = os.environ.get("CLASSBENCH_THREADS", str(os.cpu_count() or 1))
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise UserError(f"CLASSBENCH_THREADS must be a positive integer; got {raw!r}. Unset it or set e.g. 2.")
    return n


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("device='cuda' was asked for but torch sees no CUDA GPU here; use device='auto' or 'cpu'.")
    if name == "mps" and not torch.backends.mps.is_available():
        raise UserError("device='mps' was asked for but Apple's MPS backend is not available; use 'auto' or 'cpu'.")
    return torch.device(name)


def _precision(name: str, device: torch.device) -> str:
    """Resolve ``precision``: "auto" is bfloat16 only where the hardware computes it natively."""
    if name != "auto":
        return name
    if device.type == "cuda":
        native = torch.cuda.is_bf16_supported()
    else:
        amx = getattr(torch.cpu, "_is_amx_tile_supported", None)  # Intel AMX: bf16 matrix tiles
        native = device.type == "cpu" and amx is not None and bool(amx())
    return "bfloat16" if native else "float32"


class TorchClassifier(Classifier):
    """Shared fit / predict for torch networks (see the module docstring)."""

    family = "torch"
    param_space: ClassVar[dict[str, Param]] = TORCH_PARAMS
    #: True: X must be images (n, c, h, w) or (n, h, w); False: any (n, ...) array (flattened by the net)
    image_only: ClassVar[bool] = False
    #: most torch threads for fit/predict (None: CLASSBENCH_THREADS); 1 where a layer's CPU result
    #: depends on the thread count, so that a trial scores the same on every executor
    max_threads: ClassVar[int | None] = None

    # ---- what a subclass provides -------------------------------------------------------------
    def _build_module(self, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
        """The network: input of shape (batch, *input_shape) -> logits of shape (batch, n_classes)."""
        raise NotImplementedError

    @property
    def _name(self) -> str:
        return type(self).__name__

    # ---- inputs ---------------------------------------------------------------------------------
    def _as_input(self, X: Any, what: str) -> np.ndarray:
        """X as a float32 array of shape (n, c, h, w) or (n, d); UserError when it cannot be one."""
        return net_input(f"model {self._name}", X, what, image_only=self.image_only,
                         fitted=getattr(self, "input_shape_", None),
                         hint="Text datasets need a vectorizing model; pick an image/tabular dataset or model.")

    def _labels(self, y: Any, n: int, what: str) -> np.ndarray:
        return net_labels(f"model {self._name}", y, n, what)

    # ---- fitting --------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "TorchClassifier":
        """Train from scratch.

        Parameters
        ----------
        X : float array of shape (n, c, h, w), (n, h, w) or (n, d)
        y : array of shape (n,), labels of any type
        X_val, y_val : optional held-out data of the same kind, monitored every epoch (else, with
            ``validation_fraction`` > 0, a seeded stratified share of X is held out)
        """
        p = self.check_hyperparams()
        torch.set_num_threads(min(_threads(), self.max_threads or _threads()))
        for attr in ("input_shape_", "module_", "best_epoch_", "precision_", "device_"):
            self.__dict__.pop(attr, None)
        X = self._as_input(X, "X")
        y_idx = self._encode_labels(self._labels(y, len(X), "y"))
        if len(self.classes_) < 2:
            raise UserError(f"model {self._name}: y holds a single class ({self.classes_[0]!r}); a classifier "
                            f"needs two or more (one class is not enough).")
        seed = p["random_state"]
        if seed is None:
            seed = int(np.random.default_rng().integers(2**31 - 1))
        self.seed_ = seed  # the seed actually used (drawn at random when random_state is None)
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
        device = _device(p["device"])
        self.input_shape_ = tuple(X.shape[1:])
        self.n_features_in_ = int(np.prod(self.input_shape_))
        forked = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=forked):
            torch.manual_seed(seed)
            module = self._build_module(self.input_shape_, len(self.classes_)).to(device)
            self.n_params_ = int(sum(t.numel() for t in module.parameters() if t.requires_grad))
            self.device_, self.precision_ = str(device), _precision(p["precision"], device)
            self.history_ = self._train(module, X, y_idx, Xv, yv, p, seed, device)
        self.module_ = module.eval()
        return self

    def _loss_fn(self) -> Any:
        kind = getattr(self, "loss", "cross-entropy")
        if kind == "squared":  # mean squared error between softmax outputs and one-hot targets

            def squared(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
                onehot = F.one_hot(target, logits.shape[1]).to(logits.dtype)
                return F.mse_loss(torch.softmax(logits, dim=1), onehot)

            return squared
        smoothing = float(getattr(self, "label_smoothing", 0.0))
        if smoothing > 0:  # targets (1 - e) on the true class + e / k everywhere (Szegedy et al. 2016)
            return lambda logits, target: F.cross_entropy(logits, target, label_smoothing=smoothing)
        return F.cross_entropy

    def _optimizer(self, module: nn.Module, p: dict[str, Any]) -> torch.optim.Optimizer:
        params, lr, wd = list(module.parameters()), p["lr"], p["weight_decay"]
        device = params[0].device.type
        fused = {"fused": True} if device in ("cpu", "cuda") else {}  # one kernel per step: faster on CPU
        if p["optimizer"] == "sgd":
            return torch.optim.SGD(params, lr=lr, weight_decay=wd, **fused)
        if p["optimizer"] == "momentum":
            return torch.optim.SGD(params, lr=lr, momentum=p["momentum"], weight_decay=wd, **fused)
        if p["optimizer"] == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr, momentum=p["momentum"], weight_decay=wd)
        return torch.optim.Adam(params, lr=lr, weight_decay=wd, **fused)

    def _train(
        self,
        module: nn.Module,
        X: np.ndarray,
        y: np.ndarray,
        Xv: np.ndarray | None,
        yv: np.ndarray | None,
        p: dict[str, Any],
        seed: int,
        device: torch.device,
    ) -> list[dict[str, Any]]:
        n, epochs = len(X), p["epochs"]
        bs = min(p["batch_size"], n)
        steps = math.ceil(n / bs)
        total = epochs * steps
        fmt = channels_last_if_conv(module, X, device)
        Xt, yt = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)
        val = None if Xv is None else (torch.from_numpy(Xv).to(device), torch.from_numpy(yv).to(device))
        loss_fn, opt = self._loss_fn(), self._optimizer(module, p)
        autocast: Any = contextlib.nullcontext()
        if self.precision_ == "bfloat16":
            autocast = torch.autocast(device.type, dtype=torch.bfloat16)
        rng = np.random.default_rng(seed)
        mode = getattr(self, "augment", False)  # True / "shift": random shifts; "affine": random affine maps
        shift = augment_shift(X.shape[2:]) if Xt.ndim == 4 and mode not in (False, "none") else 0
        augment = shift > 0 and mode != "affine"  # images under 14 px are never distorted
        affine = shift > 0 and mode == "affine"
        patience, best_loss, best_state, bad = p["early_stopping"], math.inf, None, 0
        history: list[dict[str, Any]] = []
        self.history_ = history  # filled epoch by epoch: a watcher (the local executor) can read it during fit
        step, lr_now = 0, p["lr"]
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            module.train()
            perm = torch.from_numpy(rng.permutation(n)).to(device)
            loss_sum = torch.zeros((), device=device)
            correct = torch.zeros((), device=device, dtype=torch.long)
            bar = None
            if p["verbose"]:
                from tqdm.auto import tqdm

                bar = tqdm(total=steps, desc=f"{self._name} epoch {epoch}/{epochs}", unit="batch", leave=True)
            for b in range(steps):
                idx = perm[b * bs : (b + 1) * bs]
                xb, yb = Xt[idx], yt[idx]
                if augment:
                    xb = random_shift(xb, rng.integers(-shift, shift + 1, size=(len(idx), 2)), shift)
                elif affine:
                    xb = random_affine(xb, rng)
                xb = xb.contiguous(memory_format=fmt)
                lr_now = p["lr"] * lr_factor(p["lr_schedule"], step, total)
                for group in opt.param_groups:
                    group["lr"] = lr_now
                with autocast:
                    logits = module(xb)
                loss = loss_fn(logits.float(), yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
                loss_sum += loss.detach() * len(idx)
                correct += (logits.detach().argmax(1) == yb).sum()
                if bar is not None:
                    bar.update(1)
                    if b % 20 == 0 or b == steps - 1:
                        bar.set_postfix(loss=f"{loss.item():.4f}", lr=f"{lr_now:.2e}")
            train_loss = float(loss_sum.item()) / n
            if not math.isfinite(train_loss):
                if bar is not None:
                    bar.close()
                raise RuntimeError(
                    f"model {self._name}: the training loss became {train_loss} at epoch {epoch} "
                    f"(lr={p['lr']}, optimizer={p['optimizer']}). Training diverged; try a smaller lr."
                )
            row: dict[str, Any] = {
                "epoch": epoch,
                "loss": train_loss,
                "accuracy": float(correct.item()) / n,
                "val_loss": None,
                "val_accuracy": None,
                "seconds": 0.0,
                "lr": lr_now,
            }
            if val is not None:
                row["val_loss"], row["val_accuracy"] = self._evaluate(module, val[0], val[1], loss_fn)
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
                    best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
                    self.best_epoch_ = epoch
                else:
                    bad += 1
                    if bad >= patience:
                        break
        if best_state is not None:
            module.load_state_dict(best_state)
        return history

    @torch.no_grad()
    def _evaluate(self, module: nn.Module, X: torch.Tensor, y: torch.Tensor, loss_fn: Any) -> tuple[float, float]:
        """(mean loss, accuracy) in eval mode, batched."""
        module.eval()
        loss_sum, correct = 0.0, 0
        fmt = channels_last_if_conv(module, X, X.device)
        for i in range(0, len(X), _EVAL_BATCH):
            logits = module(X[i : i + _EVAL_BATCH].contiguous(memory_format=fmt))
            yb = y[i : i + _EVAL_BATCH]
            loss_sum += float(loss_fn(logits, yb).item()) * len(yb)
            correct += int((logits.argmax(1) == yb).sum().item())
        module.train()
        return loss_sum / len(X), correct / len(X)

    # ---- prediction ------------------------------------------------------------------------------
    @torch.no_grad()
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, float64 array of shape (n, n_classes), columns in ``classes_`` order.

        Parameters
        ----------
        X : float array of shape (n, *input_shape_)
        """
        check_is_fitted(self, "module_")
        X = self._as_input(X, "X")
        torch.set_num_threads(min(_threads(), self.max_threads or _threads()))
        module = self.module_.eval()
        device = next(module.parameters()).device
        fmt, out = channels_last_if_conv(module, X, device), []
        for i in range(0, len(X), _EVAL_BATCH):
            xb = torch.from_numpy(X[i : i + _EVAL_BATCH]).to(device).contiguous(memory_format=fmt)
            out.append(torch.softmax(module(xb), dim=1).double().cpu().numpy())
        proba = np.concatenate(out)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """Labels (from ``classes_``), array of shape (n,). X : float array of shape (n, *input_shape_)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    # ---- pickling: keep the weights, rebuild the module ------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        module = state.pop("module_", None)
        if module is not None:
            state["_module_state"] = {k: v.detach().cpu() for k, v in module.state_dict().items()}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        weights = state.pop("_module_state", None)
        if "label_smoothing" in self.param_space and "random_state" in state:
            state.setdefault("label_smoothing", 0.0)  # pickled before the option existed: trained without it
        super().__setstate__(state)
        if weights is not None:
            with torch.random.fork_rng(devices=[]):
                module = self._build_module(self.input_shape_, len(self.classes_))
            module.load_state_dict(weights)
            self.module_ = module.eval()
