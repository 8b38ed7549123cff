"""Per-model test configurations for the registry-wide contract tests.

A model missing here is checked with its defaults, so a model registered later is covered with no
edit; add an entry only to make a slow model fast (tiny nets: one or a few epochs, a few units) or to
check a second configuration (a list holds several). Every entry must name a registered model.
"""

from __future__ import annotations

from typing import Any

_CPU = {"device": "cpu"}
# the scikit-learn checks ask a classifier for > 0.83 training accuracy on small blobs: a few epochs
_SMALL_MLP = {"hidden": (16,), "epochs": 20, "lr": 0.01, "batch_size": 32}
_TINY_TEXT = {"epochs": 1, "max_words": 200, "maxlen": 12, "embedding_dim": 8, "batch_size": 16}

CONFIGS: dict[str, list[dict[str, Any]]] = {
    # scikit-learn family: smaller ensembles / feature maps than the MNIST defaults
    "rbf-svm": [{"n_components": 50}],
    "poly-svm": [{"n_components": 50}],
    "random-forest": [{"n_estimators": 10}],
    "eigenfaces": [{"n_components": 5, "skip_leading": 1}],
    # tabular models: fewer boosting rounds / trees (their checks took 40 s each with the defaults)
    "hist-gb": [{"max_iter": 10}],
    "lightgbm": [{"n_estimators": 10}],
    "adaboost": [{"n_estimators": 10}],
    "extra-trees": [{"n_estimators": 10}],
    # scratch family
    "scratch-kfd": [{"n_landmarks": 100}],
    "scratch-mlp": [_SMALL_MLP],
    "scratch-lenet5": [{"epochs": 1, "batch_size": 16}],
    "scratch-seed-cnn": [{"epochs": 1, "batch_size": 16}],
    "scratch-lstm": [{**_TINY_TEXT, "units": 4}],
    "scratch-gru": [{**_TINY_TEXT, "units": 4}],
    # torch family
    "mlp": [{**_SMALL_MLP, **_CPU}],
    "lenet5": [{"epochs": 1, "batch_size": 16, **_CPU}],
    "seed-cnn": [{"epochs": 1, "batch_size": 16, **_CPU}],
    "modern-cnn": [{"epochs": 1, "batch_size": 16, "width": 4, **_CPU}],
    "face-cnn": [{"epochs": 1, "batch_size": 16, "channels": 4, **_CPU}],
    "lstm": [{**_TINY_TEXT, "units": 4, **_CPU}],
    "gru": [{**_TINY_TEXT, "units": 4, **_CPU}],
    "embedding-bag": [{**_TINY_TEXT, "hidden": 4, **_CPU}],
    "text-cnn": [{**_TINY_TEXT, "filters": 4, "kernel_sizes": (2, 3), **_CPU}],
    # its default interpolated SVM has no predict_proba (as nbsvm's loss="svm"): the checks need the logistic one
    "nbsvm3": [{"loss": "logreg"}],
    # regression: identity basis with alpha by CV (defaults), polynomial with the degree by CV, Gaussian with
    # 12 centres fixed (3 cannot reach the checks' R^2 > 0.5; a CV over 0..12 centres took 20 s a check)
    "ridge-regression": [{}, {"basis": "polynomial", "max_degree": 3},
                         {"basis": "gaussian", "degree": 12, "alpha": 1e-3}],
    "scratch-ridge-regression": [{}, {"basis": "polynomial", "max_degree": 3},
                                 {"basis": "gaussian", "degree": 12, "alpha": 1e-3}],
}


def instances() -> list[Any]:
    """One instance per (registered model, configuration), in registry order."""
    from classbench.models import MODELS

    out = []
    for entry in MODELS:
        cls = entry.load()
        for params in CONFIGS.get(entry.name, [{}]):
            out.append(cls(**params))
    return out


def takes_matrices(model: Any) -> bool:
    """Whether scikit-learn's checks (which feed (n, d) number matrices) apply: its own tag says so."""
    from sklearn.utils import get_tags

    return bool(get_tags(model).input_tags.two_d_array)
