"""Products with PyTorch's names: ``einsum``, ``tensordot``, ``dot``, ``outer``, ``bmm``,
``addmm``, ``kron``, ``cross``, ``trace``, ``dist``, ``cdist`` (the matrix functions
``inv``, ``det``, ``solve`` are in ``ops_matrix``).

**einsum is the one product here with its own derivative.** ``einsum("ij,jk->ik", a, b)``
multiplies and sums over the letters missing from the output. Its derivative with
respect to one operand is again an einsum: the upstream gradient (with the output's
letters) times the other operands, summed down to that operand's letters. A letter
the operand has twice (a diagonal, ``"ii->"``) gets a fresh letter and an identity
matrix joining the two; a letter no other operand has (summed within the operand,
``"ij->"``) comes back as a vector of ones. Because the derivative is an einsum,
second derivatives need nothing more. ``tensordot`` and ``inner`` are einsums with
a generated equation.
"""

from __future__ import annotations

import string
import warnings
from typing import Any

import numpy as np

from tinygrad_dk import ops, ops_math
from tinygrad_dk.ops import matmul, where
from tinygrad_dk.ops_shape import broadcast_to, expand_dims, getitem, reshape, stack
from tinygrad_dk.primitive import Primitive, quiet, raw
from tinygrad_dk.spelling import number_axis

_LETTERS = string.ascii_letters  # einsum's subscripts: a-z then A-Z (52)

# --- einsum ------------------------------------------------------------------------------


def _einsum_forward(*operands: np.ndarray, equation: str) -> np.ndarray:
    # Two operands: one pairwise contraction (numpy may hand it to BLAS). More: numpy's
    # plain loop, which multiplies left to right as PyTorch does, so that 0 * x * 1e38
    # stays 0 in float32 instead of becoming 0 * inf
    return np.asarray(np.einsum(equation, *operands, optimize=len(operands) <= 2))


def _einsum_vjp_all(g: Any, out: Any, *operands: Any, equation: str) -> list:
    """Each operand's gradient: einsum of g and the other operands (module docstring)."""
    inputs, output = equation.split("->")
    subs = inputs.split(",")
    sizes = {c: n for s, a in zip(subs, operands) for c, n in zip(s, np.shape(raw(a)))}
    grads = []
    for k, target in enumerate(subs):
        others = [(s, a) for i, (s, a) in enumerate(zip(subs, operands)) if i != k]
        present = set(output).union(*(set(s) for s, _ in others))
        fresh = iter(c for c in _LETTERS if c not in sizes)
        wanted, extra = [], []  # the gradient's letters, and constant operands that make them
        for c in target:
            if c in wanted:  # a repeated letter: a diagonal, joined by the identity
                d = next(fresh)
                extra.append((c + d, np.eye(sizes[c], dtype=raw(g).dtype)))
                wanted.append(d)
            else:
                wanted.append(c)
        for c in dict.fromkeys(target):
            if c not in present:  # summed within this operand alone: broadcast back
                extra.append((c, np.ones(sizes[c], dtype=raw(g).dtype)))
        terms = [(output, g)] + others + extra
        eq = ",".join(s for s, _ in terms) + "->" + "".join(wanted)
        grad = _einsum(*(a for _, a in terms), equation=eq)
        if len(wanted) > len(set(target)):  # off the diagonal exactly 0 (not inf * 0 = nan)
            grad = where(_diagonal(target, np.shape(raw(operands[k]))), grad, 0.0)
        grads.append(grad)
    return grads


def _diagonal(subscripts: str, shape: tuple) -> np.ndarray:
    """True where the axes that share a letter (``"ii"``) have equal indices."""
    grids = np.indices(shape, sparse=True)
    mask = np.ones(shape, dtype=bool)
    for i, c in enumerate(subscripts):
        first = subscripts.index(c)
        if first < i:
            mask = mask & (grids[first] == grids[i])
    return mask


_einsum = Primitive("einsum", quiet(_einsum_forward), vjp_all=_einsum_vjp_all)


