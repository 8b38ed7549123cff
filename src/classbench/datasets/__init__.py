"""Dataset registry. Each loader is one module registering a ``DatasetSource`` subclass."""

from __future__ import annotations

from typing import Any

from ..registry import Registry
from .base import DataContext, Dataset, DatasetSource

DATASETS = Registry("dataset")

# Importing a loader module registers it. Loader modules import only numpy and the stdlib at
# module level, so listing datasets stays fast.
from . import digits  # noqa: E402,F401

for _optional in ("mnist", "yalefaces", "imdb", "regression", "uci"):
    try:
        __import__(f"{__name__}.{_optional}")
    except ModuleNotFoundError as exc:  # a loader not written yet
        if exc.name != f"{__name__}.{_optional}":
            raise


def get_source(name: str) -> DatasetSource:
    """The source for a registered name, or for a bring-your-own name such as ``imagefolder:PATH``."""
    if ":" in name:
        from .byo import resolve_scheme

        return resolve_scheme(name)
    return DATASETS.get(name)()


def load_dataset(name: str, data_dir: str | None = None, ctx: DataContext | None = None, **params: Any) -> Dataset:
    """Load a registered dataset by name, e.g. ``load_dataset("mnist", data_dir="data")``."""
    ctx = ctx or DataContext.from_env(data_dir)
    source = get_source(name)
    checked = source.check(ctx, **params)
    return source.load(ctx, **checked)


__all__ = ["DATASETS", "DataContext", "Dataset", "DatasetSource", "get_source", "load_dataset"]
