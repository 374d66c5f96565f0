"""Lazy layers, as PyTorch's: ``nn.LazyLinear(10)`` learns its ``in_features`` from the
first batch it sees, so nobody computes the flattened size of a CNN's feature maps by hand.

Until that first forward pass the layer's parameters are ``UninitializedParameter``s
(buffers ``UninitializedBuffer``s): placeholders without a shape, which ``parameters()``
lists (so an optimizer can be built before the dry run) but which refuse anything that
needs their shape (``numel()``, ``shape``, ``.item()``) with an error that says to run a
batch first. The first forward then

1. reads the size from the input (``in_features = x.shape[-1]``; channels ``x.shape[1]``),
2. builds the ordinary layer of that size (``Linear(in_features, 10)``: its usual
   initialisation, from the shared generator),
3. moves its numbers into the SAME placeholder objects (``materialize``: the optimizer
   made before still holds them), and
4. turns the module into the ordinary class: ``type(layer) is nn.Linear`` afterwards.

One mechanism, ``LazyModuleMixin``, serves every lazy class; each only names the ordinary
class, the attribute the input decides, and where a saved state dict shows that size
(``load_state_dict`` into a lazy layer takes the size from the saved weight: no dry run
needed). Unlike PyTorch, loading makes the layer ordinary at once.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np

import tinygrad_dk as tg
from nn.conv import Conv1d, Conv2d
from nn.conv_transpose import ConvTranspose1d, ConvTranspose2d
from nn.layers import Linear
from nn.layers_extra import InstanceNorm1d, InstanceNorm2d
from nn.module import Module, float_dtype
from nn.normalization import BatchNorm1d, BatchNorm2d
from tinygrad_dk import Parameter, Tensor

_HOW = ("Run one batch through the model first (a dry run, e.g. model(x[:1])): the lazy "
        "layer then learns its input size and its parameters get their shapes")


def _refuse(what: str, whose: str = "a lazy layer's uninitialised parameter or buffer") -> Any:
    raise RuntimeError(f"{what} of {whose}: a lazy layer's parameters have no shape before "
                       f"its first forward pass. {_HOW}")


class _NoNumbers(np.ndarray):
    """The data of a placeholder: an empty array of the future dtype that numpy refuses to
    compute with, so ``w * 2`` or ``x @ w`` before the first forward pass fails, as in
    PyTorch, instead of giving an empty tensor. The refusal lives in the placeholder's
    array, not in a check every operation would pay for."""

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _refuse(f"numpy's {ufunc.__name__}")  # w * 2, w @ x, w.sum(), ...

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return _refuse(f"numpy's {func.__name__}")  # np.concatenate, np.reshape, ...


def _no_numbers(dtype: Any) -> np.ndarray:
    return np.empty(0, dtype=dtype).view(_NoNumbers)


class _Uninitialized:
    """What an uninitialised parameter and buffer share: data without numbers (an empty
    ``_NoNumbers`` array of the future dtype), refusals for everything that needs the shape,
    and ``materialize``."""

    __slots__ = ()
    cls_to_become: ClassVar[type]

    def __init__(self, requires_grad: bool, device: Any = None, dtype: Any = None) -> None:
        if device is not None:
            tg.device(device)  # (only the CPU exists: anything else is a clear error)
        dtype = float_dtype(dtype)
        super().__init__(np.empty(0, dtype=dtype),  # type: ignore[call-arg]
                         requires_grad=requires_grad)
        self._data = _no_numbers(dtype)  # (after Tensor's checks, which make arrays ordinary)

    def _refuse(self, what: str) -> Any:
        return _refuse(what, f"an {type(self).__name__}")

    shape = property(lambda self: self._refuse("the shape"))
    ndim = property(lambda self: self._refuse("ndim"))
    size = property(lambda self: self._refuse("size()"))
    # (T, detach() and clone() pass the data through np.asarray, which makes the
    # _NoNumbers array an ordinary empty one: refused here, as PyTorch refuses them)
    T = property(lambda self: self._refuse("T"))

    def detach(self) -> Any:
        return self._refuse("detach()")

    def clone(self, *args: Any, **kwargs: Any) -> Any:
        return self._refuse("clone()")

    @property
    def data(self) -> np.ndarray:
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        """Only a new dtype (``model.to(float64)`` before the dry run): no numbers yet."""
        new = np.asarray(value)
        if new.size:
            self._refuse("writing numbers into the data")
        self._data = _no_numbers(new.dtype)

    def numel(self) -> int:
        return self._refuse("numel()")

    def item(self) -> Any:
        return self._refuse("item()")

    def tolist(self) -> Any:
        return self._refuse("tolist()")

    def __len__(self) -> int:
        return self._refuse("len()")

    def __getitem__(self, index: Any) -> Any:
        return self._refuse("indexing")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._refuse("np.asarray()")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the placeholder its shape (an array of that shape, or a shape for an
        uninitialised ``empty`` of it): it becomes an ordinary Parameter (Tensor), the
        same object."""
        if device is not None:
            tg.device(device)  # (only the CPU exists: anything else is a clear error)
        dtype = self._data.dtype if dtype is None else np.dtype(dtype)
        data = np.asarray(shape).astype(dtype) if isinstance(shape, np.ndarray) else \
            np.empty(tuple(shape), dtype=dtype)
        self._data = data
        self._version += 1
        self.__class__ = self.cls_to_become


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter whose shape is not known yet (see the module); ``materialize`` makes it
    an ordinary ``Parameter``."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(requires_grad, device, dtype)


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer (a running mean) whose shape is not known yet; ``materialize`` makes it an
    ordinary Tensor."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(requires_grad, device, dtype)


