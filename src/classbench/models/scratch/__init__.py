"""The from-scratch family (NumPy/SciPy only), registered lazily: importing this package imports
neither scikit-learn nor torch. Adding a model: one ``register_lazy`` line below.
"""

from __future__ import annotations

from .. import MODELS

_P = "classbench.models.scratch"
_V = ("image", "tabular")

MODELS.register_lazy("scratch-ridge", f"{_P}.linear:ScratchRidge", family="scratch", modalities=_V,
                     summary="Ridge classifier from scratch: closed form on one-vs-all {-1,+1} targets")
MODELS.register_lazy("scratch-lda", f"{_P}.linear:ScratchLDA", family="scratch", modalities=_V,
                     summary="Fisher LDA from scratch: eigh(Sb, Sw), nearest class mean in K-1 dims, shrinkage")
MODELS.register_lazy("scratch-kfd", f"{_P}.kernel:ScratchKFD", family="scratch", modalities=_V,
                     summary="Kernel Fisher discriminant from scratch (RBF), regularised, landmark subset")
MODELS.register_lazy("scratch-perceptron", f"{_P}.iterative:ScratchPerceptron", family="scratch",
                     modalities=_V, summary="Multiclass perceptron from scratch, seeded shuffling, averaged option")
MODELS.register_lazy("scratch-logreg", f"{_P}.iterative:ScratchLogReg", family="scratch", modalities=_V,
                     summary="Softmax logistic regression from scratch, L2, L-BFGS on the exact gradient")
MODELS.register_lazy("scratch-linear-svm", f"{_P}.iterative:ScratchLinearSVM", family="scratch",
                     modalities=_V, summary="Linear SVM from scratch: one-vs-rest squared hinge, primal L-BFGS")
MODELS.register_lazy("scratch-kernel-svm", f"{_P}.svm:ScratchKernelSVM", family="scratch", modalities=_V,
                     summary="Kernel SVM from scratch: SMO with WSS2, one-vs-one; linear/poly/rbf/sigmoid")

# neural nets built from the NumPy engine (nets.py, recurrent_nets.py): twins of the torch models
MODELS.register_lazy("scratch-lenet5", f"{_P}.nets:ScratchLeNet5", family="scratch", modalities=("image",),
                     summary="LeNet-5 from scratch (NumPy engine): C1 6@5x5, pool, C3 16@5x5, pool, 120, 84; "
                             "same settings as lenet5")
MODELS.register_lazy("scratch-seed-cnn", f"{_P}.nets:ScratchSeedCNN", family="scratch", modalities=("image",),
                     summary="The notebook's CNN from scratch (NumPy engine): two 5x5 conv + max-pool blocks "
                             "(32, 64), dense 1024, dropout 0.4; same settings as seed-cnn")
MODELS.register_lazy("scratch-mlp", f"{_P}.nets:ScratchMLP", family="scratch", modalities=_V,
                     summary="Multilayer perceptron from scratch (NumPy engine), hidden (256, 256), cross-entropy "
                             "or squared loss; same settings as mlp")
MODELS.register_lazy("scratch-lstm", f"{_P}.recurrent_nets:ScratchLSTM", family="scratch", modalities=("text",),
                     summary="The notebook's LSTM from scratch (NumPy engine, BPTT with padding masks); trains on "
                             "a seeded subset of max_train_samples=5000 texts by default")
MODELS.register_lazy("scratch-gru", f"{_P}.recurrent_nets:ScratchGRU", family="scratch", modalities=("text",),
                     summary="The notebook's GRU from scratch (NumPy engine, BPTT with padding masks); trains on "
                             "a seeded subset of max_train_samples=5000 texts by default")
