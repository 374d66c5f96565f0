"""The attn group against PyTorch, by the differential harness: transposed convolution,
scaled dot-product attention, ``MultiheadAttention``, the transformer encoder, ``RMSNorm``,
``Bilinear`` and the pixel shuffles.

Rows draw their *form* where there are several (the engine's ``tg.conv_transpose2d``,
``F.conv_transpose2d`` or ``nn.ConvTranspose2d``); layers get the drawn weights by
PyTorch's state-dict names (strict ``load_state_dict``, so the names and shapes are
PyTorch's), and the weights' gradients are compared like the inputs'. Masks are
constants (bool or float) drawn with the example. Dropout is 0 here (the random masks
differ by design; ``test_attention_layers.py`` checks dropout's effect).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import FINITE, MODERATE, REAL, WEIGHTS, Case, Op, values  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import tinygrad_dk as tg  # noqa: E402
from tinygrad_dk import Tensor  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional
# PyTorch's float32 CPU kernel (flash attention) has no second derivative; its reference
# ("math") kernel computes the same formula with differentiable operations
MATH = torch.nn.attention.SDPBackend.MATH


def _bind(module, names, tensors):
    """Load the drawn weights by PyTorch's (dotted) names, strictly, then put the very
    tensors in, so that their gradients are ours to compare."""
    module.load_state_dict({n: t.numpy() for n, t in zip(names, tensors)}, strict=True)
    for name, t in zip(names, tensors):
        *path, last = name.split(".")
        owner = module
        for part in path:
            owner = owner[int(part)] if part.isdigit() else getattr(owner, part)
        setattr(owner, last, t)
    return module


def _call(module, names, tensors, *args, **kwargs):
    return torch.func.functional_call(module, dict(zip(names, tensors)), args, kwargs)


def _torch_value(v, like):
    """A constant (a mask) for PyTorch: numpy arrays become tensors, float ones of the
    dtype of ``like`` (the harness's float64 reference of a float32 example)."""
    if not isinstance(v, np.ndarray):
        return v
    return torch.tensor(v).to(like.dtype) if v.dtype.kind == "f" else torch.tensor(v)


def _ours_value(v):
    return Tensor(v) if isinstance(v, np.ndarray) else v


# --- transposed convolution ---------------------------------------------------------------


def _conv_transpose(d):
    def draw(data):
        groups = data.draw(st.sampled_from([1, 1, 2]), label="groups")
        cin = groups * data.draw(st.integers(1, 2), label="in per group")
        cout = data.draw(st.integers(1, 2), label="out per group")
        kernel = [data.draw(st.integers(1, 3), label="kernel") for _ in range(d)]
        stride = [data.draw(st.integers(1, 3), label="stride") for _ in range(d)]
        dilation = [data.draw(st.sampled_from([1, 1, 2]), label="dilation") for _ in range(d)]
        pads = [data.draw(st.integers(0, 2), label="padding") for _ in range(d)]
        extra = [data.draw(st.integers(0, s - 1), label="output_padding") for s in stride]
        size = tuple(data.draw(st.integers(1, 4), label="size") for _ in range(d))
        # an empty output: PyTorch returns it for some shapes and refuses it for others (a
        # bug of its own); we always refuse it (test_attention_layers.py)
        assume(all((n - 1) * s - 2 * p + dl * (k - 1) + e + 1 >= 1 for n, s, p, dl, k, e
                   in zip(size, stride, pads, dilation, kernel, extra)))
        unbatched = data.draw(st.integers(0, 7), label="unbatched") == 0
        x_shape = (cin, *size) if unbatched else (data.draw(D.SIZES), cin, *size)
        arrays = [values(data, x_shape, FINITE), values(data, (cin, cout, *kernel), FINITE)]
        if data.draw(st.booleans(), label="bias"):
            arrays.append(values(data, (cout * groups,), FINITE))
        return Case(arrays, {"form": data.draw(st.sampled_from(["tg", "F", "module"])),
                             "stride": tuple(stride), "padding": tuple(pads),
                             "output_padding": tuple(extra), "groups": groups,
                             "dilation": tuple(dilation)})
    return draw


def _ours_conv_transpose(d):
    def run(x, w, b=None, *, form, **options):
        if form != "module":
            f = {"tg": (tg.conv_transpose1d, tg.conv_transpose2d),
                 "F": (F.conv_transpose1d, F.conv_transpose2d)}[form][d - 1]
            return f(x, w, b, **options)
        layer = (nn.ConvTranspose1d, nn.ConvTranspose2d)[d - 1](
            w.shape[0], w.shape[1] * options["groups"], w.shape[2:], bias=b is not None,
            dtype=w.dtype, **options)
        names = ["weight"] + (["bias"] if b is not None else [])
        return _bind(layer, names, [w] + ([b] if b is not None else []))(x)
    return run


def _torch_conv_transpose(d):
    def run(x, w, b=None, *, form, **options):
        if form != "module":
            return (TF.conv_transpose1d, TF.conv_transpose2d)[d - 1](x, w, b, **options)
        layer = (torch.nn.ConvTranspose1d, torch.nn.ConvTranspose2d)[d - 1](
            w.shape[0], w.shape[1] * options["groups"], tuple(w.shape[2:]), bias=b is not None,
            dtype=w.dtype, **options)
        names = ["weight"] + (["bias"] if b is not None else [])
        return _call(layer, names, [w] + ([b] if b is not None else []), x)
    return run


# --- attention ------------------------------------------------------------------------------


def _sdpa(data):
    lead = D.shape(data, max_dims=2)
    lq, s, e, ev = (data.draw(st.integers(1, 4), label=n) for n in ("L", "S", "E", "Ev"))
    arrays = [values(data, (*lead, lq, e), MODERATE), values(data, (*lead, s, e), MODERATE),
              values(data, (*lead, s, ev), MODERATE)]
    kind = data.draw(st.sampled_from(["none", "bool", "float", "causal"]), label="mask")
    options = {"scale": data.draw(st.sampled_from([None, None, 0.5, 2.0]), label="scale")}
    mask_shape = D.smaller(data, (*lead, lq, s))  # broadcasts against the scores
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="mask seed"))
    if kind == "bool":  # now and then a query with no key at all (PyTorch: output 0)
        options["attn_mask"] = np.asarray(rng.random(mask_shape) < 0.7)
    elif kind == "float":
        options["attn_mask"] = np.asarray(rng.standard_normal(mask_shape))
    elif kind == "causal":
        options["is_causal"] = True
    return Case(arrays, options)


