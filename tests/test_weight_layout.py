"""nn.Linear keeps its weight column-major (Fortran order), and nothing else changes.

The forward pass multiplies by ``W.T``; stored column-major, ``W.T`` is a row-major
matrix, which OpenBLAS multiplies faster. These tests check that the layout is kept
wherever a weight is written (initialisers, ``load_state_dict``, dtype changes,
optimizer steps, ``fit``, saving and loading), that the weight's gradient comes out
in the same layout, and that the numbers are exactly those of a row-major weight:
the same draws from the generator, the same gradients and the same training run.
"""

import math

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
from nn import init
from tinygrad_dk import Tensor
from tinygrad_dk.ops import _column_major


def _layer_pair(n_in=6, n_out=4, dtype=np.float64):
    """The same layer twice: one as built (column-major), one made row-major."""
    a = nn.Linear(n_in, n_out).to(dtype)
    b = nn.Linear(n_in, n_out).to(dtype)
    b.load_state_dict(a.state_dict())
    b.weight.data = np.ascontiguousarray(b.weight.data)
    assert _column_major(a.weight.data) and b.weight.data.flags.c_contiguous
    return a, b


def test_a_new_linear_weight_is_column_major_with_pytorchs_shape():
    layer = nn.Linear(784, 256)
    assert layer.weight.shape == (256, 784)
    assert _column_major(layer.weight.data)
    assert layer.weight.data.T.flags.c_contiguous  # what the forward multiplies by


def test_the_initial_numbers_are_the_same_draws_as_for_a_row_major_weight():
    tg.manual_seed(7)
    layer = nn.Linear(5, 3)
    tg.manual_seed(7)
    row_major = Tensor(np.empty((3, 5), np.float32), requires_grad=True)
    init.kaiming_uniform_(row_major, a=math.sqrt(5))
    assert row_major.data.flags.c_contiguous
    np.testing.assert_array_equal(layer.weight.data, row_major.data)


@pytest.mark.parametrize("initialise", [
    lambda w: init.kaiming_uniform_(w, a=math.sqrt(5)),
    lambda w: init.xavier_uniform_(w),
    lambda w: init.normal_(w, 0.0, 0.1),
    lambda w: init.uniform_(w, -1, 1),
    lambda w: init.zeros_(w),
    lambda w: init.ones_(w),
    lambda w: init.constant_(w, 0.5),
])
def test_initialisers_keep_the_layout(initialise):
    layer = nn.Linear(7, 3)
    initialise(layer.weight)
    assert _column_major(layer.weight.data)


def test_load_state_dict_dtype_changes_and_saving_keep_the_layout(tmp_path):
    layer = nn.Linear(6, 4)
    other = nn.Linear(6, 4)
    other.load_state_dict(layer.state_dict())
    assert _column_major(other.weight.data)
    np.testing.assert_array_equal(other.weight.data, layer.weight.data)
    other.double()
    assert other.weight.dtype == np.float64 and _column_major(other.weight.data)
    path = tmp_path / "model.npz"
    nn.save(layer, path)
    loaded = nn.Linear(6, 4)
    loaded.load_state_dict(nn.load(path))
    assert _column_major(loaded.weight.data)
    np.testing.assert_array_equal(loaded.weight.data, layer.weight.data)


def test_the_weight_gradient_comes_out_in_the_weights_layout_with_the_same_numbers():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 6))
    upstream = rng.standard_normal((32, 4))
    a, b = _layer_pair()
    for layer in (a, b):
        layer(Tensor(x)).backward(upstream)
    expected = upstream.T @ x  # dL/dW = g^T x
    assert _column_major(a.weight.grad.data)
    assert b.weight.grad.data.flags.c_contiguous
    np.testing.assert_allclose(a.weight.grad.data, expected, rtol=1e-13)
    np.testing.assert_allclose(b.weight.grad.data, expected, rtol=1e-13)
    np.testing.assert_allclose(a.bias.grad.data, upstream.sum(axis=0), rtol=1e-13)


def test_gradcheck_and_second_derivatives_through_a_column_major_weight():
    rng = np.random.default_rng(1)
    layer = nn.Linear(5, 3).double()
    x = Tensor(rng.standard_normal((4, 5)), requires_grad=True)
    assert tg.gradcheck(lambda x, w, b: (tg.linear(x, w, b) ** 2).sum(),
                        [x, layer.weight, layer.bias])
    # d/dW of ||dL/dx||^2 with L = sum(linear(x)^2): recorded through the weight's vjp
    out = (layer(x) ** 2).sum()
    (gx,) = tg.autograd.grad(out, [x], create_graph=True)
    (gx * gx).sum().backward()
    assert layer.weight.grad is not None and np.all(np.isfinite(layer.weight.grad.data))


@pytest.mark.parametrize("make_optimizer", [
    lambda p: nn.optim.SGD(p, lr=0.1),
    lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    lambda p: nn.optim.SGD(p, lr=0.1, weight_decay=0.01),
    lambda p: nn.optim.Adam(p, lr=0.01),
    lambda p: nn.optim.AdamW(p, lr=0.01, weight_decay=0.1),
    lambda p: nn.optim.RMSprop(p, lr=0.01),
])
def test_training_steps_give_the_same_numbers_in_either_layout(make_optimizer):
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((64, 6)), rng.integers(0, 4, 64)
    a, b = _layer_pair()
    for layer in (a, b):
        optimizer = make_optimizer(layer.parameters())
        for _ in range(5):
            optimizer.zero_grad()
            nn.CrossEntropyLoss()(layer(Tensor(x)), Tensor(y)).backward()
            optimizer.step()
    assert _column_major(a.weight.data) and b.weight.data.flags.c_contiguous
    np.testing.assert_allclose(a.weight.data, b.weight.data, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(a.bias.data, b.bias.data, rtol=1e-12, atol=1e-14)


def test_fit_keeps_the_layout():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((128, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    nn.fit(model, nn.CrossEntropyLoss(), nn.optim.Adam(model.parameters(), lr=0.01), x, y,
           epochs=3, batch_size=32, progress=False)
    assert _column_major(model[0].weight.data) and _column_major(model[2].weight.data)


def test_the_optimizers_scratch_buffer_takes_the_parameters_layout():
    layer = nn.Linear(6, 4)
    optimizer = nn.optim.SGD(layer.parameters(), lr=0.1)
    f = optimizer._scratch(layer.weight.data)
    c = optimizer._scratch(np.ascontiguousarray(layer.weight.data))
    assert f.shape == c.shape == (4, 6)
    assert _column_major(f) and c.flags.c_contiguous
