"""Reductions, scans, order statistics, products and ``linalg`` against PyTorch, by the
differential harness (``tests/differential.py``): ``prod``, ``cumsum``/``cumprod``/
``logcumsumexp``, ``cummax``, ``diff``, ``argsort``, ``median``, ``kthvalue``, ``mode``,
``quantile``, ``nansum``, ``einsum``, ``tensordot``, ``addmm``, ``cdist``,
``linalg.inv``/``det``/``solve``/``norm``, ... Forward values, first derivatives and
second derivatives where PyTorch has them.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import (  # noqa: E402
    FINITE,
    MODERATE,
    REAL,
    Case,
    Op,
    shape,
    values,
)

import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)
FORM = st.sampled_from(["method", "function"])
DISTINCT = D.Domain(kinds=("normal",))  # no ties: PyTorch's choice among equal values is open
# distinct values and some NaN (|x| < 0.3 becomes NaN: about a quarter of them)
WITH_NAN = D.Domain(kinds=("normal",), map=lambda a: np.where(np.abs(a) < 0.3, np.nan, a))
SMALL_INTS = D.Domain(kinds=("ints",))  # many repeated values
REAL_NAN = D.Domain(kinds=D.KINDS, map=lambda a: np.where(np.abs(a) == 1.0, np.nan, a))


def _call(name, x, *args, form="method", **kwargs):
    """``x.name(...)`` or ``tg.name(x, ...)``, as drawn."""
    return getattr(x, name)(*args, **kwargs) if form == "method" else getattr(tg, name)(
        x, *args, **kwargs)


def _one_dim(data, domain=REAL, min_dims=0, nonempty=False, none=True, **options):
    """One array, ``dim`` (one int, or None when allowed) and ``keepdim``."""
    s = shape(data, min_dims=min_dims)
    if nonempty:
        s = tuple(max(n, 1) for n in s)
    choices = [st.integers(-max(len(s), 1), max(len(s), 1) - 1)]
    if none:
        choices.append(st.none())
    kwargs = {"dim": data.draw(st.one_of(*choices), label="dim"),
              "keepdim": data.draw(st.booleans(), label="keepdim"),
              "form": data.draw(FORM, label="form")}
    kwargs.update({k: data.draw(v, label=k) for k, v in options.items()})
    return Case([values(data, s, domain)], kwargs)


def _dim_args(dim, keepdim):
    return {} if dim is None else {"dim": dim, "keepdim": keepdim}


def _with_dim(name, field=None):
    """ours(x, dim, keepdim, form): the method or function, one field of a pair if asked."""
    def ours(x, dim, keepdim, form, **k):
        out = _call(name, x, form=form, **_dim_args(dim, keepdim), **k)
        return getattr(out, field) if field and dim is not None else out

    def theirs(x, dim, keepdim, form, **k):
        out = getattr(torch, name)(x, **_dim_args(dim, keepdim), **k)
        return getattr(out, field) if field and dim is not None else out

    return ours, theirs


def _scan_case(domain):
    def draw(data):
        s = shape(data)
        return Case([values(data, s, domain)],
                    {"dim": data.draw(st.integers(-max(len(s), 1), max(len(s), 1) - 1)),
                     "form": data.draw(FORM)})
    return draw


def _scan(name, field=None):
    def ours(x, dim, form):
        out = _call(name, x, dim, form=form)
        return getattr(out, field) if field else out

    def theirs(x, dim, form):
        out = getattr(torch, name)(x, dim)
        return getattr(out, field) if field else out

    return ours, theirs


def _logcumsumexp_prefixes(x, dim, form):
    """out_j = logsumexp(x_0 .. x_j), each prefix by PyTorch's logsumexp (a matrix of
    prefixes, the rest masked with -inf): the same function, whose derivative (a softmax)
    keeps g where PyTorch's logcumsumexp derivative rounds log(g) - out + x at |x| = 1e30."""
    if x.ndim == 0:
        return torch.logcumsumexp(x, dim)
    y = x.movedim(dim, -1)
    n = y.shape[-1]
    prefix = torch.tril(torch.ones(n, n, dtype=torch.bool))  # [j, i]: i <= j
    rows = torch.where(prefix, y.unsqueeze(-2), torch.tensor(-torch.inf, dtype=x.dtype))
    return torch.logsumexp(rows, -1).movedim(-1, dim)


