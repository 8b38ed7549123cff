"""Regression models (the ``regression`` task): ridge regression on basis functions, two families."""

from __future__ import annotations

from .. import MODELS

_M = "classbench.models.regression.estimators"
MODELS.register_lazy("ridge-regression", f"{_M}:RidgeRegression", family="sklearn", modalities=("tabular",),
                     task="regression", summary="Ridge regression on basis functions (identity, polynomial, "
                     "Gaussian); alpha and degree by cross-validation (scikit-learn)")
MODELS.register_lazy("scratch-ridge-regression", f"{_M}:ScratchRidgeRegression", family="scratch",
                     modalities=("tabular",), task="regression", summary="Ridge regression on basis functions, "
                     "closed form w = (PhiT Phi + alpha I)^-1 PhiT t, alpha and degree by k-fold CV (NumPy)")
