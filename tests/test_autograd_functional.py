"""tinygrad_dk.autograd.functional against torch.autograd.functional: Jacobians, Hessians
and vector products of elementwise, matrix and reduction functions (float64, drawn shapes
and values), tuple nesting, strict mode, create_graph and the errors for bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
import torch.autograd.functional as TAF  # noqa: E402
from test_func import _same  # noqa: E402  (one comparison for both)
from test_func import pairs as arrays  # noqa: E402  (x: (n,), y: (m, n))

import tinygrad_dk as tg  # noqa: E402
import tinygrad_dk.autograd.functional as AF  # noqa: E402

FUNCS = {  # one function text, run by both engines (x: (n,), y: (m, n))
    "elementwise": lambda x, y: (x.tanh() * x.exp(), y.sin()),
    "matrix": lambda x, y: y @ x,
    "reduction": lambda x, y: ((y * x).sum(0) ** 2).mean(),
}
SCALAR = {"quad": lambda x, y: ((y @ x) ** 2).sum() + (x.sin() * x).sum(),
          "logsumexp": lambda x, y: (y @ x.exp()).exp().sum().log()}


@settings(max_examples=12, deadline=None)
@given(arrays, st.sampled_from(sorted(FUNCS)), st.booleans())
def test_jacobian_vjp_jvp_match_torch(xy, name, both):
    x, y = (np.array(v, dtype=np.float64) for v in xy)
    fn = FUNCS[name]
    ours_in = (tg.tensor(x), tg.tensor(y)) if both else tg.tensor(x)
    theirs_in = (torch.tensor(x), torch.tensor(y)) if both else torch.tensor(x)
    ofn = fn if both else (lambda a: fn(a, tg.tensor(y)))
    tfn = fn if both else (lambda a: fn(a, torch.tensor(y)))
    _same(AF.jacobian(ofn, ours_in), TAF.jacobian(tfn, theirs_in))
    out = tfn(*theirs_in) if both else tfn(theirs_in)
    v_t = tuple(torch.ones_like(o) for o in out) if isinstance(out, tuple) else torch.ones_like(out)
    v_o = tuple(tg.tensor(v.numpy()) for v in v_t) if isinstance(v_t, tuple) else tg.tensor(
        v_t.numpy())
    _same(AF.vjp(ofn, ours_in, v_o), TAF.vjp(tfn, theirs_in, v_t))
    tan_t = tuple(t * 0.5 + 1 for t in theirs_in) if both else theirs_in * 0.5 + 1
    tan_o = tuple(tg.tensor(t.numpy()) for t in tan_t) if both else tg.tensor(tan_t.numpy())
    _same(AF.jvp(ofn, ours_in, tan_o), TAF.jvp(tfn, theirs_in, tan_t))


@settings(max_examples=10, deadline=None)
@given(arrays, st.sampled_from(sorted(SCALAR)), st.booleans())
def test_hessian_vhp_hvp_match_torch(xy, name, both):
    x, y = (np.array(v, dtype=np.float64) for v in xy)
    fn = SCALAR[name]
    if both:
        oi, ti, ofn, tfn = (tg.tensor(x), tg.tensor(y)), (torch.tensor(x), torch.tensor(y)), fn, fn
    else:
        oi, ti = tg.tensor(x), torch.tensor(x)
        ofn, tfn = (lambda a: fn(a, tg.tensor(y))), (lambda a: fn(a, torch.tensor(y)))
    _same(AF.hessian(ofn, oi), TAF.hessian(tfn, ti))
    vo = tuple(t * 2 for t in oi) if both else oi * 2
    vt = tuple(t * 2 for t in ti) if both else ti * 2
    _same(AF.vhp(ofn, oi, vo), TAF.vhp(tfn, ti, vt))
    _same(AF.hvp(ofn, oi, vo), TAF.hvp(tfn, ti, vt))


def test_known_values_and_detached_results():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64)
    jac = AF.jacobian(lambda x: x ** 2, x)
    np.testing.assert_allclose(jac.numpy(), np.diag([2.0, 4.0]))
    assert not jac.requires_grad and not x.requires_grad
    out, jv = AF.jvp(lambda x: x ** 3, tg.tensor(2.0), None)  # v may be left out: one element
    assert float(out) == 8.0 and float(jv) == 12.0
    h = AF.hessian(lambda x: (x[0] * x[1]) ** 1, x)
    np.testing.assert_allclose(h.numpy(), [[0, 1], [1, 0]])


def test_create_graph_gives_differentiable_results():
    x = tg.tensor([0.5, -1.0, 2.0], dtype=tg.float64, requires_grad=True)
    v = tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64)
    _, hv = AF.hvp(lambda x: (x ** 4).sum(), x, v, create_graph=True)  # 12 x^2 v
    assert hv.requires_grad
    (g,) = tg.autograd.grad(hv.sum(), x)  # 24 x v
    np.testing.assert_allclose(g.numpy(), 24 * x.numpy() * v.numpy())
    # a Hessian of a Hessian-vector product, as a function of x
    h = AF.hessian(lambda x: AF.hvp(lambda z: (z ** 4).sum(), x, v, create_graph=True)[1].sum(), x)
    np.testing.assert_allclose(h.numpy(), np.diag(24 * v.numpy()))
    jac = AF.jacobian(lambda x: x.sin(), x, create_graph=True)
    (g,) = tg.autograd.grad(jac.sum(), x)
    np.testing.assert_allclose(g.numpy(), -np.sin(x.numpy()))


def test_unused_input_is_zero_or_an_error_in_strict_mode():
    x, y = tg.tensor([1.0, 2.0]), tg.tensor([3.0])
    jac = AF.jacobian(lambda x, y: x * 2, (x, y))
    assert jac[1].shape == (2, 1) and not jac[1].numpy().any()
    with pytest.raises(RuntimeError, match="independent of input 1.*strict"):
        AF.jacobian(lambda x, y: x * 2, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.vjp(lambda x, y: x.sum(), (x, y), strict=True)
    with pytest.raises(RuntimeError, match="jacobian.*independent of the input.*linear"):
        AF.hessian(lambda x: x.sum(), x, strict=True)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        AF.jacobian(lambda x: tg.ones(2), x, strict=True)


def test_errors_name_the_fix():
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        AF.jacobian(lambda x: x, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="v can only be None.*pass v="):
        AF.vjp(lambda x: x, x)
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be \(2,\)"):
        AF.vjp(lambda x: x, x, tg.ones(3))
    with pytest.raises(RuntimeError, match="should contain a single element.*sum"):
        AF.hessian(lambda x: x * 2, x)
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        AF.vhp(lambda x: (x.sum(), x.sum()), x, x)
    with pytest.raises(NotImplementedError, match="vectorize=True"):
        AF.jacobian(lambda x: x, x, strategy="forward-mode")
    with pytest.raises(ValueError, match="reverse-mode"):
        AF.jacobian(lambda x: x, x, strategy="backwards")
    fwd = AF.jacobian(lambda x: x.exp(), x, vectorize=True, strategy="forward-mode")
    np.testing.assert_allclose(fwd.numpy(), np.diag(np.exp(x.numpy())), rtol=1e-6)


def test_namespaces():
    assert tg.autograd.functional is AF
    assert tg.autograd.functional.jacobian is AF.jacobian
