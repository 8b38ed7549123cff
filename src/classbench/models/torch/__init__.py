"""The PyTorch family, registered lazily: importing this package does not import torch.

The classes live in ``vision.py``; the shared training loop in ``training.py``.
"""

from __future__ import annotations

from .. import MODELS

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
        "mlp",
        "MLP",
        ("image", "tabular"),
        "Multilayer perceptron, hidden (256, 256), relu|sigmoid|tanh|none, cross-entropy or squared loss (PyTorch)",
    ),
]:
    MODELS.register_lazy(_name, f"{_M}:{_cls}", family="torch", modalities=_modalities, summary=_summary)
