"""tinygrad_dk: a readable autograd engine for learning how neural networks work.

Two engines share one graph walk (``graph.topo_sort``), one backward policy
(``backward.backprop``) and one set of parameter methods (``node.Node``):

* ``Value``: one number per node, the engine to draw and reason about by hand
  (``value.py``: every operation next to its local derivative);
* ``Tensor``: numpy arrays with broadcasting and matrix products, for real training
  (``tensor.py`` lists its methods; ``ops.py``, ``ops_shape.py`` and ``ops_nn.py``
  define each operation as a ``Primitive``: the forward next to its derivative).

``Primitive`` and ``Function`` add new operations; ``gradcheck`` confirms numerically
that backprop is right; ``grad``/``value_and_grad`` give gradients as functions.
"""

from tinygrad_dk.backward import backprop
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
from tinygrad_dk.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tinygrad_dk.gradcheck import GradcheckError, gradcheck
from tinygrad_dk.graph import topo_sort
from tinygrad_dk.node import Node
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
from tinygrad_dk.ops_nn import binary_cross_entropy, linear, softmax_cross_entropy, softplus
from tinygrad_dk.primitive import Primitive, Recorded
from tinygrad_dk.tensor import Tensor
from tinygrad_dk.value import Value, zero_grad

__version__ = "0.1.0"

__all__ = [
    "Value", "Tensor", "Node", "Function", "Context", "Primitive", "Recorded", "backprop",
    "no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled",
    "grad", "value_and_grad", "gradcheck", "GradcheckError", "topo_sort", "zero_grad",
    "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "arange", "eye",
    "randn", "rand", "manual_seed", "generator", "concatenate", "stack", "where", "maximum",
    "minimum", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "leaky_relu", "clip",
    "matmul", "softmax", "log_softmax", "logsumexp", "softplus", "linear",
    "binary_cross_entropy", "softmax_cross_entropy",
]
