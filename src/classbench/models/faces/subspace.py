"""Eigenfaces and Fisherfaces: linear subspaces of pixel space, classified by nearest neighbour.

Both follow the scikit-learn pattern of ``classical.estimators`` (a pipeline built in ``_estimator``,
inputs flattened to vectors). Dimensions that depend on the training set (the number of samples N
and classes c) are fixed in ``fit`` before the pipeline is built, as the references prescribe:

- Turk & Pentland (1991), *Eigenfaces for recognition*: project on the leading principal components
  of the training faces, then match the nearest training face.
- Belhumeur, Hespanha & Kriegman (1997), *Eigenfaces vs. Fisherfaces*: dropping the three leading
  components (mostly lighting) helps eigenfaces; Fisherfaces project to N - c principal components
  (so the within-class scatter is not singular), then to the c - 1 LDA directions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from ...errors import UserError
from ...params import Param
from ..classical.estimators import _COMMON, SklearnClassifier

_NN = {
    "n_neighbors": Param(int, low=1, doc="neighbours voting (1: the nearest training face)"),
    "metric": Param(str, choices=("euclidean", "cosine"), doc="distance in the projected space"),
}


class DropLeading(TransformerMixin, BaseEstimator):
    """Drop the first ``n`` columns (the leading principal components).

    X : array of shape (n_samples, n_components) -> (n_samples, n_components - n)
    """

    def __init__(self, n: int = 0):
        self.n = n

    def fit(self, X: Any, y: Any = None) -> "DropLeading":
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X: Any) -> np.ndarray:
        return np.asarray(X)[:, self.n :]


def _knn(n_neighbors: int, metric: str, n_train: int) -> KNeighborsClassifier:
    return KNeighborsClassifier(n_neighbors=min(n_neighbors, n_train), metric=metric, algorithm="brute")


class _Subspace(SklearnClassifier):
    """Shared fit: record the training set's size and class count, then fit the pipeline.

    The final step is k-NN, which has class probabilities but no ``decision_function``: the model
    advertises ``predict_proba`` only (``hasattr(model, "decision_function")`` is False).
    """

    _has_decision = False
    _has_proba = True

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> "_Subspace":
        Xf = self._check_X(X, reset=True)  # ValueError / TypeError with scikit-learn's messages
        y_idx = self._encode_labels(y)  # also rejects y with NaN or infinity
        if len(y_idx) != len(Xf):
            raise ValueError(f"X has {len(Xf)} samples but y has {len(y_idx)}.")
        if len(Xf) < 2:
            raise UserError(f"model {type(self).__name__}: needs at least two training images; got 1 sample.")
        self.n_train_ = len(Xf)
        self.n_classes_fit_ = len(self.classes_)
        self.rank_ = min(len(Xf) - 1, Xf.shape[1])  # principal components that centred data can have
        if self.n_classes_fit_ < 2:
            raise UserError(f"model {type(self).__name__}: y holds a single class ({self.classes_[0]!r}); "
                            f"need two or more (one class is not enough).")
        return super().fit(X, y, X_val=X_val, y_val=y_val)

    def _final(self) -> Any:  # n_params_ counts the whole pipeline: projections and stored faces
        return self.pipeline_


class Eigenfaces(_Subspace):
    """PCA to ``n_components`` dimensions (after dropping ``skip_leading``), then k-NN.

    With ``whiten`` each kept component is scaled to unit variance (a Mahalanobis distance in the
    subspace). ``n_components`` is capped by the training set: at most N - 1 - ``skip_leading``.
    """

    param_space = {
        **_COMMON,
        **_NN,
        "n_components": Param(int, low=1, doc="principal components kept (capped at N - 1 - skip_leading)"),
        "skip_leading": Param(int, low=0, doc="leading components dropped (Belhumeur et al.: 3, mostly lighting)"),
        "whiten": Param(bool, doc="scale each component to unit variance"),
    }

    def __init__(self, n_components: int = 50, skip_leading: int = 3, whiten: bool = False, n_neighbors: int = 1,
                 metric: str = "euclidean", standardize: bool = False, random_state: int | None = None):
        self.n_components = n_components
        self.skip_leading = skip_leading
        self.whiten = whiten
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.standardize = standardize
        self.random_state = random_state

    def _estimator(self) -> Any:
        if self.skip_leading >= self.rank_:
            raise UserError(f"model Eigenfaces: skip_leading={self.skip_leading} drops every one of the "
                            f"{self.rank_} principal components this training set has (X has {self.n_train_} "
                            f"samples and {self.n_features_in_} feature(s), so at most min(n - 1, d) = "
                            f"{self.rank_} components); use a smaller value or more, larger images.")
        keep = min(self.n_components + self.skip_leading, self.rank_)
        self.n_components_ = keep - self.skip_leading
        return make_pipeline(
            PCA(n_components=keep, whiten=self.whiten, svd_solver="full", random_state=self.random_state),
            DropLeading(self.skip_leading),
            _knn(self.n_neighbors, self.metric, self.n_train_),
        )


class Fisherfaces(_Subspace):
    """PCA to ``pca_components`` (default N - c) dimensions, LDA to c - 1, then k-NN.

    ``shrinkage`` (0..1) shrinks LDA's within-class covariance towards a scaled identity; it steadies
    the projection when N - c dimensions are kept from few images per class. None: plain LDA.
    """

    param_space = {
        **_COMMON,
        **_NN,
        "pca_components": Param(int, low=1, nullable=True, doc="PCA dimensions before LDA; None: N - c"),
        "shrinkage": Param(float, low=0.0, high=1.0, nullable=True, doc="LDA shrinkage 0..1; None: none"),
    }

    def __init__(self, pca_components: int | None = None, shrinkage: float | None = 0.1, n_neighbors: int = 1,
                 metric: str = "euclidean", standardize: bool = False, random_state: int | None = None):
        self.pca_components = pca_components
        self.shrinkage = shrinkage
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.standardize = standardize
        self.random_state = random_state

    def _estimator(self) -> Any:
        n, c = self.n_train_, self.n_classes_fit_
        want = self.pca_components if self.pca_components is not None else n - c
        self.pca_components_ = max(1, min(want, self.rank_))
        lda = (LinearDiscriminantAnalysis(solver="svd") if self.shrinkage is None
               else LinearDiscriminantAnalysis(solver="eigen", shrinkage=self.shrinkage))
        return make_pipeline(
            PCA(n_components=self.pca_components_, svd_solver="full", random_state=self.random_state),
            lda,
            _knn(self.n_neighbors, self.metric, self.n_train_),
        )
