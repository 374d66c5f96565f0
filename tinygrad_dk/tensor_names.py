"""``TorchNames``: the further PyTorch names of ``Tensor`` methods, listed by group.

``Tensor`` (``tinygrad_dk.tensor``) lists the core methods: operators, elementwise
functions, reductions, shapes, copies. The many other names PyTorch programs reach for
are listed here, each pointing at the module that defines the operation next to its
derivative: counting (``ops_count``), shapes, splitting and gather/scatter
(``ops_layout``, ``ops_pieces``, ``ops_gather``), housekeeping, random fills and hooks
(``tensor_misc``, ``random_fill``, ``hooks``), elementwise maths and logic
(``ops_elementwise``) and reductions, scans and products (``tensor_reduce``). ``Tensor``
inherits them, so ``x.gather(1, idx)`` works as in PyTorch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tinygrad_dk import (
    hooks,
    inplace,
    ops,
    ops_count,
    ops_elementwise,
    ops_extra,
    ops_gather,
    ops_layout,
    ops_math,
    ops_misc,  # PyTorch names: misc2
    ops_misc_arrays,  # PyTorch names: misc2
    ops_pieces,
    ops_shape,
    random_fill,
    spelling,
    tensor_misc,
    tensor_reduce,
)
from tinygrad_dk.tensor_base import TensorBase

if TYPE_CHECKING:
    from tinygrad_dk.tensor import Tensor


class TorchNames:
    """PyTorch's further Tensor methods (see the module docstring); no data of its own."""

    __slots__ = ()

    # --- PyTorch names: counting (no gradient: see tinygrad_dk.ops_count) ---------------------

    def bincount(self, weights: Any = None, minlength: int = 0) -> Tensor:
        """How often each value 0, 1, 2, ... occurs (with ``weights``: their sums)."""
        return ops_count.bincount(self, weights, minlength)

    def histc(self, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
        """A histogram with ``bins`` equal bins between ``min`` and ``max``."""
        return ops_count.histc(self, bins, min, max)

    # --- PyTorch names: shape (layout, pieces, gather/scatter) ------------------------------
    # The functions take the tensor first, so they serve as methods as they are; see
    # ops_layout (repeat, flip, roll, axes, diagonals), ops_pieces (split, chunk, unbind)
    # and ops_gather (gather, scatter, masked and index ops, unfold).

    repeat, tile, repeat_interleave = (ops_layout.repeat, ops_layout.tile,
                                       ops_layout.repeat_interleave)
    flip, fliplr, flipud, roll, rot90 = (ops_layout.flip, ops_layout.fliplr, ops_layout.flipud,
                                         ops_layout.roll, ops_layout.rot90)
    movedim = moveaxis = ops_layout.movedim
    swapdims = ops_layout.swapdims
    narrow, select, unflatten = ops_layout.narrow, ops_layout.select, ops_layout.unflatten
    mT = property(ops_layout.mT, doc="The last two axes exchanged (a batch of matrices, "  # noqa: N815
                  "each transposed).")
    diag, diagonal, diag_embed = ops_layout.diag, ops_layout.diagonal, ops_layout.diag_embed
    tril, triu = ops_layout.tril, ops_layout.triu
    split, chunk, tensor_split = ops_pieces.split, ops_pieces.chunk, ops_pieces.tensor_split
    hsplit, vsplit, dsplit = ops_pieces.hsplit, ops_pieces.vsplit, ops_pieces.dsplit
    unbind = ops_pieces.unbind
    gather, take, take_along_dim = ops_gather.gather, ops_gather.take, ops_gather.take_along_dim
    index_select, masked_select = ops_gather.index_select, ops_gather.masked_select
    masked_fill, index_fill = ops_gather.masked_fill, ops_gather.index_fill
    scatter, scatter_add, index_add = (ops_gather.scatter, ops_gather.scatter_add,
                                       ops_gather.index_add)
    unfold = ops_gather.unfold

    def ravel(self) -> Tensor:
        """The elements as a vector (``flatten()``)."""
        return ops_shape.reshape(self, (-1,))

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """``masked_fill`` in place (see tinygrad_dk.inplace for when that is allowed)."""
        return inplace.update(self, "masked_fill_",
                              lambda x, v: ops_gather.masked_fill(x, mask, v), value)

    def index_fill_(self, dim: int, index: Any, value: Any) -> Tensor:
        """``index_fill`` in place."""
        return inplace.update(self, "index_fill_",
                              lambda x, v: ops_gather.index_fill(x, dim, index, v), value)

    def scatter_(self, dim: int, index: Any, src: Any = None, value: Any = None,
                 reduce: str | None = None) -> Tensor:
        """``scatter`` in place."""
        def fn(x: Any, s: Any) -> Any:
            return ops_gather.scatter(x, dim, index, s if src is not None else None,
                                      s if src is None else None, reduce)
        return inplace.update(self, "scatter_", fn, src if src is not None else value)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        """``scatter_add`` in place."""
        return inplace.update(self, "scatter_add_",
                              lambda x, s: ops_gather.scatter_add(x, dim, index, s), src)

    def index_add_(self, dim: int, index: Any, source: Any, alpha: Any = 1) -> Tensor:
        """``index_add`` in place."""
        return inplace.update(self, "index_add_",
                              lambda x, s: ops_gather.index_add(x, dim, index, s, alpha), source)
    # --- end of PyTorch names: shape --------------------------------------------------------

    # --- PyTorch names: misc (tinygrad_dk.tensor_misc, random_fill, hooks) -------------------

    # new tensors like this one (its dtype unless dtype=; requires_grad False)
    new_zeros, new_ones, new_empty = (tensor_misc.new_zeros, tensor_misc.new_ones,
                                      tensor_misc.new_empty)
    new_full, new_tensor, type_as = (tensor_misc.new_full, tensor_misc.new_tensor,
                                     tensor_misc.type_as)
    # sizes and memory layout
    nelement = TensorBase.numel
    ndimension = TensorBase.dim
    element_size, stride, storage_offset = (tensor_misc.element_size, tensor_misc.stride,
                                            tensor_misc.storage_offset)
    data_ptr, is_contiguous, is_nonzero = (tensor_misc.data_ptr, tensor_misc.is_contiguous,
                                           tensor_misc.is_nonzero)
    nbytes = property(lambda self: int(self._data.nbytes),
                      doc="Bytes the numbers take (numel() * element_size()).")
    itemsize = property(lambda self: int(self._data.itemsize),
                        doc="Bytes per element (element_size()).")
    bfloat16 = tensor_misc.bfloat16
    # in place: leave the graph, change the shape, apply a Python function
    detach_, apply_ = tensor_misc.detach_, tensor_misc.apply_
    squeeze_, unsqueeze_ = tensor_misc.squeeze_, tensor_misc.unsqueeze_
    t_, transpose_ = tensor_misc.t_, tensor_misc.transpose_
    # random numbers in place, from the shared generator (tinygrad_dk.random_fill)
    normal_, uniform_, bernoulli_ = (random_fill.normal_, random_fill.uniform_,
                                     random_fill.bernoulli_)
    random_, exponential_, geometric_ = (random_fill.random_, random_fill.exponential_,
                                         random_fill.geometric_)
    log_normal_, cauchy_ = random_fill.log_normal_, random_fill.cauchy_
    register_hook = hooks.register_hook  # gradient hooks
    # --- end misc ---

    # --- PyTorch names: math (tinygrad_dk.ops_elementwise; in place: tinygrad_dk.inplace) ---

    _f, _b, _e = spelling.elementwise, spelling.binary, ops_elementwise
    log1p = _f(ops.log1p, "log(1 + x), exact for tiny x (log1p(1e-20) = 1e-20).")
    log2, log10 = _f(_e.log2, "Logarithm base 2."), _f(_e.log10, "Logarithm base 10.")
    expm1 = _f(_e.expm1, "e^x - 1, exact for tiny x.")
    exp2 = _f(_e.exp2, "2^x.")
    reciprocal, rsqrt = _f(_e.reciprocal, "1 / x."), _f(_e.rsqrt, "1 / sqrt(x).")
    tan, sinh, cosh = _f(_e.tan, "tan(x)."), _f(_e.sinh, "sinh(x)."), _f(_e.cosh, "cosh(x).")
    asin = arcsin = _f(_e.asin, "The inverse of sin, in [-pi/2, pi/2] (nan outside [-1, 1]).")
    acos = arccos = _f(_e.acos, "The inverse of cos, in [0, pi] (nan outside [-1, 1]).")
    atan = arctan = _f(_e.atan, "The inverse of tan, in (-pi/2, pi/2).")
    asinh = arcsinh = _f(_e.asinh, "The inverse of sinh.")
    acosh = arccosh = _f(_e.acosh, "The inverse of cosh (nan below 1).")
    atanh = arctanh = _f(_e.atanh, "The inverse of tanh (nan outside [-1, 1]).")
    erf = _f(_e.erf, "The error function 2/sqrt(pi) * integral of e^(-t^2) from 0 to x.")
    erfc = _f(_e.erfc, "1 - erf(x), exact where erf(x) is near 1.")
    trunc = fix = _f(_e.trunc, "Round toward zero (gradient 0).")
    frac = _f(_e.frac, "x - trunc(x): the fractional part, with x's sign.")
    sgn = _f(ops_math.sign, "sign(x) (PyTorch's sgn; for real numbers the same as sign).")
    negative, absolute = _f(ops.neg, "-x."), _f(ops.abs, "|x|.")
    atan2 = arctan2 = _b(_e.atan2, "The angle of the point (other, self): atan(self / other) "
                         "in the right quadrant, in [-pi, pi].", "atan2")
    fmod = _b(_e.fmod, "The remainder of self / other with self's sign (C's fmod).")
    remainder = _b(_e.remainder, "The remainder of self / other with other's sign "
                   "(Python's %).")
    floor_divide = _b(_e.floor_divide, "floor(self / other), as Python's // (gradient 0).")
    # the operators, as in PyTorch: x % y is remainder (Python's sign rule), x // y floor_divide
    __mod__, __floordiv__ = remainder, floor_divide

    def __rmod__(self, other: Any) -> Any:
        return ops_elementwise.remainder(other, self)

    def __rfloordiv__(self, other: Any) -> Any:
        return ops_elementwise.floor_divide(other, self)

    float_power = _b(_e.float_power, "self ** other computed in float64.", "float_power")
    hypot = _b(_e.hypot, "sqrt(self^2 + other^2) without overflow.")
    logaddexp = _b(_e.logaddexp, "log(e^self + e^other), computed stably.")
    xlogy = _b(_e.xlogy, "self * log(other), 0 where self == 0 (unless other is nan).")
    maximum = _b(ops.maximum, "The larger of the two, elementwise (ties share the gradient).")
    minimum = _b(ops.minimum, "The smaller of the two, elementwise (ties share the gradient).")
    clamp_min = _b(lambda x, m: ops.clip(x, m, None), "max(x, min).", "clamp_min")
    clamp_max = _b(lambda x, m: ops.clip(x, None, m), "min(x, max).", "clamp_max")
    del _f, _b

    def divide(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """self / other; ``rounding_mode="floor"`` or ``"trunc"`` rounds the quotient."""
        return ops_elementwise.divide(self, other, rounding_mode)

    div = divide  # with PyTorch's rounding_mode=

    def lerp(self, end: Any, weight: Any) -> Tensor:
        """self + weight * (end - self): from self (weight 0) to end (weight 1)."""
        return ops_elementwise.lerp(self, end, weight)

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
        """self + value * tensor1 * tensor2."""
        return ops_elementwise.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
        """self + value * tensor1 / tensor2."""
        return ops_elementwise.addcdiv(self, tensor1, tensor2, value=value)

    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None,
                   neginf: float | None = None) -> Tensor:
        """nan, inf and -inf replaced (by 0 and the dtype's largest and smallest numbers,
        unless given); the gradient passes where x was finite."""
        return ops_elementwise.nan_to_num(self, nan=nan, posinf=posinf, neginf=neginf)

    def where(self, condition: Any, other: Any) -> Tensor:
        """self where ``condition`` holds, else ``other`` (``torch.where(condition, self,
        other)``)."""
        return ops.where(condition, self, other)

    # comparisons and logic by name: bool tensors, no gradient (eq, lt, ...: in Tensor)
    logical_and, logical_or, logical_xor = _e.logical_and, _e.logical_or, _e.logical_xor
    logical_not, signbit = _e.logical_not, _e.signbit

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Tensor:
        """True where |self - other| <= atol + rtol * |other| (a bool tensor)."""
        from tinygrad_dk import toplevel  # (toplevel imports this module)
        return toplevel.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        """True when every |self - other| <= atol + rtol * |other|."""
        from tinygrad_dk import toplevel
        return toplevel.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other: Any) -> bool:
        """True when both have the same shape and the same values (one bool, as
        ``torch.equal``; ``eq`` compares elementwise)."""
        from tinygrad_dk import toplevel
        return toplevel.equal(self, other)

    # in place, with PyTorch's rules (tinygrad_dk.inplace)
    _i = inplace.unary
    exp_, log_, sqrt_ = _i("exp_", ops.exp), _i("log_", ops.log), _i("sqrt_", ops.sqrt)
    abs_, neg_, square_ = _i("abs_", ops.abs), _i("neg_", ops.neg), _i("square_", ops_math.square)
    reciprocal_ = _i("reciprocal_", _e.reciprocal)
    relu_, sigmoid_, tanh_ = _i("relu_", ops.relu), _i("sigmoid_", ops.sigmoid), _i(
        "tanh_", ops.tanh)
    floor_, ceil_ = _i("floor_", ops_math.floor), _i("ceil_", ops_math.ceil)
    round_, trunc_ = _i("round_", ops_math.round), _i("trunc_", _e.trunc)
    sign_ = _i("sign_", ops_math.sign)
    pow_ = _i("pow_", ops.power)
    clamp_min_ = _i("clamp_min_", lambda x, m: ops.clip(x, m, None))
    clamp_max_ = _i("clamp_max_", lambda x, m: ops.clip(x, None, m))
    lerp_ = _i("lerp_", _e.lerp)
    addcmul_, addcdiv_ = _i("addcmul_", _e.addcmul), _i("addcdiv_", _e.addcdiv)
    __imod__ = remainder_ = inplace.operator("%=", _e.remainder)
    __ifloordiv__ = floor_divide_ = inplace.operator("//=", _e.floor_divide)
    fmod_ = inplace.operator("fmod_", _e.fmod)
    del _i, _e

    # --- PyTorch names: reduce (reductions, scans, order statistics, products; the methods
    # are in tinygrad_dk.tensor_reduce, the operations in ops_reduce, ops_linalg, ops_matrix)
    _m = tensor_reduce
    prod, cumsum, cumprod, logcumsumexp = _m.prod, _m.cumsum, _m.cumprod, _m.logcumsumexp
    cummax, cummin, diff, argsort, msort = _m.cummax, _m.cummin, _m.diff, _m.argsort, _m.msort
    median, nanmedian, kthvalue, mode = _m.median, _m.nanmedian, _m.kthvalue, _m.mode
    quantile, nanquantile, aminmax = _m.quantile, _m.nanquantile, _m.aminmax
    nansum, nanmean, count_nonzero = _m.nansum, _m.nanmean, _m.count_nonzero
    std_mean, var_mean = _m.std_mean, _m.var_mean
    dot, vdot, inner, outer, ger = _m.dot, _m.vdot, _m.inner, _m.outer, _m.ger
    mv, bmm = _m.mv, _m.bmm
    addmm, addmv, baddbmm, kron, cross = _m.addmm, _m.addmv, _m.baddbmm, _m.kron, _m.cross
    trace, dist, inverse, det = _m.trace, _m.dist, _m.inverse, _m.det
    del _m

    # --- PyTorch names: extra (tinygrad_dk.ops_extra) ---
    heaviside = spelling.binary(ops_extra.heaviside, "0 where self < 0, 1 where self > 0, "
                                "values where self == 0 (no derivative: train with sigmoid).")
    deg2rad, rad2deg = ops_extra.deg2rad, ops_extra.rad2deg
    trapezoid, cumulative_trapezoid = ops_extra.trapezoid, ops_extra.cumulative_trapezoid
    cov, corrcoef = ops_extra.cov, ops_extra.corrcoef
    # --- end extra ---

    # --- PyTorch names: linalg2 (decompositions; tinygrad_dk.linalg, ops_decomp) ---
    def svd(self, some: bool = True, compute_uv: bool = True) -> Any:
        """``torch.svd``: (U, S, V) with self = U diag(S) V^T (V, not Vh)."""
        from tinygrad_dk import linalg
        return linalg.svd_old(self, some, compute_uv)

    def pinverse(self, rcond: float = 1e-15) -> Tensor:
        """The Moore-Penrose pseudo-inverse (``linalg.pinv``)."""
        from tinygrad_dk import linalg
        return linalg.pinverse(self, rcond)

    def matrix_power(self, n: int) -> Tensor:
        """self^n for a square matrix (n < 0: powers of the inverse)."""
        from tinygrad_dk import linalg
        return linalg.matrix_power(self, n)

    def matrix_exp(self) -> Tensor:
        """exp(self) of a square matrix (``linalg.matrix_exp``)."""
        from tinygrad_dk import linalg
        return linalg.matrix_exp(self)

    def logdet(self) -> Tensor:
        """log(det(self)): nan for a negative determinant."""
        from tinygrad_dk import linalg
        return linalg.logdet(self)

    def slogdet(self) -> Any:
        """(sign, logabsdet) of the determinant (``linalg.slogdet``)."""
        from tinygrad_dk import linalg
        return linalg.slogdet(self)

    def cholesky(self, upper: bool = False) -> Tensor:
        """``torch.cholesky``: L with self = L L^T (``linalg.cholesky``)."""
        from tinygrad_dk import linalg
        return linalg.cholesky_old(self, upper)
    # --- end linalg2 ---

    # --- PyTorch names: misc2 (tinygrad_dk.ops_misc: elementwise and special functions;
    # ops_misc_arrays: scatters, products, renorm, positions and counts) ---
    _f, _b, _m = spelling.elementwise, spelling.binary, ops_misc
    sinc = _f(_m.sinc, "sin(pi x) / (pi x), 1 at 0.")
    lgamma = _f(_m.lgamma, "log |Gamma(x)| (log((x-1)!) for whole numbers, no overflow).")
    digamma = _f(_m.digamma, "psi(x) = Gamma'(x) / Gamma(x), the derivative of lgamma.")
    erfinv = _f(_m.erfinv, "The inverse of erf: erfinv(erf(x)) = x, +-inf at +-1.")
    i0 = _f(_m.i0, "The modified Bessel function of the first kind, order 0.")
    frexp = _f(_m.frexp, "(mantissa, exponent): self = mantissa * 2^exponent.")
    isposinf, isneginf = _f(_m.isposinf, "True where +inf."), _f(_m.isneginf, "True where -inf.")
    isreal = _f(_m.isreal, "True everywhere (a real tensor; complex ones are not supported).")
    positive = _f(_m.positive, "self itself (unary +).")
    copysign = _b(_m.copysign, "|self| with the sign of other.", "copysign")
    fmax = _b(_m.fmax, "The larger of the two, ignoring nan (nan only where both are).", "fmax")
    fmin = _b(_m.fmin, "The smaller of the two, ignoring nan (nan only where both are).", "fmin")
    logaddexp2 = _b(_m.logaddexp2, "log2(2^self + 2^other), computed stably.")
    ldexp = _b(_m.ldexp, "self * 2^other.")
    nextafter = _b(_m.nextafter, "The next float after self towards other.", "nextafter")
    gcd, lcm = _b(_m.gcd, "Greatest common divisor (integers)."), _b(
        _m.lcm, "Least common multiple (integers).")
    del _f, _b

    def logit(self, eps: float | None = None) -> Tensor:
        """log(self / (1 - self)), the inverse of sigmoid; ``eps`` clamps to [eps, 1-eps]."""
        return ops_misc.logit(self, eps)

    def polygamma(self, n: int) -> Tensor:
        """The n-th derivative of digamma (``x.polygamma(n)`` = ``torch.polygamma(n, x)``)."""
        return ops_misc.polygamma(n, self)

    _a = ops_misc_arrays
    index_copy, masked_scatter = _a.index_copy, _a.masked_scatter
    select_scatter, slice_scatter = _a.select_scatter, _a.slice_scatter
    addr, addbmm, renorm, diagflat = _a.addr, _a.addbmm, _a.renorm, _a.diagflat
    argwhere, unique_consecutive, histogram = _a.argwhere, _a.unique_consecutive, _a.histogram
    del _m, _a

    def index_copy_(self, dim: int, index: Any, source: Any) -> Tensor:
        """``index_copy`` in place (see tinygrad_dk.inplace for when that is allowed)."""
        return inplace.update(self, "index_copy_",
                              lambda x, s: ops_misc_arrays.index_copy(x, dim, index, s), source)
    # --- end misc2 ---

    # --- PyTorch names: lu3d (tinygrad_dk.linalg, ops_lu) ---
    def qr(self, some: bool = True) -> Any:
        """``torch.qr``: (Q, R) with self = Q R (reduced; complete with ``some=False``)."""
        from tinygrad_dk import linalg
        return linalg.qr_old(self, some)

    def lu(self, pivot: bool = True, get_infos: bool = False) -> Any:
        """``torch.lu``: (LU, pivots[, infos]) of ``linalg.lu_factor_ex``."""
        from tinygrad_dk import linalg
        return linalg.lu_old(self, pivot, get_infos)

    def lu_solve(self, LU_data: Any, LU_pivots: Any) -> Tensor:  # noqa: N803 - PyTorch's names
        """X with A X = self, A given by its factorisation (``linalg.lu_factor``)."""
        from tinygrad_dk import linalg
        return linalg.lu_solve_old(self, LU_data, LU_pivots)
    # --- end lu3d ---
