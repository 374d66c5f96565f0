"""tinygrad_dk: a readable autograd engine for learning how neural networks work.

Two engines share one graph walk (``tinygrad_dk.graph``):

* ``Value``: one number per node, the engine to draw and reason about by hand;
* ``Tensor``: numpy arrays with broadcasting and matrix products, for real training.

``gradcheck`` confirms numerically that backprop is right.
"""

from tinygrad_dk.autograd import enable_grad, is_grad_enabled, no_grad
from tinygrad_dk.creation import (
    arange,
    eye,
    full,
    full_like,
    generator,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    zeros,
    zeros_like,
)
from tinygrad_dk.function import Context, Function
from tinygrad_dk.functional import grad, value_and_grad
from tinygrad_dk.gradcheck import GradcheckError, gradcheck
from tinygrad_dk.graph import topo_sort
from tinygrad_dk.ops import (
    abs,
    clip,
    concatenate,
    exp,
    leaky_relu,
    log,
    log_softmax,
    logsumexp,
    matmul,
    maximum,
    minimum,
    relu,
    sigmoid,
    softmax,
    sqrt,
    stack,
    tanh,
    where,
)
from tinygrad_dk.tensor import Tensor
from tinygrad_dk.value import Value, zero_grad

__version__ = "0.1.0"

__all__ = [
    "Value", "Tensor", "Function", "Context", "no_grad", "enable_grad", "is_grad_enabled",
    "grad", "value_and_grad", "gradcheck", "GradcheckError", "topo_sort", "zero_grad",
    "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "arange", "eye",
    "randn", "rand", "manual_seed", "generator", "concatenate", "stack", "where", "maximum",
    "minimum", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "leaky_relu", "clip",
    "matmul", "softmax", "log_softmax", "logsumexp",
]
