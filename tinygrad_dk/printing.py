"""How a Tensor prints: ``tinygrad_dk.set_printoptions``, as ``torch.set_printoptions``.

``repr(t)`` hands the array to ``np.array2string`` with the options kept here, so
changing them never touches numpy's own global settings (``np.set_printoptions``): a
program that prints numpy arrays too sees them unchanged. With no option set, a Tensor
prints as numpy prints the array (8 digits, ``...`` past 1000 elements).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

#: the keyword arguments of ``np.array2string`` that ``set_printoptions`` chose
OPTIONS: dict[str, Any] = {}

# PyTorch's profiles (precision, threshold, edgeitems, linewidth); "default" is ours: as
# the package starts, numpy's way of printing an array
_PROFILES = {"short": (2, 1000, 2, 80), "full": (4, sys.maxsize, 3, 80)}


def _count(name: str, value: Any) -> int:
    if value == float("inf"):  # threshold=inf: never summarise
        return sys.maxsize
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float)) \
            or value < 0 or value != int(value):
        raise ValueError(f"set_printoptions: {name} must be a whole number >= 0, got {value!r}")
    return int(value)


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Choose how Tensors print (their ``repr`` only; numpy's settings stay as they are).

    ``precision``: digits after the point; ``threshold``: more elements than this are
    summarised with ``...``; ``edgeitems``: how many rows/columns show at each end of a
    summary; ``linewidth``: characters per line; ``sci_mode``: True always scientific
    (``1.2346e+03``), False never (``1234.5600``), None as numpy decides. ``profile``:
    "default" (back to how Tensors print at start), "short" or "full" (PyTorch's),
    applied before the other arguments.
    """
    if profile is not None:
        if profile != "default" and profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be 'default', 'short' or 'full', "
                             f"got {profile!r}")
        OPTIONS.clear()
        if profile in _PROFILES:
            OPTIONS.update(zip(("precision", "threshold", "edgeitems", "max_line_width"),
                               _PROFILES[profile]))
    for name, key, value in (("precision", "precision", precision),
                             ("threshold", "threshold", threshold),
                             ("edgeitems", "edgeitems", edgeitems),
                             ("linewidth", "max_line_width", linewidth)):
        if value is not None:
            OPTIONS[key] = _count(name, value)
    if sci_mode is not None:
        if not isinstance(sci_mode, (bool, np.bool_)):
            raise TypeError(f"set_printoptions: sci_mode must be True, False or None, got "
                            f"{sci_mode!r}")
        OPTIONS["sci_mode"] = bool(sci_mode)


def array_text(data: np.ndarray, prefix: str) -> str:
    """``data`` as ``repr`` shows it, with the chosen options."""
    if not OPTIONS:  # the usual case: numpy's own way
        return np.array2string(data, separator=", ", prefix=prefix)
    options = dict(OPTIONS)
    sci = options.pop("sci_mode", None)
    if sci is not None and data.dtype.kind == "f":  # every number in one notation
        spec = f".{options.get('precision', 4)}{'e' if sci else 'f'}"
        options["formatter"] = {"float_kind": lambda v: format(v, spec)}
    return np.array2string(data, separator=", ", prefix=prefix, **options)
