"""GaussianNLLLoss: a model that predicts its own variance (PyTorch's definition)."""

import math

import numpy as np
import pytest

import nn
import nn.functional as F
from tinygrad_dk import Tensor, Value, gradcheck


def f64(a, grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def test_by_hand():
    # mean 1, target 3, var 4: 0.5 (ln 4 + 4 / 4) = 0.5 ln 4 + 0.5
    x, v = f64([1.0]), f64([4.0])
    loss = F.gaussian_nll_loss(x, np.array([3.0]), v)
    assert loss.item() == pytest.approx(0.5 * math.log(4) + 0.5)
    loss.backward()
    # d/dx = (x - y) / var = -0.5;  d/dvar = 0.5 (1/var - (x - y)^2 / var^2) = 0.5 (0.25 - 0.25)
    np.testing.assert_allclose(x.grad.numpy(), [-0.5])
    np.testing.assert_allclose(v.grad.numpy(), [0.0], atol=1e-15)
    full = F.gaussian_nll_loss(x, np.array([3.0]), v, full=True)
    assert full.item() == pytest.approx(0.5 * math.log(4) + 0.5 + 0.5 * math.log(2 * math.pi))


def test_gradcheck_input_and_variance():
    rng = np.random.default_rng(0)
    x, v = f64(rng.normal(size=(5, 2))), f64(rng.uniform(0.2, 3.0, size=(5, 2)))
    y = rng.normal(size=(5, 2))
    assert gradcheck(lambda a, b: F.gaussian_nll_loss(a, y, b), [x, v])
    shared = f64(rng.uniform(0.5, 2.0, size=(5, 1)))  # one variance per example
    assert gradcheck(lambda a, b: F.gaussian_nll_loss(a, y, b, reduction="sum"), [x, shared])


def test_variance_below_eps_is_raised_for_the_value_only():
    x, v = f64([0.0]), f64([0.0])
    loss = F.gaussian_nll_loss(x, np.array([1e-3]), v, eps=1e-6)
    assert np.isfinite(loss.item())
    assert loss.item() == pytest.approx(0.5 * (math.log(1e-6) + 1e-6 / 1e-6))


def test_errors():
    x = f64(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(x, np.zeros((3, 2)), np.full((3, 2), -1.0))
    with pytest.raises(ValueError, match=r"var has shape \(2, 2\)"):
        F.gaussian_nll_loss(x, np.zeros((3, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="eps"):
        nn.GaussianNLLLoss(eps=0)


def test_module_and_scalar_engine_agree_with_the_tensor_engine():
    xs, ys, vs = [0.5, -1.0, 2.0], [1.0, 0.0, 1.5], [0.3, 2.0, 1.0]
    t, tv = f64(xs), f64(vs)
    tl = nn.GaussianNLLLoss()(t, np.array(ys), tv)
    tl.backward()
    values, variances = [Value(a) for a in xs], [Value(b) for b in vs]
    vl = F.gaussian_nll_loss(values, ys, variances)
    vl.backward()
    assert vl.data == pytest.approx(tl.item(), rel=1e-12)
    np.testing.assert_allclose([v.grad for v in values], t.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose([v.grad for v in variances], tv.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1)])
@pytest.mark.parametrize("full", [False, True])
def test_matches_pytorch(var_shape, full):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    v = rng.uniform(1e-7, 2.0, size=var_shape)
    ours_x, ours_v = f64(x), f64(v)
    ours = F.gaussian_nll_loss(ours_x, y, ours_v, full=full)
    ours.backward()
    tx = torch.tensor(x, requires_grad=True)
    tv = torch.tensor(v, requires_grad=True)
    theirs = torch.nn.functional.gaussian_nll_loss(tx, torch.tensor(y), tv, full=full)
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    np.testing.assert_allclose(ours_x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours_v.grad.numpy(), tv.grad.numpy(), rtol=1e-10)
