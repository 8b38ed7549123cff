"""Saved models: one folder per trained model, with its spec, classes and input preprocessing.

Layout of a saved model folder::

    model.json     format version, classbench version, registry name, hyperparameters, classes and class
                   names, modality, what ``classbench predict`` must do to raw inputs, the trial spec and
                   its metrics, the sha256 of every payload file below, and ``meta_sha256``: the
                   sha256 of model.json's own content (canonical JSON without that key)
    state.json     the model's learned attributes (``classes_``, ``input_shape_``, ``history_``, a text
                   vocabulary ...), with arrays stored in ``arrays.npz``
    arrays.npz     NumPy arrays, read with ``allow_pickle=False``
    weights.pt     torch models: ``module_.state_dict()``, read with ``torch.load(..., weights_only=True)``
    weights.npz    scratch (NumPy engine) nets: the engine network's parameters
    *.skops        scikit-learn estimators inside a model, written with skops (``skops.io``); for a model
                   trained on a described table, the fitted preprocessing (a ColumnTransformer) too

A model trained on a described table (``Dataset.meta["columns"]``) is a ``TabularPipeline``: the folder holds
the inner model as usual, state.json's ``table`` entry holds the columns and the fitted preprocessing, and
``load_model`` returns the pipeline again, which takes raw coded rows (``classbench predict`` codes CSV
rows with ``datasets.tables.encode_frame`` first).

Nothing is pickled. scikit-learn objects go through skops, which refuses to build any type it is not
told to trust; classbench trusts scikit-learn, NumPy, SciPy and classbench's own types only, and refuses
a file naming anything else. Even so, a model folder is code-adjacent data: load only folders from
sources you trust. Folders are written atomically (a temporary folder renamed into place), and loading
checks the format version (a newer one is an error that says to upgrade), model.json's own checksum and
every payload file's sha256 (a changed file is a ``DataError`` naming it).

A model class may define ``_export_state() -> dict`` and ``_import_state(state)`` to choose what is saved;
otherwise every attribute that is not a hyperparameter is saved (the learned ``*_`` ones and private caches),
with the torch module (``module_``) and the engine network (``net_``) saved as weights and rebuilt from the
model's ``_build_module`` / ``_build_net``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ._persist_codec import Codec, build_sequential, fsync_dir, savez, sha256_file, torch_layers, write_file
from .errors import DataError, UserError

FORMAT = "classbench-model"
FORMAT_VERSION = 1
META = "model.json"


@dataclass
class SavedModel:
    """A loaded model folder: the fitted ``model`` and its ``meta`` (the parsed model.json)."""

    model: Any
    meta: dict[str, Any]
    folder: Path

    @property
    def class_names(self) -> list[str]:
        """Display name of each column of ``predict_proba`` (``classes_`` mapped through the dataset's names)."""
        return display_names(self.meta)


# --------------------------------------------------------------------------------------- metadata
def registry_name(model: Any) -> str | None:
    """The registry name of ``model``'s class, or None when it is not registered."""
    from .models import MODELS

    cls = type(model)
    path = f"{cls.__module__}:{cls.__qualname__}"
    for entry in MODELS:
        if entry.target is cls or entry.target == path:
            return entry.name
    return None


def display_names(meta: dict[str, Any]) -> list[str]:
    """Column names for ``predict_proba``: the dataset's class names when classes are its indices."""
    classes, names = meta.get("classes") or [], meta.get("class_names")
    if names and meta.get("classes_dtype", "").lstrip("<>|=")[:1] in ("i", "u"):
        idx = [int(c) for c in classes]
        if all(0 <= i < len(names) for i in idx):
            return [str(names[i]) for i in idx]
    return [str(c) for c in classes]


def _jsonable(v: Any) -> Any:
    """Metadata values (metrics, provenance params) as plain JSON: arrays to lists, others to str."""
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


# ------------------------------------------------------------------------------------------- save
def save_model(model: Any, folder: str | os.PathLike, *, name: str | None = None, dataset: Any = None,
               preprocess: dict[str, Any] | None = None, trial: dict[str, Any] | None = None,
               metrics: dict[str, Any] | None = None, overwrite: bool = False) -> Path:
    """Write fitted ``model`` to ``folder`` (atomically) and return the folder.

    ``dataset`` (a ``Dataset``) supplies class names, modality and the input preprocessing; ``preprocess``
    overrides the latter (see ``classbench.predict``). ``name`` is the registry name (looked up if None).
    """
    from . import __version__

    folder = Path(folder)
    table = None
    if type(model).__name__ in ("TabularPipeline", "TabularRegressionPipeline") and hasattr(model, "model_"):
        # a model trained on a described table: save the inner model, and its fitted preprocessing with it
        table, model = model, model.model_
    name = name or registry_name(model)
    if name is None:
        raise UserError(f"Cannot save a {type(model).__name__}: it is not a registered classbench model, so it "
                        f"could not be rebuilt when loaded. Register it (MODELS.register) first.")
    if not hasattr(model, "classes_") and getattr(model, "task", "classification") == "classification":
        raise UserError(f"Cannot save model {name!r}: it is not fitted yet. Call fit first.")
    if folder.exists() and not overwrite:
        raise UserError(f"{folder} already exists. Choose another folder or remove it first.")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        payload = _payload(model, tmp, table)
        classes = getattr(model, "classes_", None)
        modality = getattr(dataset, "modality", None) or _guess_modality(model)
        meta = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "classbench_version": __version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "model": name, "class": f"{type(model).__module__}:{type(model).__qualname__}",
            "family": getattr(model, "family", ""), "task": getattr(model, "task", "classification"),
            "params": Codec(tmp).enc(model.get_params(deep=False), "params"),
            "classes": None if classes is None else [str(c) for c in np.asarray(classes).tolist()],
            "classes_dtype": None if classes is None else np.asarray(classes).dtype.str,
            "class_names": list(dataset.classes) if dataset is not None and dataset.classes else None,
            "modality": modality,
            "input": preprocess if preprocess is not None else input_spec(table or model, dataset, modality),
            "dataset": None if dataset is None else {"name": dataset.name, **_jsonable(dataset.summary()),
                                                     "params": _jsonable(dataset.provenance.get("params"))},
            "trial": _jsonable(trial), "metrics": _jsonable(metrics), "versions": _versions(),
            "payload": {f: sha256_file(tmp / f) for f in payload},
        }
        meta["meta_sha256"] = meta_digest(meta)
        write_file(tmp / META, json.dumps(meta, indent=1).encode())
        fsync_dir(tmp)
        old = None
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _payload(model: Any, tmp: Path, table: Any = None) -> list[str]:
    codec = Codec(tmp)
    if hasattr(model, "_export_state"):
        attrs = dict(model._export_state())
    else:
        params = model.get_params(deep=False)
        attrs = {k: v for k, v in vars(model).items() if k not in params and k not in ("module_", "net_")}
    state = {"attrs": codec.enc(attrs, "model"), "weights": None}
    files = []
    if "module_" in vars(model) and not hasattr(model, "_export_state"):
        import torch

        weights = {k: v.detach().cpu() for k, v in model.module_.state_dict().items()}
        with open(tmp / "weights.pt", "wb") as fh:
            torch.save(weights, fh)
            fh.flush()
            os.fsync(fh.fileno())
        state["weights"], files = "torch", ["weights.pt"]
        state["torch_layers"] = torch_layers(model.module_)  # lets predict rebuild it from torch.nn alone
    elif "net_" in vars(model) and not hasattr(model, "_export_state"):
        savez(tmp / "weights.npz", model.net_.state_dict())
        state["weights"], files = "engine", ["weights.npz"]
    if table is not None:
        state["table"] = codec.enc({"columns": list(table.columns or []), "preprocessor": table.preprocessor_},
                                   "table")
    savez(tmp / "arrays.npz", codec.arrays)
    write_file(tmp / "state.json", json.dumps(state).encode())
    return ["state.json", "arrays.npz", *files, *codec.files]