def _no_grad(draw):
    def no_grad(data):
        case = draw(data)
        return Case(case.arrays, case.kwargs, grads=[False] * len(case.arrays))
    return no_grad


def _no_all_nan_rows(draw):
    """A row of NaN only gets a number first: nanmedian's index among NaNs only is open in
    PyTorch (0 for three, 2 for four), and so is where the gradient goes."""
    def draw_it(data):
        case = draw(data)
        a, dim = case.arrays[0], case.kwargs["dim"]
        if dim is None or a.ndim == 0:
            a = a.copy()
            if a.size and np.isnan(a).all():
                a.flat[0] = 0.5
        else:
            first = np.arange(a.shape[dim]).reshape(
                [-1 if i == dim % a.ndim else 1 for i in range(a.ndim)]) == 0
            a = np.where(np.isnan(a).all(axis=dim, keepdims=True) & first, 0.5, a)
        return Case([a], case.kwargs, case.grads)
    return draw_it


def _diff(data):
    s = tuple(max(n, 1) for n in shape(data, min_dims=1))
    dim = data.draw(st.integers(-len(s), len(s) - 1))
    arrays = [values(data, s, REAL)]
    extra = {}
    for where in ("prepend", "append"):
        if data.draw(st.booleans(), label=where):
            arrays.append(values(data, s[:dim % len(s)] + (data.draw(st.sampled_from([1, 2])),)
                                 + s[dim % len(s) + 1:], REAL))
            extra[where] = len(arrays) - 1
    return Case(arrays, {"n": data.draw(st.integers(1, 3)), "dim": dim, "where": extra})


def _diff_run(lib):
    def run(x, *others, n, dim, where):
        kw = {k: others[i - 1] for k, i in where.items()}
        return lib.diff(x, n=n, dim=dim, **kw)
    return run


def _argsort(data):
    s = shape(data, min_dims=1)
    return Case([values(data, s, REAL_NAN)], {"dim": data.draw(st.integers(-len(s), len(s) - 1)),
                                              "descending": data.draw(st.booleans()),
                                              "form": data.draw(FORM)}, grads=[False])


def _kth(data):
    s = tuple(max(n, 1) for n in shape(data, min_dims=1))
    dim = data.draw(st.integers(-len(s), len(s) - 1))
    # (no NaN: PyTorch's selection leaves the order among NaNs open)
    return Case([values(data, s, DISTINCT)], {"k": data.draw(st.integers(1, s[dim])), "dim": dim,
                                              "keepdim": data.draw(st.booleans()),
                                              "form": data.draw(FORM)})


def _kth_run(lib, field):
    def run(x, k, dim, keepdim, form):
        out = (x.kthvalue(k, dim, keepdim) if form == "method" and lib is tg
               else lib.kthvalue(x, k, dim, keepdim))
        return getattr(out, field)
    return run


def _quantile(data):
    s = shape(data)
    if data.draw(st.booleans(), label="q is a number"):
        q = data.draw(st.sampled_from([0.0, 0.25, 0.5, 0.7, 1.0]))
    else:
        q = data.draw(st.lists(st.floats(0, 1), min_size=0, max_size=3))
    dim = data.draw(st.one_of(st.none(), st.integers(-max(len(s), 1), max(len(s), 1) - 1)))
    if dim is None or not s:
        s = tuple(max(n, 1) for n in s) if not any(s) or 0 in s else s
    else:
        s = s[:dim % len(s)] + (max(s[dim % len(s)], 1),) + s[dim % len(s) + 1:]
    nan = data.draw(st.booleans(), label="NaN")
    name = data.draw(st.sampled_from(["quantile", "nanquantile"]))
    # (quantile's gradient goes to a NaN of the row: PyTorch's sort leaves their order open)
    kwargs = {"q": q, "dim": dim, "keepdim": data.draw(st.booleans()),
              "interpolation": data.draw(st.sampled_from(
                  ["linear", "lower", "higher", "midpoint", "nearest"])),
              "name": name, "form": data.draw(FORM)}
    return Case([values(data, s, WITH_NAN if nan else DISTINCT)], kwargs,
                grads=[not (nan and name == "quantile")])


