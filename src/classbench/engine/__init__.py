"""From-scratch NumPy deep-learning engine: pure forward/backward functions, thin layers, optimisers.

Pure NumPy: nothing here imports torch or the rest of classbench. Layouts follow torch (NCHW, conv
weights (out, in, kh, kw), linear weights (out, in), LSTM/GRU gate order) so that torch can serve as
the reference in the gradient checks (:mod:`classbench.gradcheck`).
"""

from . import functional, init, layers, optim
from .errors import EngineError

__all__ = ["EngineError", "functional", "init", "layers", "optim"]
