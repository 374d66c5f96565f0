"""``Primitive``: how the Tensor engine defines an operation, forward and derivative together.

An operation is a forward function on numpy arrays plus one vector-Jacobian product
(vjp) per argument: given the gradient ``g`` of the output, the vjp returns the
gradient of that argument::

    exp = Primitive("exp", np.exp, lambda g, out, x: g * out)      # d e^x = e^x

``vjps[i](g, out, *args, **kwargs)`` gets the output gradient, the output and the
arguments; ``None`` in place of a vjp marks an argument without a gradient (an index,
a mask). For ops with any number of tensor arguments (concatenate, stack),
``vjp_all`` returns every argument's gradient at once instead.

A forward may compute on its way something its derivative needs again (the softmax
of a cross-entropy). With ``residual=True`` it returns ``(result, residual)``: the
residual is kept with the recorded op and handed to the vjps of a plain backward
pass as the keyword ``residual=``, so the derivative need not compute it again. A
recorded backward (``create_graph=True``) gets no residual: it computes from the
Tensors, so that the derivative itself can be differentiated.

Calling a primitive runs the forward on the arrays inside the arguments and, when
an argument requires grad and recording is on (not in ``no_grad()``), records a
``Recorded`` context on the output: what ``backward`` needs to come back. The
backward step through a recorded op is ``TensorBase._backward``.

Two details make the engine both fast and able to take second derivatives:

* Called with no Tensor among its arguments, a primitive simply returns the numpy
  result. The vjps are written with these same primitives and with methods numpy
  arrays and Tensors share (``.sum``, ``.reshape``, ``@``), so a plain backward pass
  runs them on bare arrays (fast), while ``backward(create_graph=True)`` runs them on
  Tensors, which records the backward pass itself as a graph.
* vjps return gradients in the broadcast shape: the Tensor receiving a gradient
  (``TensorBase._add_grad``) sums it down to its own shape, the one place where
  broadcasting is undone.

``tinygrad_dk.Function`` (PyTorch's ``autograd.Function`` style) is built on this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from tinygrad_dk import grad_mode, saved_data
from tinygrad_dk.quiet import (
    inner_of,
    quiet,  # noqa: F401  (ops import it from here)
    warnings_back,
    warnings_off,
)
from tinygrad_dk.saved_data import _EPOCH, _watched
from tinygrad_dk.tensor_base import TensorBase
from tinygrad_dk.value import Value

Vjp = Callable[..., Any]
_without_grad = grad_mode.THREADS_WITHOUT_GRAD  # empty unless some thread is in no_grad()
_new_tuple = tuple.__new__


class Recorded(NamedTuple):
    """What an output Tensor remembers about the operation that made it.

    ``versions`` is the sum of the inputs' version counters when the op ran: backward
    compares it with the sum now, to refuse gradients computed from changed data.
    """

    primitive: Primitive
    args: tuple
    arrays: tuple  # the args with each Tensor's numpy data in its place (for plain backward)
    kwargs: dict
    needs_grad: tuple[int, ...]  # positions of the arguments that want a gradient
    versions: int
    residual: Any = None  # what the forward saved for a plain backward (``residual=True``)


def raw(x: Any) -> Any:
    """The numpy data of a Tensor; anything else passes through unchanged.

    For constants inside derivatives, such as the mask ``raw(x) > 0`` of relu: a
    computation on raw data is not recorded, so it carries no gradient.
    """
    return x._data if isinstance(x, TensorBase) else x


def _describe(a: Any) -> str:
    shape = getattr(a, "shape", None)
    if shape is None:
        return type(a).__name__
    return f"{type(a).__name__} of shape {tuple(shape)} and dtype {a.dtype}"


def _explain(op: str, err: Exception, args: tuple) -> Exception:
    """The forward's error, with the op's name and its operands (and a hint for None)."""
    shapes = ", ".join(_describe(a) for a in args)
    if isinstance(err, TypeError):
        odd = [a for a in args if a is None or not isinstance(
            a, (TensorBase, np.ndarray, np.generic, int, float, bool, list, tuple, slice))]
        if odd:
            what = "None (NoneType)" if odd[0] is None else f"a {type(odd[0]).__name__}"
            hint = (" (a function that forgot to `return` its result gives None)"
                    if odd[0] is None else "")
            return TypeError(
                f"{op}: one operand is {what}, not a number or an array{hint}; Tensor "
                f"operations take Tensors, numbers and numpy arrays (arguments: {shapes})"
            )
    message = str(err)
    if not message.startswith(f"{op}:"):  # a forward's own clear error names the op already
        message = f"{op}: {message}"
    return type(err)(f"{message} (arguments: {shapes})")


def _plain_scalar(a: Any, op: str) -> Any:
    """A numpy scalar as the Python number it holds (strings and Values are refused).

    A Python number never changes a tensor's dtype (float32 * 2.0 stays float32), but
    numpy's float64 scalars would (np.sqrt(2) is one): float32 * np.float64(1.41) would
    silently become float64. PyTorch treats numpy scalars as numbers; so do we.
    """
    if isinstance(a, (str, np.str_, np.bytes_, Value)):
        _reject(a, op)
    return a.item() if isinstance(a, np.generic) else a


def _replace(args: tuple, i: int, a: Any) -> tuple:
    return args[:i] + (a,) + args[i + 1:]


def _reject(a: Any, op: str) -> None:
    if isinstance(a, Value):
        raise TypeError(
            f"{op}: cannot mix a scalar Value with a Tensor; use Tensor(value.data) to make "
            "a constant, or keep the whole computation in one engine"
        )
    raise TypeError(f"{op}: got the string {a!r}; Tensor operations need numbers or arrays")


class Primitive:
    """An operation: a numpy forward function and one vjp per argument (see the module)."""

    __slots__ = ("name", "forward", "vjps", "vjp_all", "residual", "_quiet_forward")

    def __init__(self, name: str, forward: Callable[..., Any], *vjps: Vjp | None,
                 vjp_all: Callable[..., list] | None = None, residual: bool = False) -> None:
        self.name = name
        self.forward = forward
        # A forward wrapped in quiet(): the function inside, called with the warnings
        # switched off here (see quiet.inner_of). Set once: forward is fixed from now on.
        self._quiet_forward = inner_of(forward)
        self.vjps = vjps
        self.vjp_all = vjp_all
        self.residual = residual  # forward returns (result, residual): see the module

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for a in args:
            if isinstance(a, TensorBase):
                break
        else:  # no Tensor among the arguments (as in a plain backward pass)
            try:
                data = self.forward(*args, **kwargs)  # bare numpy in, bare numpy out
            except AttributeError as err:  # a Python number or list where arrays belong
                raise TypeError(
                    f"{self.name}: expected a Tensor, got "
                    f"{', '.join(type(a).__name__ for a in args)}; make one first, e.g. "
                    f"tinygrad_dk.tensor(...)") from err
            return data[0] if self.residual else data
        # Arrays handed out while saved for backward (rare) are compared before this op
        # reads the versions: written into, their version moves on (tinygrad_dk.saved_data).
        watched = _watched and saved_data.before_record(args)
        arrays, parents, needs_grad, versions, constants = [], [], [], 0, False
        epoch = _EPOCH[0]
        for a in args:  # (len(arrays) is a's position: one array per argument)
            if isinstance(a, TensorBase):
                if a.requires_grad:
                    needs_grad.append(len(arrays))
                    a._watch = epoch  # saved for backward: see tinygrad_dk.saved_data
                else:
                    constants = True
                arrays.append(a._data)
                parents.append(a)
                versions += a._version
            else:
                # (a Python number, the usual case, skips the isinstance check)
                if type(a) is not float and type(a) is not int and isinstance(
                        a, (str, Value, np.generic)):  # rare, so tested together
                    a = _plain_scalar(a, self.name)
                    args = _replace(args, len(arrays), a)
                arrays.append(a)
        try:
            if self._quiet_forward is None:
                data = self.forward(*arrays, **kwargs)
            else:  # what quiet(forward) does, without the wrapper's call
                token = warnings_off()
                try:
                    data = self._quiet_forward(*arrays, **kwargs)
                finally:
                    warnings_back(token)
        except (ValueError, IndexError, TypeError) as err:  # name the op and the operands
            raise _explain(self.name, err, args) from None
        residual = None
        if self.residual:
            data, residual = data
        # The output Tensor. Made here rather than by TensorBase._from_op (this runs once
        # per op): the same fields, each set once, to the recorded op's values or empty.
        cls = parents[0]._result_class or type(parents[0])
        out = cls.__new__(cls)
        out._data = data if type(data) is np.ndarray else np.asarray(data)
        out._grad = None
        out.label = ""
        out._version = 0
        # Record the op when an input wants a gradient, unless inside no_grad(); an integer
        # result (astype(int), a comparison) is a step function: it has no gradient.
        if needs_grad and (not _without_grad or grad_mode.is_grad_enabled()) \
                and out._data.dtype.kind == "f":
            out.requires_grad = True
            out.op = self.name
            out.parents = tuple(parents)
            out._watch = epoch  # derivatives read the result too (exp, sigmoid, ...)
            if constants:  # and the Tensors without a gradient (data, targets)
                for p in parents:
                    p._watch = epoch
            # tuple.__new__ builds the named tuple without NamedTuple's Python-level
            # __new__ (this line runs once per recorded op, so it is worth the shortcut)
            out._ctx = _new_tuple(Recorded, (self, args, tuple(arrays), kwargs,
                                             tuple(needs_grad), versions, residual))
        else:  # a constant: no gradient, no history (_watch stays unset, as in _from_op)
            out.requires_grad = False
            out.op = ""
            out.parents = ()
            out._ctx = None
        if watched:
            saved_data.keep_watching(watched)
        return out
