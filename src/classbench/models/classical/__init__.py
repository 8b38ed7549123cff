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

_T = "classbench.models.classical.tabular"
_TAB = ("tabular",)
for _name, _cls, _mods, _summary in [
    ("hist-gb", "HistGB", _V, "Histogram gradient boosting (scikit-learn), native categorical splits and missing values"),
    ("lightgbm", "LightGBM", _V, "LightGBM gradient boosting (optional extra: classbench[tables]), native categories"),
    ("extra-trees", "ExtraTrees", _V, "Extremely randomized trees"),
    ("decision-tree", "DecisionTree", _TAB, "One CART decision tree (entropy, min 2 samples a leaf, like J48's defaults)"),
    ("gaussian-nb", "GaussianNB", _TAB, "Gaussian naive Bayes"),
    ("categorical-nb", "CategoricalNB", _TAB, "Naive Bayes on mixed tables: category counts + Gaussians, missing left out"),
    ("qda", "QDA", _TAB, "Quadratic discriminant analysis, class covariances shrunk by reg_param"),
    ("adaboost", "AdaBoost", _TAB, "AdaBoost (SAMME) over depth-2 trees"),
    ("svc", "SVC", _TAB, "Exact kernel SVM (libsvm SVC, RBF, one-vs-one): small tables"),
]:
    MODELS.register_lazy(_name, f"{_T}:{_cls}", family="sklearn", modalities=_mods, summary=_summary)
