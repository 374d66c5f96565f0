"""The nnlayers group against PyTorch, by the differential harness: the extra activations,
layer/group/instance normalisation, channel dropout (in eval mode: the training masks
are random, see ``test_nn_layers_extra.py``), padding, ``interpolate``, adaptive pooling,
the similarity functions and ``ModuleDict``/``ParameterDict``.

Each row draws its *form*: the ``nn.functional`` function or the module (and for the
engine's operations ``tg.layer_norm``/``tg.group_norm``/``tg.hardswish`` the engine's
own); modules with weights get the drawn weights by PyTorch's state-dict names
(``_bind``, strict), so the names and shapes are PyTorch's and the weights' gradients
are compared too.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import FINITE, MODERATE, REAL, Case, Op, values  # noqa: E402
from test_differential_images import _bind, _call  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional
FORMS = st.sampled_from(["F", "module"])


def _pair(ours_f, ours_m, theirs_f, theirs_m):
    """(ours, theirs) for a row whose function and module take the same keyword options."""
    def ours(x, *rest, form, **options):
        return ours_m(**options)(x, *rest) if form == "module" else ours_f(x, *rest, **options)

    def theirs(x, *rest, form, **options):
        return theirs_m(**options)(x, *rest) if form == "module" else theirs_f(x, *rest,
                                                                              **options)
    return ours, theirs


def _row(name, draw, *, covers=None, **extra):
    """A row for F.<name> and nn.<Module> (the module named in ``covers[1]``)."""
    module = covers[1].split(".")[1]
    ours, theirs = _pair(getattr(F, name), getattr(nn, module), getattr(TF, name),
                         getattr(torch.nn, module))
    return Op(name, ours, theirs, draw, covers=covers, **extra)


# --- activations -------------------------------------------------------------------------------


def _act(domain=REAL, min_dims=0, **options):
    def draw(data):
        kwargs = {k: data.draw(v, label=k) for k, v in options.items()}
        return Case([values(data, D.shape(data, min_dims), domain)],
                    {"form": data.draw(FORMS), **kwargs})
    return draw


def _softmin(data):
    s = D.shape(data, min_dims=1)
    return Case([values(data, s, REAL)], {"form": data.draw(FORMS),
                                          "dim": data.draw(st.integers(-len(s), len(s) - 1))})


def _glu(data):
    s = list(D.shape(data, min_dims=1))
    dim = data.draw(st.integers(-len(s), len(s) - 1), label="dim")
    s[dim] = data.draw(st.sampled_from([0, 2, 4]), label="even length")
    return Case([values(data, tuple(s), REAL)],
                {"form": data.draw(st.sampled_from(["tg", "F", "module"])), "dim": dim})


def _prelu(data):
    s = D.shape(data)
    channels = s[1] if len(s) >= 2 else 1
    n = data.draw(st.sampled_from(sorted({1, channels})), label="num_parameters")
    weight = values(data, (n,), MODERATE)
    x = values(data, s, REAL)
    # not exactly 0: there PyTorch's backward takes the negative side (slope weight) and
    # its double backward the positive side (self >= 0); no one formula does both
    return Case([np.where(x == 0, 0.5, x), weight], {"form": data.draw(FORMS)})


def _ours_prelu(x, w, form):
    if form == "F":
        return F.prelu(x, w)
    return _bind(nn.PReLU(w.shape[0], dtype=w.dtype), ["weight"], [w])(x)


def _torch_prelu(x, w, form):
    if form == "F":
        return TF.prelu(x, w)
    return _call(torch.nn.PReLU(w.shape[0], dtype=w.dtype), ["weight"], [w], x)


def _hardswish(x, form):
    return {"tg": tg.hardswish, "F": F.hardswish, "module": nn.Hardswish()}[form](x)


def _three_forms(data):
    return Case([values(data, D.shape(data), REAL)],
                {"form": data.draw(st.sampled_from(["tg", "F", "module"]))})


LAMBD = st.sampled_from([0.5, 0.0, 2.0, 3.0])
ACTIVATIONS = [
    _row("hardtanh", _act(min_val=st.sampled_from([-1.0, 0.0, -2.0]),
                          max_val=st.sampled_from([1.0, 3.0, 6.0])),
         covers=("F.hardtanh", "nn.Hardtanh")),
    _row("relu6", _act(), covers=("F.relu6", "nn.ReLU6")),
    Op("prelu", _ours_prelu, _torch_prelu, _prelu, covers=("F.prelu", "nn.PReLU")),
    _row("selu", _act(), rtol=1e-6, covers=("F.selu", "nn.SELU")),
    _row("celu", _act(alpha=st.sampled_from([1.0, 0.5, 2.0])), rtol=1e-6,
         covers=("F.celu", "nn.CELU")),
    Op("mish", lambda x, form: {"tg": tg.mish, "F": F.mish, "module": nn.Mish()}[form](x),
       lambda x, form: TF.mish(x), _three_forms, rtol=1e-6,
       nan_ok="x near 900: PyTorch's second derivative overflows (e^x) to nan, ours is 0",
       covers=("tg.mish", "F.mish", "nn.Mish", "ops_layers.mish")),
    _row("logsigmoid", _act(), rtol=1e-6, alt=lambda x, form: -TF.softplus(-x),
         alt_why="PyTorch's log_sigmoid second derivative is 0 for x > 500, where e^-x is "
                 "still a float64 number; -softplus(-x) keeps it",
         covers=("F.logsigmoid", "nn.LogSigmoid")),
    # the quotient rule subtracts two terms of size g / (1 + |x|), which cancel (both
    # libraries' second derivatives at |x| = 3e38 are rounding: 1e-94 and 0)
    _row("softsign", _act(), rtol=1e-6, grad_sums=True, covers=("F.softsign", "nn.Softsign")),
    _row("softmin", _softmin, grad_sums=True, covers=("F.softmin", "nn.Softmin"),
         nan_ok="an infinite logit: PyTorch gives nan (inf - inf), we give the limit"),
    Op("hardswish", _hardswish, lambda x, form: TF.hardswish(x), _three_forms,
       covers=("tg.hardswish", "F.hardswish", "nn.Hardswish", "ops_layers.hardswish")),
    _row("hardsigmoid", _act(), second=False,  # PyTorch: "derivative for
         covers=("F.hardsigmoid", "nn.Hardsigmoid")),  # hardsigmoid_backward not implemented"
    _row("threshold", _act(threshold=st.sampled_from([0.0, 1.0, -2.0]),
                           value=st.sampled_from([0.0, -1.0, 5.0])),
         covers=("F.threshold", "nn.Threshold")),
    Op("glu", lambda x, form, dim: {"tg": tg.glu, "F": F.glu, "module": nn.GLU(dim)}[form](
        x, **({} if form == "module" else {"dim": dim})),
       lambda x, form, dim: TF.glu(x, dim), _glu, rtol=1e-6,
       covers=("tg.glu", "F.glu", "nn.GLU", "ops_layers.glu")),
    _row("tanhshrink", _act(), rtol=1e-6, covers=("F.tanhshrink", "nn.Tanhshrink")),
    _row("softshrink", _act(lambd=LAMBD), covers=("F.softshrink", "nn.Softshrink")),
    _row("hardshrink", _act(lambd=LAMBD), covers=("F.hardshrink", "nn.Hardshrink")),
]


# --- normalisation -----------------------------------------------------------------------------


def _layer_norm(data):
    lead = D.shape(data, max_dims=2)
    norm = tuple(max(n, 1) for n in D.shape(data, min_dims=1, max_dims=2))
    arrays = [values(data, lead + norm, FINITE)]
    # (one number per example: x_hat = 0 exactly here, while PyTorch's x - mean rounds, so
    # under an infinite upstream gradient its weight gradient is -inf or nan by rounding)
    affine = data.draw(st.booleans(), label="affine") and int(np.prod(norm)) > 1
    if affine:
        arrays += [values(data, norm, FINITE), values(data, norm, FINITE)]
    return Case(arrays, {"form": data.draw(st.sampled_from(["tg", "F", "module"])),
                         "eps": data.draw(st.sampled_from([1e-5, 1e-3])),
                         "norm": norm if len(norm) > 1 or data.draw(st.booleans()) else norm[0]})


def _ours_layer_norm(x, w=None, b=None, *, form, eps, norm):
    if form != "module":
        return (tg.layer_norm if form == "tg" else F.layer_norm)(x, norm, w, b, eps)
    layer = nn.LayerNorm(norm, eps=eps, elementwise_affine=w is not None, dtype=x.dtype)
    return _bind(layer, ["weight", "bias"] if w is not None else [], [w, b] if w is not None
                 else [])(x)


def _torch_layer_norm(x, w=None, b=None, *, form, eps, norm):
    if form != "module":
        return TF.layer_norm(x, (norm,) if isinstance(norm, int) else norm, w, b, eps)
    layer = torch.nn.LayerNorm(norm, eps=eps, elementwise_affine=w is not None, dtype=x.dtype)
    return _call(layer, ["weight", "bias"] if w is not None else [],
                 [w, b] if w is not None else [], x)


def _group_norm(data):
    groups, per = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2))
    s = (data.draw(st.integers(1, 3)), groups * per,
         *(data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(0, 2)))))
    arrays = [values(data, s, FINITE)]
    if data.draw(st.booleans(), label="affine"):
        arrays += [values(data, s[1:2], FINITE), values(data, s[1:2], FINITE)]
    return Case(arrays, {"form": data.draw(st.sampled_from(["tg", "F", "module"])),
                         "groups": groups, "eps": data.draw(st.sampled_from([1e-5, 1e-3]))})


def _ours_group_norm(x, w=None, b=None, *, form, groups, eps):
    if form != "module":
        return (tg.group_norm if form == "tg" else F.group_norm)(x, groups, w, b, eps)
    layer = nn.GroupNorm(groups, x.shape[1], eps=eps, affine=w is not None, dtype=x.dtype)
    return _bind(layer, ["weight", "bias"] if w is not None else [],
                 [w, b] if w is not None else [])(x)


def _torch_group_norm(x, w=None, b=None, *, form, groups, eps):
    if form == "tg":  # the engine's op has no batch-size check: aten's group_norm
        return torch.group_norm(x, groups, w, b, eps)
    if form == "F":
        return TF.group_norm(x, groups, w, b, eps)
    layer = torch.nn.GroupNorm(groups, x.shape[1], eps=eps, affine=w is not None,
                               dtype=x.dtype)
    return _call(layer, ["weight", "bias"] if w is not None else [],
                 [w, b] if w is not None else [], x)


def _torch_group_norm_composite(x, w=None, b=None, *, form, groups, eps):
    """Group norm from PyTorch's elementary ops: (x - mean) / sqrt(var + eps)."""
    g = x.reshape(x.shape[0], groups, -1)
    centred = g - g.mean(-1, keepdim=True)
    y = (centred / torch.sqrt((centred**2).mean(-1, keepdim=True) + eps)).reshape(x.shape)
    if w is None:
        return y
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return y * w.reshape(shape) + b.reshape(shape)