def _ours_sdpa(q, k, v, **options):
    return F.scaled_dot_product_attention(q, k, v, **{n: _ours_value(o)
                                                      for n, o in options.items()})


def _torch_sdpa(q, k, v, **options):
    with torch.nn.attention.sdpa_kernel(MATH):
        return TF.scaled_dot_product_attention(q, k, v, **{n: _torch_value(o, q)
                                                       for n, o in options.items()})


def _mha_params(e, kdim, vdim, bias):
    """PyTorch's parameter names and shapes of MultiheadAttention, in its order."""
    layer = torch.nn.MultiheadAttention(e, 1, bias=bias, kdim=kdim, vdim=vdim)
    return [(n, tuple(p.shape)) for n, p in layer.named_parameters()]


def _mha(data):
    heads = data.draw(st.integers(1, 2), label="heads")
    e = heads * data.draw(st.integers(1, 2), label="head_dim")
    kdim = data.draw(st.sampled_from([None, None, 3]), label="kdim")
    bias = data.draw(st.booleans(), label="bias")
    batch_first = data.draw(st.booleans(), label="batch_first")
    n = data.draw(st.integers(1, 2), label="N")
    lq, s = data.draw(st.integers(1, 3), label="L"), data.draw(st.integers(1, 3), label="S")
    unbatched = data.draw(st.integers(0, 5), label="unbatched") == 0

    def seq(length, width):
        if unbatched:
            return (length, width)
        return (n, length, width) if batch_first else (length, n, width)
    arrays = [values(data, seq(lq, e), MODERATE), values(data, seq(s, kdim or e), MODERATE),
              values(data, seq(s, kdim or e), MODERATE)]
    params = _mha_params(e, kdim, kdim, bias)
    arrays += [values(data, shape, WEIGHTS) for _, shape in params]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="mask seed"))
    options = {"heads": heads, "kdim": kdim, "bias": bias, "batch_first": batch_first,
               "names": [name for name, _ in params],
               "part": data.draw(st.sampled_from(["output", "weights", "heads"]), label="part")}
    if data.draw(st.booleans(), label="key_padding_mask") and not unbatched:
        options["key_padding_mask"] = rng.random((n, s)) < 0.3
    mask = data.draw(st.sampled_from(["none", "bool", "float", "per head"]), label="attn_mask")
    if mask == "bool":
        options["attn_mask"] = rng.random((lq, s)) < 0.3
    elif mask == "float":
        options["attn_mask"] = rng.standard_normal((lq, s))
    elif mask == "per head" and not unbatched:
        options["attn_mask"] = rng.standard_normal((n * heads, lq, s))
    return Case(arrays, options)


