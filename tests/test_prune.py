"""``nn.utils.prune`` against ``torch.nn.utils.prune``: masks, pruned weights, iterative and
global pruning, the reparametrization (state dict, hook, gradients, training), ``remove``
and the errors. Weights are drawn with distinct magnitudes, so that which weight goes is
decided without ties (on ties the two libraries may choose different positions; see the
module docstring of nn/utils/prune.py)."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import nn.utils.prune as prune
import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck

torch = pytest.importorskip("torch")
tp = pytest.importorskip("torch.nn.utils.prune")  # PyTorch's


def distinct(shape, seed=0, dtype=np.float32):
    """Weights of distinct |w| in random order and sign."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    mags = (rng.permutation(n) + 1) / n
    return (mags * rng.choice([-1, 1], n)).reshape(shape).astype(dtype)


def pair(kind, seed=0):
    """The same layer in both libraries, with the same distinct weights."""
    ours, theirs = {"linear": (nn.Linear(6, 5), torch.nn.Linear(6, 5)),
                    "conv": (nn.Conv2d(3, 4, 3), torch.nn.Conv2d(3, 4, 3))}[kind]
    state = {k: distinct(v.shape, seed + i) for i, (k, v) in enumerate(theirs.state_dict().items())}
    ours.load_state_dict(state)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    return ours, theirs


def same(ours, theirs, *names):
    for name in names:
        np.testing.assert_array_equal(getattr(ours, name).detach().numpy(),
                                      getattr(theirs, name).detach().numpy(), err_msg=name)


PRUNINGS = [  # (our call, PyTorch's call) on a layer
    ("l1 0.5", lambda p, m: p.l1_unstructured(m, "weight", amount=0.5)),
    ("l1 7", lambda p, m: p.l1_unstructured(m, "weight", amount=7)),
    ("l1 bias 0.4", lambda p, m: p.l1_unstructured(m, "bias", amount=0.4)),
    ("l1 all", lambda p, m: p.l1_unstructured(m, "weight", amount=1.0)),
    ("l1 none", lambda p, m: p.l1_unstructured(m, "weight", amount=0)),
    ("ln2 dim0", lambda p, m: p.ln_structured(m, "weight", amount=0.5, n=2, dim=0)),
    ("ln1 dim1", lambda p, m: p.ln_structured(m, "weight", amount=2, n=1, dim=1)),
    ("lninf dim-1", lambda p, m: p.ln_structured(m, "weight", amount=0.34, n=float("inf"),
                                                 dim=-1)),
    ("ln-inf dim0", lambda p, m: p.ln_structured(m, "weight", 1, float("-inf"), 0)),
    ("identity", lambda p, m: p.identity(m, "weight")),
]


@pytest.mark.parametrize("kind", ["linear", "conv"])
@pytest.mark.parametrize("name,call", PRUNINGS, ids=[n for n, _ in PRUNINGS])
def test_masks_and_weights_match_torch(kind, name, call):
    ours, theirs = pair(kind)
    call(prune, ours)
    call(tp, theirs)
    tensor = "bias" if "bias" in name else "weight"
    same(ours, theirs, tensor, tensor + "_orig", tensor + "_mask")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert getattr(ours, tensor + "_mask").dtype == np.float32


ITERATIONS = [
    ("l1 then l1", [lambda p, m: p.l1_unstructured(m, "weight", 0.5),
                    lambda p, m: p.l1_unstructured(m, "weight", 0.5)]),
    ("l1 then ln", [lambda p, m: p.l1_unstructured(m, "weight", 0.3),
                    lambda p, m: p.ln_structured(m, "weight", 0.5, 2, 0)]),
    ("ln then ln then l1", [lambda p, m: p.ln_structured(m, "weight", 1, 1, 0),
                            lambda p, m: p.ln_structured(m, "weight", 1, 2, 1),
                            lambda p, m: p.l1_unstructured(m, "weight", 4)]),
    ("custom then l1", [lambda p, m: p.custom_from_mask(m, "weight", (m.weight_orig if hasattr(
        m, "weight_orig") else m.weight).detach() > 0), lambda p, m: p.l1_unstructured(
        m, "weight", 0.25)]),
]