def _instance_norm(data):
    spatial = data.draw(st.integers(1, 2), label="spatial axes")
    c = data.draw(st.integers(1, 3))
    s = (data.draw(st.integers(1, 3)), c, *(data.draw(st.integers(1, 3)) for _ in range(spatial)))
    form = data.draw(FORMS)
    if form == "module" and data.draw(st.booleans(), label="unbatched"):
        s = s[1:]
    arrays = [values(data, s, FINITE)]
    if data.draw(st.booleans(), label="affine"):
        arrays += [values(data, (c,), FINITE), values(data, (c,), FINITE)]
    return Case(arrays, {"form": form, "eps": data.draw(st.sampled_from([1e-5, 1e-3])),
                         "spatial": spatial})


def _ours_instance_norm(x, w=None, b=None, *, form, eps, spatial):
    if form == "F":
        return F.instance_norm(x, weight=w, bias=b, eps=eps)
    layer = (nn.InstanceNorm1d if spatial == 1 else nn.InstanceNorm2d)(
        w.shape[0] if w is not None else 1, eps=eps, affine=w is not None, dtype=x.dtype)
    return _bind(layer, ["weight", "bias"] if w is not None else [],
                 [w, b] if w is not None else [])(x)


def _torch_instance_norm(x, w=None, b=None, *, form, eps, spatial):
    if form == "F":
        return TF.instance_norm(x, weight=w, bias=b, eps=eps)
    layer = (torch.nn.InstanceNorm1d if spatial == 1 else torch.nn.InstanceNorm2d)(
        w.shape[0] if w is not None else 1, eps=eps, affine=w is not None, dtype=x.dtype)
    return _call(layer, ["weight", "bias"] if w is not None else [],
                 [w, b] if w is not None else [], x)


