"""tinygrad_dk: a readable autograd engine for learning how neural networks work.

Two engines share one graph walk (``graph.topo_sort``), one backward policy
(``backward.backprop``) and one set of parameter methods (``node.Node``):

* ``Value``: one number per node, the engine to draw and reason about by hand
  (``value.py``: every operation next to its local derivative);
* ``Tensor``: numpy arrays with broadcasting and matrix products, for real training
  (``tensor.py`` lists its methods; ``ops.py``, ``ops_shape.py``, ``ops_math.py``,
  ``ops_softmax.py``, ``ops_index.py``, ``ops_activation.py`` and ``ops_nn.py`` define
  each operation as a ``Primitive``: the forward next to its derivative;
  ``ops_conv.py``, ``ops_pool.py`` and ``ops_norm.py`` add convolution, pooling and
  batch normalisation for images).

``Primitive`` and ``Function`` add new operations (``quiet`` keeps numpy's warnings
about inf and nan out of a forward function); ``gradcheck`` confirms numerically
that backprop is right; ``grad``/``value_and_grad`` give gradients as functions.

PyTorch programs run after changing their imports (``import tinygrad_dk as torch``;
``import nn``): the package offers PyTorch's names too, ``tensor``, ``float32``,
``cat``, ``max(x, dim=1)``, ``autograd.grad``, ``save``/``load``, ``device``, ...
(``toplevel.py``, ``creation.py``, ``dtypes.py``, ``device.py``, ``autograd.py``,
``serialize.py``), and Tensor methods take both spellings (``spelling.py``).
"""

import math as _math

from tinygrad_dk import autograd
from tinygrad_dk import toplevel as _top
from tinygrad_dk.backward import backprop
from tinygrad_dk.creation import (
    BoolTensor,
    DoubleTensor,
    FloatTensor,
    Generator,
    IntTensor,
    LongTensor,
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    generator,
    linspace,
    manual_seed,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    zeros,
    zeros_like,
)
from tinygrad_dk.device import (
    accelerator,
    backends,
    cuda,
    device,
    use_deterministic_algorithms,
)
from tinygrad_dk.dtypes import (
    bool_,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from tinygrad_dk.function import Context, Function
from tinygrad_dk.functional import grad, value_and_grad
from tinygrad_dk.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tinygrad_dk.gradcheck import GradcheckError, gradcheck
from tinygrad_dk.graph import topo_sort
from tinygrad_dk.node import Node
from tinygrad_dk.ops import (
    abs,
    add,
    clip,
    exp,
    leaky_relu,
    log,
    matmul,
    maximum,
    minimum,
    mul,
    neg,
    relu,
    sigmoid,
    sqrt,
    sub,
    tanh,
)
from tinygrad_dk.ops import power as pow
from tinygrad_dk.ops_activation import elu, gelu, silu
from tinygrad_dk.ops_conv import conv1d, conv2d
from tinygrad_dk.ops_nn import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    linear,
    softmax_cross_entropy,
    softplus,
)
from tinygrad_dk.ops_norm import batch_norm
from tinygrad_dk.ops_pool import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from tinygrad_dk.ops_softmax import logsumexp
from tinygrad_dk.parameter import Parameter
from tinygrad_dk.primitive import Primitive, Recorded
from tinygrad_dk.quiet import quiet
from tinygrad_dk.serialize import load, save
from tinygrad_dk.spelling import Size
from tinygrad_dk.tensor import Tensor
from tinygrad_dk.toplevel import (
    allclose,
    amax,
    amin,
    argmax,
    argmin,
    cat,
    ceil,
    clamp,
    clone,
    concat,
    concatenate,
    cos,
    detach,
    equal,
    flatten,
    floor,
    inference_mode,
    is_floating_point,
    is_tensor,
    isclose,
    isfinite,
    isinf,
    isnan,
    log_softmax,
    mean,
    mm,
    nonzero,
    norm,
    numel,
    permute,
    reshape,
    sign,
    sin,
    softmax,
    sort,
    square,
    squeeze,
    stack,
    std,
    t,
    topk,
    transpose,
    unique,
    unsqueeze,
    var,
    where,
)
from tinygrad_dk.value import Value, zero_grad

