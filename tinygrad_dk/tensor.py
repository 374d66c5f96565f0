"""The array engine: a ``Tensor`` is a numpy array that records how it was computed.

This file is where a Tensor's operations are listed, one method each; the formulas
and their derivatives live in ``tinygrad_dk.ops`` (elementwise math, reductions,
softmax), ``ops_shape`` (reshaping, indexing, joining), ``ops_math`` (sin, cos, norms),
``ops_index`` (argmax, max with indices, nonzero) and ``ops_nn`` (fused layer and loss
operations). In-place changes (``+=``, ``zero_()``, ``t[i] = v``) follow PyTorch's rules
in ``tinygrad_dk.inplace``. The data and bookkeeping (gradient, version counter, how a
Tensor takes part in backward) are in ``tinygrad_dk.tensor_base``.

Methods take numpy's spelling and PyTorch's alike (``axis=``/``dim=``,
``keepdims=``/``keepdim=``, ``reshape``/``view``, ``expand_dims``/``unsqueeze``);
``tinygrad_dk.spelling`` translates them, and decides where the two disagree.

The many further names PyTorch programs use (``gather``, ``cumsum``, ``log1p``,
``new_zeros``, ``register_hook``, ...) are listed in ``tinygrad_dk.tensor_names``, which
``Tensor`` inherits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from tinygrad_dk import (
    device,
    inplace,
    ops,
    ops_index,
    ops_math,
    ops_nn,
    ops_shape,
    ops_softmax,
    spelling,
    tensor_misc,
)
from tinygrad_dk.primitive import raw
from tinygrad_dk.spelling import UNSET
from tinygrad_dk.tensor_base import TensorBase
from tinygrad_dk.tensor_names import TorchNames


class Tensor(TorchNames, TensorBase):
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

    # PyTorch's method names for the operators (div, with rounding_mode=, is with the math
    # names below)
    add, sub, mul, pow, matmul, mm, neg = (  # noqa: A003
        __add__, __sub__, __mul__, __pow__, __matmul__, __matmul__, __neg__)

    # --- in place, with PyTorch's rules (tinygrad_dk.inplace) ------------------------------

    def __setitem__(self, index: Any, value: Any) -> None:
        inplace.setitem(self, ops_shape.normalize_index(index), value)

    __iadd__ = inplace.operator("+=", ops.add)
    __isub__ = inplace.operator("-=", ops.sub)
    __imul__ = inplace.operator("*=", ops.mul)
    __itruediv__ = inplace.operator("/=", ops.div)
    add_ = inplace.operator("add_", ops.add, alpha=True)
    sub_ = inplace.operator("sub_", ops.sub, alpha=True)
    mul_ = inplace.operator("mul_", ops.mul)
    div_ = inplace.operator("div_", ops.div)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """Limit the values to [min, max], in place."""
        return inplace.update(self, "clamp_", lambda x, _: ops.clip(x, min, max), None)

    def fill_(self, value: Any) -> Tensor:
        """Set every element to ``value``, in place."""
        return inplace.fill(self, "fill_", value)

    def zero_(self) -> Tensor:
        """Set every element to 0, in place (``w.grad.zero_()``)."""
        return inplace.fill(self, "zero_", 0)

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

    # Logic on masks (bool or integer tensors, no gradient): (p >= 0.5) & (y == 1)
    def __and__(self, other: Any) -> Tensor:
        return Tensor._from_op(self._data & raw(other))

    def __or__(self, other: Any) -> Tensor:
        return Tensor._from_op(self._data | raw(other))

    def __xor__(self, other: Any) -> Tensor:
        return Tensor._from_op(self._data ^ raw(other))

    def __invert__(self) -> Tensor:
        return Tensor._from_op(~self._data)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

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

    # more elementwise functions with PyTorch's names (ops_math); rounding has gradient 0
    _f = spelling.elementwise
    sin, cos = _f(ops_math.sin, "sin(x)."), _f(ops_math.cos, "cos(x).")
    square = _f(ops_math.square, "x * x.")
    round = _f(ops_math.round, "The nearest integer (halves to even), as floats.")
    floor, ceil = _f(ops_math.floor, "Round down."), _f(ops_math.ceil, "Round up.")
    sign = _f(ops_math.sign, "-1, 0 or 1 by the sign of x.")
    isnan = _f(ops_math.isnan, "True where x is NaN (a bool tensor).")
    isinf = _f(ops_math.isinf, "True where x is +-inf (a bool tensor).")
    isfinite = _f(ops_math.isfinite, "True where x is neither NaN nor infinite.")
    del _f

    def softplus(self) -> Tensor:
        """log(1 + e^x), a smooth ReLU; stable for large |x|."""
        return ops_nn.softplus(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """Limit the values to [min, max] (either may be None); PyTorch's name is clamp."""
        return ops.clip(self, min, max)

    clamp = clip

    def astype(self, dtype: Any) -> Tensor:
        """The data converted to ``dtype`` (``np.float32``, ``"float64"``, ``int``...).

        A float result keeps the gradient path; an integer or bool result is a step
        function and has no gradient (``requires_grad`` False, as PyTorch's ``.long()``).
        """
        return ops.astype(self, np.dtype(dtype))

    # --- reductions: dim=/keepdim= (PyTorch) or axis=/keepdims= (numpy), see spelling ------

    # reductions with one signature: (dim=None, keepdim=None, *, axis=..., keepdims=...)
    _r = spelling.reduction
    sum = _r("sum", ops.sum, "Sum over ``dim`` (None: everything).")
    mean = _r("mean", ops.mean, "Mean over ``dim`` (None: everything).")
    amax = _r("amax", ops.max, "Largest values over ``dim`` (ties share the gradient).")
    amin = _r("amin", ops.min, "Smallest values over ``dim`` (ties share the gradient).")
    argmax = _r("argmax", ops_index.argmax, "Position of the largest element along ``dim``.")
    argmin = _r("argmin", ops_index.argmin, "Position of the smallest element along ``dim``.")
    logsumexp = _r("logsumexp", ops_softmax.logsumexp, "log(sum(exp(x))) over ``dim``, stably.")
    all = _r("all", ops_index.all, "True where all elements (along ``dim``) are non-zero.")
    any = _r("any", ops_index.any, "True where any element (along ``dim``) is non-zero.")
    del _r

    def max(self, dim: Any = None, keepdim: bool | None = None, *, axis: Any = UNSET,
            keepdims: Any = UNSET, **wrong: Any) -> Any:
        """The largest element; ``x.max(dim)`` gives ``(values, indices)`` (PyTorch),
        ``x.max(axis=...)`` the values (numpy), ``x.max(other)`` the elementwise maximum."""
        return spelling.extreme(self, True, dim, keepdim, axis, keepdims, wrong)

    def min(self, dim: Any = None, keepdim: bool | None = None, *, axis: Any = UNSET,
            keepdims: Any = UNSET, **wrong: Any) -> Any:
        """The smallest element; as ``max`` (``(values, indices)`` with a dim)."""
        return spelling.extreme(self, False, dim, keepdim, axis, keepdims, wrong)

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool | None = None,
            *, correction: int | None = None, axis: Any = UNSET, ddof: int | None = None,
            keepdims: Any = UNSET, **wrong: Any) -> Tensor:
        """Variance: divided by n - 1 (PyTorch), or by n when spelled with ``axis=`` (numpy);
        ``ddof=``/``correction=``/``unbiased=`` choose explicitly (see spelling)."""
        axis, keepdims, ddof = spelling.var_args("var", self.shape, dim, unbiased, keepdim,
                                                 correction, axis, ddof, keepdims, wrong)
        return ops.var(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool | None = None,
            *, correction: int | None = None, axis: Any = UNSET, ddof: int | None = None,
            keepdims: Any = UNSET, **wrong: Any) -> Tensor:
        """Standard deviation, sqrt of ``var`` with the same arguments and rule."""
        axis, keepdims, ddof = spelling.var_args("std", self.shape, dim, unbiased, keepdim,
                                                 correction, axis, ddof, keepdims, wrong)
        return ops.std(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool | None = None, *,
             axis: Any = UNSET, keepdims: Any = UNSET, **wrong: Any) -> Tensor:
        """The p-norm over ``dim`` (default: Euclidean over everything); 1, 2, inf, ..."""
        axis, keepdims = spelling.axis_args("norm", dim, keepdim, axis, keepdims, wrong)
        return ops_math.norm(self, p, axis, keepdims)

    def softmax(self, dim: int | None = None, *, axis: Any = UNSET, **wrong: Any) -> Tensor:
        """exp(x) / sum(exp(x)) along ``dim`` (default: the last): scores to probabilities."""
        return ops_softmax.softmax(self, axis=spelling.one_axis("softmax", dim, axis, wrong))

    def log_softmax(self, dim: int | None = None, *, axis: Any = UNSET, **wrong: Any) -> Tensor:
        """log(softmax(x)) along ``dim`` (default: the last), computed stably."""
        axis = spelling.one_axis("log_softmax", dim, axis, wrong)
        return ops_softmax.log_softmax(self, axis=axis)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
        """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``."""
        return spelling.ValuesIndices(*ops_index.topk(self, k, dim, largest, sorted))

    def sort(self, dim: int = -1, descending: bool = False) -> Any:
        """``(values, indices)`` sorted along ``dim`` (a new tensor; numpy's sort is in place)."""
        n = self.shape[dim] if self.ndim else 1
        return spelling.ValuesIndices(*ops_index.topk(self, n, dim, descending))

    def unique(self, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
               return_counts: bool = False) -> Any:
        """The distinct values, sorted; with the inverse positions and counts if asked."""
        return ops_index.unique(self, return_inverse, return_counts)

    def nonzero(self, as_tuple: bool = False) -> Any:
        """Positions of the non-zero elements, (n, ndim) as PyTorch; ``as_tuple=True``: numpy's."""
        return ops_index.nonzero(self, as_tuple)

    # --- shape (tinygrad_dk.ops_shape) ---------------------------------------------------

    @property
    def T(self) -> Tensor:
        """Reversed axes, like ``ndarray.T``."""
        return ops_shape.transpose(self, None)

    def reshape(self, *sizes: Any, shape: Any = None, size: Any = None) -> Tensor:
        """The same numbers in a new shape: ``x.reshape(2, 3)``, ``x.reshape((2, 3))`` or by
        keyword (``shape=``, reshape's in PyTorch; ``size=``, view's)."""
        return ops_shape.reshape(self, spelling.sizes(sizes, size if shape is None else shape,
                                                      "shape"))

    view = reshape  # PyTorch's name (views and copies are alike here: see the guide)

    def view_as(self, other: Any) -> Tensor:
        """Reshaped to ``other``'s shape."""
        return ops_shape.reshape(self, tuple(np.shape(other)))

    reshape_as = view_as

    def transpose(self, *axes: Any, dim0: int | None = None, dim1: int | None = None) -> Tensor:
        """Two dims: swap them (PyTorch's ``transpose(0, 1)`` or ``transpose(dim0=0,
        dim1=1)``); a tuple, all the axes or none: permute them as ``ndarray.transpose``
        (none: reverse them)."""
        if dim0 is not None or dim1 is not None:
            axes = (*axes, *(d for d in (dim0, dim1) if d is not None))
        if len(axes) == 1 and axes[0] is None:  # numpy's a.transpose(None): reverse them
            axes = ()
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            return ops_shape.transpose(self, tuple(axes[0]))
        if len(axes) == 2:
            return ops_shape.swapaxes(self, *axes)
        return ops_shape.transpose(self, axes or None)

    def t(self) -> Tensor:
        """The transpose of a matrix (a vector stays as it is)."""
        return self if self.ndim < 2 else ops_shape.transpose(self, None)

    def permute(self, *order: Any, dims: Any = None) -> Tensor:
        """Reorder all the axes: ``x.permute(0, 2, 1)`` (or ``(0, 2, 1)``, or ``dims=``)."""
        return ops_shape.transpose(self, spelling.sizes(order, dims, "dims"))

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """Exchange two axes."""
        return ops_shape.swapaxes(self, axis1, axis2)

    def flatten(self, start_dim: int = 0, end_dim: int = -1, *,
                start_axis: int | None = None) -> Tensor:
        """Merge the axes from ``start_dim`` to ``end_dim`` into one (``start_axis`` is the
        old name of ``start_dim``)."""
        start = start_dim if start_axis is None else start_axis
        return ops_shape.reshape(self, spelling.flat_shape(self.shape, start, end_dim))

    def squeeze(self, dim: Any = None, *, axis: Any = UNSET) -> Tensor:
        """Drop axes of length 1: all, or the given ones. numpy (``axis=``) refuses a longer
        axis; PyTorch (``dim``) leaves it, see spelling."""
        if axis is not UNSET:
            return ops_shape.squeeze(self, axis)
        return ops_shape.squeeze(self, spelling.squeezable(self.shape, dim))

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert an axis of length 1 at ``dim``: ``(3,)`` -> ``(3, 1)`` with ``dim=1``."""
        return ops_shape.expand_dims(self, dim)

    def expand_dims(self, axis: Any) -> Tensor:
        """Insert an axis of length 1 at ``axis`` (numpy's name of ``unsqueeze``)."""
        return ops_shape.expand_dims(self, axis)

    def broadcast_to(self, shape: Any) -> Tensor:
        """Repeat along axes of length 1 to reach ``shape`` (numpy's broadcasting)."""
        return ops_shape.broadcast_to(self, tuple(shape))

    def expand(self, *sizes: Any, size: Any = None) -> Tensor:
        """PyTorch's ``broadcast_to``; -1 keeps a length: ``x.expand(4, -1)``."""
        return self.broadcast_to(spelling.expanded_shape(self.shape,
                                                         spelling.sizes(sizes, size)))

    def expand_as(self, other: Any) -> Tensor:
        """Broadcast to ``other``'s shape."""
        return self.broadcast_to(np.shape(other))

    # --- copies, dtypes and devices (PyTorch's names) -----------------------------------

    def clone(self) -> Tensor:
        """A copy that stays in the graph (its gradient flows back to this tensor)."""
        return ops_math.clone(self)

    def contiguous(self) -> Tensor:
        """The tensor itself when its elements sit row after row in memory (``is_contiguous``),
        else a row-major copy that stays in the graph (as PyTorch)."""
        return self if self._data.flags.c_contiguous else tensor_misc.contiguous(self)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to("cpu")``, ``to(device, dtype)`` or ``to(other)``; the tensor
        itself when nothing changes (as PyTorch)."""
        dtype = spelling.to_dtype(args, kwargs)
        return self if dtype is None or dtype == self.dtype else ops.astype(self, dtype)

    float, double, half = (spelling.cast("float32"), spelling.cast("float64"),  # noqa: A003
                           spelling.cast("float16"))
    long, int, bool = (spelling.cast("int64"), spelling.cast("int32"),  # noqa: A003
                       spelling.cast("bool"))

    def type(self, dtype: Any = None) -> Any:  # noqa: A003
        """With a dtype: converted to it (``x.type(torch.float)``); without: the dtype's name."""
        return f"tinygrad_dk.{self.dtype}" if dtype is None else self.to(dtype)

    def cpu(self) -> Tensor:
        """The tensor itself: everything lives on the CPU here."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """Always an error: there is no GPU here (see tinygrad_dk.device)."""
        device.check("cuda", "cuda")
        return self

    @property
    def device(self) -> Any:
        """Where the data lives: always the CPU."""
        return device.CPU

    # --- numbers out, PyTorch's names -------------------------------------------------------

    size = property(lambda self: spelling.SizeInt(self._data.shape),
                    doc="numpy's number of elements, also callable as PyTorch's size()/size(dim).")

    # PyTorch's names for the operators above (the many other PyTorch names: TorchNames)
    multiply, subtract, true_divide = mul, sub, __truediv__
    # comparisons by name: bool tensors, no gradient
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne
