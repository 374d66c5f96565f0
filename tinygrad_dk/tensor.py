"""The array engine: a ``Tensor`` is a numpy array that records how it was computed.

This file is where a Tensor's operations are listed, one method each; the formulas
and their derivatives live in ``tinygrad_dk.ops`` (elementwise math, reductions,
softmax), ``ops_shape`` (reshaping, indexing, joining) and ``ops_nn`` (fused layer
and loss operations). The data and bookkeeping (gradient, version counter, how a
Tensor takes part in backward) are in ``tinygrad_dk.tensor_base``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tinygrad_dk import ops, ops_nn, ops_shape
from tinygrad_dk.primitive import raw
from tinygrad_dk.tensor_base import TensorBase


class Tensor(TensorBase):
    """An n-dimensional array with reverse-mode automatic differentiation.

    >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad                      # dy/dx = 2x
    Tensor([[2., 4.],
            [6., 8.]])

    Python numbers and lists become float32 (as in PyTorch); numpy arrays keep
    their dtype (use float64 for gradient checks). Integer and bool tensors are
    fine for labels and masks but cannot require gradients. A tensor made with
    ``requires_grad=True`` copies a numpy array it is given (it is a parameter
    that training will change); without, it shares the array (cheap for data).
    """

    __slots__ = ()

    # --- arithmetic operators ----------------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return ops.power(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return ops.power(other, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __abs__(self) -> Tensor:
        return ops.abs(self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops_shape.getitem(self, ops_shape.normalize_index(index))

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    # Comparisons give bool tensors without gradient (masks).
    def __lt__(self, other: Any) -> Tensor:
        return Tensor._from_op(self._data < raw(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor._from_op(self._data <= raw(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._from_op(self._data > raw(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._from_op(self._data >= raw(other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._from_op(self._data == raw(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._from_op(self._data != raw(other))

    __hash__ = TensorBase.__hash__  # defining __eq__ would otherwise remove it

    # --- elementwise functions (tinygrad_dk.ops) ----------------------------------------

    def exp(self) -> Tensor:
        """e^x, elementwise."""
        return ops.exp(self)

    def log(self) -> Tensor:
        """Natural logarithm, elementwise (log 0 = -inf, log of a negative = nan)."""
        return ops.log(self)

    def sqrt(self) -> Tensor:
        """Square root, elementwise."""
        return ops.sqrt(self)

    def abs(self) -> Tensor:
        """|x|, elementwise (gradient 0 at 0, as PyTorch)."""
        return ops.abs(self)

    def tanh(self) -> Tensor:
        """tanh(x), squashing into (-1, 1)."""
        return ops.tanh(self)

    def sigmoid(self) -> Tensor:
        """1 / (1 + e^-x), squashing into (0, 1); stable for large |x|."""
        return ops.sigmoid(self)

    def relu(self) -> Tensor:
        """max(x, 0)."""
        return ops.relu(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """x for x > 0, else ``negative_slope * x``."""
        return ops.leaky_relu(self, negative_slope)

    def softplus(self) -> Tensor:
        """log(1 + e^x), a smooth ReLU; stable for large |x|."""
        return ops_nn.softplus(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """Limit the values to [min, max] (either may be None)."""
        return ops.clip(self, min, max)

    def astype(self, dtype: Any) -> Tensor:
        """The data converted to ``dtype`` (a float result keeps the gradient path)."""
        return ops.astype(self, dtype)

    # --- reductions ---------------------------------------------------------------------

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (None: everything)."""
        return ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (None: everything)."""
        return ops.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``; ties share the gradient."""
        return ops.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Minimum over ``axis``; ties share the gradient."""
        return ops.min(self, axis=axis, keepdims=keepdims)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Variance over ``axis`` with numpy's ``ddof=0`` (PyTorch's default is 1)."""
        return ops.var(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """log(sum(exp(x))) over ``axis``, without overflow."""
        return ops.logsumexp(self, axis=axis, keepdims=keepdims)

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along ``axis``: scores to probabilities."""
        return ops.softmax(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """log(softmax(x)) along ``axis``, computed stably."""
        return ops.log_softmax(self, axis=axis)

    # --- shape (tinygrad_dk.ops_shape) ---------------------------------------------------

    @property
    def T(self) -> Tensor:
        """Reversed axes, like ``ndarray.T``."""
        return ops_shape.transpose(self, None)

    def reshape(self, *shape: Any) -> Tensor:
        """The same numbers in a new shape: ``x.reshape(2, 3)`` or ``x.reshape((2, 3))``."""
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return ops_shape.reshape(self, shape)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute the axes (none given: reverse them), as ``ndarray.transpose``."""
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = tuple(axes[0])
        return ops_shape.transpose(self, axes or None)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """Exchange two axes."""
        return ops_shape.swapaxes(self, axis1, axis2)

    def flatten(self, start_axis: int = 0) -> Tensor:
        """Merge the axes from ``start_axis`` on into one."""
        return ops_shape.flatten(self, start_axis)

    def squeeze(self, axis: Any = None) -> Tensor:
        """Drop axes of length 1 (all, or the given ones)."""
        return ops_shape.squeeze(self, axis)

    def expand_dims(self, axis: Any) -> Tensor:
        """Insert an axis of length 1 at ``axis``."""
        return ops_shape.expand_dims(self, axis)

    def broadcast_to(self, shape: Any) -> Tensor:
        """Repeat along axes of length 1 to reach ``shape`` (numpy's broadcasting)."""
        return ops_shape.broadcast_to(self, tuple(shape))
