"""The Dataset every loader returns, and where loaders look for their files."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UserError

MODALITIES = ("image", "tabular", "text")
TASKS = ("classification", "regression")


@dataclass
class Dataset:
    """A classification dataset with a fixed train/test split.

    Attributes
    ----------
    X_train, X_test : array
        Images as float32 of shape (n, c, h, w) in [0, 1]; tabular data as float (n, d): tables read by
        ``classbench.datasets.tables`` give float64 with NaN for missing values and category codes for
        the nominal columns described in ``meta["columns"]``; text as an object array of str of shape (n,).
    y_train, y_test : int64 array of shape (n,)
        Class indices into ``classes``.
    classes : list of str
        Class names, index i is label i.
    modality : {"image", "tabular", "text"}
    provenance : dict
        Where the data came from: source, files and their sha256, loader parameters.
    groups_train, groups_test : int array of shape (n,) or None
        Group ids (e.g. identical images); a group never straddles a split made by a protocol.
    meta : dict
        Anything else a loader wants to keep (e.g. ratings for IMDB, file names for faces).
    task : {"classification", "regression"}
        For regression, ``y_*`` are float targets and ``classes`` is empty.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: list[str]
    modality: str
    provenance: dict[str, Any] = field(default_factory=dict)
    groups_train: np.ndarray | None = None
    groups_test: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    task: str = "classification"

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, got {self.modality!r}")
        for part in ("train", "test"):
            X, y = getattr(self, f"X_{part}"), getattr(self, f"y_{part}")
            if len(X) != len(y):
                raise ValueError(f"{self.name}: X_{part} has {len(X)} rows but y_{part} has {len(y)}")

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.X_train.shape[1:])

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "modality": self.modality,
            "n_train": int(len(self.y_train)),
            "n_test": int(len(self.y_test)),
            "n_classes": self.n_classes,
            "task": self.task,
            "input_shape": list(self.input_shape),
        }

    def validation_split(
        self, fraction: float = 0.1, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Deterministic stratified split of the training set: (X_tr, y_tr, X_val, y_val)."""
        if self.task == "regression":
            perm = np.random.default_rng(seed).permutation(len(self.y_train))
            k = max(1, int(round(fraction * len(perm))))
            idx_tr, idx_val = np.sort(perm[k:]), np.sort(perm[:k])
        else:
            idx_tr, idx_val = stratified_holdout(self.y_train, fraction, seed, self.groups_train)
        return self.X_train[idx_tr], self.y_train[idx_tr], self.X_train[idx_val], self.y_train[idx_val]


def stratified_holdout(
    y: np.ndarray, fraction: float, seed: int, groups: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, held_out): about ``fraction`` of each class held out, seeded, sorted.

    With ``groups``, whole groups move together (the group's first member decides its class).
    """
    if not 0.0 < fraction < 1.0:
        raise UserError(f"A validation fraction must be between 0 and 1 (exclusive); got {fraction}.")
    rng = np.random.default_rng(seed)
    y = np.asarray(y)
    units = np.arange(len(y)) if groups is None else np.unique(groups, return_index=True)[1]
    held: list[np.ndarray] = []
    for c in np.unique(y[units]):
        members = units[y[units] == c]
        k = int(round(fraction * len(members)))
        k = min(max(k, 1 if len(members) > 1 else 0), len(members) - 1) if len(members) > 1 else 0
        held.append(rng.permutation(members)[:k])
    held_units = np.concatenate(held) if held else np.array([], dtype=int)
    if groups is None:
        mask = np.zeros(len(y), bool)
        mask[held_units] = True
    else:
        mask = np.isin(groups, groups[held_units])
    return np.flatnonzero(~mask), np.flatnonzero(mask)


@dataclass
class DataContext:
    """Where loaders look for files, and whether they may download.

    Resolution order: ``data_dirs`` (``--data-dir`` then ``CLASSBENCH_DATA``, each holding one
    subfolder per dataset) -> ``cache_dir`` -> download (if allowed) into ``cache_dir``.
    """

    data_dirs: list[Path] = field(default_factory=list)
    cache_dir: Path = field(default_factory=lambda: default_cache_dir())
    download: bool = True

    @classmethod
    def from_env(cls, data_dir: str | os.PathLike | None = None, download: bool = True) -> "DataContext":
        dirs: list[Path] = []
        if data_dir:
            for part in str(data_dir).split(os.pathsep):
                if part:
                    p = Path(part).expanduser()
                    if not p.is_dir():
                        raise UserError(
                            f"--data-dir {str(p)!r} is not a directory. Point it at a folder that holds one "
                            f"subfolder per dataset (e.g. DIR/mnist/train-images-idx3-ubyte.gz)."
                        )
                    dirs.append(p)
        for part in os.environ.get("CLASSBENCH_DATA", "").split(os.pathsep):
            if part:
                dirs.append(Path(part).expanduser())
        return cls(data_dirs=dirs, download=download)

    def candidates(self, dataset: str) -> list[Path]:
        """Folders searched for ``dataset``'s files, in order (the cache last)."""
        return [d / dataset for d in self.data_dirs] + [self.cache_dir / dataset]


def default_cache_dir() -> Path:
    env = os.environ.get("CLASSBENCH_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "classbench"


class DatasetSource:
    """A registered dataset: how to find, verify, fetch and load it.

    Subclasses set the class attributes and implement ``load``; file-backed sources also implement
    ``locate`` (fast, no parsing) so a run can fail before any long work when data is missing.
    """

    name: str = ""
    modality: str = "image"
    task: str = "classification"
    summary: str = ""
    source: str = ""  # citation / canonical URL
    param_space: dict = {}

    def check(self, ctx: DataContext, **params: Any) -> dict[str, Any]:
        """Validate parameters and make sure the data can be had; returns the checked parameters."""
        from ..params import check_params

        checked = check_params(f"dataset {self.name!r}", self.param_space, params)
        self.locate(ctx)
        return checked

    def locate(self, ctx: DataContext) -> Any:
        """Find (or download) the files; raise DataError naming every place searched. Default: nothing."""
        return None

    def load(self, ctx: DataContext, **params: Any) -> Dataset:
        raise NotImplementedError

    def info(self, ctx: DataContext) -> dict[str, Any]:
        """Description for ``classbench data info``."""
        return {"name": self.name, "modality": self.modality, "summary": self.summary, "source": self.source}

    def fetch(self, ctx: DataContext) -> list[Path]:
        """Download into the cache if needed; return the files. Default: nothing to fetch."""
        return []

    def verify(self, ctx: DataContext) -> list[tuple[str, str]]:
        """(file, status) for each file this dataset needs. Default: nothing to verify."""
        return []