def _quantile_run(lib):
    def run(x, q, dim, keepdim, interpolation, name, form):
        if isinstance(q, list):
            q = (tg.tensor(q, dtype=x.dtype) if lib is tg
                 else torch.tensor(q, dtype=x.dtype))
        kw = {"dim": dim, "keepdim": keepdim, "interpolation": interpolation}
        if lib is tg and form == "method":
            return getattr(x, name)(q, **kw)
        return getattr(lib, name)(x, q, **kw)
    return run


def _std_mean_run(lib):
    def run(x, dim, keepdim, form, correction, name):
        kw = {"dim": dim, "keepdim": keepdim, "correction": correction}
        if lib is torch and dim is None:
            kw["dim"] = None
        s, m = (getattr(x, name)(**kw) if lib is tg and form == "method"
                else getattr(lib, name)(x, **kw))
        return lib.stack([s, m])
    return run


# --- products --------------------------------------------------------------------------------

def _sizes(data, n):
    return [data.draw(D.SIZES, label=f"n{i}") for i in range(n)]


def _vectors(data):
    n = data.draw(D.SIZES)
    return Case([values(data, (n,), FINITE), values(data, (n,), FINITE)],
                {"name": data.draw(st.sampled_from(["dot", "vdot", "inner", "outer", "ger"])),
                 "form": data.draw(FORM)})


def _norm_scaled(x, form, ord, dim, keepdim):
    """PyTorch's norm of x / s, times s (s = the largest finite |x|, a constant): a norm
    is homogeneous, so the same function, without squares of 1e-300 underflowing to 0
    (ord = 0 counts, so it is not scaled)."""
    finite = x.detach().abs()[torch.isfinite(x.detach())]
    s = float(finite.max()) if finite.numel() else 1.0
    if ord == 0 or not 0 < s < np.inf:
        s = 1.0
    return _norm_run(torch)(x / s, form, ord, dim, keepdim) * s


def _pair_run(lib):
    def run(a, b, name, form):
        return (getattr(a, name)(b) if lib is tg and form == "method"
                else getattr(lib, name)(a, b))
    return run


def _inner(data):
    sa, sb = shape(data), shape(data)
    if sa and sb:
        sb = sb[:-1] + (sa[-1],)
    return Case([values(data, sa, FINITE), values(data, sb, FINITE)])


def _products(data):
    kind = data.draw(st.sampled_from(["mv", "bmm", "addmm", "addmv", "baddbmm"]))
    b, n, k, m = _sizes(data, 4)
    shapes = {"mv": [(n, k), (k,)], "bmm": [(b, n, k), (b, k, m)],
              "addmm": [(n, m), (n, k), (k, m)], "addmv": [(n,), (n, k), (k,)],
              "baddbmm": [(b, n, m), (b, n, k), (b, k, m)]}[kind]
    if kind.startswith(("add", "badd")) and data.draw(st.booleans(), label="broadcast c"):
        shapes[0] = shapes[0][-1:]  # c broadcasts (PyTorch allows it)
    return Case([values(data, s, FINITE) for s in shapes],
                {"kind": kind, "beta": data.draw(st.sampled_from([1.0, 0.5, 0.0])),
                 "alpha": data.draw(st.sampled_from([1.0, 2.0])), "form": data.draw(FORM)})


def _products_run(lib):
    def run(*arrays, kind, beta, alpha, form):
        first, rest = arrays[0], arrays[1:]
        f = (getattr(first, kind) if lib is tg and form == "method"
             else lambda *a, **k: getattr(lib, kind)(first, *a, **k))
        if kind in ("mv", "bmm"):
            return f(*rest)
        return f(*rest, beta=beta, alpha=alpha)
    return run


def _einsum(data):
    b, i, j, k = _sizes(data, 4)
    eq, shapes = data.draw(st.sampled_from([
        ("ij,jk->ik", [(i, j), (j, k)]), ("ij,jk", [(i, j), (j, k)]),
        ("bij,bjk->bik", [(b, i, j), (b, j, k)]), ("ii->i", [(i, i)]), ("ii", [(i, i)]),
        ("ij->", [(i, j)]), ("ij->ji", [(i, j)]), ("i,j->ij", [(i,), (j,)]),
        ("...ij,...jk->...ik", [(b, i, j), (j, k)]), ("i,i,i->", [(i,), (i,), (i,)]),
        ("bi,bi->b", [(b, i), (b, i)]), ("ij,ij->ij", [(i, j), (i, j)]),
        ("iij->j", [(i, i, j)]), ("ij,k", [(i, j), (k,)]), ("...i->...", [(b, j, i)]),
    ]), label="equation")
    return Case([values(data, s, FINITE) for s in shapes],
                {"eq": eq, "as_list": data.draw(st.booleans())})


