"""tinygrad_dk.func against torch.func: grad (argnums, has_aux), vjp, jvp, jacrev, jacfwd,
hessian, vmap (in_dims / out_dims, nested tuples, None) and functional_call, on drawn
shapes and values (float64); per-example gradients of a small model against a loop; the
errors for bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
import torch.func as TF  # noqa: E402

import nn  # noqa: E402
import tinygrad_dk as tg  # noqa: E402
from tinygrad_dk import func as F  # noqa: E402


def _flat(r):
    if isinstance(r, (tuple, list)):
        for item in r:
            yield from _flat(item)
    elif isinstance(r, dict):
        for item in r.values():
            yield from _flat(item)
    else:
        yield np.asarray(r.detach().numpy())


def _nest(r):
    """The nesting of a result, without the numbers: tuples, lists, dict keys, leaves."""
    if isinstance(r, (tuple, list)):
        return type(r).__name__, [_nest(item) for item in r]
    if isinstance(r, dict):
        return {key: _nest(item) for key, item in r.items()}
    return "leaf"


def _same(ours, theirs):
    assert _nest(ours) == _nest(theirs)  # PyTorch's nesting (hessian: tuples of tuples)
    a, b = list(_flat(ours)), list(_flat(theirs))
    assert len(a) == len(b)
    for p, q in zip(a, b):
        assert p.shape == q.shape
        np.testing.assert_allclose(p, q, rtol=1e-7, atol=1e-9)


pairs = st.integers(1, 3).flatmap(lambda n: st.integers(1, 3).flatmap(lambda m: st.tuples(
    st.lists(st.floats(-2, 2), min_size=n, max_size=n),
    st.lists(st.lists(st.floats(-2, 2), min_size=n, max_size=n), min_size=m, max_size=m))))


def loss(x, y):
    return ((y @ x).tanh() ** 2).sum() + (x * x).sum()


@settings(max_examples=10, deadline=None)
@given(pairs, st.sampled_from([0, 1, (0, 1), (1,)]))
def test_grad_jacobians_hessian_match_torch(xy, argnums):
    x, y = (np.array(v, dtype=np.float64) for v in xy)
    ours, theirs = (tg.tensor(x), tg.tensor(y)), (torch.tensor(x), torch.tensor(y))
    _same(F.grad(loss, argnums)(*ours), TF.grad(loss, argnums)(*theirs))
    _same(F.grad_and_value(loss, argnums)(*ours), TF.grad_and_value(loss, argnums)(*theirs))

    def two(x, y):
        return (y @ x).sin(), {"e": x.exp() * 2}
    _same(F.jacrev(two, argnums)(*ours), TF.jacrev(two, argnums)(*theirs))
    _same(F.jacfwd(two, argnums)(*ours), TF.jacfwd(two, argnums)(*theirs))
    _same(F.hessian(loss, argnums)(*ours), TF.hessian(loss, argnums)(*theirs))


@settings(max_examples=10, deadline=None)
@given(pairs)
def test_vjp_jvp_and_aux_match_torch(xy):
    x, y = (np.array(v, dtype=np.float64) for v in xy)
    ours, theirs = (tg.tensor(x), tg.tensor(y)), (torch.tensor(x), torch.tensor(y))

    def f(x, y):
        return (y @ x).tanh(), x.exp()
    out_o, fn_o = F.vjp(f, *ours)
    out_t, fn_t = TF.vjp(f, *theirs)
    _same(out_o, out_t)
    _same(fn_o(tuple(o * 3 for o in out_o)), fn_t(tuple(o * 3 for o in out_t)))
    _same(F.jvp(f, ours, tuple(a * 2 for a in ours)),
          TF.jvp(f, theirs, tuple(a * 2 for a in theirs)))

    def with_aux(x, y):
        return loss(x, y), {"norm": (x * x).sum()}
    _same(F.grad(with_aux, 0, has_aux=True)(*ours), TF.grad(with_aux, 0, has_aux=True)(*theirs))


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.sampled_from(["lead", "trail", "tuple"]))
def test_vmap_dims_match_torch(b, n, case):
    rng = np.random.default_rng(b * 10 + n)
    a = rng.normal(size=(b, n))
    c = rng.normal(size=(n,))
    ours, theirs = (tg.tensor(a), tg.tensor(c)), (torch.tensor(a), torch.tensor(c))
    if case == "lead":  # in_dims with None, two outputs, out_dims per output
        def f(x, w):
            return x * w, (x * w).sum()
        args = dict(in_dims=(0, None), out_dims=(1, 0))
    elif case == "trail":  # map over the last axis of a transposed input
        def f(x, w):
            return x.exp() + w.sum()
        ours, theirs = (ours[0].T, ours[1]), (theirs[0].T, theirs[1])
        args = dict(in_dims=(-1, None))
    else:  # nested tuple input, nested in_dims
        def f(pair):
            x, w = pair
            return x @ w
        ours, theirs = (ours,), (theirs,)
        args = dict(in_dims=((0, None),))
    _same(F.vmap(f, **args)(*ours), TF.vmap(f, **args)(*theirs))


def test_per_example_gradients_of_a_model_match_a_loop():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    params = {k: v.detach() for k, v in model.named_parameters()}
    x, y = tg.randn(5, 3), tg.randn(5, 1)

    def sample_loss(p, xi, yi):
        return ((F.functional_call(model, p, (xi[None],)) - yi) ** 2).mean()
    batched = F.vmap(F.grad(sample_loss), in_dims=(None, 0, 0))(params, x, y)
    for i in range(5):
        model.zero_grad()
        ((model(x[i:i + 1]) - y[i]) ** 2).mean().backward()
        for name, p in model.named_parameters():
            np.testing.assert_allclose(batched[name][i].numpy(), p.grad.numpy(), rtol=1e-5,
                                       atol=1e-7)
    assert not batched["0.weight"].requires_grad


def test_results_are_detached_unless_tracked_outside_and_transforms_nest():
    x = tg.tensor([0.5, 1.5], dtype=tg.float64)
    g = F.grad(lambda x: (x ** 3).sum())(x)
    assert not g.requires_grad and not x.requires_grad
    xr = x.detach().requires_grad_(True)
    g = F.grad(lambda x: (x ** 3).sum())(xr)
    assert g.requires_grad  # as torch.func: connected to the caller's graph
    second = F.grad(lambda x: F.grad(lambda z: (z ** 3).sum())(x).sum())(x)
    np.testing.assert_allclose(second.numpy(), 6 * x.numpy())
    # grad of a vmap and vmap of a grad
    np.testing.assert_allclose(F.grad(lambda x: F.vmap(lambda r: r.sin())(x).sum())(x).numpy(),
                               np.cos(x.numpy()))
    np.testing.assert_allclose(F.vmap(F.grad(lambda r: r.sin()))(x).numpy(), np.cos(x.numpy()))


def test_vmap_out_dims_as_torch_and_what_a_loop_cannot_do():
    m = np.arange(6.0).reshape(2, 3)
    ours, theirs = tg.tensor(m), torch.tensor(m)
    # a one-element tuple of out_dims for a single Tensor output, as in PyTorch
    _same(F.vmap(lambda v: v * 2, out_dims=(1,))(ours),
          TF.vmap(lambda v: v * 2, out_dims=(1,))(theirs))
    for bad in [lambda v: (v, v.sum()), lambda v: (v, v, v)]:  # PyTorch refuses these too
        with pytest.raises(ValueError, match="out_dims is not compatible with the structure of "
                           "`outputs`"):
            F.vmap(bad, out_dims=(0,))(ours)
    # out_dim None: only for an output that is the same for every slice
    same, batched = F.vmap(lambda v: (v * 2, tg.ones(2)), out_dims=(0, None))(ours)
    assert same.shape == (2, 3) and batched.shape == (2,)
    with pytest.raises(ValueError, match="can not return a BatchedTensor when out_dim is None"):
        F.vmap(lambda v: v * 2, out_dims=None)(ours)
    with pytest.raises(ValueError, match="mapped dimension has size 0"):
        F.vmap(lambda v: v * 2)(tg.zeros(0, 3))


def test_vmap_randomness():
    x = tg.zeros(3, 2)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        F.vmap(lambda r: r + tg.rand(2))(x)
    same = F.vmap(lambda r: r + tg.rand(2), randomness="same")(x)
    assert np.allclose(same.numpy(), same.numpy()[0])
    different = F.vmap(lambda r: r + tg.rand(2), randomness="different")(x)
    assert not np.allclose(different.numpy(), different.numpy()[0])
    with pytest.raises(RuntimeError, match="'error', 'different', or 'same'"):
        F.vmap(lambda r: r, randomness="sometimes")


def test_functional_call_swaps_and_restores_even_when_forward_raises():
    lin = nn.Linear(2, 2)
    weight, bias = lin.weight, lin.bias
    out = F.functional_call(lin, {"weight": tg.zeros(2, 2)}, tg.ones(2))
    np.testing.assert_allclose(out.numpy(), bias.detach().numpy())
    assert lin.weight is weight and dict(lin.named_parameters())["weight"] is weight

    class Boom(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            raise ValueError("boom")
    boom = Boom()
    before = boom.lin.weight
    with pytest.raises(ValueError, match="boom"):
        F.functional_call(boom, {"lin.weight": tg.zeros(2, 2)}, (tg.ones(2),))
    assert boom.lin.weight is before
    with pytest.raises(RuntimeError, match="missing key.*bias"):
        F.functional_call(lin, {"weight": tg.zeros(2, 2)}, (tg.ones(2),), strict=True)
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        F.functional_call(lin, ({"weight": tg.zeros(2, 2)}, {"weight": tg.ones(2, 2)}),
                          (tg.ones(2),))
    tied = nn.Sequential(lin, lin)  # one layer under two names: both follow
    out = F.functional_call(tied, {"0.weight": tg.zeros(2, 2), "0.bias": tg.ones(2)},
                            (tg.ones(2),))
    np.testing.assert_allclose(out.numpy(), [1.0, 1.0])
    with pytest.raises(ValueError, match="multiple values for keys.*tied.*only one of them"):
        F.functional_call(tied, {"0.weight": tg.zeros(2, 2), "1.weight": tg.ones(2, 2)},
                          (tg.ones(2),))
    assert lin.weight is weight  # put back after the error too


def test_errors_name_the_fix():
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="argnum=2, but only 1 positional"):
        F.grad(lambda x: x.sum(), argnums=2)(x)
    with pytest.raises(RuntimeError, match="unique"):
        F.jacrev(lambda x: x, argnums=(0, 0))(x)
    with pytest.raises(RuntimeError, match="scalar Tensor.*jacrev"):
        F.grad(lambda x: x)(x)
    with pytest.raises(RuntimeError, match="return a Tensor, got float"):
        F.grad(lambda x: 3.0)(x)
    with pytest.raises(RuntimeError, match=r"tuple: \(output, aux\)"):
        F.grad(lambda x: x.sum(), has_aux=True)(x)
    with pytest.raises(ValueError, match="in_dims is not compatible"):
        F.vmap(lambda a, b: a + b, in_dims=(0,))(x, x)
    with pytest.raises(ValueError, match=r"same size in the mapped dimension, got sizes \[2, 3\]"):
        F.vmap(lambda a, b: a + b)(x, tg.ones(3))
    with pytest.raises(ValueError, match="use None as the respective in_dim"):
        F.vmap(lambda a: a)(3.0)
    with pytest.raises(ValueError, match="satisfy -1 <= in_dim < 1"):
        F.vmap(lambda a: a, in_dims=2)(x)
    with pytest.raises(ValueError, match="at least one input must be batched"):
        F.vmap(lambda a: a, in_dims=(None,))(x)
    with pytest.raises(ValueError, match="out_dims= to None"):
        F.vmap(lambda a: 3.0)(x)
    with pytest.raises(TypeError, match="expected the differentiated arguments to be Tensors"):
        F.grad(lambda a: a)(3.0)
    with pytest.raises(RuntimeError, match="jvp.*only Tensors.*as output, got float"):
        F.jvp(lambda a: 3.0, (x,), (x,))


def test_namespace():
    assert tg.func is F and tg.func.vmap is F.vmap
