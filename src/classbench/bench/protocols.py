"""Evaluation protocols: which samples train and which test, for each fold.

Every protocol is group-aware: samples sharing a group id (e.g. byte-identical images) never sit on
both sides of a split, so the test set cannot leak.
"""

from __future__ import annotations

import numpy as np

from ..config import ProtocolSpec
from ..datasets.base import Dataset


def pooled(ds: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train and test together: (X, y, groups). Groups default to one per sample."""
    X = np.concatenate([ds.X_train, ds.X_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    if ds.groups_train is not None and ds.groups_test is not None:
        groups = np.concatenate([ds.groups_train, ds.groups_test])
    else:
        groups = np.arange(len(y))
    return X, y, groups


def n_folds(protocol: ProtocolSpec, ds: Dataset | None) -> int:
    if protocol.kind in ("holdout", "split"):
        return 1
    if protocol.kind == "kfold":
        return protocol.k
    assert ds is not None
    return len(ds.y_train) + len(ds.y_test)


def fold_indices(protocol: ProtocolSpec, y: np.ndarray, groups: np.ndarray, fold: int, seed: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(train_idx, test_idx) into the pooled arrays for ``fold`` (kfold, loo, split)."""
    if protocol.kind == "loo":
        test = np.array([fold])
        train = np.flatnonzero(groups != groups[fold])
        return train, test
    if protocol.kind == "kfold":
        return _group_kfold(y, groups, protocol.k, seed)[fold]
    if protocol.kind == "split":
        return _split(y, groups, protocol, seed)
    raise ValueError(f"protocol {protocol.kind!r} has no fold indices")


def _units(y: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique groups and the class of each (its first member's class)."""
    uniq, first = np.unique(groups, return_index=True)
    return uniq, y[first]


def _group_kfold(y: np.ndarray, groups: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    uniq, ycls = _units(y, groups)
    fold_of_group = np.empty(len(uniq), dtype=int)
    offset = 0
    for c in np.unique(ycls):  # deal each class's groups round-robin over the folds: stratified
        members = rng.permutation(np.flatnonzero(ycls == c))
        fold_of_group[members] = (np.arange(len(members)) + offset) % k
        offset += len(members)
    fold_of_sample = fold_of_group[np.searchsorted(uniq, groups)]
    return [(np.flatnonzero(fold_of_sample != f), np.flatnonzero(fold_of_sample == f)) for f in range(k)]


def _split(y: np.ndarray, groups: np.ndarray, protocol: ProtocolSpec, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    uniq, ycls = _units(y, groups)
    train_groups = []
    for c in np.unique(ycls):
        members = np.flatnonzero(ycls == c)
        if not protocol.ordered:
            members = rng.permutation(members)
        if protocol.train_per_class is not None:
            k = protocol.train_per_class
        else:
            k = int(round(protocol.train_fraction * len(members)))
        k = min(max(k, 1), len(members) - 1) if len(members) > 1 else len(members)
        train_groups.append(uniq[members[:k]])
    in_train = np.isin(groups, np.concatenate(train_groups))
    return np.flatnonzero(in_train), np.flatnonzero(~in_train)


def fold_data(protocol: ProtocolSpec, ds: Dataset, fold: int, seed: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test, test_index) for one trial. ``test_index`` indexes the pooled set."""
    if protocol.kind == "holdout":
        return ds.X_train, ds.y_train, ds.X_test, ds.y_test, np.arange(len(ds.y_test)) + len(ds.y_train)
    X, y, groups = pooled(ds)
    tr, te = fold_indices(protocol, y, groups, fold, seed)
    return X[tr], y[tr], X[te], y[te], te