from tinygrad_dk.creation import tensor  # isort: skip  (last: the name shadows the module)

# PyTorch's names that are also Python builtins: here, but not in __all__, so that
# `from tinygrad_dk import *` never hides Python's own sum, max, float, ...
sum, max, min, all, any, round = (_top.sum, _top.max, _top.min, _top.all, _top.any,
                                  _top.round)
float, int, bool = float32, int32, bool_
pi, e, inf, nan = _math.pi, _math.e, _math.inf, _math.nan

__version__ = "0.1.0"

__all__ = [
    "Value", "Tensor", "Node", "Function", "Context", "Primitive", "Recorded", "quiet",
    "backprop", "no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled", "inference_mode",
    "grad", "value_and_grad", "gradcheck", "GradcheckError", "topo_sort", "zero_grad",
    "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like",
    "arange", "linspace", "eye", "randn", "rand", "randn_like", "rand_like", "randint",
    "randperm", "normal", "manual_seed", "generator", "Generator", "tensor", "as_tensor",
    "from_numpy", "Parameter", "Size", "autograd", "save", "load",
    "device", "cuda", "accelerator", "backends", "use_deterministic_algorithms",
    "FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor",
    "float16", "half", "float32", "float64", "double", "int8", "uint8", "int16", "short",
    "int32", "int64", "long", "bool_", "pi", "e", "inf", "nan",
    "concatenate", "concat", "cat", "stack", "where", "maximum", "minimum", "exp", "log",
    "sqrt", "abs", "tanh", "sigmoid", "relu", "leaky_relu", "elu", "silu", "gelu", "clip",
    "clamp", "sin", "cos",
    "pow", "add", "sub", "mul", "div", "neg", "matmul", "mm", "softmax", "log_softmax",
    "logsumexp", "softplus", "linear", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "softmax_cross_entropy",
    "mean", "std", "var", "norm", "amax", "amin", "argmax", "argmin", "topk", "sort",
    "nonzero", "flatten", "reshape", "squeeze", "unsqueeze", "permute", "transpose", "t",
    "clone", "detach", "numel", "unique", "square", "floor", "ceil", "sign", "isnan",
    "isinf", "isfinite", "equal", "allclose", "isclose", "is_tensor",
    "is_floating_point",
    "conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm",
]

# --- PyTorch names: nnlayers ---
# normalisation over chosen axes, hardswish, mish and glu (ops_layers.py), for nn's extra layers
from tinygrad_dk.ops_layers import glu, group_norm, hardswish, layer_norm, mish  # noqa: E402

__all__ += ["layer_norm", "group_norm", "hardswish", "mish", "glu"]
# --- end nnlayers ---


# --- PyTorch names: counting ---
from tinygrad_dk.toplevel import bincount, bucketize, histc, isin, searchsorted  # noqa: E402

__all__ += ["bincount", "histc", "searchsorted", "bucketize", "isin"]

# --- PyTorch names: shape (layout, pieces, gather/scatter) --------------------------------
from tinygrad_dk.toplevel import (  # noqa: E402, F401 (exported: toplevel.SHAPE_NAMES)
    atleast_1d,
    atleast_2d,
    atleast_3d,
    block_diag,
    broadcast_tensors,
    broadcast_to,
    cartesian_prod,
    chunk,
    column_stack,
    diag,
    diag_embed,
    diagonal,
    dsplit,
    dstack,
    flip,
    fliplr,
    flipud,
    gather,
    hsplit,
    hstack,
    index_add,
    index_fill,
    index_select,
    masked_fill,
    masked_select,
    meshgrid,
    moveaxis,
    movedim,
    narrow,
    ravel,
    repeat_interleave,
    roll,
    rot90,
    row_stack,
    scatter,
    scatter_add,
    select,
    split,
    swapaxes,
    swapdims,
    take,
    take_along_dim,
    tensor_split,
    tile,
    tril,
    tril_indices,
    triu,
    triu_indices,
    unbind,
    unflatten,
    vsplit,
    vstack,
)