@pytest.mark.parametrize("kind", ["linear", "conv"])
@pytest.mark.parametrize("name,calls", ITERATIONS, ids=[n for n, _ in ITERATIONS])
def test_iterative_pruning_acts_on_what_is_left_as_torch(kind, name, calls):
    ours, theirs = pair(kind)
    for call in calls:
        hook_ours, hook_theirs = call(prune, ours), call(tp, theirs)
        same(ours, theirs, "weight", "weight_mask")
    hook = next(iter(hook_ours._hooks.forward_pre.values()))
    assert isinstance(hook, prune.PruningContainer) and len(hook) == len(calls)
    assert len(next(iter(hook_theirs._forward_pre_hooks.values()))) == len(calls)


def test_iterative_counts():
    layer = nn.Linear(10, 10)  # 100 weights
    prune.l1_unstructured(layer, "weight", 0.5)
    prune.l1_unstructured(layer, "weight", 0.5)  # half of the 50 left
    prune.random_unstructured(layer, "weight", 5)
    assert int(layer.weight_mask.sum()) == 100 - 50 - 25 - 5
    assert int((layer.weight.numpy() == 0).sum()) == 80


def test_global_unstructured_matches_torch_and_holds_one_threshold():
    (a, ta), (b, tb) = pair("linear", 0), pair("conv", 10)
    prune.l1_unstructured(a, "weight", 0.2)  # an earlier pruning: global acts on what is left
    tp.l1_unstructured(ta, "weight", 0.2)
    for lib, m1, m2 in ((prune, a, b), (tp, ta, tb)):
        lib.global_unstructured([(m1, "weight"), (m2, "weight"), (m2, "bias")],
                                pruning_method=lib.L1Unstructured, amount=0.5)
    for ours, theirs in ((a, ta), (b, tb)):
        same(ours, theirs, "weight", "weight_mask")
    same(b, tb, "bias", "bias_mask")
    kept = np.concatenate([np.abs(t.numpy()[t.numpy() != 0]) for t in (a.weight, b.weight, b.bias)])
    gone = np.concatenate([np.abs(o.numpy()[m.numpy() == 0]) for o, m in (
        (b.weight_orig, b.weight_mask), (b.bias_orig, b.bias_mask))])
    assert kept.min() > gone.max()  # one threshold across the layers
    left = 30 - 6 + 108 + 4  # a had 30 weights, 6 pruned before
    assert int(sum(m.sum() for m in (a.weight_mask, b.weight_mask, b.bias_mask))) == left - round(
        0.5 * left)


def test_importance_scores_choose_instead_of_the_weights():
    ours, theirs = pair("linear")
    scores = distinct((5, 6), seed=7)
    prune.l1_unstructured(ours, "weight", 0.5, importance_scores=Tensor(scores))
    tp.l1_unstructured(theirs, "weight", 0.5, importance_scores=torch.tensor(scores))
    same(ours, theirs, "weight_mask")
    prune.ln_structured(ours, "weight", 1, 2, 1, importance_scores=Tensor(scores))
    tp.ln_structured(theirs, "weight", 1, 2, 1, importance_scores=torch.tensor(scores))
    same(ours, theirs, "weight_mask")
    sa, sb = pair("linear")
    prune.global_unstructured([(sa, "weight")], prune.L1Unstructured,
                              importance_scores={(sa, "weight"): Tensor(scores)}, amount=9)
    tp.global_unstructured([(sb, "weight")], tp.L1Unstructured,
                           importance_scores={(sb, "weight"): torch.tensor(scores)}, amount=9)
    same(sa, sb, "weight_mask")


def test_random_methods_count_structure_and_seed():
    conv = nn.Conv2d(3, 8, 3)
    tg.manual_seed(1)
    prune.random_structured(conv, "weight", 0.25, dim=0)
    mask = conv.weight_mask.numpy()
    per_channel = mask.reshape(8, -1).sum(axis=1)
    assert sorted(per_channel) == [0, 0] + [27] * 6  # whole output channels
    prune.random_unstructured(conv, "weight", 10)  # only among the 6 * 27 left
    assert int(conv.weight_mask.sum()) == 6 * 27 - 10
    assert (conv.weight_mask.numpy() <= mask).all()
    prune.random_structured(conv, "weight", 1, dim=1)  # one input channel of three
    per_input = conv.weight_mask.numpy().sum(axis=(0, 2, 3))
    assert (per_input == 0).sum() == 1
    again = nn.Conv2d(3, 8, 3)
    tg.manual_seed(1)
    prune.random_structured(again, "weight", 0.25, dim=0)
    np.testing.assert_array_equal(again.weight_mask.numpy(), mask)  # reproducible


