"""classbench: reproducible classifier comparisons across scikit-learn, PyTorch and a NumPy engine.

Public API (imported lazily, so ``import classbench`` stays fast)::

    import classbench as cb
    ds = cb.load_dataset("digits")
    model = cb.create_model("logreg", C=0.5).fit(ds.X_train, ds.y_train)
    result = cb.run_suite("quick", out="classbench-out")
    result.to_pandas()                                   # the leaderboard as a DataFrame
    run = cb.load_run("latest", out="classbench-out")    # .leaderboard, .trials, .ranks DataFrames
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["load_dataset", "create_model", "list_datasets", "list_models", "list_suites", "load_suite",
           "run_suite", "save_model", "load_model", "load_run", "UserError", "__version__"]


def list_datasets() -> list[str]:
    from .datasets import DATASETS

    return DATASETS.names()


def list_models(family: str | None = None) -> list[str]:
    from .models import MODELS

    return [e.name for e in MODELS if family is None or e.meta.get("family") == family]


def list_suites() -> list[str]:
    from .config import list_suites as _ls

    return [name for name, _ in _ls()]


def run_suite(suite: Any = "quick", out: str = "classbench-out", **options: Any) -> Any:
    """Run a suite (built-in name, file path or SuiteSpec); returns a RunResult with the leaderboard rows."""
    from pathlib import Path

    from .bench.runner import RunOptions
    from .bench.runner import run_suite as _run
    from .config import SuiteSpec, load_suite

    spec = suite if isinstance(suite, SuiteSpec) else load_suite(str(suite))
    return _run(spec, RunOptions(out=Path(out), **options))


def __getattr__(name: str) -> Any:
    if name == "load_dataset":
        from .datasets import load_dataset

        return load_dataset
    if name == "create_model":
        from .models import create_model

        return create_model
    if name == "load_suite":
        from .config import load_suite

        return load_suite
    if name == "load_run":
        from .frames import load_run

        return load_run
    if name in ("save_model", "load_model"):
        from . import persist

        return getattr(persist, name)
    if name == "UserError":
        from .errors import UserError

        return UserError
    raise AttributeError(f"module 'classbench' has no attribute {name!r}")