__all__ += _top.SHAPE_NAMES
# --- end of PyTorch names: shape ------------------------------------------------------------

# --- PyTorch names: misc ---
from tinygrad_dk import hooks  # noqa: E402
from tinygrad_dk.creation import initial_seed  # noqa: E402
from tinygrad_dk.dtypes import get_default_dtype, set_default_dtype  # noqa: E402
from tinygrad_dk.hooks import RemovableHandle  # noqa: E402
from tinygrad_dk.printing import set_printoptions  # noqa: E402
from tinygrad_dk.random_fill import (  # noqa: E402
    bernoulli,
    dropout,
    get_rng_state,
    multinomial,
    poisson,
    randint_like,
    seed,
    set_rng_state,
)
from tinygrad_dk.tensor_misc import dtype, finfo, iinfo, is_complex  # noqa: E402
from tinygrad_dk.toplevel import is_nonzero  # noqa: E402

__all__ += [
    "get_default_dtype", "set_default_dtype", "finfo", "iinfo", "dtype", "is_complex",
    "is_nonzero", "set_printoptions", "dropout", "bernoulli", "multinomial", "poisson",
    "randint_like", "seed", "initial_seed", "get_rng_state", "set_rng_state",
    "RemovableHandle", "hooks",
]
# --- end misc ---

# --- PyTorch names: math (tinygrad_dk.ops_elementwise, via toplevel) ----------------------
from tinygrad_dk.toplevel import (  # noqa: E402
    absolute,
    acos,
    acosh,
    addcdiv,
    addcmul,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    clamp_max,
    clamp_min,
    cosh,
    div,  # with rounding_mode=, as torch.div
    divide,
    eq,
    erf,
    erfc,
    exp2,
    expm1,
    fix,
    float_power,
    floor_divide,
    fmod,
    frac,
    ge,
    greater,
    greater_equal,
    gt,
    hypot,
    le,
    lerp,
    less,
    less_equal,
    log1p,
    log2,
    log10,
    logaddexp,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    multiply,
    nan_to_num,
    ne,
    negative,
    not_equal,
    reciprocal,
    remainder,
    rsqrt,
    sgn,
    signbit,
    sinh,
    subtract,
    tan,
    true_divide,
    trunc,
    xlogy,
)

__all__ += [
    "absolute", "acos", "acosh", "addcdiv", "addcmul", "arccos", "arccosh", "arcsin",
    "arcsinh", "arctan", "arctan2", "arctanh", "asin", "asinh", "atan", "atan2", "atanh",
    "clamp_max", "clamp_min", "cosh", "divide", "eq", "erf", "erfc", "exp2", "expm1", "fix",
    "float_power", "floor_divide", "fmod", "frac", "ge", "greater", "greater_equal", "gt",
    "hypot", "le", "lerp", "less", "less_equal", "log10", "log1p", "log2", "logaddexp",
    "logical_and", "logical_not", "logical_or", "logical_xor", "lt", "multiply",
    "nan_to_num", "ne", "negative", "not_equal", "reciprocal", "remainder", "rsqrt", "sgn",
    "signbit", "sinh", "subtract", "tan", "true_divide", "trunc", "xlogy",
]

def __getattr__(name: str) -> object:
    """A missing name; for PyTorch's sub-packages, say where they live here."""
    if name in ("nn", "optim", "utils"):
        where = {"nn": "the package nn (import nn)", "optim": "nn.optim",
                 "utils": "nn.data (torch.utils.data) and nn.utils"}[name]
        raise AttributeError(
            f"tinygrad_dk has no {name!r}: PyTorch's torch.{name} is {where} here. Change the "
            "imports as docs/da/09-pytorch.md says: torch.nn -> nn, torch.optim -> nn.optim, "
            "torch.utils.data -> nn.data"
        )
    raise AttributeError(f"module 'tinygrad_dk' has no attribute {name!r}")