def test_training_keeps_the_zeros_and_gradients_reach_orig_masked():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    original = model[0].weight
    prune.l1_unstructured(model[0], "weight", 0.5)  # the optimizer keeps the same Parameter
    assert model[0].weight_orig is original
    mask = model[0].weight_mask.numpy().copy()
    x, y = tg.randn(16, 4), tg.randn(16, 1)
    for _ in range(5):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        grad = model[0].weight_orig.grad.numpy()
        assert (grad[mask == 0] == 0).all() and (grad[mask == 1] != 0).any()
        opt.step()
        model(x)  # the pre-hook recomputes weight from the trained weight_orig
        assert (model[0].weight.numpy()[mask == 0] == 0).all()
    prune.remove(model[0], "weight")
    assert (model[0].weight.numpy()[mask == 0] == 0).all()
    assert model[0].weight is original and not prune.is_pruned(model)
    assert sorted(model[0].state_dict()) == ["bias", "weight"] and model[0]._hooks is None


def test_remove_and_state_dicts_go_both_ways_with_torch():
    ours, theirs = pair("conv")
    for lib, m in ((prune, ours), (tp, theirs)):
        lib.ln_structured(m, "weight", 0.5, 2, 0)
        lib.l1_unstructured(m, "bias", 1)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    fresh = torch.nn.Conv2d(3, 4, 3)
    tp.identity(fresh, "weight")
    tp.identity(fresh, "bias")
    fresh.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = distinct((2, 3, 5, 5), 3)
    np.testing.assert_allclose(fresh(torch.tensor(x)).detach().numpy(),
                               ours(Tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    back = nn.Conv2d(3, 4, 3)
    prune.identity(back, "weight")
    prune.identity(back, "bias")
    back.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(back(Tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    for lib, m in ((prune, ours), (tp, theirs)):
        lib.remove(m, "weight")
    same(ours, theirs, "weight", "bias")
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias_orig", "weight",
                                                                    "bias_mask"]
    assert prune.is_pruned(ours) and prune.is_pruned(nn.Sequential(ours))


def test_prune_method_alone_is_differentiable():
    w = Tensor(distinct((4, 3), dtype=np.float64), requires_grad=True)
    method = prune.L1Unstructured(0.5)
    assert gradcheck(lambda t: method.prune(t) ** 2, [w])
    out = method.prune(w)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), (out.detach().numpy() != 0).astype(float))
    expected = tp.L1Unstructured(0.5).prune(torch.tensor(w.numpy()))
    np.testing.assert_array_equal(out.detach().numpy(), expected.numpy())


def test_a_custom_method_as_in_the_pytorch_tutorial():
    class EverySecond(prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    layer = nn.Linear(3, 2)
    EverySecond.apply(layer, "bias")
    np.testing.assert_array_equal(layer.bias_mask.numpy(), [0, 1])


def test_a_failed_pruning_leaves_the_module_as_it_was():
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="should be smaller"):
        prune.l1_unstructured(layer, "weight", 7)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"] and layer._hooks is None
    prune.l1_unstructured(layer, "weight", 2)
    with pytest.raises(ValueError, match="should be smaller"):
        prune.l1_unstructured(layer, "weight", 5)  # 4 left
    assert int(layer.weight_mask.sum()) == 4 and prune.is_pruned(layer)


def test_errors_name_the_problem_and_the_fix():
    layer = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="Must be int or float"):
        prune.l1_unstructured(layer, "weight", "half")
    for bad in (1.5, -0.1, -2):
        with pytest.raises(ValueError, match="range \\[0, 1\\] or a non-negative integer"):
            prune.random_unstructured(layer, "weight", bad)
    with pytest.raises(AttributeError, match="no Tensor parameter 'wieght'.*'weight', 'bias'"):
        prune.l1_unstructured(layer, "wieght", 0.5)
    with pytest.raises(ValueError, match="multidimensional.*unstructured"):
        prune.ln_structured(layer, "bias", 0.5, 2, 0)
    with pytest.raises(IndexError, match="Invalid index 2"):
        prune.ln_structured(layer, "weight", 0.5, 2, 2)
    with pytest.raises(AssertionError, match="same shape"):
        prune.l1_unstructured(layer, "weight", 0.5, importance_scores=tg.ones(3))
    with pytest.raises(ValueError, match="has to be pruned before"):
        prune.remove(layer, "weight")
    with pytest.raises(TypeError, match='Only "unstructured"'):
        prune.global_unstructured([(layer, "weight")], prune.LnStructured, amount=1, n=2)
    with pytest.raises(TypeError, match="importance_scores must be of type dict"):
        prune.global_unstructured([(layer, "weight")], prune.L1Unstructured, [1], amount=1)
    with pytest.raises(TypeError, match="not an Iterable"):
        prune.global_unstructured(layer, prune.L1Unstructured, amount=1)
    with pytest.raises(AssertionError, match="must match"):
        prune.custom_from_mask(layer, "weight", tg.ones(3))
    with pytest.raises(TypeError, match="not a BasePruningMethod"):
        prune.PruningContainer(prune.Identity()).add_pruning_method("l1")
    assert not prune.is_pruned(layer)


