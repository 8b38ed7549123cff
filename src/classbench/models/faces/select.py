"""face-select: Fisherfaces on several face descriptors, the descriptors to fuse chosen inside ``fit``.

The model describes each face three ways (``features.py``: raw pixels, uniform-LBP histograms,
gradient-orientation histograms), fits one Fisherfaces projection per descriptor (PCA to N - c
dimensions, shrunk LDA, as ``fisherfaces``), and scores each class by its nearest training face in
that projection. Which descriptors to use, alone or fused (the per-descriptor class scores averaged),
is chosen in ``fit`` by an inner cross-validation on the training faces it was given, and only on
them:

- every non-empty subset of the descriptor pool (``features``; 7 candidates for the default pool of
  three) is a candidate;
- the training faces are split into ``inner_folds`` folds, stratified by class, with pixel-identical
  images kept in one fold (the Yale release has such twins; a twin on both sides would make any
  nearest-neighbour candidate look perfect). Each class's images are dealt round-robin over the folds
  after a shuffle seeded by ``random_state`` (None: seed 0);
- on each fold the Fisherfaces projections are fitted on the other folds and every candidate scores
  the held-out faces; the candidate with the highest inner accuracy wins, ties broken by the larger
  mean margin (the true class's fused score minus the best other class's), then by the pool's order;
- the chosen descriptors are refitted on all the training faces. ``selected_`` names them, and
  ``cv_results_`` holds every candidate's inner accuracy and margin (both also in ``history_``).

So under leave-one-out the held-out face plays no part in the choice: ``predict`` only applies what
``fit`` chose. A class score is ``-d_c / mean_c(d_c)``, with ``d_c`` the distance to the nearest
training face of class c in one projection: scale-free, so descriptors of different sizes average
fairly. ``predict_proba`` is a softmax of the fused scores (temperature 0.1): it ranks the classes as
``predict`` does but is not calibrated.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import numpy as np

from ...contract import Classifier, net_input
from ...errors import UserError
from ...params import Param, TuneRange
from .features import KINDS, describe

#: every non-empty subset of the descriptors, in a fixed order (larger fusions first)
POOLS = tuple("+".join(c) for r in (3, 2, 1) for c in itertools.combinations(KINDS, r))
_TEMPERATURE = 0.1


class _FisherScorer:
    """PCA to min(N - c, N - 1, d) dimensions, LDA (eigen solver, shrunk), nearest training face per class
    (with a single face per class there is no within-class scatter: no LDA, nearest face in PCA space)."""

    def __init__(self, shrinkage: float | None, n_classes: int):
        self.shrinkage = shrinkage
        self.n_classes = n_classes

    def fit(self, F: np.ndarray, y: np.ndarray) -> "_FisherScorer":
        """F : float array of shape (n, d); y : int array of shape (n,), class indices 0..n_classes-1."""
        from sklearn.decomposition import PCA
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

        n, c = len(F), len(np.unique(y))
        self.pca_ = PCA(n_components=max(1, min(n - c, n - 1, F.shape[1])), svd_solver="full").fit(F)
        Z = self.pca_.transform(F)
        self.lda_ = None
        if 2 <= c < n:  # LDA needs two classes and more faces than classes; else nearest face in PCA space
            solver = {"solver": "svd"} if self.shrinkage is None else {"solver": "eigen", "shrinkage": self.shrinkage}
            self.lda_ = LinearDiscriminantAnalysis(**solver).fit(Z, y)
            Z = self.lda_.transform(Z)
        self.Z_, self.y_ = Z, y
        return self

    def _project(self, F: np.ndarray) -> np.ndarray:
        Z = self.pca_.transform(F)
        return Z if self.lda_ is None else self.lda_.transform(Z)

    def scores(self, F: np.ndarray) -> np.ndarray:
        """Class scores -d_c / mean(d) of shape (m, n_classes) for F of shape (m, d); -inf for a class
        with no training face."""
        Z = self._project(F)
        D = np.sqrt(np.maximum(((Z * Z).sum(1)[:, None] + (self.Z_ * self.Z_).sum(1)[None, :]
                                - 2.0 * Z @ self.Z_.T), 0.0))
        d = np.full((len(F), self.n_classes), np.inf)
        for c in np.unique(self.y_):
            d[:, c] = D[:, self.y_ == c].min(axis=1)
        finite = np.isfinite(d)
        scale = np.where(finite, d, 0.0).sum(1) / finite.sum(1)
        return -d / np.maximum(scale, 1e-12)[:, None]

    def n_numbers(self) -> int:
        lda = 0 if self.lda_ is None else (self.lda_.scalings_[:, :self.Z_.shape[1]].size
                                            + getattr(self.lda_, "xbar_", np.empty(0)).size)
        return int(self.pca_.components_.size + self.pca_.mean_.size + lda + self.Z_.size)


def duplicate_groups(Xf: np.ndarray) -> np.ndarray:
    """Group id of each row of Xf (n, d): identical rows share one id (ids in order of first appearance)."""
    _, first, inv = np.unique(Xf, axis=0, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first))[inv.ravel()]


def inner_folds(y: np.ndarray, groups: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Fold (0..k-1) of each sample: each class's groups shuffled (seeded) and dealt round-robin, the
    dealing continuing from class to class so folds stay balanced; a group's samples share a fold.

    y, groups : int arrays of shape (n,). Returns int array of shape (n,).
    """
    rng = np.random.default_rng(seed)
    uniq, first = np.unique(groups, return_index=True)
    unit_class = y[first]
    fold_of_unit = np.empty(len(uniq), dtype=np.int64)
    nxt = 0
    for c in np.unique(unit_class):
        units = rng.permutation(np.flatnonzero(unit_class == c))
        fold_of_unit[units] = (nxt + np.arange(len(units))) % k
        nxt += len(units)
    return fold_of_unit[np.searchsorted(uniq, groups)]