# --- PyTorch names: reduce (reductions, scans, order statistics, products, torch.linalg) ---
from tinygrad_dk import linalg  # noqa: E402
from tinygrad_dk.toplevel import (  # noqa: E402
    addmm,
    addmv,
    aminmax,
    argsort,
    baddbmm,
    bmm,
    cdist,
    count_nonzero,
    cross,
    cummax,
    cummin,
    cumprod,
    cumsum,
    det,
    diff,
    dist,
    dot,
    einsum,
    ger,
    inner,
    inverse,
    kron,
    kthvalue,
    logcumsumexp,
    median,
    mode,
    msort,
    mv,
    nanmean,
    nanmedian,
    nanquantile,
    nansum,
    outer,
    prod,
    quantile,
    std_mean,
    tensordot,
    trace,
    var_mean,
    vdot,
)

__all__ += [
    "prod", "cumsum", "cumprod", "logcumsumexp", "cummax", "cummin", "diff", "argsort", "msort",
    "median", "nanmedian", "kthvalue", "mode", "quantile", "nanquantile", "aminmax", "nansum",
    "nanmean", "count_nonzero", "std_mean", "var_mean", "dot", "vdot", "inner", "outer", "ger",
    "mv", "bmm", "addmm", "addmv", "baddbmm", "kron", "cross", "trace", "dist", "inverse", "det",
    "einsum", "tensordot", "cdist", "linalg",
]

# --- PyTorch names: extra (tinygrad_dk.ops_extra; logspace next to linspace) ---
from tinygrad_dk import ops_extra  # noqa: E402, F401  (tg.ops_extra, as tg.ops_reduce)
from tinygrad_dk.creation import logspace  # noqa: E402
from tinygrad_dk.toplevel import (  # noqa: E402
    corrcoef,
    cov,
    cumulative_trapezoid,
    deg2rad,
    heaviside,
    rad2deg,
    trapezoid,
)

__all__ += ["logspace", "heaviside", "deg2rad", "rad2deg", "trapezoid", "cumulative_trapezoid",
            "cov", "corrcoef"]
# --- end extra ---

# --- PyTorch names: linalg2 (decompositions: torch.svd, torch.cholesky, ...) ---
from tinygrad_dk import ops_decomp  # noqa: E402, F401  (tg.ops_decomp, as tg.ops_matrix)
from tinygrad_dk.toplevel import (  # noqa: E402
    cholesky,
    logdet,
    matrix_exp,
    matrix_power,
    pinverse,
    slogdet,
    svd,
)

__all__ += ["svd", "cholesky", "pinverse", "matrix_power", "matrix_exp", "logdet", "slogdet"]
# --- end linalg2 ---

# --- PyTorch names: attn (transposed convolution; nn.functional's attention is nn-level) ---
from tinygrad_dk import ops_conv_transpose  # noqa: E402, F401  (tg.ops_conv_transpose)
from tinygrad_dk.ops_conv_transpose import conv_transpose1d, conv_transpose2d  # noqa: E402

__all__ += ["conv_transpose1d", "conv_transpose2d"]
# --- end attn ---

# --- PyTorch names: misc2 (tinygrad_dk.ops_misc, ops_misc_arrays) ---
from tinygrad_dk import ops_misc, ops_misc_arrays  # noqa: E402, F401  (as tg.ops_extra)
from tinygrad_dk.toplevel import (  # noqa: E402
    addbmm,
    addr,
    argwhere,
    chain_matmul,
    combinations,
    copysign,
    cosine_similarity,
    diagflat,
    digamma,
    erfinv,
    fmax,
    fmin,
    frexp,
    gcd,
    histogram,
    i0,
    index_copy,
    isneginf,
    isposinf,
    isreal,
    lcm,
    ldexp,
    lgamma,
    logaddexp2,
    logit,
    masked_scatter,
    nextafter,
    pairwise_distance,
    pdist,
    polygamma,
    positive,
    renorm,
    rsub,
    select_scatter,
    sinc,
    slice_scatter,
    trapz,
    unique_consecutive,
    unravel_index,
    vander,
)