def _dropout_eval(data):
    dims = data.draw(st.sampled_from([(3, "Dropout1d"), (4, "Dropout2d"), (2, "AlphaDropout")]))
    s = tuple(data.draw(st.integers(1, 3)) for _ in range(dims[0]))
    return Case([values(data, s, REAL)], {"layer": dims[1], "form": data.draw(FORMS),
                                          "p": data.draw(st.sampled_from([0.0, 0.5, 0.9]))})


_DROPOUT_F = {"Dropout1d": "dropout1d", "Dropout2d": "dropout2d", "AlphaDropout": "alpha_dropout"}


def _dropout_run(nn_module, functional):
    def run(x, layer, form, p):
        if form == "module":
            return getattr(nn_module, layer)(p).eval()(x) * 1.0
        return getattr(functional, _DROPOUT_F[layer])(x, p, training=False) * 1.0
    return run


INF_GROUP = ("an infinite upstream gradient: PyTorch's arrangement of the derivative subtracts "
             "infinities for the whole group (nan), ours only where their signs clash")
NORMALISATION = [
    Op("layer_norm", _ours_layer_norm, _torch_layer_norm, _layer_norm, sums=2, grad_sums=True,
       nan_ok=INF_GROUP,
       covers=("tg.layer_norm", "F.layer_norm", "nn.LayerNorm", "ops_layers.layer_norm",
               "ops_layers.standardize")),
    Op("group_norm", _ours_group_norm, _torch_group_norm, _group_norm, sums=2, grad_sums=True,
       nan_ok=INF_GROUP, alt=_torch_group_norm_composite,
       alt_why="for a group of equal values the second derivative is 0; aten's fused "
       "double backward sums g x - mean sum(g) and leaves rounding noise times rstd^3 "
       "(3.5e-8 at eps 1e-5), PyTorch's elementary ops give the 0",
       covers=("tg.group_norm", "F.group_norm", "nn.GroupNorm", "ops_layers.group_norm")),
    Op("instance_norm", _ours_instance_norm, _torch_instance_norm, _instance_norm, sums=2,
       grad_sums=True, covers=("F.instance_norm", "nn.InstanceNorm1d", "nn.InstanceNorm2d"),
       finite_upstream="the input's gradient subtracts the channel's means of g and of g * "
       "x_hat: an inf in g meets inf of the other sign there, and whether an element comes "
       "out nan or -inf depends on the order of the terms, which differs between PyTorch's "
       "batch-norm kernel and ours (group norm's) both ways round; neither is a number"),
    Op("channel dropout (eval)", _dropout_run(nn, F), _dropout_run(torch.nn, TF), _dropout_eval,
       covers=("F.dropout1d", "F.dropout2d", "F.alpha_dropout", "nn.Dropout1d", "nn.Dropout2d",
               "nn.AlphaDropout")),
]