def _parse(equation: str, shapes: list[tuple]) -> tuple[list[str], str]:
    """PyTorch's equation as explicit letters per operand and for the output: ``...``
    becomes letters (the same ones for the same broadcast axes), and without ``->`` the
    output is every letter seen once, in alphabetical order, after the ``...`` axes."""
    eq = equation.replace(" ", "")
    inputs, arrow, output = eq.partition("->")
    subs = inputs.split(",")
    if len(subs) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} has {len(subs)} operand(s) but "
                         f"{len(shapes)} tensor(s) were given")
    for s in subs + [output]:
        bad = set(s.replace("...", "")) - set(_LETTERS)
        if bad or s.count("...") > 1:
            raise ValueError(f"einsum: {equation!r}: subscripts are letters a-z, A-Z and at "
                             "most one '...' per operand")
    used = set(eq)
    spare = [c for c in _LETTERS if c not in used]
    ell = max((len(shp) - len(s.replace("...", "")) for s, shp in zip(subs, shapes)
               if "..." in s), default=0)
    dots = "".join(spare[:ell])  # the letters of the broadcast axes, rightmost aligned
    explicit = []
    for s, shp in zip(subs, shapes):
        if "..." in s:
            k = len(shp) - len(s.replace("...", ""))
            s = s.replace("...", dots[ell - k:] if k else "")
        if len(s) != len(shp):
            raise ValueError(f"einsum: operand subscripts {s!r} name {len(s)} axes but the "
                             f"tensor has shape {tuple(shp)}")
        explicit.append(s)
    if arrow:
        output = output.replace("...", dots)
    else:
        counts = {c: inputs.count(c) for c in set(inputs) - {".", ","}}
        output = dots + "".join(sorted(c for c, n in counts.items() if n == 1))
    return explicit, output


