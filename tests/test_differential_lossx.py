"""The last losses, the adaptive softmax and fractional max pooling against PyTorch (the
group "lossx"), rows of ``tests/differential.py``'s kind.

* ``triplet_margin_with_distance_loss``: the default distance, a cosine distance and an
  L1 distance, ``swap``, margins and the three reductions, as function and module;
* ``multilabel_margin_loss``: (N, C) and (C,) scores, targets padded with -1 (repeats
  and entries after the -1 included);
* ``AdaptiveLogSoftmaxWithLoss``: drawn cutoffs, ``div_value``, ``head_bias`` and
  weights (loaded by PyTorch's names), one or many examples: ``output``, ``loss`` and
  ``log_prob``, gradients for the input and every weight;
* ``fractional_max_pool2d/3d``: drawn sizes, kernels, output sizes (now and then one too
  big: both must refuse) or ratios, and shared ``_random_samples``, so the windows are
  PyTorch's exactly: the maxima (values, first and second derivatives) and the int64
  indices.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import FINITE, MODERATE, REAL, WEIGHTS, Case, Op, values  # noqa: E402

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
from tinygrad_dk import Tensor  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional
REDUCTIONS = st.sampled_from(["mean", "sum", "none"])

# --- triplet_margin_with_distance_loss -------------------------------------------------------

#: the distances, by name, in either library (``lib`` is F or torch's functional)
DISTANCES = {
    "default": lambda lib: None,
    "cosine": lambda lib: lambda a, b: 1 - lib.cosine_similarity(a, b),
    "l1": lambda lib: lambda a, b: lib.pairwise_distance(a, b, p=1.0),
}


def _triplet(data):
    n, width = data.draw(st.integers(1, 4), label="N"), data.draw(st.integers(2, 4), label="D")
    distance = data.draw(st.sampled_from(sorted(DISTANCES)), label="distance")
    # cosine: random directions (parallel small-integer vectors make cos = 1 exactly,
    # where its derivative is rounding noise in either library)
    domain = D.Domain(kinds=("normal", "big")) if distance == "cosine" else MODERATE
    return Case([values(data, (n, width), domain) for _ in range(3)],
                {"reduction": data.draw(REDUCTIONS), "form": data.draw(st.sampled_from(
                    ["functional", "module"])), "distance": distance,
                 "margin": data.draw(st.sampled_from([1.0, 0.3])),
                 "swap": data.draw(st.booleans(), label="swap")})


def _ours_triplet(a, p, n, *, form, distance, **options):
    fn = DISTANCES[distance](F)
    if form == "functional":
        return F.triplet_margin_with_distance_loss(a, p, n, distance_function=fn, **options)
    return nn.TripletMarginWithDistanceLoss(distance_function=fn, **options)(a, p, n)


def _torch_triplet(a, p, n, *, form, distance, **options):
    fn = DISTANCES[distance](TF)
    if form == "functional":
        return TF.triplet_margin_with_distance_loss(a, p, n, distance_function=fn, **options)
    return torch.nn.TripletMarginWithDistanceLoss(distance_function=fn, **options)(a, p, n)


# --- multilabel_margin_loss ---------------------------------------------------------------


def _multilabel(data):
    single = data.draw(st.booleans(), label="one example")
    n, c = data.draw(st.integers(1, 4), label="N"), data.draw(st.integers(1, 5), label="C")
    shape = (c,) if single else (n, c)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    targets = rng.integers(-1, c, size=shape)  # repeats, -1 anywhere (what follows: ignored)
    return Case([values(data, shape, FINITE)],
                {"reduction": data.draw(REDUCTIONS), "target": targets,
                 "form": data.draw(st.sampled_from(["functional", "module"]))})


def _ours_multilabel(x, *, target, form, reduction):
    if form == "functional":
        return F.multilabel_margin_loss(x, target, reduction=reduction)
    return nn.MultiLabelMarginLoss(reduction=reduction)(x, target)


def _torch_multilabel(x, *, target, form, reduction):
    if form == "functional":
        return TF.multilabel_margin_loss(x, torch.tensor(target), reduction=reduction)
    return torch.nn.MultiLabelMarginLoss(reduction=reduction)(x, torch.tensor(target))


# --- AdaptiveLogSoftmaxWithLoss ----------------------------------------------------------------


def _adaptive(data):
    """Features, classes, cutoffs, div_value (every cluster keeps >= 1 feature), the
    weights in PyTorch's order and shapes, targets in every cluster."""
    features = data.draw(st.integers(2, 6), label="in_features")
    classes = data.draw(st.integers(2, 8), label="n_classes")
    cutoffs = sorted(data.draw(st.sets(st.integers(1, classes - 1), min_size=1,
                                       max_size=min(3, classes - 1)), label="cutoffs"))
    div = data.draw(st.sampled_from([1.0, 1.5, 2.0]), label="div_value")
    while features // div ** len(cutoffs) < 1:
        div = 1.0
    bias = data.draw(st.booleans(), label="head_bias")
    layer = torch.nn.AdaptiveLogSoftmaxWithLoss(features, classes, cutoffs, div, bias)
    names = [(n, tuple(p.shape)) for n, p in layer.named_parameters()]
    pick = data.draw(st.sampled_from(["output", "loss", "log_prob"]), label="pick")
    # one example (1-D input): PyTorch's log_prob fails on it (IndexError), ours does not
    single = pick != "log_prob" and data.draw(st.integers(0, 4), label="one example") == 0
    n = data.draw(st.integers(1, 5), label="N")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    target = rng.integers(0, classes, size=() if single else n)
    x = values(data, (features,) if single else (n, features), MODERATE)
    weights = [values(data, shape, WEIGHTS) for _, shape in names]
    return Case([x, *weights], {"settings": (features, classes, tuple(cutoffs), div, bias),
                                "names": tuple(n for n, _ in names), "target": target,
                                "pick": pick})


