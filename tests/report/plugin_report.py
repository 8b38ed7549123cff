"""A test plugin (loaded through CLASSBENCH_PLUGINS) with a model that always fails, so the browser test's
real run has a failed trial to show."""

from classbench.contract import Classifier
from classbench.models import MODELS
from classbench.params import Param


@MODELS.register("report-boom", family="test", modalities=("image", "tabular"), summary="raises in fit")
class ReportBoom(Classifier):
    family = "test"
    param_space = {"random_state": Param(int, nullable=True)}

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y, *, X_val=None, y_val=None):
        raise ValueError("report-boom: this model always fails")