class LazyModuleMixin:
    """The one lazy mechanism (see the module). A lazy class lists the mixin before its
    ordinary class and sets ``cls_to_become``, ``_in_name`` (the attribute the input
    decides) and ``_saved_size`` ((state-dict entry, axis) pairs that show that size)."""

    cls_to_become: ClassVar[type[Module]]
    _in_name: ClassVar[str]
    _saved_size: ClassVar[tuple[tuple[str, int], ...]] = (("weight", 1),)
    _registry: dict

    def __init__(self, *args: Any, device: Any = None, dtype: Any = None, **kwargs: Any) -> None:
        if device is not None:
            tg.device(device)
        # The ordinary layer of size 1 checks every other argument now, as PyTorch does;
        # its random starting numbers are thrown away, so its draws are undone (fork_rng).
        # (a grouped convolution needs a size its groups divide: the groups themselves)
        probe = inspect.signature(self.cls_to_become.__init__).bind(
            self, 1, *args, **kwargs).arguments.get("groups", 1)
        with tg.random.fork_rng():
            fits = isinstance(probe, (int, np.integer)) and probe >= 1  # else __init__ says why
            self.cls_to_become.__init__(self, int(probe) if fits else 1, *args, dtype=dtype,
                                        **kwargs)
        object.__setattr__(self, "_lazy_args", (args, kwargs))
        for name, value in list(self._own_tensors()):
            if value.dtype.kind == "f":  # (an int count, num_batches_tracked, is kept)
                kind = UninitializedParameter if isinstance(value, Parameter) or \
                    value.requires_grad else UninitializedBuffer
                setattr(self, name, kind(requires_grad=value.requires_grad, dtype=value.dtype))
        setattr(self, self._in_name, 0)  # as PyTorch shows it: LazyLinear(in_features=0, ...)

    def _own_tensors(self) -> Any:
        for name in self._registry:
            value = self.__dict__.get(name)
            if isinstance(value, Tensor):
                yield name, value

    def has_uninitialized_params(self) -> bool:
        """True until the first forward pass (or a loaded state dict) gave the shapes."""
        return any(isinstance(v, _Uninitialized) for _, v in self._own_tensors())

    def reset_parameters(self) -> None:
        """Nothing before the shapes are known (the first forward initialises)."""
        if not self.has_uninitialized_params():
            self.cls_to_become.reset_parameters(self)

    def _input_size(self, x: Any) -> int:
        """The size the input decides: its channel axis (1; 0 for one unbatched example)."""
        ndim = len(np.shape(x.data if isinstance(x, Tensor) else x))
        if ndim == 0:
            raise ValueError(f"{type(self).__name__}: cannot learn its input size from a 0-d "
                             "input; give a batch of shape (batch, features, ...)")
        unbatched = ndim == getattr(self, "_d", -1) + 1  # (a convolution's (C, L) input)
        return int(np.shape(x.data if isinstance(x, Tensor) else x)[0 if unbatched else 1])

    def initialize_parameters(self, size: int) -> None:
        """Become the ordinary layer with input size ``size``: its usual initialisation is
        moved into the placeholders (the same objects), then the class changes."""
        args, kwargs = self._lazy_args
        dtypes = [v.dtype for _, v in self._own_tensors() if v.dtype.kind == "f"]
        fresh = self.cls_to_become(size, *args, **kwargs,
                                   **({"dtype": dtypes[0]} if dtypes else {}))
        for name, value in list(self._own_tensors()):
            if isinstance(value, _Uninitialized):
                value.materialize(fresh.__dict__[name].data, dtype=value.dtype)
        for name, value in fresh.__dict__.items():  # in_features, kernel_size, ...
            if name not in self._registry and name not in ("_registry", "training"):
                object.__setattr__(self, name, value)
        object.__delattr__(self, "_lazy_args")
        self.__class__ = self.cls_to_become

    def forward(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        """The first call: learn the input size, become the ordinary layer, run it."""
        self.initialize_parameters(self._input_size(x))
        return self.forward(x, *args, **kwargs)

    def _before_load(self, state_dict: Any, prefix: str) -> None:
        """Called by ``Module.load_state_dict``: take the size from a saved entry (no
        random draws: the loaded numbers replace the starting ones)."""
        for name, axis in self._saved_size:
            saved = state_dict.get(prefix + name)
            shape = np.shape(saved.data if isinstance(saved, Tensor) else saved)
            if saved is not None and len(shape) > axis:
                # a convolution's weight axis 1 holds in_channels / groups
                groups = getattr(self, "groups", 1) if axis == 1 else 1
                with tg.random.fork_rng():
                    self.initialize_parameters(int(shape[axis]) * groups)
                return


class LazyLinear(LazyModuleMixin, Linear):
    """``LazyLinear(out_features, bias=True)``: a Linear whose ``in_features`` is the last
    axis of its first input."""

    cls_to_become = Linear
    _in_name = "in_features"

    def _input_size(self, x: Any) -> int:
        shape = np.shape(x.data if isinstance(x, Tensor) else x)
        if not shape:
            raise ValueError("LazyLinear: cannot learn in_features from a 0-d input; give "
                             "(batch, in_features) or (in_features,)")
        return int(shape[-1])


class LazyConv1d(LazyModuleMixin, Conv1d):
    """``LazyConv1d(out_channels, kernel_size, ...)``: ``in_channels`` from the input."""

    cls_to_become, _in_name = Conv1d, "in_channels"


class LazyConv2d(LazyModuleMixin, Conv2d):
    """``LazyConv2d(out_channels, kernel_size, ...)``: ``in_channels`` from the input."""

    cls_to_become, _in_name = Conv2d, "in_channels"


class LazyConvTranspose1d(LazyModuleMixin, ConvTranspose1d):
    """``LazyConvTranspose1d(out_channels, kernel_size, ...)``: ``in_channels`` from the input
    (its weight is (in_channels, out_channels, k): the size is on axis 0)."""

    cls_to_become, _in_name, _saved_size = ConvTranspose1d, "in_channels", (("weight", 0),)


class LazyConvTranspose2d(LazyModuleMixin, ConvTranspose2d):
    """``LazyConvTranspose2d(out_channels, kernel_size, ...)``: ``in_channels`` from the
    input."""

    cls_to_become, _in_name, _saved_size = ConvTranspose2d, "in_channels", (("weight", 0),)


_NORM_SIZES = (("weight", 0), ("running_mean", 0))


class LazyBatchNorm1d(LazyModuleMixin, BatchNorm1d):
    """``LazyBatchNorm1d(eps=1e-5, momentum=0.1, ...)``: ``num_features`` from the input."""

    cls_to_become, _in_name, _saved_size = BatchNorm1d, "num_features", _NORM_SIZES


class LazyBatchNorm2d(LazyModuleMixin, BatchNorm2d):
    """``LazyBatchNorm2d(eps=1e-5, momentum=0.1, ...)``: ``num_features`` from the input."""

    cls_to_become, _in_name, _saved_size = BatchNorm2d, "num_features", _NORM_SIZES


class LazyInstanceNorm1d(LazyModuleMixin, InstanceNorm1d):
    """``LazyInstanceNorm1d(eps=1e-5, ...)``: ``num_features`` from the input."""

    cls_to_become, _in_name, _saved_size = InstanceNorm1d, "num_features", _NORM_SIZES
    _d = 1  # (an unbatched (C, L) input has its channels on axis 0)


class LazyInstanceNorm2d(LazyModuleMixin, InstanceNorm2d):
    """``LazyInstanceNorm2d(eps=1e-5, ...)``: ``num_features`` from the input."""

    cls_to_become, _in_name, _saved_size = InstanceNorm2d, "num_features", _NORM_SIZES
    _d = 2


LAZY_CLASSES = (LazyLinear, LazyConv1d, LazyConv2d, LazyConvTranspose1d, LazyConvTranspose2d,
                LazyBatchNorm1d, LazyBatchNorm2d, LazyInstanceNorm1d, LazyInstanceNorm2d)
