"""``TensorBase``: a Tensor's data and bookkeeping, without its operations.

A Tensor is a numpy array (``_data``) plus what reverse mode needs: whether it
requires a gradient, its gradient, the operation that made it (``_ctx``, a
``primitive.Recorded``) and a version counter that detects changed data. This class
holds all of that and how a Tensor takes part in a backward pass; the operations a
Tensor offers (``x.exp()``, ``x @ w``, ``x.sum(axis=0)``) are the methods of
``tinygrad_dk.tensor.Tensor``, which builds on it. Keeping them apart means the
operations can be defined with ``Primitive`` without a circular import.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np

from tinygrad_dk import printing, saved_data
from tinygrad_dk.allocator import keep_freed_memory
from tinygrad_dk.dtypes import get_default_dtype
from tinygrad_dk.node import Node
from tinygrad_dk.saved_data import _EPOCH


def to_array(data: Any, dtype: Any) -> np.ndarray:
    """Apply the dtype policy: numpy keeps its dtype, Python numbers become float32."""
    if isinstance(data, TensorBase):
        arr = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
    else:
        if type(data).__name__ == "Value" or (
            isinstance(data, (list, tuple)) and any(type(v).__name__ == "Value" for v in data)
        ):
            raise TypeError(
                "Tensor(data): got scalar Value objects; the two engines do not mix. Use "
                "Tensor([v.data for v in values]) for a constant, or stay with Values"
            )
        try:
            arr = np.asarray(data)
        except ValueError as err:  # ragged nested lists
            raise ValueError(
                f"Tensor(data): {err}; every row of a nested list must have the same length"
            ) from None
        if arr.dtype != np.bool_ and dtype is None:
            arr = arr.astype(get_default_dtype()) if arr.dtype.kind in "iuf" else arr
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor(data): data of dtype {arr.dtype} is not numeric; give numbers, lists of "
            "numbers or a numeric numpy array (convert strings with float() first)"
        )
    return arr


@functools.lru_cache(maxsize=64)
def constant_vector(value: float, n: int, dtype: np.dtype) -> np.ndarray:
    """n copies of ``value`` as ``dtype``, read-only, made once per size: the ones of the
    sums ``1 @ g`` and the zeros of relu's ``max(x, 0)``."""
    vector = np.full(n, value, dtype)
    vector.flags.writeable = False
    return vector


def shape_of(a: Any) -> tuple:
    """``np.shape(a)``, without its dispatch cost (~0.5 us) for the usual numpy array."""
    return a.shape if type(a) is np.ndarray else np.shape(a)


