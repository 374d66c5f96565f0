"""``nn.utils.prune`` against ``torch.nn.utils.prune`` in the differential harness (group
"prune"): a pruning method's ``prune(t)`` (t times its mask), and a Linear layer pruned
by the module functions, once or several times (``PruningContainer``), run forward: the
output and the gradients of the input, ``weight_orig`` and ``bias`` (masked), second
derivatives included, must agree.

The weights are drawn with magnitudes from a continuous distribution (at scales from
1e-3 to 1e30), so that which weights or channels go is decided without ties (on ties
the libraries may pick different positions: see nn/utils/prune.py). The random methods
are compared at amounts that leave no choice (none, or all); their counts and structure
are tested in test_prune.py, as ``remove`` and ``is_pruned``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
TP = pytest.importorskip("torch.nn.utils.prune")

import differential as D  # noqa: E402
from differential import WEIGHTS, Case, Op, values  # noqa: E402

import nn  # noqa: E402
import nn.utils.prune as prune  # noqa: E402
import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)

NOT_COMPARED = {  # names of nn.utils.prune without a row here, and why
    "remove": "writes the pruned values into the Parameter (test_prune.py: remove)",
    "is_pruned": "a bool (test_prune.py)",
}


def _weights(data, shape):
    """Distinct magnitudes in random order and sign, at a drawn scale."""
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    scale = data.draw(st.sampled_from([1.0, 1e-3, 1e3, 1e30]), label="scale")
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape) * scale


def _amount(data, size):
    """A fraction, or a count (now and then one too many: both libraries refuse it)."""
    if data.draw(st.booleans(), label="fraction"):
        return data.draw(st.sampled_from([0.0, 0.2, 0.5, 0.75, 1.0]), label="amount")
    return data.draw(st.integers(0, size + (data.draw(st.integers(0, 9)) == 0)), label="amount")


# --- one method's prune(t) -----------------------------------------------------------------

METHODS = {  # name: how to draw its arguments for a tensor of shape `shape`
    "L1Unstructured": lambda data, shape: {"amount": _amount(data, int(np.prod(shape)))},
    "LnStructured": lambda data, shape: _structured(data, shape, n=True),
    "RandomUnstructured": lambda data, shape: {"amount": data.draw(st.sampled_from(
        [0, 0.0, 1.0, int(np.prod(shape))]), label="amount")},
    "RandomStructured": lambda data, shape: {**_structured(data, shape), "amount": 0},
    "CustomFromMask": lambda data, shape: {"mask": (values(data, shape, WEIGHTS) > 0) * 1.0},
    "Identity": lambda data, shape: {},
}


def _structured(data, shape, n=False):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    args = {"amount": _amount(data, shape[dim]), "dim": dim}
    if n:  # not "fro": PyTorch's torch.norm refuses it over 3 or more dims (ours: as 2)
        args["n"] = data.draw(st.sampled_from([1, 2, 3, 0.5, float("inf"), float("-inf")]))
    return args


def _method_draw(name):
    def draw(data):
        shape = tuple(data.draw(st.integers(1, 4), label="size")
                      for _ in range(data.draw(st.integers(2, 4), label="dims")))
        return Case([_weights(data, shape)], {"args": METHODS[name](data, shape)})
    return draw


def _prune_with(lib, name):
    def run(t, args):
        mask = args.get("mask")
        if mask is not None:
            args = {"mask": (torch.tensor if lib is TP else tg.Tensor)(mask)}
        return getattr(lib, name)(**args).prune(t)
    return run


# --- the module functions on a Linear layer --------------------------------------------------

STEPS = {  # a pruning step: (function name, its arguments drawn for a weight of shape (o, i))
    "l1_unstructured": lambda data, o, i: ("weight", {"amount": _amount(data, o * i)}),
    "l1_unstructured (bias)": lambda data, o, i: ("bias", {"amount": _amount(data, o)}),
    "ln_structured": lambda data, o, i: ("weight", _structured(data, (o, i), n=True)),
    "random_unstructured": lambda data, o, i: ("weight", {"amount": 0}),
    "random_structured": lambda data, o, i: ("weight", {"amount": 1.0, "dim": 0}),
    "custom_from_mask": lambda data, o, i: ("weight", {"mask": (values(data, (o, i), WEIGHTS)
                                                                > 0) * 1.0}),
    "identity": lambda data, o, i: ("bias", {}),
    "global_unstructured": lambda data, o, i: (None, {"amount": _amount(data, o * i + o)}),
}


def _layer_draw(data):
    o, i = data.draw(st.integers(1, 4), label="out"), data.draw(st.integers(1, 4), label="in")
    steps = [data.draw(st.sampled_from(sorted(STEPS)), label="step")
             for _ in range(data.draw(st.integers(1, 3), label="prunings"))]
    plan = [(s, *STEPS[s](data, o, i)) for s in steps]
    batch = data.draw(st.integers(1, 3), label="batch")
    return Case([values(data, (batch, i), WEIGHTS), _weights(data, (o, i)), _weights(data, (o,))],
                {"plan": plan})


def _apply(lib, module, plan, tensor):
    for step, name, args in plan:
        args = dict(args)
        if "mask" in args:
            args["mask"] = tensor(args["mask"])
        if step == "global_unstructured":
            lib.global_unstructured([(module, "weight"), (module, "bias")],
                                    pruning_method=lib.L1Unstructured, **args)
        else:
            getattr(lib, step.split(" ")[0])(module, name, **args)


def _ours_layer(x, w, b, plan):
    layer = nn.Linear(w.shape[1], w.shape[0], dtype=w.dtype)
    del layer.weight, layer.bias
    layer.weight, layer.bias = w, b  # the harness's tensors: their gradients are compared
    _apply(prune, layer, plan, tg.Tensor)
    return layer(x)


def _torch_layer(x, w, b, plan):
    layer = torch.nn.Linear(w.shape[1], w.shape[0], dtype=w.dtype)
    with torch.no_grad():
        layer.weight.copy_(w)
        layer.bias.copy_(b)
    _apply(TP, layer, plan, torch.tensor)
    names = [n for n, _ in layer.named_parameters()]  # weight_orig, bias or bias_orig
    given_ = {n: (w if n.startswith("weight") else b) for n in names}
    return torch.func.functional_call(layer, given_, (x,))  # runs the pruning pre-hook


_NAMES = [f"nn.utils.prune.{n}" for n in prune.__all__]
PRUNE_OPS = [
    *(Op(f"prune.{name}.prune", _prune_with(prune, name), _prune_with(TP, name),
         _method_draw(name), covers=(f"nn.utils.prune.{name}", "nn.utils.prune.BasePruningMethod"))
      for name in METHODS),
    Op("pruned Linear", _ours_layer, _torch_layer, _layer_draw, sums=1,
       covers=(*(f"nn.utils.prune.{s.split(' ')[0]}" for s in STEPS),
               "nn.utils.prune.PruningContainer", "nn.Linear")),
]


@pytest.mark.parametrize("op", PRUNE_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_prune_matches_torch(op, data):
    D.check(op, data)


def test_every_name_of_nn_utils_prune_has_a_row():
    covered = {name for op in PRUNE_OPS for name in op.covers}
    missing = set(_NAMES) - covered - {f"nn.utils.prune.{n}" for n in NOT_COMPARED}
    assert not missing, sorted(missing)