def _einsum_run(lib):
    def run(*arrays, eq, as_list):
        return lib.einsum(eq, list(arrays)) if as_list else lib.einsum(eq, *arrays)
    return run


def _tensordot(data):
    dims = data.draw(st.sampled_from([0, 1, 2, ([1, 0], [0, 1]), ([1], [0]), ([0], [1])]))
    a = tuple(max(n, 1) for n in shape(data, min_dims=2, max_dims=3))
    if isinstance(dims, int):
        b = a[len(a) - dims:] + tuple(_sizes(data, 1))
    elif len(dims[0]) == 2:
        b = (a[1], a[0])
    else:
        b = (a[dims[0][0]], 2) if dims[1][0] == 0 else (3, a[dims[0][0]])
    return Case([values(data, a, FINITE), values(data, b, FINITE)], {"dims": dims})


def _kron(data):
    return Case([values(data, shape(data), FINITE), values(data, shape(data), FINITE)],
                {"form": data.draw(FORM)})


def _cross(data):
    s = list(D.broadcast_shapes(data, 1, min_dims=1)[0])
    where = data.draw(st.integers(0, len(s) - 1))
    s[where] = 3
    other = D.smaller(data, tuple(s), min_dims=len(s) - where)
    other = tuple(3 if i == where - (len(s) - len(other)) else n for i, n in enumerate(other))
    dim = data.draw(st.sampled_from([None, where, where - len(s)]))
    return Case([values(data, tuple(s), FINITE), values(data, other, FINITE)],
                {"dim": dim, "form": data.draw(FORM)})


def _cross_run(lib):
    def run(a, b, dim, form):
        if lib is tg and form == "method":
            return a.cross(b, dim)
        if lib is torch and dim is None:
            return torch.cross(a, b, dim=[i for i, n in enumerate(
                torch.broadcast_shapes(a.shape, b.shape)) if n == 3][0])
        return lib.cross(a, b, dim=dim)
    return run


def _matrix(data, domain=FINITE, square=False):
    n, m = _sizes(data, 2)
    return values(data, (n, n if square else m), domain)


def _dist(data):
    shapes = D.broadcast_shapes(data, 2)
    return Case([values(data, s, REAL) for s in shapes],
                # (p = 0: PyTorch's backward fails, "Expected a proper Tensor but got None")
                {"p": data.draw(st.sampled_from([2.0, 1.0, 3.0, np.inf])),
                 "form": data.draw(FORM)})


def _cdist(data):
    b, p, r, m = _sizes(data, 4)
    lead = (b,) if data.draw(st.booleans()) else ()
    a = values(data, lead + (p, m), MODERATE)
    c = values(data, lead + (r, m), MODERATE)
    if data.draw(st.booleans(), label="repeat a row") and p and r:
        c[..., 0, :] = a[..., 0, :]  # a distance of exactly 0
    return Case([a, c], {"p": data.draw(st.sampled_from([2.0, 1.0, 3.0]))})


# --- linalg -----------------------------------------------------------------------------------

def _square(data, singular_ok=False):
    n = data.draw(st.integers(0, 4), label="n")
    lead = tuple(data.draw(st.sampled_from([1, 2])) for _ in range(data.draw(
        st.integers(0, 1), label="batch dims")))
    a = values(data, lead + (n, n), DISTINCT)
    if not singular_ok or data.draw(st.booleans(), label="well conditioned"):
        a = a + 3.0 * np.eye(n)  # far from singular: digits are compared, not rounding noise
    return a


def _inv(data):
    return Case([_square(data)], {"name": data.draw(st.sampled_from(
        ["linalg.inv", "inverse", "method inverse"]))})


