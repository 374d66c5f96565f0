"""Mixed precision, as ``torch.autocast`` and ``torch.amp.GradScaler``.

PyTorch's autocast runs chosen ops (matmul, convolution) in float16 or bfloat16 inside
a ``with torch.autocast(...)`` block, for speed on hardware made for it. numpy has no
bfloat16 and no float16 matmul worth using, so here **autocast runs everything in full
precision**: it checks its arguments as PyTorch does and then changes nothing. A
program written for mixed precision runs unchanged, with (slightly) more exact results.

``GradScaler`` is the other half of mixed-precision training: it multiplies the loss
by a large scale so that small float16 gradients do not underflow, divides the
gradients back before the optimizer step, skips a step whose gradients are inf or nan
and adapts the scale. It works here as in PyTorch 2.13, including its device rule:
``GradScaler()`` is for "cuda" and, as there is no GPU, disables itself with a warning
(``scale`` returns the loss unchanged, ``step`` is ``optimizer.step()``);
``GradScaler("cpu")`` really scales.
"""

from __future__ import annotations

import functools
import math
import threading
import warnings
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

from tinygrad_dk.dtypes import float16
from tinygrad_dk.quiet import quiet


class _NumpyHasNone:
    """A PyTorch dtype that numpy lacks (bfloat16): a name autocast accepts, and a clear
    error wherever a tensor of it would be made (numpy asks for ``.dtype``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def dtype(self) -> Any:
        raise TypeError(f"torch.{self.name}: numpy, which holds the numbers here, has no "
                        f"{self.name} dtype; use torch.float32 (or torch.float16)")

    def __repr__(self) -> str:
        return f"torch.{self.name}"


bfloat16 = _NumpyHasNone("bfloat16")

_DEFAULT_DTYPE = {"cpu": bfloat16, "cuda": float16}
_state = threading.local()  # per thread, as PyTorch's: which device types autocast is on


def _enabled() -> dict[str, bool]:
    if not hasattr(_state, "on"):
        _state.on = {"cpu": False, "cuda": False}
    return _state.on


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether an enabled ``autocast`` block for ``device_type`` is running (even here,
    where it changes nothing)."""
    return _enabled().get(device_type, False)


class autocast:  # noqa: N801 - PyTorch's name
    """``with torch.autocast("cpu", dtype=torch.bfloat16):`` (or as a decorator): checks
    the arguments as PyTorch and runs the block in full precision (see the module).

    As PyTorch: ``device_type`` is "cpu" or "cuda"; "cuda" warns and disables itself
    (no GPU here); on the CPU, a ``dtype`` other than bfloat16 or float16 warns and
    disables itself."""

    def __init__(self, device_type: str, dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"autocast: expected device_type of type str, got "
                             f"{type(device_type).__name__}; write torch.autocast(\"cpu\")")
        if device_type not in _DEFAULT_DTYPE:
            raise RuntimeError(f"autocast: unknown or unavailable device_type {device_type!r}; "
                               "tinygrad_dk runs on the CPU: use \"cpu\" (\"cuda\" is accepted "
                               "and disabled, as PyTorch does without a GPU)")
        if not isinstance(enabled, (bool, np.bool_)):
            raise ValueError(f"autocast: enabled must be True or False, got {enabled!r}")
        self.device = device_type
        self.fast_dtype = _DEFAULT_DTYPE[device_type] if dtype is None else dtype
        self._enabled = bool(enabled)
        self._cache_enabled = cache_enabled
        if self._enabled and device_type == "cuda":
            warnings.warn("autocast: CUDA is not available. Disabling autocast.", UserWarning,
                          stacklevel=2)
            self._enabled = False
        elif self._enabled and self.fast_dtype is not bfloat16 and not _is_float16(dtype):
            warnings.warn(f"In CPU autocast, but the target dtype {self.fast_dtype!r} is not "
                          "supported. Disabling autocast. CPU Autocast only supports dtypes "
                          "of torch.bfloat16, torch.float16 currently.", UserWarning,
                          stacklevel=2)
            self._enabled = False

    def __enter__(self) -> autocast:
        self._before = is_autocast_enabled(self.device)
        _enabled()[self.device] = self._enabled
        return self

    def __exit__(self, *exc: Any) -> None:
        _enabled()[self.device] = self._before

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """As a decorator: the function runs inside this block."""
        @functools.wraps(func)
        def inside(*args: Any, **kwargs: Any) -> Any:
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)
        return inside


def _is_float16(dtype: Any) -> bool:
    try:
        return np.dtype(dtype) == float16
    except TypeError:
        return False


# --- GradScaler -----------------------------------------------------------------------------

_READY, _UNSCALED, _STEPPED = "ready", "unscaled", "stepped"


