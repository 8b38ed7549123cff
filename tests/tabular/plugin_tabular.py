"""A test plugin (CLASSBENCH_PLUGINS=plugin_tabular): a model that warns like libraries do in a worker."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from classbench.contract import Classifier
from classbench.models import MODELS
from classbench.params import Param


@MODELS.register("test-warner", family="test", modalities=("image", "tabular"), summary="warns, predicts the mode")
class Warner(Classifier):
    family = "test"
    param_space = {"random_state": Param(int, nullable=True)}

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y, *, X_val=None, y_val=None):
        for _ in range(3):  # what joblib says in a daemon worker: nothing the user can do about it
            warnings.warn("Loky-backed parallel loops cannot be called in a multiprocessing, setting n_jobs=1",
                          UserWarning, stacklevel=2)
        for _ in range(2):
            warnings.warn("lbfgs failed to converge after 5 iterations", ConvergenceWarning, stacklevel=2)
        y = np.asarray(y)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.mode_ = self.classes_[np.argmax(counts)]
        self.history_ = []
        return self

    def predict(self, X):
        return np.full(len(X), self.mode_)