def test_a_frozen_weight_stays_a_parameter_through_pruning_and_remove():
    ours, theirs = pair("linear")
    for lib, m in ((prune, ours), (tp, theirs)):
        m.weight.requires_grad_(False)  # a frozen (e.g. pretrained) layer
        lib.l1_unstructured(m, "weight", 0.5)
    assert list(ours.state_dict()) == list(theirs.state_dict())  # weight_orig is saved
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for lib, m in ((prune, ours), (tp, theirs)):
        lib.remove(m, "weight")
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    same(ours, theirs, "weight")
    assert not ours.weight.requires_grad


def test_global_unstructured_takes_pairs_as_lists_and_checks_the_scores():
    ours, theirs = pair("linear")
    prune.global_unstructured([[ours, "weight"]], prune.L1Unstructured, amount=9)  # as PyTorch
    tp.global_unstructured([[theirs, "weight"]], tp.L1Unstructured, amount=9)
    same(ours, theirs, "weight_mask")
    layer = nn.Linear(3, 2)
    with pytest.raises(AssertionError, match="same shape as parameter weight"):
        prune.global_unstructured([(layer, "weight")], prune.L1Unstructured, amount=1,
                                  importance_scores={(layer, "weight"): tg.ones(3, 2)})
    with pytest.raises(ValueError, match="no .module, name. pairs"):
        prune.global_unstructured([], prune.L1Unstructured, amount=1)
    assert not prune.is_pruned(layer)


def test_a_pruned_model_saves_and_loads_with_nn_save(tmp_path):
    ours, _ = pair("conv")
    prune.ln_structured(ours, "weight", 0.5, 2, 0)
    nn.save(ours, tmp_path / "pruned.npz")
    back = prune.identity(nn.Conv2d(3, 4, 3), "weight")  # pruned first, as in PyTorch
    back.load_state_dict(nn.load(tmp_path / "pruned.npz"))
    x = Tensor(distinct((2, 3, 5, 5), 3))
    np.testing.assert_array_equal(back(x).numpy(), ours(x).numpy())  # the hook uses the mask
    same(back, ours, "weight", "weight_mask")


def test_a_parametrized_weight_is_pruned_through_its_original_as_in_torch():
    import torch.nn.utils.parametrize as tpz

    import nn.utils.parametrize as pz

    class Sym(nn.Module):
        def forward(self, x):
            return x + x.T

    class TSym(torch.nn.Module):
        def forward(self, x):
            return x + x.T

    ours, theirs = nn.Linear(3, 3), torch.nn.Linear(3, 3)
    state = {"weight": distinct((3, 3)), "bias": distinct((3,), 1)}
    ours.load_state_dict(state)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    pz.register_parametrization(ours, "weight", Sym())
    tpz.register_parametrization(theirs, "weight", TSym())
    with pytest.raises(AttributeError, match="'weight' is parametrized: prune the original"):
        prune.l1_unstructured(ours, "weight", 3)
    prune.l1_unstructured(ours.parametrizations.weight, "original", 3)
    tp.l1_unstructured(theirs.parametrizations.weight, "original", 3)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = distinct((2, 3), 5)
    np.testing.assert_allclose(ours(Tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6)
    same(ours, theirs, "weight")