def _mha_run(lib, q, k, v, *weights, heads, kdim, bias, batch_first, names, part, **masks):
    e = q.shape[-1]
    forward = {"need_weights": part != "output", "average_attn_weights": part == "weights"}
    if lib == "ours":
        layer = nn.MultiheadAttention(e, heads, bias=bias, kdim=kdim, vdim=kdim,
                                      batch_first=batch_first, dtype=q.dtype)
        out = _bind(layer, names, weights)(q, k, v, **{n: _ours_value(m)
                                                        for n, m in masks.items()}, **forward)
    else:
        layer = torch.nn.MultiheadAttention(e, heads, bias=bias, kdim=kdim, vdim=kdim,
                                            batch_first=batch_first, dtype=q.dtype)
        with torch.nn.attention.sdpa_kernel(MATH):
            out = _call(layer, names, weights, q, k, v, **{n: _torch_value(m, q)
                                                           for n, m in masks.items()},
                        **forward)
    return out[0] if part == "output" else out[1]


def _encoder(data):
    heads = data.draw(st.integers(1, 2), label="heads")
    # d_model >= 2: LayerNorm of one number is exactly 0 here, while PyTorch's x - mean
    # rounds, so under an infinite upstream gradient its weight gradient is inf or nan
    e = heads * data.draw(st.integers(3 - heads, 2), label="head_dim")
    batch_first = data.draw(st.booleans(), label="batch_first")
    n, s = data.draw(st.integers(1, 2), label="N"), data.draw(st.integers(1, 3), label="S")
    stack = data.draw(st.sampled_from([0, 1, 2]), label="layers (0: one layer)")
    options = {"heads": heads, "batch_first": batch_first, "stack": stack,
               "norm_first": data.draw(st.booleans(), label="norm_first"),
               "activation": data.draw(st.sampled_from(["relu", "gelu"])),
               "final_norm": data.draw(st.booleans(), label="final norm") and stack > 0}
    module = _encoder_module(torch.nn, torch.float64, e, **options)
    params = [(name, tuple(p.shape)) for name, p in module.named_parameters()]
    arrays = [values(data, (n, s, e) if batch_first else (s, n, e), MODERATE)]
    arrays += [values(data, shape, WEIGHTS) for _, shape in params]
    options["names"] = [name for name, _ in params]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="mask seed"))
    if data.draw(st.booleans(), label="causal"):
        options["mask"] = np.triu(np.ones((s, s), dtype=bool), 1)
    if data.draw(st.booleans(), label="key_padding_mask"):
        options["src_key_padding_mask"] = rng.random((n, s)) < 0.3
    return Case(arrays, options)


