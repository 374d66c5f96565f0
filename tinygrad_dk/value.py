"""The scalar engine: one ``Value`` is one number and one node of the graph.

Every operation creates a new ``Value`` that remembers

* ``parents``: the Values it was computed from, and
* ``_local``: the local derivative d(out)/d(parent) for each parent, computed
  right next to the forward formula while the inputs are at hand.

Backpropagation then only has to apply the chain rule, ``parent.grad += local *
node.grad`` for every edge (``Value._backward``); the walk from the output back to
the inputs and its rules (leaves accumulate, computed nodes show the latest pass)
are shared with the Tensor engine in ``tinygrad_dk.backward``. No closure is stored
per node, which keeps nodes small and the backward loop fast.

Because the local derivatives are numbers computed when the operation runs, a
Value's backward pass can never see changed data (assigning ``v.data`` later does
not change what was recorded), so the Value engine needs no stale-data check; and
because they are plain floats, Values give first derivatives only (for second
derivatives use Tensors with ``create_graph=True``).

Numbers follow IEEE rules, as NumPy and PyTorch do: ``exp(1000)`` is ``inf``,
``log(0)`` is ``-inf``, ``log(-1)`` is ``nan``. Python's ``math`` module raises
exceptions in those cases instead; ``tinygrad_dk.scalar_math`` translates.
"""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Iterable
from typing import Any

import numpy as np

from tinygrad_dk import grad_mode
from tinygrad_dk.node import Node
from tinygrad_dk.scalar_math import FLAT, ieee_log1p, ieee_sqrt
from tinygrad_dk.scalar_math import ieee_div as _div
from tinygrad_dk.scalar_math import ieee_exp as _exp
from tinygrad_dk.scalar_math import ieee_log as _log
from tinygrad_dk.scalar_math import ieee_pow as _pow
from tinygrad_dk.scalar_math import pow_slope as _pow_slope
from tinygrad_dk.scalar_math import stable_sigmoid as _sigmoid

Number = int | float


def _check_number(data: Any, what: str) -> float:
    if isinstance(data, Value):
        raise TypeError(f"{what}: got a Value; use it directly instead of wrapping it again")
    if type(data).__name__ == "Tensor":
        raise TypeError(
            f"{what}: cannot mix a Tensor with the scalar Value engine; use Tensors for "
            "arrays, or take a single number out with tensor.item()"
        )
    is_numpy_scalar = hasattr(data, "dtype") and getattr(data, "shape", None) == ()
    if isinstance(data, numbers.Real) or is_numpy_scalar:
        try:
            return float(data)
        except (TypeError, ValueError):
            pass
    raise TypeError(
        f"{what}: expected a real number (int, float or numpy scalar), got "
        f"{type(data).__name__} {data!r:.60}; for arrays use tinygrad_dk.Tensor"
    )


def _as_value(x: Any) -> Value:
    """Turn a plain number into a constant leaf Value (Values pass through)."""
    if isinstance(x, Value):
        return x
    if type(x) is not float and type(x) is not int:  # the common case skips the checks
        x = _check_number(x, "Value arithmetic")
    return _node(float(x), (), "", None)  # local None: a constant, no gradient to show


_without_grad = grad_mode.THREADS_WITHOUT_GRAD  # empty unless some thread is in no_grad()
_get_ident = threading.get_ident


def _node(data: float, parents: tuple, op: str, local: tuple | None) -> Value:
    """Create a computed node without going through ``__init__`` (hot path).

    Inside ``no_grad()`` nothing is recorded: the result is a constant leaf.
    """
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _without_grad and _get_ident() in _without_grad:  # no_grad() in this thread
        parents, op, local = (), "", None
    out.op = op
    out.parents = parents
    out._local = local
    return out


class _SecondDerivative:
    """The local derivative of a gradient returned by ``grad()`` for Values.

    Values store their local derivatives as plain numbers, so a gradient is a number
    without a graph of its own. Multiplying by this object, which the backward loop does
    when it reaches such a gradient, raises instead of silently treating it as a constant.
    """

    def __mul__(self, other: Any) -> float:
        raise RuntimeError(
            "cannot differentiate a gradient of Values: the scalar engine records first "
            "derivatives only. For second derivatives use Tensors, e.g. "
            "grad(lambda x: grad(f)(x).sum())(Tensor(x, dtype=np.float64))"
        )

    __rmul__ = __mul__


SECOND_DERIVATIVE = _SecondDerivative()