def _put(module, name, tensor):
    """Our layer's parameter ``name`` (dotted, PyTorch's) replaced by ``tensor``."""
    *path, last = name.split(".")
    for part in path:
        module = module[int(part)] if part.isdigit() else getattr(module, part)
    setattr(module, last, tensor)


def _ours_adaptive(x, *weights, settings, names, target, pick):
    layer = nn.AdaptiveLogSoftmaxWithLoss(*settings, dtype=x.dtype)
    layer.load_state_dict({n: w.numpy() for n, w in zip(names, weights)}, strict=True)
    for n, w in zip(names, weights):
        _put(layer, n, w)
    if pick == "log_prob":
        return layer.log_prob(x)
    return getattr(layer(x, target), pick)


def _torch_adaptive(x, *weights, settings, names, target, pick):
    layer = torch.nn.AdaptiveLogSoftmaxWithLoss(*settings, dtype=x.dtype)
    params = dict(zip(names, weights))
    if pick == "log_prob":  # through a module whose forward is log_prob
        wrapper = _LogProb(layer)
        return torch.func.functional_call(wrapper, {f"layer.{n}": w for n, w in params.items()},
                                          (x,))
    out = torch.func.functional_call(layer, params, (x, torch.tensor(target)))
    return getattr(out, pick)


