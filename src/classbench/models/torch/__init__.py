"""The PyTorch family, registered lazily: importing this package does not import torch.

The classes live in ``vision.py`` (``modern-cnn`` in ``modern.py``); the shared training loop in ``training.py``.
"""

from __future__ import annotations

import os

from .. import MODELS

# Idle OpenMP threads sleep instead of spinning. Set before torch starts its thread pool (a user's own
# setting wins): on a shared or oversubscribed CPU spinning threads made 2-thread training 3-8x slower
# than 1 thread (measured on 2 shared cores); on an idle machine the difference is negligible.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_M = "classbench.models.torch.vision"

for _name, _cls, _modalities, _summary in [
    (
        "seed-cnn",
        "SeedCNN",
        ("image",),
        "The notebook's CNN: two 5x5 conv + max-pool blocks (32, 64), dense 1024, dropout 0.4 (PyTorch)",
    ),
    (
        "lenet5",
        "LeNet5",
        ("image",),
        "LeNet-5 (LeCun 1998): C1 6@5x5, pool, C3 16@5x5, pool, 120, 84 (PyTorch; relu|tanh, max|avg)",
    ),
    (
        "modern-cnn",
        "ModernCNN",
        ("image",),
        "Compact modern CNN: batch norm, 3x3 stacks, global pooling, affine augmentation, label smoothing (PyTorch)",
    ),
    (
        "mlp",
        "MLP",
        ("image", "tabular"),
        "Multilayer perceptron, hidden (256, 256), relu|sigmoid|tanh|none, cross-entropy or squared loss (PyTorch)",
    ),
]:
    _module = "classbench.models.torch.modern" if _cls == "ModernCNN" else _M
    MODELS.register_lazy(_name, f"{_module}:{_cls}", family="torch", modalities=_modalities, summary=_summary)