__all__ += [
    "sinc", "lgamma", "digamma", "erfinv", "i0", "frexp", "isposinf", "isneginf", "isreal",
    "positive", "logit", "index_copy", "masked_scatter", "select_scatter", "slice_scatter",
    "addr", "addbmm", "renorm", "diagflat", "argwhere", "unique_consecutive", "histogram",
    "copysign", "fmax", "fmin", "logaddexp2", "ldexp", "nextafter", "gcd", "lcm", "polygamma",
    "rsub", "chain_matmul", "combinations", "cosine_similarity", "pairwise_distance", "pdist",
    "unravel_index", "vander", "trapz",
]
# --- end misc2 ---

# --- PyTorch names: lu3d (LU, old qr, randomised low-rank svd / pca) ---
from tinygrad_dk import ops_lu  # noqa: E402, F401  (tg.ops_lu, as tg.ops_decomp)
from tinygrad_dk.toplevel import (  # noqa: E402
    lu,
    lu_solve,
    lu_unpack,
    pca_lowrank,
    qr,
    svd_lowrank,
)

__all__ += ["lu", "lu_solve", "lu_unpack", "qr", "svd_lowrank", "pca_lowrank"]
# --- end lu3d ---

# --- PyTorch names: lazyns (torch.special, torch.testing, torch.random, torch.compile) ---
# compile: a builtin's name, so not in __all__; logsumexp replaced by the Tensor method's
# spellings: torch.logsumexp(x, dim=1) (ops_softmax's takes axis= only)
from tinygrad_dk import random, special, testing  # noqa: E402
from tinygrad_dk.toplevel import compile, logsumexp  # noqa: E402, A004, F401, F811

__all__ += ["special", "testing", "random"]
# --- end lazyns ---

# --- PyTorch names: distributions (torch.distributions: Normal, Categorical, kl, ...) ---
from tinygrad_dk import distributions  # noqa: E402

__all__ += ["distributions"]
# --- end distributions ---

# --- PyTorch names: layers3d (3-D convolution and pooling; unfold/fold as tg.ops_fold) ---
from tinygrad_dk import ops_fold  # noqa: E402, F401  (tg.ops_fold: nn.functional's unfold, fold)
from tinygrad_dk.ops_conv import conv3d  # noqa: E402
from tinygrad_dk.ops_conv_transpose import conv_transpose3d  # noqa: E402
from tinygrad_dk.ops_pool import avg_pool3d, max_pool3d  # noqa: E402

__all__ += ["conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d"]
# --- end layers3d ---

# --- PyTorch names: embctc and func ---
# the CTC loss (tg.ops_ctc, behind nn.functional.ctc_loss); torch.func's transforms and
# torch.autograd.functional (tg.autograd.functional.jacobian)
import tinygrad_dk.autograd.functional  # noqa: E402, F401
from tinygrad_dk import func, ops_ctc  # noqa: E402, F401

__all__ += ["func"]
# --- end embctc and func ---

# --- PyTorch names: names2 (gradient, windows, threads, default device, autocast/amp) ---
# amp: torch.amp.autocast / GradScaler (full precision: see tinygrad_dk.amp); cpu: torch.cpu.amp
from tinygrad_dk import amp  # noqa: E402
from tinygrad_dk.amp import autocast, bfloat16, cpu, is_autocast_enabled  # noqa: E402
from tinygrad_dk.ops_gradient import gradient  # noqa: E402
from tinygrad_dk.threads import (  # noqa: E402
    get_default_device,
    get_num_interop_threads,
    get_num_threads,
    set_default_device,
    set_num_interop_threads,
    set_num_threads,
)
from tinygrad_dk.windows import (  # noqa: E402
    bartlett_window,
    blackman_window,
    hamming_window,
    hann_window,
    kaiser_window,
)

cuda.amp = amp.cuda_amp  # torch.cuda.amp.autocast / GradScaler, PyTorch's older spelling

__all__ += ["gradient", "hann_window", "hamming_window", "bartlett_window", "blackman_window",
            "kaiser_window", "set_num_threads", "get_num_threads", "set_num_interop_threads",
            "get_num_interop_threads", "set_default_device", "get_default_device", "amp",
            "autocast", "is_autocast_enabled", "bfloat16", "cpu"]
# --- end names2 ---
