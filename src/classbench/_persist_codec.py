"""The parts of ``classbench.persist`` that turn learned state into files and back.

``Codec`` writes a model's attributes as JSON plus NumPy arrays (and scikit-learn estimators through
skops); ``torch_layers`` / ``build_sequential`` describe a plain ``nn.Sequential`` of standard layers in
JSON, so ``classbench predict`` can rebuild such a torch network from ``torch.nn`` alone (without importing
the model's class, hence scikit-learn), which keeps start-up short. Last, the durable file writes.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError, UserError

# functools.partial: HistGradientBoosting with categorical features keeps partial(check_array, ...); skops
# lists the wrapped function as a type of its own, so it must pass this check too.
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "classbench.", "builtins.", "functools.partial")


class Codec:
    """Learned state <-> JSON plus arrays. Tuples, numpy scalars and non-finite floats keep their type."""

    def __init__(self, folder: Path, arrays: dict[str, np.ndarray] | None = None, verified: set[str] | None = None):
        self.folder, self.arrays, self.files = folder, arrays if arrays is not None else {}, []
        self.verified = verified  # when loading: the files whose sha256 was checked

    def enc(self, v: Any, where: str) -> Any:
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return int(v)
        if isinstance(v, float):
            return v if math.isfinite(v) else {"$float": repr(v)}
        if isinstance(v, np.ndarray):
            if v.dtype.kind == "O":
                if v.ndim == 1 and all(isinstance(s, str) for s in v.tolist()):
                    return {"$strs": v.tolist()}
                raise _unsupported(where, v)
            key = f"a{len(self.arrays)}"
            self.arrays[key] = v
            return {"$array": key}
        if isinstance(v, np.generic):
            return {"$scalar": v.dtype.str, "v": self.enc(v.item(), where)}
        if isinstance(v, tuple):
            return {"$tuple": [self.enc(x, f"{where}[{i}]") for i, x in enumerate(v)]}
        if isinstance(v, list):
            return [self.enc(x, f"{where}[{i}]") for i, x in enumerate(v)]
        if isinstance(v, dict):
            if all(isinstance(k, str) and not k.startswith("$") for k in v):
                return {k: self.enc(x, f"{where}[{k!r}]") for k, x in v.items()}
            return {"$items": [[self.enc(k, where), self.enc(x, f"{where}[{k!r}]")] for k, x in v.items()]}
        if _is_sklearn_object(v):
            try:
                import skops.io as sio
            except ImportError:
                raise UserError("Saving a scikit-learn model needs the package skops (a safe alternative to "
                                "pickle): pip install skops.") from None

            name = f"{re.sub(r'[^A-Za-z0-9_]+', '_', where).strip('_')[:60]}-{len(self.files)}.skops"
            sio.dump(v, self.folder / name)
            self.files.append(name)
            return {"$skops": name}
        cls = type(v)
        if cls.__module__.startswith("classbench.") and hasattr(v, "__dict__") and not _is_model(v):
            return {"$obj": f"{cls.__module__}:{cls.__qualname__}", "state": self.enc(dict(vars(v)), where)}
        raise _unsupported(where, v)

    def dec(self, v: Any) -> Any:
        if isinstance(v, list):
            return [self.dec(x) for x in v]
        if not isinstance(v, dict):
            return v
        if "$array" in v:
            return self.arrays[v["$array"]]
        if "$tuple" in v:
            return tuple(self.dec(x) for x in v["$tuple"])
        if not any(k.startswith("$") for k in v):
            return {k: self.dec(x) for k, x in v.items()}
        if "$items" in v:
            return {_hashable(self.dec(k)): self.dec(x) for k, x in v["$items"]}
        if "$float" in v:
            return float(v["$float"])
        if "$strs" in v:
            return np.array(v["$strs"], dtype=object)
        if "$scalar" in v:
            return np.dtype(v["$scalar"]).type(self.dec(v["v"]))
        if "$skops" in v:
            if self.verified is not None and v["$skops"] not in self.verified:
                raise DataError(f"{self.folder / 'model.json'} lists no checksum for {v['$skops']}; the saved "
                                f"model is damaged or was changed. Do not load it.")
            return _skops_load(self.folder / v["$skops"])
        if "$obj" in v:
            cls = _classbench_class(v["$obj"], self.folder)
            obj = cls.__new__(cls)
            obj.__dict__.update(self.dec(v["state"]))
            return obj
        raise DataError(f"{self.folder / 'state.json'} holds an entry classbench cannot read ({sorted(v)[:3]}); "
                        f"the folder is damaged or was not written by classbench.")


def _hashable(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


def _unsupported(where: str, v: Any) -> UserError:
    return UserError(f"Cannot save attribute {where} (a {type(v).__module__}.{type(v).__qualname__}): classbench "
                     f"saves arrays, numbers, strings, lists, dicts, scikit-learn estimators and classbench "
                     f"objects only. Give the model class _export_state() / _import_state(state) methods "
                     f"that turn its learned state into those.")


def _is_model(v: Any) -> bool:
    return hasattr(v, "fit") and hasattr(v, "get_params") and type(v).__module__.startswith("classbench.")


def _is_sklearn_object(v: Any) -> bool:
    return any(c.__module__.startswith("sklearn.") and c.__name__ == "BaseEstimator" for c in type(v).__mro__)


def _classbench_class(path: str, folder: Path) -> type:
    import importlib

    module, _, name = path.partition(":")
    if not module.startswith("classbench.") or not name:
        raise DataError(f"{folder / 'state.json'} names the type {path!r}; classbench only rebuilds its own "
                        f"types. Do not load this folder: it was changed or not written by classbench.")
    try:
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise UserError(f"{folder} needs {path}, which this classbench does not have; the model was saved by "
                        f"another classbench version. Load it with that version.") from None
    return obj


def _skops_load(path: Path) -> Any:
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=path)
    refused = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
    if refused:
        raise DataError(f"{path} asks to build types that classbench does not trust ({', '.join(refused[:5])}). "
                        f"It was not written by classbench, or was changed; do not load it.")
    return sio.load(path, trusted=untrusted)


# ------------------------------------------------------------------------- torch: plain Sequential in JSON
#: layer type -> the constructor arguments read back from the layer's attributes
_LAYERS: dict[str, tuple[str, ...]] = {
    "Conv2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups"),
    "Linear": ("in_features", "out_features"),
    "MaxPool2d": ("kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    "AvgPool2d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    "Flatten": ("start_dim", "end_dim"),
    "Dropout": ("p",),
    "ReLU": (), "Tanh": (), "Sigmoid": (), "Identity": (),
}


def torch_layers(module: Any) -> list[dict[str, Any]] | None:
    """``module`` as a JSON list of layers when it is an ``nn.Sequential`` of standard layers, else None."""
    from torch import nn

    if type(module) is not nn.Sequential:
        return None
    out = []
    for layer in module:
        kind = type(layer).__name__
        if kind not in _LAYERS or type(layer).__module__.split(".")[:2] != ["torch", "nn"]:
            return None
        if kind == "Conv2d" and (layer.padding_mode != "zeros" or isinstance(layer.padding, str)):
            return None
        args = {k: list(v) if isinstance(v, tuple) else v for k, v in ((k, getattr(layer, k)) for k in _LAYERS[kind])}
        if kind in ("Conv2d", "Linear"):
            args["bias"] = layer.bias is not None
        out.append({"type": kind, **args})
    return out


def build_sequential(layers: list[dict[str, Any]]) -> Any:
    """The ``nn.Sequential`` that ``torch_layers`` described (weights uninitialised until loaded)."""
    from torch import nn

    built = []
    for spec in layers:
        kind = spec["type"]
        if kind not in _LAYERS:
            raise DataError(f"unknown torch layer type {kind!r} in a saved model")
        args = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items() if k != "type"}
        built.append(getattr(nn, kind)(**args))
    return nn.Sequential(*built)


# ------------------------------------------------------------------------------------------ files
def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
        fh.flush()
        os.fsync(fh.fileno())


def write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