def _encoder_module(lib, dtype, e, *, heads, batch_first, stack, norm_first, activation,
                    final_norm):
    layer = lib.TransformerEncoderLayer(e, heads, dim_feedforward=3, dropout=0.0,
                                        activation=activation, batch_first=batch_first,
                                        norm_first=norm_first, dtype=dtype)
    if not stack:
        return layer
    norm = lib.LayerNorm(e, dtype=dtype) if final_norm else None
    if lib is torch.nn:  # (PyTorch's nested-tensor fast path is for inference only)
        return lib.TransformerEncoder(layer, stack, norm=norm, enable_nested_tensor=False)
    return lib.TransformerEncoder(layer, stack, norm=norm)


def _encoder_run(lib, x, *weights, names, mask=None, src_key_padding_mask=None, **options):
    ours = lib == "ours"
    module = _encoder_module(nn if ours else torch.nn, x.dtype, x.shape[-1], **options)
    def convert(v):
        return _ours_value(v) if ours else _torch_value(v, x)
    masks = {"src_key_padding_mask": convert(src_key_padding_mask)}
    if mask is not None:
        masks["mask" if options["stack"] else "src_mask"] = convert(mask)
    if ours:
        return _bind(module, names, weights)(x, **masks)
    with torch.nn.attention.sdpa_kernel(MATH):
        return _call(module, names, weights, x, **masks)


# --- RMSNorm, Bilinear, pixel shuffles ----------------------------------------------------


def _rms_norm(data):
    lead = D.shape(data, max_dims=2)
    norm = tuple(max(n, 1) for n in D.shape(data, min_dims=1, max_dims=2))
    arrays = [values(data, lead + norm, FINITE)]
    if data.draw(st.booleans(), label="weight"):
        arrays.append(values(data, norm, FINITE))
    return Case(arrays, {"form": data.draw(st.sampled_from(["F", "module"])),
                         "eps": data.draw(st.sampled_from([None, 1e-5, 1e-3])),
                         "norm": norm if len(norm) > 1 or data.draw(st.booleans()) else norm[0]})


def _rms_run(lib, x, w=None, *, form, eps, norm):
    if form == "F":
        return (F if lib == "ours" else TF).rms_norm(x, (norm,) if isinstance(norm, int)
                                                     and lib != "ours" else norm, w, eps)
    module = (nn if lib == "ours" else torch.nn).RMSNorm(norm, eps=eps,
                                                         elementwise_affine=w is not None,
                                                         dtype=x.dtype)
    names, tensors = (["weight"], [w]) if w is not None else ([], [])
    return _bind(module, names, tensors)(x) if lib == "ours" else _call(module, names,
                                                                           tensors, x)


def _bilinear(data):
    lead = D.shape(data, max_dims=2)
    in1, in2, out = (data.draw(st.integers(1, 3)) for _ in range(3))
    arrays = [values(data, (*lead, in1), FINITE), values(data, (*lead, in2), FINITE),
              values(data, (out, in1, in2), FINITE)]
    if data.draw(st.booleans(), label="bias"):
        arrays.append(values(data, (out,), FINITE))
    return Case(arrays, {"form": data.draw(st.sampled_from(["F", "module"]))})


def _bilinear_run(lib, x1, x2, w, b=None, *, form):
    if form == "F":
        return (F if lib == "ours" else TF).bilinear(x1, x2, w, b)
    module = (nn if lib == "ours" else torch.nn).Bilinear(w.shape[1], w.shape[2], w.shape[0],
                                                          bias=b is not None, dtype=x1.dtype)
    names = ["weight"] + (["bias"] if b is not None else [])
    tensors = [w] + ([b] if b is not None else [])
    return _bind(module, names, tensors)(x1, x2) if lib == "ours" else _call(
        module, names, tensors, x1, x2)


