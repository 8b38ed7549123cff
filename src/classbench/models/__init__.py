"""Model registry: every model of every family behind one contract (see ``classbench.contract``).

Each family package (``classical``, ``torch``, ``scratch``) registers its models *lazily* in its
``__init__`` (name -> "module:Class" plus metadata), so listing models imports neither torch nor
scikit-learn. Adding a model: write the estimator class, add one ``register_lazy`` line.
"""

from __future__ import annotations

from typing import Any

from ..errors import UserError
from ..registry import Registry

MODELS = Registry("model")

from . import classical  # noqa: E402,F401  (registers the scikit-learn family)

for _family in ("torch", "scratch", "faces", "text", "regression"):
    try:
        __import__(f"{__name__}.{_family}")
    except ModuleNotFoundError as exc:  # a family not written yet
        if exc.name != f"{__name__}.{_family}":
            raise


def load_plugins() -> None:
    """Import the modules named in ``CLASSBENCH_PLUGINS`` (comma-separated): they register their own models
    and datasets with ``MODELS.register(...)`` / ``DATASETS.register(...)``. Worker processes do the same."""
    import importlib
    import os

    for mod in filter(None, (m.strip() for m in os.environ.get("CLASSBENCH_PLUGINS", "").split(","))):
        try:
            importlib.import_module(mod)
        except ImportError as exc:
            raise UserError(f"CLASSBENCH_PLUGINS names {mod!r}, which cannot be imported ({exc}). Check the "
                            f"module name and that its folder is on PYTHONPATH.") from None


load_plugins()


def model_class(name: str) -> type:
    return MODELS.get(name)


def create_model(name: str, **params: Any) -> Any:
    """Build a model by registry name with validated hyperparameters (UserError on a bad one)."""
    entry = MODELS.entry(name)
    cls = entry.load()
    defaults = cls().get_params(deep=False)
    unknown = [k for k in params if k not in defaults]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], list(defaults), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UserError(
            f"model {entry.name!r}: unknown parameter {unknown[0]!r}.{hint} "
            f"Accepted parameters: {', '.join(sorted(defaults))}."
        )
    model = cls(**params)
    checked = model.check_hyperparams()
    model.set_params(**checked)
    return model


def default_params(name: str) -> dict[str, Any]:
    return model_class(name)().get_params(deep=False)


def describe_params(name: str) -> list[dict[str, Any]]:
    """Rows (name, default, accepted) for ``classbench list models --params``-style output."""
    cls = model_class(name)
    defaults = cls().get_params(deep=False)
    rows = []
    for key, default in defaults.items():
        spec = cls.param_space.get(key)
        rows.append({"name": key, "default": default, "accepted": spec.describe() if spec else "any",
                     "doc": spec.doc if spec else ""})
    return rows


__all__ = ["MODELS", "create_model", "default_params", "describe_params", "model_class"]
