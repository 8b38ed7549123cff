"""scikit-learn's estimator checks on every scratch linear / kernel model (the contract promises them)."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from classbench.models.scratch.iterative import ScratchLinearSVM, ScratchLogReg, ScratchPerceptron
from classbench.models.scratch.kernel import ScratchKFD
from classbench.models.scratch.linear import ScratchLDA, ScratchRidge
from classbench.models.scratch.svm import ScratchKernelSVM


@parametrize_with_checks([ScratchRidge(), ScratchLDA(), ScratchKFD(n_landmarks=100), ScratchPerceptron(),
                          ScratchLogReg(), ScratchLinearSVM(), ScratchKernelSVM()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
