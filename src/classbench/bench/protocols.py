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
    if protocol.kind == "5x2cv":
        return 10
    assert ds is not None
    return len(ds.y_train) + len(ds.y_test)


def source_order(ds: Dataset) -> np.ndarray:
    """Each pooled sample's position in the dataset's source (file) order.

    Loaders whose train/test split is not in file order (e.g. yalefaces' random default split) record
    it in ``meta["order_train"]`` / ``meta["order_test"]``; otherwise the pooled order is the file order.
    """
    n_tr, n_te = len(ds.y_train), len(ds.y_test)
    o_tr, o_te = ds.meta.get("order_train"), ds.meta.get("order_test")
    if o_tr is not None and o_te is not None and len(o_tr) == n_tr and len(o_te) == n_te:
        return np.concatenate([np.asarray(o_tr), np.asarray(o_te)])
    return np.arange(n_tr + n_te)


def fold_indices(protocol: ProtocolSpec, y: np.ndarray, groups: np.ndarray, fold: int, seed: int,
                 order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(train_idx, test_idx) into the pooled arrays for ``fold`` (kfold, loo, split).

    ``order`` (pooled sample -> file position) is what ``split`` with ``ordered=True`` takes "first" by;
    default: the pooled order.
    """
    if protocol.kind == "loo":
        test = np.array([fold])
        train = np.flatnonzero(groups != groups[fold])
        return train, test
    if protocol.kind == "kfold":
        return _group_kfold(y, groups, protocol.k, seed)[fold]
    if protocol.kind == "5x2cv":  # repetition fold // 2 shuffles with its own stream of the trial's seed
        return _group_kfold(y, groups, 2, [seed, 5, fold // 2])[fold % 2]
    if protocol.kind == "split":
        return _split(y, groups, protocol, seed, np.arange(len(y)) if order is None else np.asarray(order))
    raise ValueError(f"protocol {protocol.kind!r} has no fold indices")


def _units(y: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique groups and the class of each (its first member's class)."""
    uniq, first = np.unique(groups, return_index=True)
    return uniq, y[first]


def _group_kfold(y: np.ndarray, groups: np.ndarray, k: int, seed: int | list[int]
                 ) -> list[tuple[np.ndarray, np.ndarray]]:
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


def _split(y: np.ndarray, groups: np.ndarray, protocol: ProtocolSpec, seed: int, order: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Per class, ``train_per_class`` images (or ``round(train_fraction * n_class)``) for training.

    Groups are taken whole, in a seeded random order (or, ``ordered``, by their first member's position
    in ``order``), while they fit: a group that would overshoot the count is passed over, so the count
    is met exactly whenever the group sizes allow. At least one image of each class stays for test.
    """
    rng = np.random.default_rng(seed)
    uniq, ycls = _units(y, groups)
    gidx = np.searchsorted(uniq, groups)
    size = np.bincount(gidx, minlength=len(uniq))
    first = np.full(len(uniq), np.iinfo(np.int64).max)
    np.minimum.at(first, gidx, np.asarray(order, dtype=np.int64))
    train_groups = []
    for c in np.unique(ycls):
        members = np.flatnonzero(ycls == c)
        members = members[np.argsort(first[members], kind="stable")] if protocol.ordered else rng.permutation(members)
        n_class = int(size[members].sum())
        if protocol.train_per_class is not None:
            k = protocol.train_per_class
        else:
            k = int(round(protocol.train_fraction * n_class))
        k = min(max(k, 1), n_class - 1) if n_class > 1 else n_class
        taken = 0
        for g in members:
            if taken + size[g] <= k:
                train_groups.append(uniq[g])
                taken += size[g]
            if taken == k:
                break
        if taken == 0 and len(members) > 1:  # only groups larger than k: take the first one anyway
            train_groups.append(uniq[members[0]])
    in_train = np.isin(groups, np.asarray(train_groups))
    return np.flatnonzero(in_train), np.flatnonzero(~in_train)


def fold_data(protocol: ProtocolSpec, ds: Dataset, fold: int, seed: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test, test_index) for one trial. ``test_index`` indexes the pooled set."""
    if protocol.kind == "holdout":
        return ds.X_train, ds.y_train, ds.X_test, ds.y_test, np.arange(len(ds.y_test)) + len(ds.y_train)
    X, y, groups = pooled(ds)
    tr, te = fold_indices(protocol, y, groups, fold, seed, source_order(ds))
    return X[tr], y[tr], X[te], y[te], te
