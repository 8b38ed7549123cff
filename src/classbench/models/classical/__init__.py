"""The scikit-learn family: registered lazily (importing this package does not import scikit-learn)."""

from __future__ import annotations

from .. import MODELS

_M = "classbench.models.classical.estimators"
_V = ("image", "tabular")

for _name, _cls, _summary in [
    ("ridge", "Ridge", "RidgeClassifier: least squares on one-vs-all targets, L2 penalty"),
    ("lda", "LDA", "Linear discriminant analysis (shared covariance Gaussian classes)"),
    ("perceptron", "Perceptron", "Rosenblatt's perceptron, one-vs-all"),
    ("logreg", "LogReg", "Multinomial (softmax) logistic regression, L-BFGS"),
    ("linear-svm", "LinearSVM", "Linear SVM (LinearSVC, liblinear, one-vs-rest squared hinge)"),
    ("rbf-svm", "RBFSVM", "RBF-kernel SVM: Nystroem features + linear SVM (squared hinge, primal L-BFGS; or exact SVC on a capped subsample)"),
    ("poly-svm", "PolySVM", "Polynomial-kernel SVM: Nystroem features + linear SVM (or exact SVC on a subsample)"),
    ("knn", "KNN", "k-nearest neighbours (Euclidean)"),
    ("random-forest", "RandomForest", "Random forest of decision trees"),
]:
    MODELS.register_lazy(_name, f"{_M}:{_cls}", family="sklearn", modalities=_V, summary=_summary)