def _versions() -> dict[str, str]:
    import sys

    return {m: getattr(sys.modules[m], "__version__", "?") for m in ("numpy", "sklearn", "torch", "skops")
            if m in sys.modules}


def _guess_modality(model: Any) -> str:
    shape = getattr(model, "input_shape_", None)
    if shape is not None and len(shape) == 3:
        return "image"
    mods = getattr(type(model), "modalities", frozenset())
    return "text" if mods == frozenset({"text"}) else "tabular"


def input_spec(model: Any, dataset: Any, modality: str) -> dict[str, Any]:
    """What ``classbench predict`` does to raw inputs; see ``classbench.predict`` for the keys."""
    from .predict import default_input_spec

    return default_input_spec(model, dataset, modality)


def meta_digest(meta: dict[str, Any]) -> str:
    """sha256 of model.json's content (canonical JSON, every key but ``meta_sha256`` itself)."""
    import hashlib

    body = {k: v for k, v in meta.items() if k != "meta_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# ------------------------------------------------------------------------------------------- load
def read_meta(folder: str | os.PathLike) -> dict[str, Any]:
    """model.json of a saved model folder, after checking its format and version (payload not checked)."""
    folder = Path(folder)
    path = folder / META
    if not path.is_file():
        what = "does not exist" if not folder.exists() else "has no model.json"
        raise UserError(f"{folder} {what}, so it is not a saved classbench model. Pass a folder written by "
                        f"`classbench run --save-models` (OUT/runs/RUN/models/TRIAL) or by save_model().")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path} is not readable JSON ({exc}); the saved model is damaged. Save it again.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or not isinstance(meta.get("format_version"), int):
        raise DataError(f"{path} is not a classbench model description (no format {FORMAT!r} with a version); "
                        f"the saved model is damaged or this is another tool's file.")
    if meta["format_version"] > FORMAT_VERSION:
        from . import __version__

        raise UserError(f"{folder} was saved by classbench {meta.get('classbench_version', '?')} in model format "
                        f"{meta['format_version']}; this classbench ({__version__}) reads formats up to "
                        f"{FORMAT_VERSION}. Upgrade classbench (pip install -U classbench) to load it.")
    if meta.get("meta_sha256") != meta_digest(meta):
        what = "has no checksum of its own (meta_sha256)" if "meta_sha256" not in meta else \
            "does not match the sha256 recorded in it (meta_sha256)"
        raise DataError(f"{path} {what}: the model description was changed or damaged after the model was "
                        f"saved (its classes, preprocessing or hyperparameters may be wrong). Do not use it; "
                        f"save the model again.")
    return meta