# --- padding, resizing, adaptive pooling -----------------------------------------------------

_PAD_MODULES = {  # (mode, padded axes): our and PyTorch's module name
    ("constant", 1): "ConstantPad1d", ("constant", 2): "ConstantPad2d",
    ("zeros", 1): "ZeroPad1d", ("zeros", 2): "ZeroPad2d",
    ("reflect", 1): "ReflectionPad1d", ("reflect", 2): "ReflectionPad2d",
    ("replicate", 1): "ReplicationPad1d", ("replicate", 2): "ReplicationPad2d",
    ("circular", 1): "CircularPad1d", ("circular", 2): "CircularPad2d",
}


def _pad(data):
    mode = data.draw(st.sampled_from(["constant", "zeros", "reflect", "replicate", "circular"]))
    axes = data.draw(st.integers(1, 2), label="padded axes")
    s = tuple(data.draw(st.integers(1, 4)) for _ in range(axes + data.draw(st.integers(1, 2))))
    low = -2 if mode in ("constant", "zeros") else 0
    pads = tuple(data.draw(st.integers(low, 3)) for _ in range(2 * axes))
    return Case([values(data, s, REAL)], {"mode": mode, "pads": pads, "form": data.draw(FORMS),
                                          "value": data.draw(st.sampled_from([0.0, 1.5]))})


def _pad_run(nn_module, functional):
    def run(x, mode, pads, form, value):
        if form == "module":
            layer = getattr(nn_module, _PAD_MODULES[mode, len(pads) // 2])
            return (layer(pads, value) if mode == "constant" else layer(pads))(x) * 1.0
        if mode in ("constant", "zeros"):
            return functional.pad(x, pads, "constant", value if mode == "constant" else 0.0)
        return functional.pad(x, pads, mode)
    return run


def resize_case(data, mode, spatial, forms, aligned):
    """An input shape (batch, channels, *spatial) and interpolate's keywords: ``size`` or
    ``scale_factor`` (never below one pixel), and ``align_corners`` for the modes in
    ``aligned``. Shared by this table and the bicubic/area rows of the spatial table."""
    s = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)),
         *(data.draw(st.integers(1, 5)) for _ in range(spatial)))
    kwargs = {"mode": mode, "form": data.draw(forms)}
    if data.draw(st.booleans(), label="size"):
        sizes = [data.draw(st.integers(1, 7)) for _ in range(spatial)]
        kwargs["size"] = sizes[0] if spatial == 1 else tuple(sizes)
    else:
        kwargs["scale_factor"] = data.draw(st.sampled_from([2.0, 3.0, 0.5, 1.5, 1.7]))
        assume(all(int(n * kwargs["scale_factor"]) >= 1 for n in s[2:]))
    if mode in aligned:
        kwargs["align_corners"] = data.draw(st.booleans())
    return s, kwargs


