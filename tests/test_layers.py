"""Tensor layers (Linear, Sequential, activations, Dropout, Identity, Flatten) and nn.init."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
from nn import init
from tinygrad_dk import Tensor, gradcheck

# --- Linear ---------------------------------------------------------------------------


def test_linear_shapes_dtype_and_init_bounds() -> None:
    tg.manual_seed(0)
    layer = nn.Linear(400, 300)
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
    w = layer.weight.data
    assert np.abs(w).max() > 0.99 * bound  # fills the range ...
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)  # ... uniformly
    assert nn.Linear(3, 2, dtype=np.float64).weight.dtype == np.float64


def test_linear_seeded() -> None:
    tg.manual_seed(7)
    a = nn.Linear(5, 3)
    tg.manual_seed(7)
    b = nn.Linear(5, 3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)


def test_linear_forward_equals_numpy() -> None:
    layer = nn.Linear(4, 3, dtype=np.float64)
    x = np.random.default_rng(0).normal(size=(5, 4))
    expected = x @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=1e-12)
    np.testing.assert_allclose(layer(Tensor(x[0])).data, expected[0], rtol=1e-12)  # one example


def test_linear_without_bias() -> None:
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None
    assert list(layer.state_dict()) == ["weight"] and len(layer.parameters()) == 1
    x = np.ones((1, 3), dtype=np.float32)
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ layer.weight.data.T, rtol=1e-6)
    assert repr(layer) == "Linear(in_features=3, out_features=2, bias=False)"


def test_linear_wrong_feature_count_names_layer_and_shapes() -> None:
    with pytest.raises(ValueError) as info:
        nn.Linear(3, 2)(Tensor(np.ones((4, 5), dtype=np.float32)))
    message = str(info.value)
    assert "Linear(in_features=3, out_features=2" in message
    assert "(batch, 3)" in message and "(4, 5)" in message
    with pytest.raises(ValueError, match="Sequential part \\(2\\)"):
        nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(5, 1))(np.ones((1, 2)))


def test_linear_gradients_match_numpy() -> None:
    layer = nn.Linear(3, 2, dtype=np.float64)
    x = Tensor(np.random.default_rng(1).normal(size=(4, 3)), requires_grad=True)
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.weight.grad.data, np.ones((4, 2)).T @ x.data)
    np.testing.assert_allclose(layer.bias.grad.data, np.full(2, 4.0))
    np.testing.assert_allclose(x.grad.data, np.ones((4, 2)) @ layer.weight.data)


def test_sequential_gradcheck_float64() -> None:
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.Tanh(),
                          nn.Linear(4, 4, dtype=np.float64), nn.LeakyReLU(0.1),
                          nn.Linear(4, 2, dtype=np.float64), nn.Softmax())
    x = Tensor(np.random.default_rng(2).normal(size=(5, 3)), requires_grad=True)
    assert gradcheck(lambda inp, *params: model(inp), [x, *model.parameters()])


# --- Sequential -----------------------------------------------------------------------


def test_sequential_container_behaviour() -> None:
    first, act, last = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    model = nn.Sequential(first, act, last)
    assert len(model) == 3 and list(model) == [first, act, last]
    assert model[0] is first and model[-1] is last
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == [act, last]
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    model.append(nn.Sigmoid())
    assert len(model) == 4 and isinstance(model[3], nn.Sigmoid)
    out = model(Tensor(np.ones((6, 2), dtype=np.float32)))
    assert out.shape == (6, 1) and np.all((out.data > 0) & (out.data < 1))


def test_sequential_rejects_non_modules() -> None:
    with pytest.raises(TypeError, match="nn.ReLU\\(\\)"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)


def test_nested_sequential_names() -> None:
    model = nn.Sequential(nn.Sequential(nn.Linear(2, 2)), nn.Linear(2, 1))
    assert list(model.state_dict()) == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"]


# --- activation modules ------------------------------------------------------------------

X = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (nn.ReLU(), np.maximum(X, 0)),
        (nn.LeakyReLU(), np.where(X > 0, X, 0.01 * X)),
        (nn.LeakyReLU(0.2), np.where(X > 0, X, 0.2 * X)),
        (nn.Sigmoid(), 1 / (1 + np.exp(-X))),
        (nn.Tanh(), np.tanh(X)),
        (nn.Softmax(axis=-1), np.exp(X) / np.exp(X).sum(axis=-1, keepdims=True)),
        (nn.Identity(), X),
    ],
)
def test_activation_modules(module: nn.Module, expected: np.ndarray) -> None:
    out = module(Tensor(X))
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-12, atol=1e-15)
    assert module.parameters() == []


def test_softmax_axis() -> None:
    x = Tensor(np.random.default_rng(0).normal(size=(3, 4)))
    np.testing.assert_allclose(nn.Softmax(axis=0)(x).data.sum(axis=0), np.ones(4))
    assert repr(nn.Softmax(axis=0)) == "Softmax(axis=0)"


def test_flatten() -> None:
    x = Tensor(np.zeros((2, 3, 4, 5)))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(start_axis=2)(x).shape == (2, 3, 20)
    assert nn.Flatten(start_axis=0)(x).shape == (120,)


# --- Dropout -------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_in_train_mode(p: float) -> None:
    tg.manual_seed(0)
    x = Tensor(np.ones((400, 500)))
    out = nn.Dropout(p)(x).data
    assert np.mean(out == 0) == pytest.approx(p, abs=0.01)
    assert out.mean() == pytest.approx(1.0, abs=0.02)  # inverted dropout keeps the mean
    np.testing.assert_allclose(out[out != 0], 1 / (1 - p))  # survivors are scaled up


def test_dropout_eval_is_identity_and_p0_too() -> None:
    x = Tensor(np.random.default_rng(0).normal(size=(10, 10)))
    drop = nn.Dropout(0.5)
    assert drop.eval()(x) is x
    assert nn.Dropout(0.0)(x) is x
    model = nn.Sequential(nn.Linear(10, 10), nn.Dropout(0.9))
    model.eval()
    np.testing.assert_array_equal(model(x).data, model(x).data)


def test_dropout_gradient_only_through_kept_units() -> None:
    tg.manual_seed(1)
    x = Tensor(np.ones((50, 50)), requires_grad=True)
    out = nn.Dropout(0.3)(x)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, out.data)  # d(out)/dx = mask / (1 - p)


def test_dropout_seeded_mask() -> None:
    x = Tensor(np.ones((20, 20)))
    tg.manual_seed(3)
    a = nn.Dropout(0.5)(x).data
    tg.manual_seed(3)
    np.testing.assert_array_equal(a, nn.Dropout(0.5)(x).data)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, True])
def test_dropout_rejects_bad_p(p: float) -> None:
    with pytest.raises(ValueError, match="\\[0, 1\\)"):
        nn.Dropout(p)


# --- a tensor MLP learns XOR ---------------------------------------------------------------


def test_tensor_mlp_learns_xor() -> None:
    tg.manual_seed(0)
    X = Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())
    for _ in range(2000):
        loss = ((model(X) - Tensor(y)) ** 2).mean()
        model.zero_grad()
        loss.backward()
        for p in model.parameters():  # plain SGD, written out
            p.data -= 1.0 * p.grad.data
    pred = model(X).data
    assert np.array_equal(pred > 0.5, y > 0.5), pred.ravel()
    assert loss.item() < 0.02


# --- nn.init ----------------------------------------------------------------------------------


def big(shape: tuple[int, ...] = (300, 200), dtype: type = np.float64) -> Tensor:
    return Tensor(np.zeros(shape, dtype=dtype), requires_grad=True)


def test_calculate_gain_matches_pytorch_table() -> None:
    assert init.calculate_gain("linear") == 1.0 and init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        init.calculate_gain("swish")


def test_fans() -> None:
    assert init.fans(big((30, 20))) == (20, 30)
    assert init.fans(big((8, 3, 5, 5))) == (75, 200)
    with pytest.raises(ValueError, match="at least 2 axes"):
        init.xavier_uniform_(big((5,)))


@pytest.mark.parametrize(
    ("fill", "uniform", "std"),
    [
        (lambda t: init.xavier_uniform_(t), True, math.sqrt(2 / 500)),
        (lambda t: init.xavier_uniform_(t, gain=2.0), True, 2 * math.sqrt(2 / 500)),
        (lambda t: init.xavier_normal_(t), False, math.sqrt(2 / 500)),
        (lambda t: init.kaiming_uniform_(t), True, math.sqrt(2 / 200)),
        (lambda t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"), True,
         math.sqrt(2 / 300)),
        (lambda t: init.kaiming_normal_(t, nonlinearity="tanh"), False, (5 / 3) / math.sqrt(200)),
        (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), True, 1 / math.sqrt(3 * 200)),
        (lambda t: init.normal_(t, 1.0, 0.5), False, 0.5),
        (lambda t: init.uniform_(t, -2.0, 2.0), True, 4 / math.sqrt(12)),
    ],
)
def test_init_spread(fill, uniform: bool, std: float) -> None:  # noqa: ANN001
    tg.manual_seed(0)
    t = big()
    assert fill(t) is t
    data = t.data
    assert data.dtype == np.float64 and data.shape == (300, 200)
    assert data.std() == pytest.approx(std, rel=0.02)
    if uniform:  # a uniform distribution stops at sqrt(3) standard deviations
        assert np.abs(data).max() <= math.sqrt(3) * std * (1 + 1e-12)


def test_init_constants_and_dtype() -> None:
    t = big(dtype=np.float32)
    assert np.all(init.ones_(t).data == 1) and t.dtype == np.float32
    assert np.all(init.zeros_(t).data == 0)
    assert np.all(init.constant_(t, 0.5).data == 0.5)
    with pytest.raises(TypeError, match="expected a Tensor"):
        init.zeros_(np.zeros(3))


def test_init_seeded() -> None:
    tg.manual_seed(11)
    a = init.kaiming_normal_(big()).data.copy()
    tg.manual_seed(11)
    np.testing.assert_array_equal(a, init.kaiming_normal_(big()).data)


def test_layers_take_the_default_dtype_as_pytorch():
    # torch.set_default_dtype(torch.float64) makes every new layer float64 (the usual
    # setting for gradient checks); a dtype given to the layer still wins
    makers = [lambda: nn.Linear(2, 3), lambda: nn.Conv2d(1, 2, 3), lambda: nn.LSTM(2, 3),
              lambda: nn.GRUCell(2, 2), lambda: nn.Embedding(4, 2), lambda: nn.BatchNorm1d(3),
              lambda: nn.LayerNorm(3), lambda: nn.PReLU()]
    assert {p.dtype for make in makers for p in make().parameters()} == {np.dtype(np.float32)}
    tg.set_default_dtype(tg.float64)
    try:
        layers = [make() for make in makers]
        assert {p.dtype for layer in layers for p in layer.parameters()} == {
            np.dtype(np.float64)}
        assert nn.BatchNorm1d(3).running_mean.dtype == np.float64
        assert nn.Linear(2, 3, dtype=np.float32).weight.dtype == np.float32
        out = nn.Linear(2, 1)(tg.tensor([[1.0, 2.0]]))
        assert out.dtype == np.float64
    finally:
        tg.set_default_dtype(tg.float32)