class FaceSelect(Classifier):
    """Fisherfaces on pixels / LBP / HOG, the descriptors fused chosen by inner CV in ``fit`` (module doc)."""

    family = "sklearn"
    image_only = True
    modalities = frozenset({"image"})
    param_space = {
        "features": Param(str, choices=POOLS, doc="descriptor pool: inner CV picks the best of its non-empty "
                          "subsets (a single descriptor: no choice left)", tune=False),
        "inner_folds": Param(int, low=2, high=50, doc="folds of the inner cross-validation on the training faces",
                             tune=False),
        "shrinkage": Param(float, low=0.0, high=1.0, nullable=True, doc="LDA shrinkage 0..1; None: none"),
        "cell": Param(int, low=2, high=64, doc="LBP/HOG cell size in pixels (8: a 7x6 grid on 45x56 faces)",
                      tune=TuneRange(choices=(4, 6, 8, 12))),
        "random_state": Param(int, low=0, nullable=True, doc="seed of the inner folds' shuffle (None: 0)"),
    }

    def __init__(self, features: str = "pixels+lbp+hog", inner_folds: int = 5, shrinkage: float | None = 0.1,
                 cell: int = 8, random_state: int | None = None):
        self.features = features
        self.inner_folds = inner_folds
        self.shrinkage = shrinkage
        self.cell = cell
        self.random_state = random_state

    # ------------------------------------------------------------------------------------------ inputs
    def _images(self, X: Any, fitting: bool) -> np.ndarray:
        """(n, h, w) grey images (channels averaged) from X of shape (n, c, h, w) or (n, h, w)."""
        if not fitting:
            self._check_fitted()
        X4 = net_input("model face-select", X, "X", image_only=True, fitted=None if fitting else self.input_shape_,
                       hint="Pass images of shape (n, c, h, w), e.g. a face dataset.")
        if fitting:
            self.input_shape_ = tuple(X4.shape[1:])
            self.n_features_in_ = int(np.prod(self.input_shape_))
        return X4.mean(axis=1, dtype=np.float64)

    def _describe(self, images: np.ndarray, kinds: tuple[str, ...]) -> dict[str, np.ndarray]:
        return {k: describe(images, k, self.cell) for k in kinds}

    # ------------------------------------------------------------------------------------------- fit
    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "FaceSelect":
        t0 = time.perf_counter()
        self.check_hyperparams()
        images = self._images(X, fitting=True)
        y_idx = self._encode_labels(y)
        if len(y_idx) != len(images):
            raise ValueError(f"X has {len(images)} samples but y has {len(y_idx)}.")
        if len(self.classes_) < 2:
            raise UserError(f"model face-select: y holds a single class ({self.classes_[0]!r}); need two or "
                            f"more (one class is not enough).")
        h, w = images.shape[1:]
        if h < 3 or w < 3:
            raise UserError(f"model face-select: images of {h}x{w} pixels are too small for LBP's 3x3 "
                            f"neighbourhoods; it needs at least 3x3. Use larger images.")
        pool = tuple(self.features.split("+"))
        F = self._describe(images, pool)
        self.cv_results_, self.inner_folds_ = self._inner_cv(F, y_idx, images.reshape(len(images), -1), pool)
        if self.cv_results_:
            order = {name: i for i, name in enumerate(self.cv_results_)}
            best = max(self.cv_results_, key=lambda name: (self.cv_results_[name]["accuracy"],
                                                           self.cv_results_[name]["margin"], -order[name]))
        else:  # too few images per class for an inner CV: the whole pool, as declared
            best = self.features
        self.selected_ = tuple(best.split("+"))
        n_classes = len(self.classes_)
        self.scorers_ = {k: _FisherScorer(self.shrinkage, n_classes).fit(F[k], y_idx) for k in self.selected_}
        train_acc = float(np.mean(self._fused({k: F[k] for k in self.selected_}).argmax(1) == y_idx))
        self.n_params_ = sum(s.n_numbers() for s in self.scorers_.values())
        row: dict[str, Any] = {"epoch": 1, "accuracy": train_acc, "seconds": time.perf_counter() - t0,
                               "selected": best, "inner_folds": self.inner_folds_}
        if self.cv_results_:
            row["inner_cv_accuracy"] = self.cv_results_[best]["accuracy"]
            row["inner_cv"] = {k: dict(v) for k, v in self.cv_results_.items()}
        if X_val is not None and y_val is not None:
            row["val_accuracy"] = float(np.mean(self.predict(X_val) == np.asarray(y_val)))
        self.history_ = [row]
        return self

    def _inner_cv(self, F: dict[str, np.ndarray], y: np.ndarray, Xf: np.ndarray, pool: tuple[str, ...]
                  ) -> tuple[dict[str, dict[str, float]], int]:
        """Every candidate's inner-CV accuracy and mean margin on these training faces; ({}, 0) when the
        smallest class has fewer than two groups of identical images (nothing to hold out)."""
        groups = duplicate_groups(Xf)
        units_per_class = [len(np.unique(groups[y == c])) for c in np.unique(y)]
        k = min(self.inner_folds, min(units_per_class))
        candidates = [p for p in POOLS if set(p.split("+")) <= set(pool)]
        if k < 2 or len(candidates) == 1:
            return {}, 0
        fold = inner_folds(y, groups, k, 0 if self.random_state is None else self.random_state)
        n_classes = len(self.classes_)
        correct = dict.fromkeys(candidates, 0)
        margin = dict.fromkeys(candidates, 0.0)
        counted = 0
        for f in range(k):
            tr, te = fold != f, fold == f
            if len(np.unique(y[tr])) < 2:
                continue
            te = te & np.isin(y, y[tr])  # a face whose class has no training face here says nothing
            if not te.any():
                continue
            base = {kind: _FisherScorer(self.shrinkage, n_classes).fit(F[kind][tr], y[tr]).scores(F[kind][te])
                    for kind in pool}
            truth = y[te]
            rows = np.arange(len(truth))
            for cand in candidates:
                S = np.mean([base[kind] for kind in cand.split("+")], axis=0)
                correct[cand] += int(np.sum(S.argmax(1) == truth))
                other = S.copy()
                other[rows, truth] = -np.inf
                margin[cand] += float(np.sum(S[rows, truth] - other.max(1)))
            counted += len(truth)
        if counted == 0:
            return {}, 0
        return {c: {"accuracy": correct[c] / counted, "margin": margin[c] / counted} for c in candidates}, k

    # --------------------------------------------------------------------------------------- predict
    def _fused(self, F: dict[str, np.ndarray]) -> np.ndarray:
        return np.mean([self.scorers_[k].scores(F[k]) for k in self.selected_], axis=0)

    def predict(self, X: Any) -> np.ndarray:
        S = self._fused(self._describe(self._images(X, fitting=False), self.selected_))
        return self.classes_[S.argmax(1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax of the fused class scores (temperature 0.1); shape (n, n_classes). Not calibrated."""
        S = self._fused(self._describe(self._images(X, fitting=False), self.selected_)) / _TEMPERATURE
        S -= S.max(axis=1, keepdims=True)
        P = np.exp(S)
        return P / P.sum(axis=1, keepdims=True)
