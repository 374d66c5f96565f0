"""Window functions, as ``torch.hann_window`` and friends: the tapers that a signal is
multiplied by before its spectrum is taken, so that its ends fade to (nearly) zero.

Every window is a function of the position n = 0 .. N-1 along it. A *periodic* window
(the default, as in PyTorch: the one for spectral analysis) is the symmetric window of
length N + 1 without its last point, so that repeating it tiles without a seam. Length 0
gives an empty tensor and length 1 the window ``[1.]``.

A window is a constant: no inputs, no gradient (``requires_grad=True`` makes it a leaf
that requires one, as PyTorch allows). Values are computed in float64 and rounded once
to ``dtype`` (default: the default float dtype).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_dk.device import check as check_device
from tinygrad_dk.dtypes import get_default_dtype
from tinygrad_dk.tensor import Tensor


def _window(name: str, window_length: Any, periodic: Any, dtype: Any, requires_grad: bool,
            device: Any, shape: Callable[[np.ndarray], np.ndarray]) -> Tensor:
    """The checks and the periodic rule every window shares; ``shape(u)`` gives the
    symmetric window at u = 2 n / (N - 1) - 1, which runs from -1 to 1."""
    if isinstance(window_length, bool) or not isinstance(window_length, (int, np.integer)):
        raise TypeError(f"{name}(): window_length must be an int (the number of points), "
                        f"got {window_length!r} ({type(window_length).__name__})")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={window_length}")
    if not isinstance(periodic, (bool, np.bool_)):
        raise TypeError(f"{name}(): periodic must be True or False, got {periodic!r}")
    check_device(device, name)
    dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
    if dtype.kind != "f":
        raise RuntimeError(f"{name} expects floating point dtypes, got {dtype}; pass "
                           "dtype=torch.float32 or torch.float64 (or leave it out)")
    if window_length <= 1:
        values = np.ones(window_length)
    else:
        n_points = window_length + 1 if periodic else window_length  # periodic: drop the last
        u = 2.0 * np.arange(n_points) / (n_points - 1) - 1.0
        values = shape(u)[:window_length]
    return Tensor(values.astype(dtype), requires_grad=requires_grad)


def _cosines(*coefficients: float) -> Callable[[np.ndarray], np.ndarray]:
    """The generalised cosine window sum_k (-1)^k a_k cos(k pi (u + 1)) (Hann, Hamming,
    Blackman): cos(2 pi k n / (N - 1)) written with u."""
    def shape(u: np.ndarray) -> np.ndarray:
        # the highest k first: Blackman's ends are then (0.08 - 0.5) + 0.42 = 0 exactly
        # (0.42 - 0.5 + 0.08 would be -1.4e-17, a window value below 0)
        return sum((-1) ** k * a * np.cos(k * np.pi * (u + 1.0))
                   for k, a in reversed(list(enumerate(coefficients))))
    return shape


def hann_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Hann window 0.5 - 0.5 cos(2 pi n / (N - 1)): a raised cosine, 0 at both ends."""
    return _window("hann_window", window_length, periodic, dtype, requires_grad, device,
                   _cosines(0.5, 0.5))


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype: Any = None, layout: Any = None,
                   device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Hamming window alpha - beta cos(2 pi n / (N - 1)): a raised cosine that stops
    short of 0 (alpha - beta = 0.08 at the ends), which lowers its first side lobe."""
    return _window("hamming_window", window_length, periodic, dtype, requires_grad, device,
                   _cosines(float(alpha), float(beta)))


def blackman_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None,
                    requires_grad: bool = False) -> Tensor:
    """The Blackman window 0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))."""
    return _window("blackman_window", window_length, periodic, dtype, requires_grad, device,
                   _cosines(0.42, 0.5, 0.08))


def bartlett_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None,
                    requires_grad: bool = False) -> Tensor:
    """The Bartlett (triangular) window 1 - |2 n / (N - 1) - 1|: 0 at the ends, 1 in the
    middle."""
    return _window("bartlett_window", window_length, periodic, dtype, requires_grad, device,
                   lambda u: 1.0 - np.abs(u))


def _i0e(x: np.ndarray) -> np.ndarray:
    """I0(x) e^-|x|, finite at any x (the engine's series, via ``tg.special.i0e``)."""
    from tinygrad_dk import special  # (imported here: special imports the whole engine)

    return np.asarray(special.i0e(Tensor(np.asarray(x, dtype=np.float64))).data)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype: Any = None, layout: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
    """The Kaiser window I0(beta sqrt(1 - u^2)) / I0(beta), u = 2 n / (N - 1) - 1, where
    I0 is the modified Bessel function; a larger ``beta`` gives a narrower window.

    I0 grows like e^beta, so the quotient is taken as i0e(beta s) / i0e(beta) times
    e^(beta (s - 1)) (i0e(x) = I0(x) e^-|x|): finite for every beta (PyTorch's float32
    window is nan from beta of about 90 on, inf / inf)."""
    b = abs(float(beta))  # I0 is even: beta and -beta give the same window
    if math.isnan(b):
        raise ValueError("kaiser_window: beta is nan; give a number (12.0 is PyTorch's default)")

    def shape(u: np.ndarray) -> np.ndarray:
        s = np.sqrt(np.clip(1.0 - u * u, 0.0, 1.0))
        return _i0e(b * s) / _i0e(np.array(b)) * np.exp(b * (s - 1.0))

    return _window("kaiser_window", window_length, periodic, dtype, requires_grad, device,
                   shape)