def _interpolate(data):
    mode = data.draw(st.sampled_from(["nearest", "nearest-exact", "linear", "bilinear"]))
    spatial = {"linear": 1, "bilinear": 2}.get(mode, data.draw(st.integers(1, 2)))
    s, kwargs = resize_case(data, mode, spatial, FORMS, ("linear", "bilinear"))
    return Case([values(data, s, FINITE)], kwargs)


def _interpolate_run(nn_module, functional):
    def run(x, form, **options):
        if form == "module":
            return nn_module.Upsample(**options)(x)
        return functional.interpolate(x, **options)
    return run


def _adaptive(data):
    spatial = data.draw(st.integers(1, 2))
    s = (data.draw(st.integers(0, 2)), data.draw(st.integers(1, 2)),
         *(data.draw(st.integers(1, 6)) for _ in range(spatial)))
    if data.draw(st.booleans(), label="unbatched"):
        s = s[1:]
    sizes = [data.draw(st.sampled_from([1, 2, 3, 4, None] if spatial == 2 else [1, 2, 3, 5]))
             for _ in range(spatial)]
    if spatial == 1 or (sizes[0] == sizes[1] and sizes[0] is not None
                        and data.draw(st.booleans())):
        size = sizes[0]
    else:
        size = tuple(sizes)
    return Case([values(data, s, REAL)], {"kind": data.draw(st.sampled_from(["avg", "max"])),
                                          "spatial": spatial, "size": size,
                                          "form": data.draw(FORMS)})


def _adaptive_run(nn_module, functional):
    def run(x, kind, spatial, size, form):
        if form == "module":
            return getattr(nn_module, f"Adaptive{kind.capitalize()}Pool{spatial}d")(size)(x)
        return getattr(functional, f"adaptive_{kind}_pool{spatial}d")(x, size)
    return run


LANDS_ON_SOURCE = ("a pixel that lands exactly on its source: PyTorch still adds its "
                   "neighbour times 0 (0 * inf = nan), ours leaves the neighbour out")
RESIZING = [
    Op("pad", _pad_run(nn, F), _pad_run(torch.nn, TF), _pad,
       covers=("F.pad", *(f"nn.{name}" for name in _PAD_MODULES.values()))),
    Op("interpolate", _interpolate_run(nn, F), _interpolate_run(torch.nn, TF), _interpolate,
       sums=1, nan_ok=LANDS_ON_SOURCE,
       covers=("F.interpolate", "nn.Upsample")),
    Op("UpsamplingNearest2d, UpsamplingBilinear2d, F.upsample",
       lambda x, kind, factor: (nn.UpsamplingNearest2d if kind == "nearest"
                                else nn.UpsamplingBilinear2d)(scale_factor=factor)(x)
       + F.upsample(x, scale_factor=factor, mode="nearest"),
       lambda x, kind, factor: (torch.nn.UpsamplingNearest2d if kind == "nearest"
                                else torch.nn.UpsamplingBilinear2d)(scale_factor=factor)(x)
       + TF.upsample(x, scale_factor=factor, mode="nearest"),
       lambda data: Case([values(data, (1, 2, data.draw(st.integers(1, 3)),
                                        data.draw(st.integers(1, 3))), FINITE)],
                         {"kind": data.draw(st.sampled_from(["nearest", "bilinear"])),
                          "factor": data.draw(st.sampled_from([2, 3]))}), sums=1,
       nan_ok=LANDS_ON_SOURCE,
       covers=("nn.UpsamplingNearest2d", "nn.UpsamplingBilinear2d", "F.upsample")),
    Op("adaptive pooling", _adaptive_run(nn, F), _adaptive_run(torch.nn, TF), _adaptive, sums=1,
       covers=("F.adaptive_avg_pool1d", "F.adaptive_avg_pool2d", "F.adaptive_max_pool1d",
               "F.adaptive_max_pool2d", "nn.AdaptiveAvgPool1d", "nn.AdaptiveAvgPool2d",
               "nn.AdaptiveMaxPool1d", "nn.AdaptiveMaxPool2d")),
]