def verify(folder: str | os.PathLike, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check every payload file against the sha256 in model.json; DataError naming the first bad one."""
    folder = Path(folder)
    meta = meta or read_meta(folder)
    payload = meta.get("payload")
    if not isinstance(payload, dict) or not {"state.json", "arrays.npz"} <= set(payload):
        raise DataError(f"{folder / META} lists no payload checksums; the saved model is damaged. Save it again.")
    for name, digest in payload.items():
        path = folder / name
        if Path(name).name != name or not path.is_file():
            raise DataError(f"{path} is missing (model.json lists it); the saved model is incomplete. Save it again.")
        if sha256_file(path) != digest:
            raise DataError(f"{path} does not match the sha256 recorded in {folder / META}: the file was changed "
                            f"or damaged after the model was saved. Do not use it; save the model again.")
    return meta


def load_model(folder: str | os.PathLike) -> SavedModel:
    """Load a saved model folder (format and checksums checked first); see the module docstring."""
    from .models import MODELS

    folder = Path(folder)
    meta = verify(folder, read_meta(folder))
    name = meta.get("model")
    if name not in MODELS:
        raise UserError(f"{folder} holds a {name!r} model, which this classbench does not know. It was saved by "
                        f"another version or with a plugin: install that version, or set CLASSBENCH_PLUGINS to "
                        f"the module that registers {name!r}.")
    with np.load(folder / "arrays.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    codec = Codec(folder, arrays, verified=set(meta["payload"]))
    try:
        state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
        weights = {"torch": "weights.pt", "engine": "weights.npz"}.get(state.get("weights"))
        if weights is not None and weights not in codec.verified:
            raise DataError(f"{folder / META} lists no checksum for {weights}; the saved model is damaged.")
        model = MODELS.get(name)(**codec.dec(meta.get("params") or {}))
        attrs = codec.dec(state["attrs"])
        if hasattr(model, "_import_state"):
            model._import_state(attrs)
        else:
            model.__dict__.update(attrs)
        if state.get("weights") == "torch":
            _load_torch(model, folder / "weights.pt")
        elif state.get("weights") == "engine":
            _load_engine(model, folder / "weights.npz")
        if state.get("table") is not None:  # trained on a described table: the fitted preprocessing goes first
            from .bench.preprocess import TabularPipeline

            table = codec.dec(state["table"])
            model = TabularPipeline.from_fitted(model, table["columns"], table["preprocessor"])
    except (UserError, DataError):
        raise
    except ModuleNotFoundError as exc:
        raise UserError(f"{folder}: loading this {name!r} model needs the package {exc.name!r}, which is not "
                        f"installed. Install it (pip install {exc.name}) and try again.") from None
    except Exception as exc:  # noqa: BLE001 - a payload that does not fit its model
        detail = " ".join(str(exc).split())
        detail = detail if len(detail) <= 300 else detail[:300] + " ..."
        raise DataError(f"{folder}: the saved {name!r} model could not be rebuilt ({type(exc).__name__}: {detail}). "
                        f"It was saved by another classbench version ({meta.get('classbench_version')}) or is "
                        f"damaged; save it again with this version.") from None
    return SavedModel(model, meta, folder)


def _load_torch(model: Any, path: Path) -> None:
    import torch

    weights = torch.load(path, map_location="cpu", weights_only=True)
    with torch.random.fork_rng(devices=[]):
        module = model._build_module(model.input_shape_, len(model.classes_))
    module.load_state_dict(weights)
    model.module_ = module.eval()


def torch_predictor(folder: str | os.PathLike, meta: dict[str, Any] | None = None) -> Any:
    """For a torch classifier whose network is a plain ``nn.Sequential`` of standard layers: a function
    ``X -> predict_proba(X)`` that needs only torch (not the model's class, hence not scikit-learn), so
    ``classbench predict`` starts faster. None for any other model. Checks the payload checksums first.

    The function takes X : float32 array of shape (n, *input_shape) and returns float64 (n, n_classes).
    """
    folder = Path(folder)
    meta = verify(folder, meta or read_meta(folder))
    if meta.get("family") != "torch" or meta.get("task", "classification") != "classification":
        return None
    state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    if state.get("weights") != "torch" or not state.get("torch_layers"):
        return None
    try:
        import torch
    except ImportError:  # the full loader says what to install
        return None

    try:
        module = build_sequential(state["torch_layers"])
        module.load_state_dict(torch.load(folder / "weights.pt", map_location="cpu", weights_only=True))
    except Exception:  # noqa: BLE001 - the full loader rebuilds it (and reports real damage)
        return None
    module.eval()
    shape = Codec(folder).dec(state["attrs"].get("input_shape_"))
    conv = any(isinstance(m, torch.nn.Conv2d) for m in module.modules())
    if conv:
        module.to(memory_format=torch.channels_last)  # as the training wrapper predicts (same numbers)

    @torch.no_grad()
    def proba(X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float32)
        if shape is not None and tuple(X.shape[1:]) != tuple(shape):
            raise UserError(f"{folder}: inputs of shape {tuple(X.shape[1:])}, but the model takes {tuple(shape)}.")
        torch.set_num_threads(int(os.environ.get("CLASSBENCH_THREADS") or os.cpu_count() or 1))
        fmt = torch.channels_last if conv and X.ndim == 4 else torch.contiguous_format
        out = [torch.softmax(module(torch.from_numpy(X[i:i + 1024]).contiguous(memory_format=fmt)), dim=1)
               .double().numpy() for i in range(0, len(X), 1024)]
        p = np.concatenate(out)
        return p / p.sum(axis=1, keepdims=True)

    return proba


def _load_engine(model: Any, path: Path) -> None:
    with np.load(path, allow_pickle=False) as z:
        weights = {k: z[k] for k in z.files}
    net = model._build_net(model.input_shape_, len(model.classes_), 0)
    net.load_state_dict(weights)
    model.net_ = net.eval()


# ------------------------------------------------------------------------------------- from a trial
def save_trial_model(model: Any, save_dir: str | os.PathLike, spec: Any, dataset: Any,
                     result: dict[str, Any]) -> dict[str, Any]:
    """Save a trial's fitted model to ``save_dir/<trial key>``; never raises (a run goes on).

    Returns ``{"model_path": folder}``, or ``{"model_save_error": message}`` when it could not be saved.
    """
    try:
        from .datasets import get_source
        from .models import MODELS
        from .predict import default_input_spec

        try:
            source = get_source(spec.dataset.name)
        except Exception:  # noqa: BLE001 - only its preprocess_spec hook is wanted
            source = None
        keys = ("accuracy", "macro_f1", "rmse", "mae", "r2", "train_s", "predict_s", "n_train", "n_test")
        folder = save_model(
            model, Path(save_dir) / spec.key, name=MODELS.entry(spec.model.name).name, dataset=dataset,
            preprocess=default_input_spec(model, dataset, dataset.modality, source),
            trial={"key": spec.key, "spec": spec.to_dict()},
            metrics={k: result.get(k) for k in keys if result.get(k) is not None}, overwrite=True)
        return {"model_path": str(folder)}
    except Exception as exc:  # noqa: BLE001 - the trial's result stands; say why the model is missing
        return {"model_save_error": f"{type(exc).__name__}: {exc}"}
