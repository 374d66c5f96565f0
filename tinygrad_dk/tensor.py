"""The array engine: a ``Tensor`` is a numpy array that records how it was computed.

The class itself holds data and bookkeeping; the operations live in
``tinygrad_dk.ops`` (forward formula and derivative side by side) and the
recording and backward walk in ``tinygrad_dk.autograd``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk import autograd


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """Apply the dtype policy: numpy keeps its dtype, Python numbers become float32."""
    if isinstance(data, Tensor):
        arr = data.data
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
            arr = arr.astype(np.float32) if arr.dtype.kind in "iuf" else arr
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor(data): data of dtype {arr.dtype} is not numeric; give numbers, lists of "
            "numbers or a numeric numpy array (convert strings with float() first)"
        )
    return arr


class Tensor:
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

    __slots__ = ("_data", "_grad", "requires_grad", "label", "op", "parents", "_ctx", "_version",
                 "__weakref__")
    __array_ufunc__ = None  # make ndarray + Tensor call Tensor.__radd__ instead of numpy
    __hash__ = object.__hash__  # __eq__ is elementwise, identity stays the hash

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, label: str = ""
    ) -> None:
        self._data = _to_array(data, dtype)
        self._grad: Any = None
        self.label = label
        self.op = ""
        self.parents: tuple[Tensor, ...] = ()
        self._ctx: Any = None
        self._version = 0
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)
            if isinstance(data, (np.ndarray, Tensor)) and np.shares_memory(self._data, data):
                # A parameter owns its numbers: optimizers update it in place, and that
                # must never change the array the caller passed in (as torch.tensor).
                self._data = self._data.copy()

    @classmethod
    def _from_op(cls, data: Any) -> Tensor:
        """Wrap an op's numpy result without the checks of ``__init__`` (hot path)."""
        out = cls.__new__(cls)
        out._data = data if type(data) is np.ndarray else np.asarray(data)
        out._grad = None
        out.requires_grad = False
        out.label = ""
        out.op = ""
        out.parents = ()
        out._ctx = None
        out._version = 0
        return out

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Switch gradient tracking on or off for a leaf tensor (in place)."""
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

        Assigning ``t.data = ...`` (also ``t.data -= lr * g``) bumps a version
        counter, so backward() through a graph that saved the old values raises
        RuntimeError. Writing into the array's elements (``t.data[0] = 5``,
        ``np.copyto(t.data, ...)``) is NOT seen: a graph that used ``t`` would then
        backpropagate with the new numbers, silently. Change elements only after
        backward(), or assign a modified copy: ``d = t.data.copy(); d[0] = 5; t.data = d``.
        """
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        # Replacing data (also `t.data -= lr * g`, which assigns) bumps the version,
        # so a graph that saved the old values refuses to backpropagate wrong numbers.
        new = np.asarray(value.data if isinstance(value, Tensor) else value)
        if new.shape != self._data.shape and self._ctx is not None:
            raise ValueError("cannot change the shape of a non-leaf tensor's data")
        self._data = new
        self._version += 1

    @property
    def grad(self) -> Tensor | None:
        """d(output)/d(self) after ``backward()``, or None. Same shape and dtype as data."""
        g = self._grad
        if g is not None and not isinstance(g, Tensor):
            # An interior node keeps the raw array that backprop passed through it, which
            # may be shared with other nodes (or be the caller's gradient= array); copy it
            # once, when someone actually looks, so the .grad you get is yours alone.
            g = self._grad = Tensor._from_op(np.array(g, copy=True))
        return g

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is not None and not isinstance(value, Tensor):
            value = Tensor._from_op(np.asarray(value))
        self._grad = value

    def _accumulate(self, g: Any, owned: bool = False) -> None:
        """Add a gradient into a leaf's ``.grad`` (never sharing memory with other arrays).

        ``owned`` says that backprop made ``g`` for this leaf alone, so it can be kept
        as it is; otherwise it is copied.
        """
        if not self.requires_grad:
            return
        if isinstance(g, Tensor):  # create_graph=True: keep the graph of the gradient
            self._grad = g if self._grad is None else self.grad + g
        elif self._grad is None:
            self._grad = Tensor._from_op(g if owned else np.array(g, dtype=self._data.dtype))
        else:
            self._grad = Tensor._from_op(self.grad.data + g)

    # --- numpy-like properties ---------------------------------------------------

    shape = property(lambda self: self._data.shape, doc="Shape tuple, as numpy.")
    ndim = property(lambda self: self._data.ndim, doc="Number of dimensions.")
    size = property(lambda self: self._data.size, doc="Number of elements.")
    dtype = property(lambda self: self._data.dtype, doc="numpy dtype.")

    @property
    def T(self) -> Tensor:
        """Reversed axes, like ``ndarray.T``."""
        return self.transpose()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor; use .item() to get its number")
        return len(self._data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    def __bool__(self) -> bool:
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __iter__(self):  # noqa: ANN204 - generator of Tensors
        for i in range(len(self)):
            yield self[i]

    def item(self) -> float | int | bool:
        """The single number in a one-element tensor, as a Python scalar."""
        if self._data.size != 1:
            raise ValueError(
                f"item(): tensor has {self._data.size} elements (shape {self.shape}); only a "
                "one-element tensor converts to a Python number. Reduce it first (e.g. .sum())"
            )
        return self._data.item()

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shared memory; ``.copy()`` it to keep it)."""
        return self._data

    def detach(self) -> Tensor:
        """The same data as a new leaf without history (shares memory)."""
        return Tensor._from_op(self._data)

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        extras = []
        if self._data.dtype not in (np.float32,):
            extras.append(f"dtype={self._data.dtype}")
        if self.op:
            extras.append(f"op={self.op!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.label:
            extras.append(f"label={self.label!r}")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"

    # --- backward --------------------------------------------------------------------

    def backward(self, gradient: Any = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``gradient`` is the upstream gradient, needed when ``self`` has more than one
        element. With ``create_graph=True`` the backward pass is recorded too, so
        the gradients can be differentiated again (second derivatives).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad, so there is nothing to "
                "differentiate. Create the inputs with requires_grad=True (and do not compute "
                "inside no_grad())"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward(): the output has shape {self.shape}, so its gradient is "
                    "ambiguous; reduce it to one number first (e.g. loss = out.sum() or "
                    ".mean()), or pass gradient= an array of the same shape"
                )
            g: Any = np.ones_like(self._data)
        else:
            g = gradient.data if isinstance(gradient, Tensor) and not create_graph else gradient
            if np.shape(g) != self.shape:
                raise ValueError(
                    f"backward(): gradient has shape {np.shape(g)} but the output has shape "
                    f"{self.shape}; they must match"
                )
            if not isinstance(g, Tensor):
                g = np.asarray(g, dtype=self._data.dtype)
        if create_graph and not isinstance(g, Tensor):
            g = Tensor._from_op(g)
        autograd.backprop(self, g, create_graph=create_graph)

    # --- operators (the formulas live in tinygrad_dk.ops) ----------------------------

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

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, ops.normalize_index(index))

    # Comparisons give bool tensors without gradient (masks).
    def __lt__(self, other: Any) -> Tensor:
        return Tensor._from_op(self._data < _raw(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor._from_op(self._data <= _raw(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._from_op(self._data > _raw(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._from_op(self._data >= _raw(other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._from_op(self._data == _raw(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._from_op(self._data != _raw(other))


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


autograd.Tensor = Tensor  # the recording machinery needs to recognise Tensors

from tinygrad_dk import ops  # noqa: E402  (ops needs Tensor defined first)

ops.attach_methods(Tensor)