class Value(Node):
    """A scalar that records how it was computed, so it can be differentiated.

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b + a
    >>> c.backward()
    >>> a.grad, b.grad   # dc/da = b + 1, dc/db = a
    (-2.0, 2.0)

    A Value made by hand is a leaf that gets a gradient (``requires_grad`` is True);
    the numbers that arithmetic wraps automatically (the 2 in ``2 * a``) are constants
    (``requires_grad`` False). As a node it is a 0-d float64: ``shape == ()``.
    """

    __slots__ = ("data", "grad", "label", "op", "parents", "_local")

    shape: tuple[int, ...] = ()
    ndim = 0
    dtype = np.dtype(np.float64)

    def __init__(self, data: Number, label: str = "") -> None:
        self.data: float = _check_number(data, "Value(data)")
        self.grad: float = 0.0
        self.label: str = label
        self.op: str = ""  # '' marks a leaf: an input, a parameter or a constant
        self.parents: tuple[Value, ...] = ()
        self._local: tuple[float, ...] | None = ()  # None marks a constant (see below)

    @property
    def requires_grad(self) -> bool:
        """Does this Value get a gradient? False for a constant: a number that arithmetic
        wrapped (the 2 in ``2 * a``), a result computed inside ``no_grad()``, or a leaf
        switched off with ``requires_grad = False``. Stored without a slot of its own: a
        constant is the Value whose tuple of local derivatives is None."""
        return self._local is not None

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if self.parents:
            raise RuntimeError("requires_grad can only be changed on a leaf Value (one made "
                               "with Value(x)), not on a computed one")
        self._local = () if flag else None

    def __repr__(self) -> str:
        name = f"label={self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    def __float__(self) -> float:
        return self.data

    # --- arithmetic: forward value and local derivatives side by side ---------

    def __add__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        return _node(self.data + other.data, (self, other), "+", (1.0, 1.0))

    def __mul__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        return _node(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __pow__(self, other: Value | Number) -> Value:
        x = self.data
        if isinstance(other, Value):
            e = other.data
            out = _pow(x, e, number_exponent=False)
            # d/dx x^e = e x^(e-1);  d/de x^e = x^e ln x  (taken as 0 where x = 0, e >= 0)
            d_e = 0.0 if x == 0 and e >= 0 else out * _log(x)
            return _node(out, (self, other), "**", (_pow_slope(x, e, False), d_e))
        e = _check_number(other, "Value ** exponent")
        return _node(_pow(x, e), (self,), f"**{e:g}", (_pow_slope(x, e),))

    def __rpow__(self, base: Number) -> Value:
        return _as_value(base) ** self

    def __truediv__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        a, b = self.data, other.data
        out = _div(a, b)
        # d(a/b)/da = 1/b,  d(a/b)/db = -a/b^2, computed as -(a/b)/b: a/b^2 would overflow
        # or underflow (a = b = 1e-170 gives -1e170, not -inf)
        return _node(out, (self, other), "/", (_div(1.0, b), -_div(out, b)))

    def __neg__(self) -> Value:
        return _node(-self.data, (self,), "neg", (-1.0,))

    def __sub__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        return _node(self.data - other.data, (self, other), "-", (1.0, -1.0))

    def __radd__(self, other: Number) -> Value:
        return _as_value(other) + self

    def __rsub__(self, other: Number) -> Value:
        return _as_value(other) - self

    def __rmul__(self, other: Number) -> Value:
        return _as_value(other) * self

    def __rtruediv__(self, other: Number) -> Value:
        return _as_value(other) / self

    # --- functions of one Value ----------------------------------------------

    def exp(self) -> Value:
        out = _exp(self.data)
        return _node(out, (self,), "exp", (out,))  # d/dx e^x = e^x

    def log(self) -> Value:
        x = self.data
        return _node(_log(x), (self,), "log", (_div(1.0, x),))  # d/dx ln x = 1/x

    def log1p(self) -> Value:
        """log(1 + x), exact for tiny x (log1p(1e-40) is 1e-40, log(1 + 1e-40) is 0)."""
        x = self.data
        # d/dx log(1 + x) = 1 / (1 + x)
        return _node(ieee_log1p(x), (self,), "log1p", (_div(1.0, 1.0 + x),))

    def sqrt(self) -> Value:
        out = ieee_sqrt(self.data)
        return _node(out, (self,), "sqrt", (_div(0.5, out),))  # 1 / (2 sqrt x)

    def abs(self) -> Value:
        x = self.data
        sign = 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)
        return _node(abs(x), (self,), "abs", (sign,))

    def tanh(self) -> Value:
        t = math.tanh(self.data)  # math.tanh saturates to +-1, it never overflows
        return _node(t, (self,), "tanh", (1.0 - t * t,))

    def sigmoid(self) -> Value:
        s = _sigmoid(self.data)
        return _node(s, (self,), "sigmoid", (s * (1.0 - s),))

    def softplus(self) -> Value:
        """log(1 + e^x), a smooth ReLU; its slope is sigmoid(x)."""
        x = self.data
        # max(x, 0) + log(1 + e^-|x|): exp never sees a positive number, so no overflow
        out = max(x, 0.0) + math.log1p(_exp(-abs(x)))
        return _node(out, (self,), "softplus", (_sigmoid(x),))

    def relu(self) -> Value:
        x = self.data
        if x > 0 or x != x:  # positive, or nan (which stays nan, as in PyTorch)
            return _node(x, (self,), "relu", (1.0,))
        return _node(0.0, (self,), "relu", (FLAT,))  # flat: 0 even for an inf gradient

    def leaky_relu(self, alpha: float = 0.01) -> Value:
        x = self.data
        if x > 0:
            return _node(x, (self,), "leaky_relu", (1.0,))
        return _node(alpha * x, (self,), "leaky_relu", (alpha,))

    @staticmethod
    def weighted_sum(weights: list[Value], inputs: Iterable[Value | Number], bias: Value) -> Value:
        """The neuron's z = sum_i w_i x_i + b as ONE node.

        Mathematically the same as ``sum(w * x for ...) + b``, but builds one node
        with 2n + 1 parents instead of 2n small ones, which makes scalar networks
        several times faster. Local derivatives: dz/dw_i = x_i, dz/dx_i = w_i, dz/db = 1.
        """
        # (the type test skips a call per input: in a hidden layer every input is a Value)
        xs = [x if type(x) is Value else _as_value(x) for x in inputs]
        if len(xs) != len(weights):
            raise ValueError(
                f"weighted_sum: {len(weights)} weights but {len(xs)} inputs; the neuron expects "
                f"exactly {len(weights)} input values"
            )
        x_data = [x.data for x in xs]
        w_data = [w.data for w in weights]
        z = bias.data
        for w, x in zip(w_data, x_data):
            z += w * x
        return _node(z, (*weights, *xs, bias), "Σwx+b", (*x_data, *w_data, 1.0))

    @staticmethod
    def binary_cross_entropy(p: Value, y: Value | Number) -> Value:
        """-(y log p + (1 - y) log(1 - p)) as ONE node, with PyTorch's rules at the edges.

        Each log is clamped at -100, so p = 0 or 1 gives a large finite loss, and the
        slope d/dp = (p - y) / (p (1 - p)) keeps its denominator >= 1e-12, so it stays
        a large finite number there too (as ``tinygrad_dk.binary_cross_entropy`` for
        Tensors). d/dy = log(1 - p) - log(p), with the same clamps.
        """
        y = _as_value(y)
        pv, yv = p.data, y.data
        log_p = max(_log(pv), -100.0)
        log_1mp = max(ieee_log1p(-pv), -100.0)
        out = -(yv * log_p + (1.0 - yv) * log_1mp)
        d_p = _div(pv - yv, max(pv * (1.0 - pv), 1e-12))
        return _node(out, (p, y), "bce", (d_p, log_1mp - log_p))

    # --- the parameter surface (see tinygrad_dk.node) --------------------------------

    def numel(self) -> int:
        return 1

    def numpy(self) -> np.ndarray:
        """The number as a 0-d float64 array (a copy: Values hold a Python float)."""
        return np.array(self.data)

    def item(self) -> float:
        """The number, as ``loss.item()`` gives it for a one-element Tensor."""
        return float(self.data)

    def grad_numpy(self) -> np.ndarray | None:
        """The gradient as a 0-d float64 array; None for a constant."""
        return np.array(self.grad) if self.requires_grad else None

    def copy_(self, values: Any) -> Value:
        """Set the number to ``values`` (a number or a one-element array); returns self."""
        self.data = float(np.asarray(values).reshape(()))
        return self

    # --- reverse mode (the walk itself is tinygrad_dk.backward.backprop) --------------

    def _seed(self, gradient: Any, create_graph: bool) -> float:
        if create_graph:
            raise RuntimeError(
                "backward(create_graph=True): the scalar Value engine records first "
                "derivatives only; use Tensors for second derivatives"
            )
        return 1.0 if gradient is None else _check_number(gradient, "backward(gradient)")

    def _backward(self, pass_: Any) -> None:
        # The chain rule for one node: each parent gets local derivative * my gradient.
        g = self.grad
        for parent, local in zip(self.parents, self._local):
            parent.grad += local * g

    def _add_grad(self, g: float, pass_: Any) -> None:
        self.grad += g

    def _reset_grad(self) -> None:
        self.grad = 0.0

    zero_grad = _reset_grad  # the parameter surface's name (one call less per parameter)

    @staticmethod
    def _reset_grads(nodes: list) -> None:
        for node in nodes:  # one loop per pass, not one method call per node
            node.grad = 0.0

    def _raw_grad(self) -> float:
        return self.grad

    def _set_raw_grad(self, g: float) -> None:
        self.grad = g

    def __abs__(self) -> Value:
        return self.abs()


def zero_grad(params: Iterable[Node]) -> None:
    """Reset the gradients of a collection of Values (to 0.0) or Tensors (to None)."""
    for p in params:
        p.zero_grad()