class _LogProb(torch.nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer.log_prob(x)


# --- fractional max pooling --------------------------------------------------------------------


def _fractional(data):
    d = data.draw(st.sampled_from([2, 3]), label="spatial axes")
    room = 0 if d == 2 else 1  # PyTorch's 3-D size check keeps one element to spare
    spatial = [data.draw(st.integers(1 + room, 6), label="size") for _ in range(d)]
    kernel = [data.draw(st.integers(1, n - room), label="kernel") for n in spatial]
    unbatched = data.draw(st.integers(0, 5), label="unbatched") == 0
    batch, channels = data.draw(st.integers(1, 3), label="N"), data.draw(st.integers(1, 3))
    kwargs = {"d": d, "kernel_size": kernel[0] if len(set(kernel)) == 1 else tuple(kernel),
              "form": data.draw(st.sampled_from(["F", "module", "with_indices"]))}
    if data.draw(st.booleans(), label="output_ratio"):
        kwargs["output_ratio"] = data.draw(st.sampled_from([0.5, 0.75, 0.3]))
    else:  # now and then one more window than fits: both must refuse
        kwargs["output_size"] = tuple(data.draw(st.integers(1, n - k + 1 - room + (data.draw(
            st.integers(0, 9), label="too big?") == 0)), label="out")
            for n, k in zip(spatial, kernel))
    kwargs["samples"] = np.random.default_rng(data.draw(st.integers(0, 2**16))).random(
        (batch + data.draw(st.integers(0, 1), label="extra samples"), channels, d))
    x = values(data, (channels, *spatial) if unbatched else (batch, channels, *spatial), REAL)
    return Case([x], kwargs)


def _fractional_run(library, pick):
    def run(x, *, d, form, samples, **options):
        if library == "torch":  # (the float64 reference of a float32 example: cast)
            lib, layers, u = TF, torch.nn, torch.tensor(samples, dtype=x.dtype)
        else:
            lib, layers, u = F, nn, Tensor(samples)
        if form != "module" and "output_ratio" in options:  # F wants one ratio per axis
            options["output_ratio"] = (options["output_ratio"],) * d
        if form == "module":
            layer = getattr(layers, f"FractionalMaxPool{d}d")(
                **options, return_indices=True, _random_samples=u)
            return layer(x)[pick]
        if form == "with_indices":
            return getattr(lib, f"fractional_max_pool{d}d_with_indices")(
                x, **options, _random_samples=u)[pick]
        return getattr(lib, f"fractional_max_pool{d}d")(x, **options, return_indices=True,
                                                         _random_samples=u)[pick]
    return run


_FRACTIONAL_NAMES = ("F.fractional_max_pool2d", "F.fractional_max_pool3d",
                     "F.fractional_max_pool2d_with_indices",
                     "F.fractional_max_pool3d_with_indices", "nn.FractionalMaxPool2d",
                     "nn.FractionalMaxPool3d")

LOSSX_OPS = [
    Op("triplet_margin_with_distance_loss", _ours_triplet, _torch_triplet, _triplet, sums=1,
       rtol=1e-6, covers=("F.triplet_margin_with_distance_loss",
                          "nn.TripletMarginWithDistanceLoss")),
    Op("multilabel_margin_loss", _ours_multilabel, _torch_multilabel, _multilabel, sums=1,
       second=False,  # PyTorch has no derivative of multilabel_margin_loss_backward
       nan_ok="an infinite upstream gradient where the derivative is 0 (a class inside the "
              "margin's reach of no true class): PyTorch's kernel multiplies (inf * 0 = "
              "nan), ours has no such term",
       covers=("F.multilabel_margin_loss", "nn.MultiLabelMarginLoss")),
    Op("AdaptiveLogSoftmaxWithLoss", _ours_adaptive, _torch_adaptive, _adaptive, sums=1,
       grad_sums=True, covers=("nn.AdaptiveLogSoftmaxWithLoss",)),
    Op("fractional max values", _fractional_run("ours", 0), _fractional_run("torch", 0),
       _fractional, covers=_FRACTIONAL_NAMES),
    Op("fractional max indices", _fractional_run("ours", 1), _fractional_run("torch", 1),
       _fractional, covers=_FRACTIONAL_NAMES),
]

#: losses for Tensors only (no scalar-engine row; Values are refused)
TENSOR_ONLY_LOSSES = {"triplet_margin_with_distance_loss", "multilabel_margin_loss"}


@pytest.mark.parametrize("op", LOSSX_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_lossx_matches_torch(op, data):
    D.check(op, data)