class GradScaler:
    """Loss scaling for mixed-precision training (``torch.amp.GradScaler``)::

        scaler = torch.amp.GradScaler("cpu")
        loss = loss_fn(model(x), y)
        scaler.scale(loss).backward()   # gradients of scale * loss
        scaler.step(optimizer)          # gradients / scale; skipped if any is inf or nan
        scaler.update()                 # halve the scale after a skip, double it after
                                        # growth_interval good steps

    The scale is a float32 power of two (by default), so scaling and unscaling are
    exact. ``device="cuda"`` (PyTorch's default) disables the scaler with a warning:
    there is no GPU; disabled, ``scale`` returns its argument and ``step`` calls
    ``optimizer.step()``."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        if device not in ("cpu", "cuda"):
            raise RuntimeError(f"GradScaler: device {device!r} is not available here; use "
                               "GradScaler(\"cpu\")")
        if enabled and device == "cuda":
            warnings.warn("GradScaler is enabled, but CUDA is not available. Disabling.",
                          UserWarning, stacklevel=2)
            enabled = False
        self._device, self._enabled = device, bool(enabled)
        if self._enabled:
            if not growth_factor > 1.0:
                raise ValueError(f"GradScaler: growth_factor must be > 1.0, got {growth_factor}")
            if not backoff_factor < 1.0:
                raise ValueError(f"GradScaler: backoff_factor must be < 1.0, got "
                                 f"{backoff_factor}")
        self._scale = np.float32(init_scale)
        self._growth_factor, self._backoff_factor = float(growth_factor), float(backoff_factor)
        self._growth_interval, self._growth_tracker = int(growth_interval), 0
        self._per_optimizer: dict[int, dict[str, Any]] = {}

    def is_enabled(self) -> bool:
        return self._enabled

    def scale(self, outputs: Any) -> Any:
        """``outputs`` (a loss, or a list/tuple of them) times the scale; unchanged when
        disabled."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        if not hasattr(outputs, "backward"):
            raise ValueError(f"GradScaler.scale: outputs must be a Tensor or a list of them, "
                             f"got {type(outputs).__name__}")
        return outputs * float(self._scale)

    def _state(self, optimizer: Any) -> dict[str, Any]:
        return self._per_optimizer.setdefault(id(optimizer), {"stage": _READY,
                                                              "found_inf": False})

    @quiet  # an overflow to inf is IEEE's answer, as in Optimizer.step
    def unscale_(self, optimizer: Any) -> None:
        """Divide ``optimizer``'s gradients by the scale (in place) and note whether any
        is inf or nan; call it before clipping gradients. Once per ``update``."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since "
                               "the last update().")
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv = np.float32(1.0 / np.float64(self._scale))  # PyTorch's float32 reciprocal
        found = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if getattr(p, "grad", None) is None:
                    continue
                scaled = p.grad.data
                if scaled.dtype == float16:  # as PyTorch: scale float32 parameters instead
                    raise ValueError("Attempting to unscale FP16 gradients.")
                # as PyTorch, the scaled gradient is checked: a finite one that only
                # overflows when a scale below 1 is divided out still steps
                found = found or not bool(np.isfinite(scaled).all())
                p.grad.data = scaled * inv.astype(scaled.dtype)
        state.update(stage=_UNSCALED, found_inf=found)

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """``optimizer.step()`` on unscaled gradients, skipped when any is inf or nan;
        returns what ``optimizer.step`` returns (None when skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is "
                               "enabled.")
        state = self._state(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale: Any = None) -> None:
        """Adapt the scale after this iteration's steps: times ``backoff_factor`` if a
        step saw inf or nan, times ``growth_factor`` after ``growth_interval`` good
        iterations in a row; or set it to ``new_scale``."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = np.float32(float(np.asarray(new_scale)))
        else:
            if not self._per_optimizer:
                raise RuntimeError("No inf checks were recorded prior to update(): call "
                                   "scaler.step(optimizer) (or unscale_) before update()")
            if any(s["found_inf"] for s in self._per_optimizer.values()):
                self._scale = np.float32(self._scale * np.float32(self._backoff_factor))
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = np.float32(self._scale * np.float32(self._growth_factor))
                    if math.isfinite(grown):
                        self._scale = grown
                    self._growth_tracker = 0
        self._per_optimizer = {}

    def get_scale(self) -> float:
        """The current scale (1.0 when disabled)."""
        return float(self._scale) if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def state_dict(self) -> dict[str, Any]:
        """The scale and its settings (empty when disabled), as PyTorch's."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval, "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._scale = np.float32(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])


# --- the older spellings: torch.cpu.amp and torch.cuda.amp (deprecated in PyTorch) ----------


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"`{old}(args...)` is deprecated. Please use `{new}` instead.",
                  FutureWarning, stacklevel=3)


def _cpu_autocast(enabled: bool = True, dtype: Any = bfloat16,
                  cache_enabled: bool = True) -> autocast:
    _deprecated("torch.cpu.amp.autocast", "torch.amp.autocast('cpu', args...)")
    return autocast("cpu", dtype, enabled, cache_enabled)


def _cuda_autocast(enabled: bool = True, dtype: Any = float16,
                   cache_enabled: bool = True) -> autocast:
    _deprecated("torch.cuda.amp.autocast", "torch.amp.autocast('cuda', args...)")
    return autocast("cuda", dtype, enabled, cache_enabled)


def _scaler(device: str) -> Callable[..., GradScaler]:
    def make(init_scale: float = 2.0**16, growth_factor: float = 2.0,
             backoff_factor: float = 0.5, growth_interval: int = 2000,
             enabled: bool = True) -> GradScaler:
        _deprecated(f"torch.{device}.amp.GradScaler", f"torch.amp.GradScaler('{device}', "
                    "args...)")
        return GradScaler(device, init_scale, growth_factor, backoff_factor, growth_interval,
                          enabled)
    make.__name__ = make.__qualname__ = "GradScaler"
    return make


cpu_amp = SimpleNamespace(autocast=_cpu_autocast, GradScaler=_scaler("cpu"))
cuda_amp = SimpleNamespace(autocast=_cuda_autocast, GradScaler=_scaler("cuda"))
#: ``torch.cpu``: what PyTorch programs reach there (``torch.cpu.amp``)
cpu = SimpleNamespace(amp=cpu_amp, is_available=lambda: True, device_count=lambda: 1)