def _inv_run(lib):
    def run(a, name):
        if name == "linalg.inv":
            return lib.linalg.inv(a)
        return a.inverse() if name == "method inverse" else lib.inverse(a)
    return run


def _det(data):
    n = data.draw(st.integers(1, 3), label="rank-deficient n")
    if data.draw(st.booleans(), label="singular"):  # rank n - 1 or less, exactly
        u = values(data, (n, max(n - data.draw(st.integers(1, 2)), 0)), SMALL_INTS)
        a = u @ u.T  # integers: LU finds the 0 exactly only sometimes; compared at rtol
    else:
        a = _square(data, singular_ok=True)
    return Case([a], {"name": data.draw(st.sampled_from(["linalg.det", "det", "method det"]))})


def _det_run(lib):
    def run(a, name):
        if name == "linalg.det":
            return lib.linalg.det(a)
        return a.det() if name == "method det" else lib.det(a)
    return run


def _solve(data):
    a = _square(data)
    n, lead = a.shape[-1], a.shape[:-2]
    b = values(data, (n,) if data.draw(st.booleans()) else lead + (n, data.draw(D.SIZES)),
               FINITE)
    return Case([a, b])


def _norm(data):
    form = data.draw(st.sampled_from(["norm", "norm ord", "norm dim", "vector_norm",
                                      "matrix_norm"]))
    s = shape(data, min_dims=2 if form in ("matrix_norm", "norm ord") else 0,
              max_dims=2 if form == "norm ord" else 3)
    ord_ = None
    dim = None
    if form == "vector_norm":
        ord_ = data.draw(st.sampled_from([2, 1, np.inf, -np.inf, 0, 3]))
        dim = data.draw(st.one_of(st.none(), st.integers(-max(len(s), 1), max(len(s), 1) - 1)))
    elif form == "matrix_norm" or form == "norm ord":
        ord_ = data.draw(st.sampled_from(["fro", 1, -1, np.inf, -np.inf]))
        s = tuple(max(n, 1) for n in s) if ord_ != "fro" else s
    elif form == "norm dim":
        dim = data.draw(st.integers(-max(len(s), 1), max(len(s), 1) - 1))
    return Case([values(data, s, REAL)], {"form": form, "ord": ord_, "dim": dim,
                                          "keepdim": data.draw(st.booleans())})


def _norm_run(lib):
    def run(x, form, ord, dim, keepdim):
        la = lib.linalg
        if form == "norm":
            return la.norm(x, keepdim=keepdim)
        if form == "norm ord":
            return la.norm(x, ord)
        if form == "norm dim":
            return la.norm(x, dim=dim, keepdim=keepdim)
        if form == "vector_norm":
            return la.vector_norm(x, ord, dim=dim, keepdim=keepdim)
        return la.matrix_norm(x, ord, keepdim=keepdim)
    return run


def _slogdet(lib):
    def run(a):
        out = lib.linalg.slogdet(a)
        return lib.stack([out.sign, out.logabsdet])
    return run


def _det_leibniz(a, name):
    """det(A) by Leibniz's formula (a sum over permutations), exact to differentiate: the
    reference at singular matrices, where PyTorch's det derivative is 0 (not the adjugate)."""
    n = a.shape[-1]
    total = a.sum((-2, -1)) * 0  # (connected to a, also for n = 0)
    for perm in itertools.permutations(range(n)):
        sign = round(np.linalg.det(np.eye(n)[list(perm)])) if n else 1
        term = torch.ones(a.shape[:-2], dtype=a.dtype)
        for i, j in enumerate(perm):
            term = term * a[..., i, j]
        total = total + sign * term
    return total


ZERO_X = ("prod/cumprod with an inf among the factors: the product of the others is "
          "inf * 0 somewhere; PyTorch takes out / x (nan), we multiply the others out")
PICK_NAN = ("where the upstream gradient is inf, PyTorch's gather backward multiplies it by 0 "
            "for the elements not picked (nan); we give them 0")
AMAX_NAN = ("where the upstream gradient is inf, torch.aminmax multiplies it by a 0/1 mask "
            "(0 * inf = nan) for the elements that were not the extreme; we give them 0")

INF_G_SOLVE = ("where the upstream gradient is inf, PyTorch's derivative solves a system with "
               "it (nan over the whole matrix); we give the infinities the formula gives")

