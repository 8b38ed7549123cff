"""Pure functions: every op is a ``*_forward(x, params...) -> (out, cache)`` and
``*_backward(dout, cache) -> grads`` pair, side by side in one file.

Ops with parameters return a dict of gradients keyed like the forward's arguments (``x``, ``weight``,
``bias`` ...); parameter-free ops return ``dx``. Losses return ``(loss, cache)`` and take ``dloss``.
Everything runs in the dtype of its input (float32 for training, float64 for gradient checks).
"""

from .activations import (
    log_softmax,
    relu_backward,
    relu_forward,
    sigmoid,
    sigmoid_backward,
    sigmoid_forward,
    softmax,
    softmax_backward,
    softmax_forward,
    tanh_backward,
    tanh_forward,
)
from .conv import col2im, conv2d_backward, conv2d_forward, im2col
from .dense import dense_backward, dense_forward, flatten_backward, flatten_forward
from .dropout import dropout_backward, dropout_forward
from .embedding import embedding_backward, embedding_forward
from .losses import (
    bce_with_logits_backward,
    bce_with_logits_forward,
    cross_entropy_backward,
    cross_entropy_forward,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
    squared_error_backward,
    squared_error_forward,
)
from .pool import avgpool2d_backward, avgpool2d_forward, maxpool2d_backward, maxpool2d_forward
from .recurrent import gru_backward, gru_forward, lengths_to_mask, lstm_backward, lstm_forward

__all__ = [
    "avgpool2d_backward",
    "avgpool2d_forward",
    "bce_with_logits_backward",
    "bce_with_logits_forward",
    "col2im",
    "conv2d_backward",
    "conv2d_forward",
    "cross_entropy_backward",
    "cross_entropy_forward",
    "dense_backward",
    "dense_forward",
    "dropout_backward",
    "dropout_forward",
    "embedding_backward",
    "embedding_forward",
    "flatten_backward",
    "flatten_forward",
    "gru_backward",
    "gru_forward",
    "im2col",
    "lengths_to_mask",
    "log_softmax",
    "lstm_backward",
    "lstm_forward",
    "maxpool2d_backward",
    "maxpool2d_forward",
    "relu_backward",
    "relu_forward",
    "sigmoid",
    "sigmoid_backward",
    "sigmoid_forward",
    "softmax",
    "softmax_backward",
    "softmax_cross_entropy_backward",
    "softmax_cross_entropy_forward",
    "softmax_forward",
    "squared_error_backward",
    "squared_error_forward",
    "tanh_backward",
    "tanh_forward",
]