def _shuffle(data):
    r = data.draw(st.integers(1, 3), label="factor")
    # (no empty batch: PyTorch's own backward of an empty pixel_shuffle raises)
    lead = tuple(max(n, 1) for n in D.shape(data, max_dims=2))
    c, h, w = (data.draw(st.integers(1, 2)) for _ in range(3))
    up = data.draw(st.booleans(), label="shuffle")
    shape = (*lead, c * r * r, h, w) if up else (*lead, c, h * r, w * r)
    if data.draw(st.integers(0, 7), label="wrong size") == 0:
        shape = (*shape[:-1], shape[-1] + 1)  # both must refuse (when r > 1)
    return Case([values(data, shape, REAL)], {"r": r, "up": up,
                                              "form": data.draw(st.sampled_from(["F", "module"]))})


def _shuffle_run(lib, x, *, r, up, form):
    funcs, mods = (F, nn) if lib == "ours" else (TF, torch.nn)
    if form == "F":
        return (funcs.pixel_shuffle if up else funcs.pixel_unshuffle)(x, r)
    return (mods.PixelShuffle if up else mods.PixelUnshuffle)(r)(x)


def _pair(run):
    return (lambda *a, **k: run("ours", *a, **k)), (lambda *a, **k: run("torch", *a, **k))


NO_KEY = ("an infinite upstream gradient at a query that sees no key: PyTorch multiplies it "
          "by the weights 0 (nan); ours passes no gradient into a row that saw nothing")

ATTN_OPS = [
    Op("conv_transpose1d", _ours_conv_transpose(1), _torch_conv_transpose(1),
       _conv_transpose(1), sums=1,
       covers=("tg.conv_transpose1d", "F.conv_transpose1d", "nn.ConvTranspose1d",
               "ops_conv_transpose.conv_transpose1d")),
    Op("conv_transpose2d", _ours_conv_transpose(2), _torch_conv_transpose(2),
       _conv_transpose(2), sums=1,
       covers=("tg.conv_transpose2d", "F.conv_transpose2d", "nn.ConvTranspose2d",
               "ops_conv_transpose.conv_transpose2d")),
    Op("scaled_dot_product_attention", _ours_sdpa, _torch_sdpa, _sdpa, sums=2, grad_sums=True,
       nan_ok=NO_KEY,
       covers=("F.scaled_dot_product_attention",)),
    Op("MultiheadAttention", *_pair(_mha_run), _mha, sums=3, grad_sums=True,
       nan_ok="a query whose every key is masked: PyTorch's need_weights=True path divides "
              "0 by 0 (its need_weights=False path and ours give 0); " + NO_KEY,
       covers=("nn.MultiheadAttention",)),
    Op("TransformerEncoder", *_pair(_encoder_run), _encoder, sums=3, grad_sums=True,
       nan_ok="every key of a sequence padded: " + NO_KEY,
       covers=("nn.TransformerEncoderLayer", "nn.TransformerEncoder")),
    Op("rms_norm", *_pair(_rms_run), _rms_norm, sums=2, grad_sums=True,
       covers=("F.rms_norm", "nn.RMSNorm")),
    Op("bilinear", *_pair(_bilinear_run), _bilinear, sums=1,
       finite_upstream="x1^T W x2 is a product of three factors: an inf upstream gradient "
       "times x1 times a W of 0 is nan in PyTorch's grouping ((g x1) W) and inf in ours "
       "(g (x1 W), where x1 W is finite)",
       covers=("F.bilinear", "nn.Bilinear")),
    Op("pixel_shuffle", *_pair(_shuffle_run), _shuffle,
       covers=("F.pixel_shuffle", "F.pixel_unshuffle", "nn.PixelShuffle",
               "nn.PixelUnshuffle")),
]


@pytest.mark.parametrize("op", ATTN_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_attn_op_matches_torch(op, data):
    D.check(op, data)