REDUCE_OPS = [
    # --- products over an axis and scans
    Op("prod", *_with_dim("prod"), lambda d: _one_dim(d), nan_ok=ZERO_X,
       covers=("Tensor.prod", "tg.prod", "ops_reduce.prod")),
    Op("cumsum", *_scan("cumsum"), _scan_case(REAL), sums=1,
       covers=("Tensor.cumsum", "tg.cumsum", "ops_reduce.cumsum")),
    # (finite inputs: with inf and 0 in one row, the derivative adds -inf and inf, and which
    # of nan or inf comes out depends on the order of the sums)
    Op("cumprod", *_scan("cumprod"), _scan_case(FINITE), nan_ok=ZERO_X, grad_sums=True,
       covers=("Tensor.cumprod", "tg.cumprod", "ops_reduce.cumprod")),
    Op("logcumsumexp", *_scan("logcumsumexp"), _scan_case(REAL), grad_sums=True,
       nan_ok="a prefix of only -inf: PyTorch's derivative is exp(-inf - -inf) = nan; we give "
       "those elements 0 (they add nothing)", alt=_logcumsumexp_prefixes,
       alt_why="PyTorch's derivative rounds log(g) - out + x at |x| = 1e30; each prefix's "
       "logsumexp does not",
       covers=("Tensor.logcumsumexp", "tg.logcumsumexp", "ops_reduce.logcumsumexp")),
    Op("cummax values", *_scan("cummax", "values"), _scan_case(REAL), nan_ok=PICK_NAN,
       covers=("Tensor.cummax", "tg.cummax", "ops_reduce.cumulative_extreme")),
    Op("cummax indices", *_scan("cummax", "indices"), _no_grad(_scan_case(REAL))),
    Op("cummin values", *_scan("cummin", "values"), _scan_case(REAL), nan_ok=PICK_NAN,
       covers=("Tensor.cummin", "tg.cummin")),
    Op("cummin indices", *_scan("cummin", "indices"), _no_grad(_scan_case(REAL))),
    Op("diff", _diff_run(tg), _diff_run(torch), _diff,
       covers=("Tensor.diff", "tg.diff", "ops_reduce.diff")),
    # --- order statistics
    Op("argsort (stable, NaN, ties)",
       lambda x, dim, descending, form: _call("argsort", x, dim, descending, form=form),
       lambda x, dim, descending, form: torch.argsort(x, dim=dim, descending=descending,
                                                      stable=True), _argsort,
       covers=("Tensor.argsort", "tg.argsort", "ops_reduce.argsort", "ops_reduce.order")),
    Op("msort", lambda x, form: _call("msort", x, form=form), lambda x, form: torch.msort(x),
       lambda d: Case([values(d, shape(d), DISTINCT)], {"form": d.draw(FORM)}),
       covers=("Tensor.msort", "tg.msort", "ops_reduce.msort")),
    Op("median values", *_with_dim("median", "values"),
       lambda d: _one_dim(d, WITH_NAN, nonempty=True), nan_ok=PICK_NAN,
       covers=("Tensor.median", "tg.median", "ops_reduce.median")),
    Op("median indices", *_with_dim("median", "indices"),
       _no_grad(lambda d: _one_dim(d, WITH_NAN, nonempty=True, none=False))),
    Op("nanmedian values", *_with_dim("nanmedian", "values"),
       _no_all_nan_rows(lambda d: _one_dim(d, WITH_NAN, nonempty=True)),
       nan_ok=PICK_NAN,
       covers=("Tensor.nanmedian", "tg.nanmedian")),
    Op("nanmedian indices", *_with_dim("nanmedian", "indices"),
       _no_grad(_no_all_nan_rows(lambda d: _one_dim(d, WITH_NAN, nonempty=True, none=False)))),
    Op("kthvalue values", _kth_run(tg, "values"), _kth_run(torch, "values"), _kth,
       nan_ok=PICK_NAN, covers=("Tensor.kthvalue", "tg.kthvalue", "ops_reduce.kthvalue")),
    Op("kthvalue indices", _kth_run(tg, "indices"), _kth_run(torch, "indices"), _no_grad(_kth)),
    Op("mode values", *_with_dim("mode", "values"),
       lambda d: _one_dim(d, SMALL_INTS, nonempty=True, none=False), nan_ok=PICK_NAN,
       covers=("Tensor.mode", "tg.mode", "ops_reduce.mode")),
    Op("mode indices", *_with_dim("mode", "indices"),
       _no_grad(lambda d: _one_dim(d, SMALL_INTS, nonempty=True, none=False))),
    Op("quantile, nanquantile", _quantile_run(tg), _quantile_run(torch), _quantile,
       nan_ok=PICK_NAN,
       covers=("Tensor.quantile", "tg.quantile", "Tensor.nanquantile", "tg.nanquantile",
               "ops_reduce.quantile")),
    Op("aminmax", lambda x, dim, keepdim, form: tg.stack(list(
       _call("aminmax", x, form=form, **_dim_args(dim, keepdim)))),
       lambda x, dim, keepdim, form: torch.stack(list(torch.aminmax(
           x, **_dim_args(dim, keepdim)))),
       lambda d: _one_dim(d, nonempty=True), nan_ok=AMAX_NAN,
       covers=("Tensor.aminmax", "tg.aminmax", "ops_reduce.aminmax")),
    # --- NaN-aware sums and counts, std/var with the mean
    Op("nansum", *_with_dim("nansum"), lambda d: _one_dim(d, REAL_NAN), sums=1,
       nan_ok="a 0-d NaN: PyTorch's derivative is nan there (0 for a NaN in a larger tensor); "
       "we give 0 in both",
       covers=("Tensor.nansum", "tg.nansum", "ops_reduce.nansum")),
    Op("nanmean", *_with_dim("nanmean"), lambda d: _one_dim(d, REAL_NAN), sums=1,
       nan_ok="where every element is NaN, PyTorch's derivative is g / 0 * 0 = nan; we give 0",
       covers=("Tensor.nanmean", "tg.nanmean", "ops_reduce.nanmean")),
    Op("count_nonzero", lambda x, dim, keepdim, form: _call(
       "count_nonzero", x, form=form, **({} if dim is None else {"dim": dim})),
       lambda x, dim, keepdim, form: torch.count_nonzero(x, dim=dim),
       _no_grad(lambda d: _one_dim(d, MODERATE)),
       covers=("Tensor.count_nonzero", "tg.count_nonzero", "ops_reduce.count_nonzero")),
    Op("std_mean, var_mean", _std_mean_run(tg), _std_mean_run(torch),
       lambda d: _one_dim(d, FINITE, nonempty=True, correction=st.sampled_from([0, 1]),
                          name=st.sampled_from(["std_mean", "var_mean"])),
       sums=2, grad_sums=True, refuse_ok="n - correction <= 0: we raise (see std's row)",
       covers=("Tensor.std_mean", "tg.std_mean", "Tensor.var_mean", "tg.var_mean")),
    # --- products
    Op("dot, vdot, inner, outer, ger", _pair_run(tg), _pair_run(torch), _vectors, sums=1,
       covers=("Tensor.dot", "tg.dot", "Tensor.vdot", "tg.vdot", "Tensor.outer", "tg.outer",
               "Tensor.ger", "tg.ger", "ops_linalg.dot", "ops_linalg.outer")),
    Op("inner (any shapes)", lambda a, b: a.inner(b), torch.inner, _inner, sums=1,
       covers=("Tensor.inner", "tg.inner", "ops_linalg.inner")),
    Op("mv, bmm, addmm, addmv, baddbmm", _products_run(tg), _products_run(torch), _products,
       sums=1, covers=("Tensor.mv", "tg.mv", "Tensor.bmm", "tg.bmm", "Tensor.addmm",
                       "tg.addmm", "Tensor.addmv", "tg.addmv", "Tensor.baddbmm", "tg.baddbmm",
                       "ops_linalg.mv", "ops_linalg.bmm", "ops_linalg.addmm",
                       "ops_linalg.addmv", "ops_linalg.baddbmm", "ops_linalg.scaled_sum")),
    Op("einsum", _einsum_run(tg), _einsum_run(torch), _einsum, sums=1,
       covers=("tg.einsum", "ops_linalg.einsum")),
    Op("tensordot", lambda a, b, dims: tg.tensordot(a, b, dims),
       lambda a, b, dims: torch.tensordot(a, b, dims), _tensordot, sums=1,
       covers=("tg.tensordot", "ops_linalg.tensordot")),
    Op("kron", lambda a, b, form: a.kron(b) if form == "method" else tg.kron(a, b),
       lambda a, b, form: torch.kron(a, b), _kron,
       covers=("Tensor.kron", "tg.kron", "ops_linalg.kron")),
    Op("cross", _cross_run(tg), _cross_run(torch), _cross, sums=1,
       covers=("Tensor.cross", "tg.cross", "ops_linalg.cross", "linalg.cross")),
    Op("trace", lambda a, form: _call("trace", a, form=form), lambda a, form: torch.trace(a),
       lambda d: Case([_matrix(d, REAL)], {"form": d.draw(FORM)}), sums=1,
       covers=("Tensor.trace", "tg.trace", "ops_linalg.trace")),
    Op("dist", lambda a, b, p, form: a.dist(b, p) if form == "method" else tg.dist(a, b, p),
       lambda a, b, p, form: torch.dist(a, b, p), _dist, sums=2, grad_sums=True,
       divides_by_result=True, nan_ok="at a = b PyTorch's p != 2 derivative is 0 / 0",
       covers=("Tensor.dist", "tg.dist", "ops_linalg.dist")),
    Op("cdist", lambda a, b, p: tg.cdist(a, b, p),
       lambda a, b, p: torch.cdist(a, b, p, compute_mode="donot_use_mm_for_euclid_dist"),
       _cdist, sums=2, grad_sums=True, divides_by_result=True, second=False,
       nan_ok="p != 2 and a component of x1 - x2 that is 0, whose derivative is exactly 0: "
       "PyTorch multiplies an infinite upstream gradient by it (nan); we give 0",
       covers=("tg.cdist", "ops_linalg.cdist")),
    # (PyTorch has no second derivative of cdist: compared with its norm of the differences)
    Op("cdist (second derivatives)", lambda a, b, p: tg.cdist(a, b, p),
       lambda a, b, p: torch.linalg.vector_norm(a.unsqueeze(-2) - b.unsqueeze(-3), p, dim=-1),
       _cdist, sums=2, grad_sums=True, divides_by_result=True,
       nan_ok="at distance 0 PyTorch's p != 2 norm derivative divides 0 by 0; we give 0"),
    # --- linalg
    Op("linalg.inv, inverse", _inv_run(tg), _inv_run(torch), _inv, sums=1, grad_sums=True,
       covers=("linalg.inv", "Tensor.inverse", "tg.inverse", "ops_matrix.inv")),
    Op("linalg.det, det", _det_run(tg), _det_run(torch), _det, sums=3, grad_sums=True,
       nan_ok=INF_G_SOLVE, alt=_det_leibniz,
       alt_why="PyTorch's det derivative at a singular matrix is 0, not the adjugate; "
       "Leibniz's formula differentiates exactly",
       covers=("linalg.det", "Tensor.det", "tg.det", "ops_matrix.det")),
    Op("linalg.slogdet", _slogdet(tg), _slogdet(torch),
       lambda d: Case([_square(d)]), sums=1, grad_sums=True, nan_ok=INF_G_SOLVE,
       covers=("linalg.slogdet", "ops_matrix.slogdet")),
    Op("linalg.solve", lambda a, b: tg.linalg.solve(a, b), torch.linalg.solve, _solve, sums=1,
       grad_sums=True, nan_ok=INF_G_SOLVE, covers=("linalg.solve", "ops_matrix.solve")),
    Op("linalg.norm, vector_norm, matrix_norm", _norm_run(tg), _norm_run(torch), _norm,
       alt=_norm_scaled, alt_why="PyTorch's 2-norm of numbers near 1e-300 underflows; scaled "
       "first, it does not",
       sums=2, grad_sums=True, divides_by_result=True,
       nan_ok="at x = 0 PyTorch's norm derivative for p != 2 divides 0 by 0; we give 0",
       covers=("linalg.norm", "linalg.vector_norm", "linalg.matrix_norm", "ops_matrix.norm",
               "ops_linalg.vector_norm", "ops_matrix.matrix_norm")),
]


@pytest.mark.parametrize("op", REDUCE_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_reduce_op_matches_torch(op, data):
    D.check(op, data)