def einsum(equation: str, *operands: Any) -> Any:
    """Einstein summation as ``torch.einsum`` (operands as arguments or one list)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    shapes = [np.shape(raw(a)) for a in operands]
    subs, output = _parse(equation, shapes)
    sizes: dict[str, int] = {}
    for s, shp in zip(subs, shapes):  # a letter's length: PyTorch broadcasts lengths of 1
        for c, n in zip(s, shp):
            if sizes.get(c, 1) != 1 and n not in (1, sizes[c]):
                raise ValueError(f"einsum: {equation!r}: subscript {c!r} has length "
                                 f"{sizes[c]} in one operand and {n} in another")
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    ready = []
    for s, a, shp in zip(subs, operands, shapes):
        full = tuple(sizes[c] for c in s)
        # (a repeated letter is a diagonal, not a broadcast: leave those as they are)
        ready.append(broadcast_to(a, full) if full != tuple(shp) and len(set(s)) == len(s)
                     else a)
    return _einsum(*ready, equation=",".join(subs) + "->" + output)


def tensordot(a: Any, b: Any, dims: Any = 2) -> Any:
    """Sum over ``dims`` axes: the last ``dims`` of a with the first of b, or the axes
    listed in ``dims = ([a's], [b's])``."""
    na, nb = np.ndim(raw(a)), np.ndim(raw(b))
    if isinstance(dims, (int, np.integer)):
        if not 0 <= dims <= min(na, nb):
            raise ValueError(f"tensordot: dims={dims} must be between 0 and {min(na, nb)}")
        pa, pb = list(range(na - dims, na)), list(range(dims))
    else:
        pa, pb = ([d] if isinstance(d, (int, np.integer)) else list(d) for d in dims)
        if len(pa) != len(pb):
            raise ValueError(f"tensordot: dims={dims}: both lists must be equally long")
        pa, pb = [d % max(na, 1) for d in pa], [d % max(nb, 1) for d in pb]
    la = list(_LETTERS[:na])
    lb = list(_LETTERS[na:na + nb])
    for i, j in zip(pa, pb):
        lb[j] = la[i]
    out = [c for i, c in enumerate(la) if i not in pa] + [c for j, c in enumerate(lb)
                                                           if j not in pb]
    return einsum("".join(la) + "," + "".join(lb) + "->" + "".join(out), a, b)


# --- vector and matrix products ---------------------------------------------------------------


def _need(op: str, x: Any, ndim: int, what: str) -> None:
    if np.ndim(raw(x)) != ndim:
        raise ValueError(f"{op}: expected {what} ({ndim}-D), got a tensor of shape "
                         f"{np.shape(raw(x))}")


def dot(a: Any, b: Any) -> Any:
    """The dot product of two 1-D tensors of the same length."""
    _need("dot", a, 1, "a vector")
    _need("dot", b, 1, "a vector")
    if np.shape(raw(a)) != np.shape(raw(b)):
        raise ValueError(f"dot: the vectors have different lengths {np.shape(raw(a))[0]} and "
                         f"{np.shape(raw(b))[0]}")
    return matmul(a, b)


def inner(a: Any, b: Any) -> Any:
    """Sum over the last axes of a and b (a number times a tensor if one is 0-D)."""
    if np.ndim(raw(a)) == 0 or np.ndim(raw(b)) == 0:
        return ops.mul(a, b)
    return tensordot(a, b, ([-1], [-1]))


def outer(a: Any, b: Any) -> Any:
    """The outer product of two vectors: out[i, j] = a[i] b[j]."""
    _need("outer", a, 1, "a vector")
    _need("outer", b, 1, "a vector")
    return ops.mul(expand_dims(a, 1), expand_dims(b, 0))


def mv(m: Any, v: Any) -> Any:
    """Matrix times vector."""
    _need("mv", m, 2, "a matrix")
    _need("mv", v, 1, "a vector")
    return matmul(m, v)


def bmm(a: Any, b: Any) -> Any:
    """A batch of matrix products: (b, n, k) @ (b, k, m) -> (b, n, m), no broadcasting."""
    _need("bmm", a, 3, "a batch of matrices")
    _need("bmm", b, 3, "a batch of matrices")
    if np.shape(raw(a))[0] != np.shape(raw(b))[0]:
        raise ValueError(f"bmm: batch sizes differ: {np.shape(raw(a))} and {np.shape(raw(b))}"
                         " (bmm does not broadcast; matmul does)")
    return matmul(a, b)


def scaled_sum(c: Any, product: Any, beta: float, alpha: float) -> Any:
    """beta * c + alpha * product, as addmm/addmv/baddbmm compute it."""
    if alpha != 1:
        product = ops.mul(product, alpha)
    if beta == 0:  # c's values are ignored (NaN and inf too, as PyTorch); its gradient is 0 g
        c = ops.mul(where(np.isfinite(raw(c)), c, 0.0), 0.0)
    elif beta != 1:
        c = ops.mul(c, beta)
    return ops.add(c, product)


def addmm(c: Any, a: Any, b: Any, beta: float = 1, alpha: float = 1) -> Any:
    """beta * c + alpha * (a @ b) for matrices a, b."""
    _need("addmm", a, 2, "a matrix")
    _need("addmm", b, 2, "a matrix")
    return scaled_sum(c, matmul(a, b), beta, alpha)


def addmv(c: Any, m: Any, v: Any, beta: float = 1, alpha: float = 1) -> Any:
    """beta * c + alpha * (m @ v) for a matrix m and a vector v."""
    return scaled_sum(c, mv(m, v), beta, alpha)


def baddbmm(c: Any, a: Any, b: Any, beta: float = 1, alpha: float = 1) -> Any:
    """beta * c + alpha * bmm(a, b)."""
    return scaled_sum(c, bmm(a, b), beta, alpha)


def kron(a: Any, b: Any) -> Any:
    """The Kronecker product: every element of a times the whole of b, in blocks."""
    sa, sb = np.shape(raw(a)), np.shape(raw(b))
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    # a's axes interleaved with b's: (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...)
    pa = tuple(x for n in sa for x in (n, 1))
    pb = tuple(x for n in sb for x in (1, n))
    return reshape(ops.mul(reshape(a, pa), reshape(b, pb)),
                   tuple(m * n for m, n in zip(sa, sb)))


def cross(a: Any, b: Any, axis: Any = None) -> Any:
    """The cross product of 3-vectors along ``axis`` (None: the first axis of length 3,
    PyTorch's old default; ``torch.linalg.cross`` uses -1)."""
    if np.ndim(raw(a)) != np.ndim(raw(b)):
        raise ValueError(f"cross: the inputs must have the same number of dimensions, got "
                         f"shapes {np.shape(raw(a))} and {np.shape(raw(b))} (as PyTorch)")
    shape = np.broadcast_shapes(np.shape(raw(a)), np.shape(raw(b)))
    if axis is None:
        found = [i for i, n in enumerate(shape) if n == 3]
        if not found:
            raise ValueError(f"cross: no axis of length 3 in the shape {shape}")
        axis = found[0]
        warnings.warn("cross without dim takes the first axis of length 3 (PyTorch's old rule, "
                      "which it deprecates); give dim, or use linalg.cross (dim=-1)",
                      UserWarning, stacklevel=3)
    if not -len(shape) <= axis < max(len(shape), 1) or not (
            np.shape(raw(a))[axis] == np.shape(raw(b))[axis] == 3):
        raise ValueError(f"cross: dim {axis} must have length 3 in both inputs (shapes "
                         f"{np.shape(raw(a))} and {np.shape(raw(b))}); it is not broadcast")
    axis %= len(shape)
    a, b = broadcast_to(a, shape), broadcast_to(b, shape)
    head = (slice(None),) * axis

    def part(x: Any, i: int) -> Any:
        return getitem(x, head + (i,))

    return stack([part(a, 1) * part(b, 2) - part(a, 2) * part(b, 1),
                  part(a, 2) * part(b, 0) - part(a, 0) * part(b, 2),
                  part(a, 0) * part(b, 1) - part(a, 1) * part(b, 0)], axis=axis)


def trace(m: Any) -> Any:
    """The sum of the diagonal of a matrix."""
    _need("trace", m, 2, "a matrix")
    k = min(np.shape(raw(m)))
    return ops.sum(getitem(m, (np.arange(k), np.arange(k))))


def vector_norm(x: Any, ord: Any = 2, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
    """The vector ord-norm over ``axis``; ord = 0 counts the non-zero elements."""
    axis = number_axis(np.ndim(raw(x)), axis)
    if ord == 0:  # a count: its gradient is exactly 0 (a where that never picks x)
        count = np.sum(raw(x) != 0, axis=axis, keepdims=keepdims).astype(raw(x).dtype)
        never = np.zeros(np.shape(raw(x)), bool)
        return ops.add(ops.sum(where(never, x, 0.0), axis=axis, keepdims=keepdims), count)
    return ops_math.norm(x, ord, axis, keepdims)


def dist(a: Any, b: Any, p: float = 2) -> Any:
    """The p-norm of a - b over all elements."""
    return vector_norm(ops.sub(a, b), p)


def cdist(x1: Any, x2: Any, p: float = 2.0) -> Any:
    """The p-norm distance between each row of x1 (..., P, M) and each row of x2 (..., R, M):
    shape (..., P, R). From the differences directly (never |a|^2 + |b|^2 - 2ab, which
    loses every digit for nearby points); at distance 0 the gradient is 0, as PyTorch."""
    if np.ndim(raw(x1)) < 2 or np.ndim(raw(x2)) < 2:
        raise ValueError("cdist: x1 and x2 need at least 2 dimensions (..., points, features)")
    if np.shape(raw(x1))[-1] != np.shape(raw(x2))[-1]:
        raise ValueError(f"cdist: x1 and x2 must have the same number of features (last axis):"
                         f" {np.shape(raw(x1))[-1]} and {np.shape(raw(x2))[-1]}")
    if p < 0:
        raise ValueError(f"cdist: p={p} must be >= 0")
    diff = ops.sub(expand_dims(x1, -2), expand_dims(x2, -3))
    same = np.all(raw(diff) == 0, axis=-1, keepdims=True)
    if same.any():  # distance 0: gradient exactly 0, even for an infinite g (as PyTorch)
        diff = where(same, 0.0, diff)
    return vector_norm(diff, p, axis=-1)