# --- similarity and containers ------------------------------------------------------------------


def _two(data):
    shapes = D.broadcast_shapes(data, 2, 1)
    nd = max(len(s) for s in shapes)
    dim = data.draw(st.integers(-nd, nd - 1))
    # vectors of one number are always parallel: the cosine is the constant +-1, whose
    # derivative both libraries get as a difference that cancels (PyTorch's to 0, ours to
    # 1e-16), and the harness's tolerance for the derivative w.r.t. the upstream gradient
    # scales with that gradient, which may be 0; so the vectors are longer (or empty)
    n = data.draw(st.sampled_from([0, 2, 3]), label="vector length")
    axis = dim % nd  # of the broadcast shape; shapes are aligned at the right
    shapes = [tuple(n if i + nd - len(s) == axis else k for i, k in enumerate(s))
              for s in shapes]
    return Case([values(data, s, FINITE) for s in shapes], {"form": data.draw(FORMS), "dim": dim})


def _normalize(data):
    s = D.shape(data, min_dims=1)
    return Case([values(data, s, FINITE)], {"dim": data.draw(st.integers(-len(s), len(s) - 1)),
                                            "p": data.draw(st.sampled_from([2.0, 1.0, 3.0]))})


def _distance(data):
    shapes = D.broadcast_shapes(data, 2, 1)
    return Case([values(data, s, FINITE) for s in shapes],
                {"form": data.draw(FORMS), "p": data.draw(st.sampled_from([2.0, 1.0])),
                 "keepdim": data.draw(st.booleans())})


def _ours_distance(a, b, form, p, keepdim):
    if form == "module":
        return nn.PairwiseDistance(p, keepdim=keepdim)(a, b)
    return F.pairwise_distance(a, b, p, keepdim=keepdim)


def _torch_distance(a, b, form, p, keepdim):
    if form == "module":
        return torch.nn.PairwiseDistance(p, keepdim=keepdim)(a, b)
    return TF.pairwise_distance(a, b, p, keepdim=keepdim)


def _dict_model(data):
    n_in, hidden = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    return Case([values(data, (data.draw(st.integers(0, 3)), n_in), FINITE),
                 values(data, (hidden, n_in), FINITE), values(data, (hidden,), FINITE),
                 values(data, (1, hidden), FINITE)])


def _ours_dict_model(x, w1, b1, w2):
    layers = nn.ModuleDict({"hidden": nn.Linear(w1.shape[1], w1.shape[0], dtype=w1.dtype)})
    layers["act"] = nn.Tanh()
    params = nn.ParameterDict({"out": w2})
    _bind(layers["hidden"], ["weight", "bias"], [w1, b1])
    return layers["act"](layers["hidden"](x)) @ params["out"].T


def _torch_dict_model(x, w1, b1, w2):
    return torch.tanh(TF.linear(x, w1, b1)) @ w2.T


SIMILARITY = [
    Op("normalize", lambda x, dim, p: F.normalize(x, p, dim),
       lambda x, dim, p: TF.normalize(x, p, dim), _normalize, sums=1, grad_sums=True,
       divides_by_result=True, covers=("F.normalize",),
       nan_ok="x near 1e-300 with p = 3: PyTorch's norm derivative |x|^(p-1) / norm^(p-1) "
              "underflows to 0 / 0; ours divides by the largest |x| first"),
    _row("cosine_similarity", _two, sums=2, grad_sums=True, divides_by_result=True,
         nan_ok="a zero vector: PyTorch's second derivative of its norm at 0 is nan, ours 0",
         covers=("F.cosine_similarity", "nn.CosineSimilarity")),
    Op("pairwise_distance", _ours_distance, _torch_distance, _distance, sums=2,
       divides_by_result=True, covers=("F.pairwise_distance", "nn.PairwiseDistance")),
    Op("ModuleDict, ParameterDict", _ours_dict_model, _torch_dict_model, _dict_model, sums=2,
       covers=("nn.ModuleDict", "nn.ParameterDict")),
]

NN_EXTRA_OPS = ACTIVATIONS + NORMALISATION + RESIZING + SIMILARITY


@pytest.mark.parametrize("op", NN_EXTRA_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_nn_layer_matches_torch(op, data):
    D.check(op, data)
