"""nn.init.trunc_normal_, orthogonal_, eye_, dirac_ and nn.utils.parameters_to_vector /
vector_to_parameters, against PyTorch where the result is deterministic."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
from tinygrad_dk import Tensor


def test_trunc_normal_stays_inside_and_keeps_the_normal_shape():
    tg.manual_seed(0)
    w = nn.init.trunc_normal_(Tensor(np.zeros((200, 100), np.float32)), mean=0.5, std=1.0,
                              a=-1.0, b=1.5)
    assert w.dtype == np.float32 and w.numpy().min() >= -1.0 and w.numpy().max() <= 1.5
    # the mean of N(0.5, 1) cut to [-1, 1.5]: mu + (phi(alpha) - phi(beta)) / Z sigma
    phi = lambda z: np.exp(-z * z / 2) / np.sqrt(2 * np.pi)  # noqa: E731
    from math import erf, sqrt
    cdf = lambda z: 0.5 * (1 + erf(z / sqrt(2)))  # noqa: E731
    expected = 0.5 + (phi(-1.5) - phi(1.0)) / (cdf(1.0) - cdf(-1.5))
    assert abs(w.numpy().mean() - expected) < 0.02
    g = tg.Generator().manual_seed(1)
    a = nn.init.trunc_normal_(Tensor(np.zeros(5)), std=0.02, generator=g).numpy()
    b = nn.init.trunc_normal_(Tensor(np.zeros(5)), std=0.02,
                              generator=tg.Generator().manual_seed(1)).numpy()
    assert np.array_equal(a, b) and np.abs(a).max() <= 2.0


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (4, 2, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    tg.manual_seed(2)
    w = nn.init.orthogonal_(Tensor(np.zeros(shape)), gain=2.0).numpy().reshape(shape[0], -1)
    small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(small, 4.0 * np.eye(len(small)), atol=1e-12)


def test_eye_and_dirac_equal_torch():
    torch = pytest.importorskip("torch")
    ours = nn.init.eye_(Tensor(np.zeros((3, 5), np.float32)))
    assert np.array_equal(ours.numpy(), torch.nn.init.eye_(torch.empty(3, 5)).numpy())
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 4, 3, 3, 1), 1)]:
        ours = nn.init.dirac_(Tensor(np.ones(shape, np.float32)), groups=groups)
        theirs = torch.nn.init.dirac_(torch.ones(shape), groups=groups)
        assert np.array_equal(ours.numpy(), theirs.numpy())
    conv = nn.Conv2d(3, 3, 3, padding=1, bias=False)
    nn.init.dirac_(conv.weight)
    x = Tensor(np.random.default_rng(0).standard_normal((1, 3, 5, 5)).astype(np.float32))
    np.testing.assert_allclose(conv(x).numpy(), x.numpy(), rtol=1e-6)  # the identity


@pytest.mark.parametrize("call, message", [
    (lambda: nn.init.trunc_normal_(Tensor(np.zeros(3)), a=1.0, b=0.0), "a < b"),
    (lambda: nn.init.trunc_normal_(Tensor(np.zeros(3)), a=50.0, b=60.0), "around the mean"),
    (lambda: nn.init.orthogonal_(Tensor(np.zeros(3))), "at least 2 axes"),
    (lambda: nn.init.eye_(Tensor(np.zeros((2, 2, 2)))), "2-d"),
    (lambda: nn.init.dirac_(Tensor(np.zeros((2, 2)))), "3, 4 or 5"),
    (lambda: nn.init.dirac_(Tensor(np.zeros((3, 2, 3))), groups=2), "groups=2"),
    (lambda: nn.init.eye_(Tensor(np.zeros((2, 2), np.int64))), "floating-point"),
])
def test_init_clear_errors(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_parameters_to_vector_and_back():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    np.testing.assert_array_equal(vec.numpy()[:12], model[0].weight.numpy().ravel())
    (vec * vec).sum().backward()  # part of the graph: gradients reach the parameters
    np.testing.assert_allclose(model[2].bias.grad.numpy(), 2 * model[2].bias.numpy())
    nn.utils.vector_to_parameters(Tensor(np.arange(26.0, dtype=np.float32)), model.parameters())
    np.testing.assert_array_equal(model[0].weight.numpy(), np.arange(12.0).reshape(4, 3))
    np.testing.assert_array_equal(model[2].bias.numpy(), [24.0, 25.0])
    assert model[0].weight.dtype == np.float32
    with pytest.raises(ValueError, match="length 26"):
        nn.utils.vector_to_parameters(Tensor(np.zeros(25)), model.parameters())
    with pytest.raises(TypeError, match="expected a Tensor"):
        nn.utils.vector_to_parameters(np.zeros(26), model.parameters())
    with pytest.raises(TypeError, match="expected Tensors"):
        nn.utils.parameters_to_vector([1.0])


def test_parameters_to_vector_equals_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 3)), rng.standard_normal(4)]
    ours = nn.utils.parameters_to_vector([Tensor(a) for a in arrays])
    theirs = torch.nn.utils.parameters_to_vector([torch.tensor(a) for a in arrays])
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
