"""The differential harness: our engine against PyTorch on random inputs, op by op.

``tests/test_differential_*.py`` hold the tables; this module is the machinery they
share. An entry of a table is an ``Op``: our function, PyTorch's function and a recipe
for drawing inputs, so adding an op is one line::

    Op("exp", tg.exp, torch.exp, unary())

For every example hypothesis draws, ``check(op, data)``

1. draws the inputs: shapes that broadcast against each other (axes of length 0 and
   1 included), values of one *kind* per array (ordinary, integers with ties and
   zeros, +-1e3, +-1e30, float32's largest and smallest numbers, a mix with inf),
   float64, or float32 in one example of four;
2. runs the op in both libraries: the results must agree in shape, dtype, nan and
   inf positions and value (``assert_same``); when PyTorch refuses the input, we must
   refuse it too, and the other way round;
3. backpropagates a random upstream gradient (sometimes holding inf, +-1e30 or 0) by
   a plain ``backward`` and compares every input's gradient;
4. (float64) repeats the backward pass with ``create_graph=True`` and differentiates
   ``sum(grad_i * h_i)`` for random ``h_i`` again, with respect to the inputs *and*
   the upstream gradient: second derivatives, compared with
   ``torch.autograd.grad(..., create_graph=True)``. The upstream gradient of this
   step is finite, so that second derivatives test formulas, not inf arithmetic.

The references: PyTorch at the example's dtype; for float32 also PyTorch in float64 on
the same numbers, rounded to float32 (the exact answer, where float32 arithmetic
itself under- or overflows); and an ``Op``'s ``alt`` formulation where PyTorch's kernel
loses digits that ours keeps. An element passes when it agrees with one of them.

Tolerances: float64 elements agree to ``rtol=1e-7``, float32 ones to ``1e-3`` (subnormal
numbers have few digits); where an op sums terms (``sums``, ``grad_sums``, an input
broadcast), ``1e-9`` (float32: ``1e-5``) of the largest term is allowed on top, since
another order of summation rounds differently. Non-finite numbers match exactly (nan
where PyTorch has nan, inf of the same sign where it has inf), except where an ``Op``
says ``nan_ok``: PyTorch has a nan where we return a number, for the reason given.

Examples: ``EXAMPLES`` per row (30; ``DIFFERENTIAL_EXAMPLES=300`` for a long hunt),
derandomized under ``CI=true`` as ``tests/conftest.py`` does. Skipped as a whole when
torch is not installed (the test files ``importorskip``).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from differential_inputs import (  # noqa: F401 - the names the tables use, in one place
    F32_MAX,
    FINITE,
    KINDS,
    MODERATE,
    POSITIVE,
    PROBABILITY,
    REAL,
    SIZES,
    WEIGHTS,
    Case,
    Domain,
    Draw,
    axis_for,
    broadcast_shapes,
    dims,
    elementwise,
    reduction,
    shape,
    smaller,
    unary,
    upstream,
    values,
)
from hypothesis import HealthCheck, settings
from hypothesis import note as hypothesis_note
from hypothesis import strategies as st

import tinygrad_dk as tg
from tinygrad_dk import Tensor

torch = None  # set by use_torch() in each test file, after importorskip


def use_torch(module: Any) -> None:
    """Give this module the torch that the test file imported (or skipped without)."""
    global torch
    torch = module


# --- how many examples --------------------------------------------------------------------

_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
#: examples per op; ``DIFFERENTIAL_EXAMPLES=500 pytest tests/test_differential_ops.py`` for a
#: long hunt. In CI the examples are derandomized (the same every run), as in conftest.py.
EXAMPLES = int(os.environ.get("DIFFERENTIAL_EXAMPLES", "30"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=_CI,
    print_blob=True,
    database=None if _CI else settings.default.database,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)

# --- a row of a table ---------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Op:
    """One row of a table: ``ours(*tensors, **kwargs)`` against ``theirs`` on ``draw``'s inputs.

    * ``second``: also compare second derivatives (False for ops whose derivative
      PyTorch does not differentiate, or that has none);
    * ``float32``: also draw float32 inputs (compared with float32's tolerances);
    * ``nan_ok``: where PyTorch gives nan and we give a number, and why that is fine;
    * ``alt``: a second PyTorch formulation, also accepted as the reference, where
      PyTorch's own kernel loses digits that ours keeps (``alt_why`` says where);
    * ``refuse_ok``: where PyTorch's result holds nan or inf, we may raise a clear error
      instead (and why);
    * ``finite_upstream``: draw no inf in the upstream gradient, and why (a derivative
      that sums several products of it: an inf there gives inf - inf = nan or an inf,
      depending on the order of the sums, which differs between the two libraries);
    * ``covers``: the public names this row tests (the coverage test reads them);
    * ``sums``: the result adds up terms of degree ``sums`` in the inputs (1 for a sum or
      a matrix product, 2 for a variance), whose order of summation may differ from
      PyTorch's: the tolerance then allows for the largest term's rounding;
    * ``grad_sums``: the derivative sums terms of the size of the upstream gradient (as
      softmax's ``s * (g - sum(g s))``), so its tolerance allows for their rounding;
    * ``divides_by_result``: the derivative divides by the result (a norm's ``x / |x|``),
      so the second derivative subtracts terms of size ``g h / |result|`` that cancel
      (exactly 0 for one element): its tolerance allows for their rounding.
    """

    name: str
    ours: Callable[..., Any]
    theirs: Callable[..., Any]
    draw: Draw
    second: bool = True
    float32: bool = True
    nan_ok: str = ""
    alt: Callable[..., Any] | None = None
    alt_why: str = ""
    refuse_ok: str = ""
    finite_upstream: str = ""
    covers: tuple[str, ...] = ()
    sums: int = 0
    grad_sums: bool = False
    rtol: float | None = None
    divides_by_result: bool = False

    def __repr__(self) -> str:
        return self.name


# --- running both libraries ----------------------------------------------------------------



def _as_numpy(t: Any) -> np.ndarray:
    if hasattr(t, "detach"):
        if t._is_zerotensor():  # PyTorch's symbolic zeros (e.g. abs'' = 0)
            return np.zeros(tuple(t.shape), dtype=_as_numpy_dtype(t.dtype))
        return t.detach().cpu().numpy()
    return np.asarray(t)


def _as_numpy_dtype(dtype: Any) -> Any:
    return np.float32 if dtype == torch.float32 else np.float64


class Mismatch(AssertionError):
    pass


def assert_same(what: str, ours: Any, refs: Sequence[Any], dtype: np.dtype, op: Op,
                scale: float = 0.0, underflow: float = 1.0) -> None:
    """``ours`` (a Tensor, array, number or None = zeros) equals a PyTorch reference.

    ``refs``: PyTorch's result at our dtype, and for float32 also PyTorch's float64
    result on the same inputs (rounded to float32): an element passes when it agrees
    with either, so where PyTorch's float32 arithmetic under- or overflows and ours
    does not, the exact answer decides. ``scale``: the largest term summed into an
    element, when terms are summed (added to the absolute tolerance, times 1e-9, or
    1e-5 for float32); 0 for exact elementwise results, compared element by element.
    ``underflow``: how much the factors multiplied into an element can magnify a number
    that under-flowed on the way (1e-300, or 1e-30 in float32, times this is the
    absolute tolerance): an upstream gradient of 1e30 times a sigmoid of -740, which is
    subnormal in ours and 0 in PyTorch's, differs by rounding at the underflow, not by
    a formula.
    """
    a = None
    bad_all = None
    for ref in refs:
        b = _as_numpy(ref)
        if a is None:
            a = np.zeros_like(b) if ours is None else np.asarray(
                ours.data if isinstance(ours, (Tensor, tg.Value)) else ours)
            if a.shape != b.shape:
                raise Mismatch(f"{what}: shape {a.shape}, PyTorch {b.shape}")
            if ours is not None and b.dtype.kind == "f" and a.dtype != b.dtype:
                raise Mismatch(f"{what}: dtype {a.dtype}, PyTorch {b.dtype}")
            if b.dtype.kind != "f":
                if not np.array_equal(a, b):
                    raise Mismatch(f"{what}: {a} != PyTorch {b}")
                return
        with np.errstate(all="ignore"):
            bad = _differ(a.astype(np.float64), b.astype(dtype).astype(np.float64),
                          np.dtype(dtype) == np.float32, op, scale, underflow)
        bad_all = bad if bad_all is None else bad_all & bad
    if np.any(bad_all):
        a64 = a.astype(np.float64)
        others = [_as_numpy(r).astype(np.float64) for r in refs]
        idx = [tuple(int(i) for i in ix) for ix in np.argwhere(bad_all)[:5]]
        pairs = "; ".join(f"at {ix}: ours {a64[ix]!r}, PyTorch "
                          + " (float64: ".join(repr(o[ix]) for o in others)
                          + ")" * (len(others) - 1) for ix in idx)
        raise Mismatch(f"{what}: {int(bad_all.sum())} of {bad_all.size} element(s) differ: "
                       f"{pairs}")


def _differ(a64: np.ndarray, b64: np.ndarray, f32: bool, op: Op, scale: float,
            underflow: float = 1.0) -> np.ndarray:
    """Where ``a64`` and the reference ``b64`` disagree (see ``assert_same``)."""
    rtol = max(op.rtol or 0.0, 1e-3) if f32 else op.rtol or 1e-7
    rel_scale = 1e-5 if f32 else 1e-9
    nan_a, nan_b = np.isnan(a64), np.isnan(b64)
    bad = nan_a != nan_b
    inf_b = np.isinf(b64)
    bad |= np.isinf(a64) != inf_b
    bad |= inf_b & np.isinf(a64) & (np.sign(a64) != np.sign(b64))
    both = np.isfinite(a64) & np.isfinite(b64)
    tol = rtol * np.abs(b64) + rel_scale * scale + (1e-30 if f32 else 1e-300) * underflow
    bad |= both & ~(np.abs(a64 - b64) <= tol)
    if op.nan_ok:
        bad &= ~(nan_b & ~nan_a)  # a number (or inf) where PyTorch has nan: allowed
    if f32 and op.sums:  # float32 sums of terms near float32's limit overflow midway in
        # some orders of summation (BLAS's, PyTorch's): where both overflow, or the terms
        # are that large, an inf or nan of ours is the order's, not a bug; and so is a
        # number of ours where the reference overflowed (a sum that overflowed in one order
        # and not in another turns a ReLU or a where the other way further on)
        near_limit = scale >= F32_MAX / 64
        bad &= ~(~np.isfinite(a64) & (~np.isfinite(b64) | near_limit))
        bad &= ~(near_limit & ~np.isfinite(b64))
    return bad


def _magnitude(*arrays: Any) -> float:
    """The largest finite magnitude among arrays (for the summation tolerance)."""
    m = 0.0
    for arr in arrays:
        a = np.asarray(arr, dtype=np.float64)
        finite = a[np.isfinite(a)]
        if finite.size:
            m = max(m, float(np.max(np.abs(finite))))
    return m


def _grad_scale(op: Op, scale: float, g: np.ndarray, expected: Any, in_shape: tuple,
                out_shape: tuple) -> float:
    """The summation tolerance of a gradient: the op's own sums, and the sum over the
    axes an input was broadcast along (approximated by the gradient's largest entry)."""
    s = _magnitude(g) * max(scale, 1.0 if op.grad_sums else 0.0)
    if tuple(in_shape) != tuple(out_shape):
        s = max(s, _magnitude(_as_numpy(expected)))
    return s


def _ours_inputs(arrays: list[np.ndarray], grads: Sequence[bool]) -> list[Tensor]:
    return [Tensor(a.copy(), requires_grad=bool(gr)) for a, gr in zip(arrays, grads)]


def _torch_forward(op: Op, arrays: list[np.ndarray], kwargs: dict, grads: Sequence[bool],
                   dtype: Any, fn: Callable | None = None
                   ) -> tuple[Any, list[Any], Exception | None]:
    tin = [torch.tensor(a.astype(dtype) if a.dtype.kind == "f" else a,
                        requires_grad=bool(gr)) for a, gr in zip(arrays, grads)]
    try:
        return (fn or op.theirs)(*tin, **kwargs), tin, None
    except (RuntimeError, ValueError, IndexError, TypeError) as err:
        return None, tin, err


def _torch_reference(op: Op, arrays: list[np.ndarray], kwargs: dict, grads: Sequence[bool],
                     g1: np.ndarray, g2: np.ndarray, h: list[np.ndarray], dtype: Any,
                     fn: Callable | None = None) -> dict:
    """Every number PyTorch gives for this example at ``dtype``: the forward value, the
    gradients of a plain backward (g1), and the first (g2, create_graph) and second
    derivatives."""
    out, tin, _ = _torch_forward(op, arrays, kwargs, grads, dtype, fn)
    wanted = [i for i, gr in enumerate(grads) if gr]
    ref = {"forward": out}
    if not wanted or not out.requires_grad:
        return ref
    inputs = [tin[i] for i in wanted]
    plain = torch.autograd.grad(out, inputs, torch.tensor(g1.astype(dtype)),
                                allow_unused=True, retain_graph=True)
    for i, gr in zip(wanted, plain):
        ref[f"gradient of input {i}"] = gr if gr is not None else torch.zeros_like(tin[i])
    if not op.second:
        return ref
    t_g = torch.tensor(g2.astype(dtype), requires_grad=True)
    first = torch.autograd.grad(out, inputs, t_g, create_graph=True, allow_unused=True)
    for i, gr in zip(wanted, first):
        ref[f"gradient of input {i} (create_graph=True)"] = (
            gr if gr is not None else torch.zeros_like(tin[i]))
    terms = [(f * torch.tensor(hk.astype(dtype))).sum() for f, hk in zip(first, h)
             if f is not None and f.requires_grad]
    targets = inputs + [t_g]
    second = torch.autograd.grad(sum(terms), targets, allow_unused=True) if terms else [
        None] * len(targets)
    names = [f"input {i}" for i in wanted] + ["the upstream gradient"]
    for name, gr, target in zip(names, second, targets):
        ref[f"second derivative w.r.t. {name}"] = (
            gr if gr is not None else torch.zeros_like(target))
    return ref


def _ours_run(op: Op, arrays: list[np.ndarray], kwargs: dict, grads: Sequence[bool]) -> Any:
    ours_in = _ours_inputs(arrays, grads)
    return op.ours(*ours_in, **kwargs), ours_in


def check(op: Op, data: Any) -> None:
    """Draw one example for ``op`` and compare everything (see the module docstring)."""
    with warnings.catch_warnings():  # both libraries warn about means of nothing; fine here
        warnings.simplefilter("ignore")
        _check(op, data)


def _check(op: Op, data: Any) -> None:
    case = op.draw(data)
    dtype = np.float64
    if op.float32 and data.draw(st.integers(0, 3), label="float32?") == 0:
        dtype = np.float32
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in case.arrays]
    grads = list(case.grads) if case.grads is not None else [a.dtype.kind == "f"
                                                              for a in arrays]
    kwargs = {k: (np.asarray(v, dtype=dtype) if isinstance(v, (np.ndarray, np.floating))
                  and np.asarray(v).dtype.kind == "f" else v)
              for k, v in case.kwargs.items()}  # constants (weights) at the example's dtype
    hypothesis_note(f"{op.name} {kwargs} on " + ", ".join(
        f"{a.dtype} {a.shape} {np.array2string(a, precision=17, threshold=80)}"
        for a in arrays))

    theirs, _, refused = _torch_forward(op, arrays, kwargs, grads, dtype)
    try:
        ours, ours_in = _ours_run(op, arrays, kwargs, grads)
    except (ValueError, IndexError, TypeError, RuntimeError) as err:
        if refused is not None:
            return  # both refuse
        if op.refuse_ok and not np.isfinite(_as_numpy(theirs)).all():
            return  # PyTorch's answer is nan or inf; our clear error is the better one
        raise Mismatch(f"{op.name}: we raise {type(err).__name__}: {err}, PyTorch "
                       "accepts the input") from err
    if refused is not None:
        raise Mismatch(f"{op.name}: PyTorch refuses ({type(refused).__name__}: {refused}) "
                       f"but we return {ours!r}")

    wanted = [i for i, gr in enumerate(grads) if gr]
    out_shape = tuple(theirs.shape)
    g1 = upstream(data, out_shape, dtype, finite=bool(op.finite_upstream))
    g2 = upstream(data, out_shape, dtype, finite=True)
    h = [values(data, arrays[i].shape, WEIGHTS).astype(dtype) for i in wanted]
    refs = []
    for fn in (op.theirs, op.alt) if op.alt else (op.theirs,):
        refs.append(_torch_reference(op, arrays, kwargs, grads, g1, g2, h, dtype, fn))
        if dtype == np.float32:  # the exact answer, for where float32 itself is the problem
            refs.append(_torch_reference(op, arrays, kwargs, grads, g1, g2, h, np.float64, fn))

    def compare(what: str, mine: Any, scale: float, factors: Sequence[Any] = ()) -> None:
        underflow = math.prod(max(_magnitude(f), 1.0) for f in factors)
        assert_same(what, mine, [r[what] for r in refs], dtype, op, scale, underflow)

    scale = 0.0
    if op.sums:
        scale = math.prod(max(_magnitude(a), 1.0) for a in arrays) ** op.sums
    compare("forward", ours, scale)
    if len(refs[0]) == 1:  # nothing to differentiate
        return
    # --- first derivatives: a plain backward with a random upstream gradient -----------
    ours.backward(g1)
    for i in wanted:
        what = f"gradient of input {i}"
        compare(what, ours_in[i].grad, _grad_scale(op, scale, g1, refs[0][what],
                                                   arrays[i].shape, out_shape),
                (g1, *arrays))
    if not op.second or dtype == np.float32 or not all(
            np.isfinite(a).all() for a in arrays if a.dtype.kind == "f"):
        # second derivatives: in float64 (float32 sums of products of 1e38-sized terms
        # overflow in any order) and at finite inputs (else it is inf arithmetic only)
        return
    # --- the same recorded (create_graph=True), then d/d(inputs, g) of sum_i grad_i h_i ----
    ours, ours_in = _ours_run(op, arrays, kwargs, grads)
    o_g = Tensor(g2, requires_grad=True)
    targets = [ours_in[i] for i in wanted]
    first = tg.backprop(ours, ours._seed(o_g, True), create_graph=True, targets=targets)
    for i, mine in zip(wanted, first):
        what = f"gradient of input {i} (create_graph=True)"
        compare(what, mine, _grad_scale(op, scale, g2, refs[0][what], arrays[i].shape, out_shape),
                (g2, *arrays))
    terms = [(f * Tensor(hk)).sum() for f, hk in zip(first, h)
             if isinstance(f, Tensor) and f.requires_grad]
    second = [None] * (len(targets) + 1)
    if terms:
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        second = tg.backprop(total, total._seed(None, False), targets=targets + [o_g])
    names = [f"input {i}" for i in wanted] + ["the upstream gradient"]
    for name, mine in zip(names, second):
        what = f"second derivative w.r.t. {name}"
        # d/dg of sum_i grad_i h_i is J h: its terms are the first derivative's times h,
        # whatever g is (even g = 0), so g's size only counts where it is above 1
        g_size = _magnitude(g2)
        if name == "the upstream gradient":
            g_size = max(g_size, 1.0)
        s2 = max(g_size * _magnitude(*h) * max(scale, float(op.grad_sums)),
                 _magnitude(_as_numpy(refs[0][what])))
        if op.divides_by_result:
            result = np.abs(np.asarray(ours.data, dtype=np.float64))
            smallest = result[(result > 0) & np.isfinite(result)]
            if smallest.size:
                s2 = max(s2, _magnitude(g2) * _magnitude(*h) / float(smallest.min()))
        compare(what, mine, s2, (g2, *h, *arrays))