def ndim_of(a: Any) -> int:
    """The number of axes of an array, a Tensor or a number (``np.ndim(raw(a))``), with
    no Python-level numpy call for the usual numpy array: derivatives ask this often."""
    if type(a) is np.ndarray:
        return a.ndim
    return np.ndim(a._data if isinstance(a, TensorBase) else a)


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` down to ``shape``: the one place where broadcasting is undone.

    When numpy broadcasts an input of shape (3, 1) against (3, 4), the input is
    used four times along axis 1, so its gradient is the sum over that axis. Axes
    numpy added at the front are summed away completely. ``.sum`` and ``.reshape``
    are methods numpy arrays and Tensors share, so this works in a plain backward
    pass (arrays) and in a recorded one (Tensors) alike.
    """
    gshape = shape_of(g)
    if gshape == shape:
        return g
    if len(gshape) == 2 and gshape[1:] == shape and gshape[0] > 1 \
            and type(g) is np.ndarray and g.dtype.kind == "f" and g.dtype.itemsize >= 4:
        # The usual case, a bias's gradient (N, C) -> (C,): the column sums as one
        # matrix-vector product 1 @ g, about 3x faster than numpy's g.sum(axis=0).
        return constant_vector(1.0, gshape[0], g.dtype) @ g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1
    )
    return (g.sum(axis=axes) if axes else g).reshape(shape)


class SliceGradient(NamedTuple):
    """The gradient of ``x[index]`` as it travels to ``x`` in a plain backward pass.

    ``getitem``'s derivative returns this instead of a full-size zero array with
    ``gradient`` written at ``index``: the receiving tensor adds it into place
    (``TensorBase._add_slice``). Only for basic indexes (ints, slices, ``...``,
    ``None``): they select a view, which touches each element at most once.
    """

    index: Any
    gradient: np.ndarray

    def dense(self, shape: tuple[int, ...]) -> np.ndarray:
        """The same gradient as a full array of ``shape``: zeros outside the slice."""
        out = np.zeros(shape, dtype=self.gradient.dtype)
        out[self.index] = self.gradient
        return out


def _stale_data_error(node: Any) -> RuntimeError:
    inputs = ", ".join(f"{p.label or 'a tensor'} of shape {p.shape}" for p in node.parents)
    return RuntimeError(
        f"backward through '{node.op}': an input of this operation ({inputs}) or its "
        "result was modified after the operation used it (assigned with .data = "
        "or copy_(), changed in place as in w -= ... inside no_grad(), written into element "
        "by element as in t.data[0] = 5 or np.copyto(t.data, ...), or updated by an "
        "optimizer step), so the gradient would "
        "be wrong. Change numbers only after backward() (as optimizers do), or run the "
        "forward pass again after changing them."
    )


class TensorBase(Node):
    """The data and bookkeeping of a Tensor (see the module docstring); use ``Tensor``."""

    __slots__ = ("_data", "_grad", "requires_grad", "label", "op", "parents", "_ctx",
                 "_version", "_watch", "_hooks", "__weakref__")  # _hooks: set by register_hook
    __array_ufunc__ = None  # make ndarray + Tensor call Tensor.__radd__ instead of numpy
    #: The class of what operations on this class return: None for the class itself
    #: (``nn.Parameter`` says ``Tensor``: ``w * 2`` is not a parameter).
    _result_class: Any = None
    __hash__ = object.__hash__  # __eq__ is elementwise, identity stays the hash

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, label: str = ""
    ) -> None:
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(
                f"Tensor(data, requires_grad): requires_grad must be True or False, got "
                f"{requires_grad!r}. (PyTorch's torch.Tensor(2, 3), an uninitialised 2x3 "
                "tensor, is written zeros(2, 3) or empty(2, 3) here)"
            )
        self._data = to_array(data, dtype)
        self._grad: Any = None
        self.label = label
        self.op = ""
        self.parents: tuple[TensorBase, ...] = ()
        self._ctx: Any = None
        self._version = 0
        self._watch: Any = None  # see tinygrad_dk.saved_data
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)
            if isinstance(data, (np.ndarray, TensorBase)) and np.shares_memory(
                    self._data, data._data if isinstance(data, TensorBase) else data):
                # A parameter owns its numbers: optimizers update it in place, and that
                # must never change the array the caller passed in (as torch.tensor).
                # (order="K": the copy keeps the layout, e.g. nn.Linear's column-major weight)
                self._data = self._data.copy(order="K")

    @classmethod
    def _from_op(cls, data: Any) -> Any:
        """Wrap an op's numpy result without the checks of ``__init__`` (hot path)."""
        cls = cls._result_class or cls
        out = cls.__new__(cls)
        out._data = data if type(data) is np.ndarray else np.asarray(data)
        out._grad = None
        out.requires_grad = False
        out.label = ""
        out.op = ""
        out.parents = ()
        out._ctx = None
        out._version = 0  # (_watch stays unset until an op saves it: see the data getter)
        return out

    def requires_grad_(self, requires_grad: bool = True) -> Any:
        """Switch gradient tracking on or off for a leaf tensor (in place); returns self."""
        if requires_grad and self._data.dtype.kind not in "f":
            raise TypeError(
                f"requires_grad=True needs floating-point data, but this tensor is "
                f"{self._data.dtype}; use Tensor(data, dtype=np.float32) (or float64), or keep "
                "integer data (labels, indices) without gradients"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) only works on leaves; use .detach()")
        self.requires_grad = bool(requires_grad)
        return self

    # --- data, grad, version --------------------------------------------------------

    @property
    def data(self) -> np.ndarray:
        """The numpy array (shared, not copied).

        Changing the numbers of a tensor that a recorded operation used, before
        backward() has run, would make backward compute a wrong gradient, so it is
        caught, whichever way it happens:

        * assigning ``t.data = new`` (also ``t.data -= lr * g``, which assigns) or
          ``t.copy_(new)`` moves a version counter;
        * writing into the elements (``t.data[0] = 5``, ``np.copyto(t.data, new)``,
          ``t.numpy()[:] = 0``) is seen because handing out the array of a tensor that
          is saved for backward keeps a copy of its numbers to compare with
          (``tinygrad_dk.saved_data``);

        and then ``backward()`` raises RuntimeError instead of returning a wrong
        gradient. Change numbers after ``backward()`` (as optimizers do), or compute the
        forward pass again after changing them. Not seen: writes through an array you
        took *before* the forward pass, or through ``detach()``.
        """
        w = getattr(self, "_watch", None)
        if w.__class__ is int and w == _EPOCH[0]:  # saved for backward: keep a copy
            saved_data.watch(self)
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        # Replacing data (also `t.data -= lr * g`, which assigns) bumps the version,
        # so a graph that saved the old values refuses to backpropagate wrong numbers.
        new = np.asarray(value._data if isinstance(value, TensorBase) else value)
        if new.shape != self._data.shape and self._ctx is not None:
            raise ValueError("cannot change the shape of a non-leaf tensor's data")
        self._data = new
        self._version += 1

    @property
    def grad(self) -> Any:
        """d(output)/d(self) after ``backward()``, or None. Same shape and dtype as data."""
        g = self._grad
        if g is not None and not isinstance(g, TensorBase):
            # An interior node keeps the raw array that backprop passed through it, which
            # may be shared with other nodes (or be the caller's gradient= array); copy it
            # once, when someone actually looks, so the .grad you get is yours alone.
            g = self._grad = type(self)._from_op(np.array(g, copy=True))
        return g

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is not None and not isinstance(value, TensorBase):
            value = type(self)._from_op(np.asarray(value))
        self._grad = value

    # --- numpy-like properties ---------------------------------------------------

    shape = property(lambda self: self._data.shape, doc="Shape tuple, as numpy.")
    ndim = property(lambda self: self._data.ndim, doc="Number of dimensions.")
    size = property(lambda self: self._data.size, doc="Number of elements.")
    dtype = property(lambda self: self._data.dtype, doc="numpy dtype.")

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor; use .item() to get its number")
        return len(self._data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = self.data  # watched like .data (np.asarray(t)[0] = 5 is a write too)
        return data if dtype is None else data.astype(dtype)

    def __bool__(self) -> bool:
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def item(self) -> float | int | bool:
        """The single number in a one-element tensor, as a Python scalar."""
        if self._data.size != 1:
            raise ValueError(
                f"item(): tensor has {self._data.size} elements (shape {self.shape}); only a "
                "one-element tensor converts to a Python number. Reduce it first (e.g. .sum())"
            )
        return self._data.item()

    def tolist(self) -> Any:
        """The numbers as (nested) Python lists, or one number for a 0-d tensor."""
        return self._data.tolist()

    def dim(self) -> int:
        """The number of dimensions (PyTorch's name of ``ndim``)."""
        return self._data.ndim

    def is_floating_point(self) -> bool:
        """True for float16/32/64 data (the kind that can require grad)."""
        return self._data.dtype.kind == "f"

    def retain_grad(self) -> None:
        """Nothing to do: computed tensors show their gradient after backward() anyway."""

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:  # classes[t] with a one-element integer tensor, as PyTorch
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError(f"only a one-element integer tensor can be used as an index, got "
                            f"dtype {self._data.dtype} and shape {self.shape}")
        return int(self.item())

    def __format__(self, spec: str) -> str:
        if spec and self._data.size == 1:
            return format(self.item(), spec)  # f"{loss:.4f}", as PyTorch
        return format(str(self), spec)

    def detach(self) -> Any:
        """The same data as a new leaf without history (shares memory)."""
        return type(self)._from_op(self._data)

    def __repr__(self) -> str:
        body = printing.array_text(self._data, "Tensor(")  # (set_printoptions)
        extras = []
        if self._data.dtype != get_default_dtype():
            extras.append(f"dtype={self._data.dtype}")
        if self.op:
            extras.append(f"op={self.op!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.label:
            extras.append(f"label={self.label!r}")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"

    # --- the parameter surface (see tinygrad_dk.node) --------------------------------

    def numel(self) -> int:
        return int(self._data.size)

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shared memory; ``.copy()`` it to keep it).

        Writing into it before ``backward()`` is caught as for ``.data``."""
        return self.data

    def grad_numpy(self) -> np.ndarray | None:
        g = self._grad
        return None if g is None else np.asarray(g._data if isinstance(g, TensorBase) else g)

    def copy_(self, values: Any) -> Any:
        """Write ``values`` into the data in place (cast to its dtype, broadcast to its shape).

        Optimizers and ``load_state_dict`` use it; it bumps the version counter, so
        a graph recorded before refuses to backpropagate the new numbers.
        """
        src = np.asarray(values._data if isinstance(values, TensorBase) else values)
        if src is not self._data:
            if not self._data.flags.writeable:  # e.g. a broadcast view: own the memory first
                self._data = self._data.copy()
            np.copyto(self._data, src, casting="unsafe")
        self._version += 1
        return self

    # --- how a Tensor takes part in a backward pass (tinygrad_dk.backward) -------------

    def _before_backward(self) -> None:
        saved_data.check_writes()  # numbers written into since the forward pass?

    def _seed(self, gradient: Any, create_graph: bool) -> Any:
        # Training has started: let malloc keep the memory of a step's arrays for the next
        # step instead of handing it back to the OS (once per process; tinygrad_dk.allocator)
        keep_freed_memory()
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward(): the output has shape {self.shape}, so its gradient is "
                    "ambiguous; reduce it to one number first (e.g. loss = out.sum() or "
                    ".mean()), or pass gradient= an array of the same shape"
                )
            g: Any = np.ones_like(self._data)
        else:
            g = gradient._data if isinstance(gradient, TensorBase) and not create_graph \
                else gradient
            if np.shape(g) != self.shape:
                raise ValueError(
                    f"backward(): gradient has shape {np.shape(g)} but the output has shape "
                    f"{self.shape}; they must match"
                )
            if not isinstance(g, TensorBase):
                g = np.asarray(g, dtype=self._data.dtype)
        if create_graph and not isinstance(g, TensorBase):
            g = type(self)._from_op(g)
        return g

    def _backward(self, pass_: Any) -> None:
        """The chain rule through the op that made this tensor: each input that wants a
        gradient gets the op's vector-Jacobian product of this tensor's gradient."""
        g = self._grad
        if g is None:  # no gradient reached this node
            return
        prim, args, arrays, kwargs, needs_grad, versions, residual = self._ctx
        # (a tensor changed in place counts too: see tinygrad_dk.inplace)
        now = self._version
        for parent in self.parents:
            now += parent._version
        if now != versions:
            raise _stale_data_error(self)
        if pass_.create_graph:  # recorded: the vjps run on Tensors and build a graph
            vals, out = args, self
        else:  # plain: the vjps run on the arrays the forward pass saw (same versions)
            vals, out = arrays, self._data
            if residual is not None:  # and get what the forward saved for them
                kwargs = {**kwargs, "residual": residual}
        if prim.vjp_all is not None:
            grads = prim.vjp_all(g, out, *vals, **kwargs)
            for i in needs_grad:
                if grads[i] is not None:
                    args[i]._add_grad(grads[i], pass_)
            return
        try:
            # The last argument first: the first one is usually the data flowing down the
            # network (x of linear(x, W, b)), whose gradient the next node reads at once;
            # computed last, it is still in the cache then (W3s's backward: ~20 us a step).
            for i in reversed(needs_grad):
                vjp = prim.vjps[i]
                if vjp is not None:
                    args[i]._add_grad(vjp(g, out, *vals, **kwargs), pass_)
        except IndexError:
            if i < len(prim.vjps):
                raise
            raise TypeError(
                f"backward through '{prim.name}': argument {i} requires grad, but the "
                f"primitive has only {len(prim.vjps)} vjp(s); give one vjp per argument "
                "(None for an argument without a gradient), or vjp_all"
            ) from None

    def _add_grad(self, g: Any, pass_: Any) -> None:
        """Receive a gradient: sum out broadcasting, match the dtype, add it in."""
        if type(g) is SliceGradient:
            self._add_slice(g, pass_)
            return
        data = self._data
        if getattr(g, "shape", None) != data.shape:
            g = unbroadcast(g, data.shape)
        if g.dtype is not data.dtype and g.dtype != data.dtype:
            g = g.astype(data.dtype)
        if self._ctx is not None:  # a computed node: sum this pass's contributions
            grad = self._grad
            if grad is None:
                self._grad = g
            elif pass_.sums.get(id(self)) is grad:  # an array of our own: add in place
                grad += g
            else:  # the second contribution: the sum is a new array, ours from now on
                self._grad = self._own_sum(grad + g, pass_)
        elif self.requires_grad:  # a leaf: accumulate across passes
            self._accumulate(g, pass_.owners)

    def _own_sum(self, grad: Any, pass_: Any) -> Any:
        """Register ``grad``, just allocated for this node, as the array its later
        contributions are added into in place (a plain pass's writable arrays only)."""
        if not pass_.create_graph and type(grad) is np.ndarray:
            pass_.sums[id(self)] = grad
        return grad

    def _add_slice(self, part: SliceGradient, pass_: Any) -> None:
        """Receive the gradient of a slice of this tensor (``x[i]``, ``x[:, 2:5]``).

        It goes straight into its place in a gradient array of this node's own, instead
        of into a zero array of full size that is then added to the rest: an LSTM
        takes four slices of its gates at every time step.
        """
        if self._ctx is None:  # a leaf keeps the usual path (it accumulates across passes)
            self._add_grad(part.dense(self._data.shape), pass_)
            return
        grad, data = self._grad, self._data
        if grad is None or pass_.sums.get(id(self)) is not grad:
            grad = (np.zeros(data.shape, data.dtype) if grad is None
                    else np.array(grad, dtype=data.dtype))  # a copy: it may be shared
            self._grad = self._own_sum(grad, pass_)
        view = grad[part.index]
        if type(view) is np.ndarray:  # a view: basic indexes never copy
            view += part.gradient  # (not grad[index] += ..., which copies the view onto itself)
        else:  # one element (x[1, 0]): numpy hands out a number, so write the sum back
            grad[part.index] = view + part.gradient

    def _accumulate(self, g: Any, owners: set[int]) -> None:
        """Add ``g`` into a leaf's ``.grad``, never sharing memory with other arrays."""
        if isinstance(g, TensorBase):  # create_graph=True: keep the graph of the gradient
            self._grad = g if self._grad is None else self.grad + g
        elif self._grad is None:
            self._grad = type(self)._from_op(g if _claim(g, owners)
                                             else np.array(g, dtype=self._data.dtype))
        else:
            self._grad = type(self)._from_op(self.grad._data + g)

    def _reset_grad(self) -> None:
        self._grad = None

    zero_grad = _reset_grad  # the parameter surface's name (one call less per parameter)

    @staticmethod
    def _reset_grads(nodes: list) -> None:
        for node in nodes:  # one loop per pass, not one method call per node
            node._grad = None

    def _raw_grad(self) -> Any:
        return self._grad

    def _set_raw_grad(self, g: Any) -> None:
        self._grad = g


def _claim(g: Any, owners: set[int]) -> bool:
    """True when a leaf may keep ``g`` without copying: nobody else uses its memory."""
    if type(g) is not np.ndarray or not g.flags.writeable:
        return False
    owner = id(g if g.base is None else g.base)
    if owner in owners:
        return False
    owners.add(owner)
    return True
