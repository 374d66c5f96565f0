"""Scalar models on Value: Neuron, Layer, MLP (micrograd's networks)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
from tinygrad_dk import Value, gradcheck

ACTS = {
    "relu": lambda z: max(z, 0.0),
    "tanh": math.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
    "linear": lambda z: z,
}


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (as sklearn's make_moons), labels -1 and +1."""
    rng = np.random.default_rng(seed)
    n_top, n_bottom = n // 2, n - n // 2
    t_top, t_bottom = np.linspace(0, np.pi, n_top), np.linspace(0, np.pi, n_bottom)
    top = np.c_[np.cos(t_top), np.sin(t_top)]
    bottom = np.c_[1 - np.cos(t_bottom), 0.5 - np.sin(t_bottom)]
    X = np.vstack([top, bottom]) + rng.normal(0.0, noise, (n, 2))
    y = np.r_[-np.ones(n_top), np.ones(n_bottom)]
    return X, y


@pytest.mark.parametrize("activation", list(ACTS))
def test_neuron_computes_act_of_weighted_sum(activation: str) -> None:
    tg.manual_seed(3)
    neuron = nn.Neuron(3, activation=activation)
    neuron.b.data = 0.25
    x = [0.5, -1.5, 2.0]
    z = sum(w.data * xi for w, xi in zip(neuron.w, x)) + 0.25
    out = neuron(x)
    assert isinstance(out, Value)
    assert out.data == pytest.approx(ACTS[activation](z), rel=1e-12)


def test_neuron_uses_one_weighted_sum_node() -> None:
    neuron = nn.Neuron(4, activation="linear")
    out = neuron([1, 2, 3, 4])
    assert out.op == "Σwx+b" and len(out.parents) == 2 * 4 + 1


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear"])
def test_neuron_gradients_match_numeric(activation: str) -> None:
    tg.manual_seed(1)
    neuron = nn.Neuron(3, activation=activation)
    xs = [Value(0.3), Value(-0.7), Value(1.1)]
    params = neuron.parameters()

    def f(*vals: Value) -> Value:
        return neuron(list(vals[:3]))

    assert gradcheck(f, [*xs, *params])


def test_initialisation_is_uniform_seeded_bias_zero() -> None:
    tg.manual_seed(0)
    a = nn.MLP(3, [50, 50, 2])
    tg.manual_seed(0)
    b = nn.MLP(3, [50, 50, 2])
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    weights = np.array([w.data for layer in a.layers for n in layer.neurons for w in n.w])
    biases = [n.b.data for layer in a.layers for n in layer.neurons]
    assert weights.min() >= -1 and weights.max() <= 1
    assert abs(weights.mean()) < 0.05 and weights.std() == pytest.approx(1 / math.sqrt(3), 0.05)
    assert biases == [0.0] * len(biases)


def test_parameters_in_micrograd_order() -> None:
    model = nn.MLP(2, [3, 2])
    expected = [p for layer in model.layers for n in layer.neurons for p in [*n.w, n.b]]
    params = model.parameters()
    assert len(params) == len(expected) == (2 * 3 + 3) + (3 * 2 + 2)
    assert all(p is q for p, q in zip(params, expected))
    names = [n for n, _ in model.named_parameters()]
    assert names[:4] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                         "layers.0.neurons.0.b", "layers.0.neurons.1.w.0"]
    assert names[-1] == "layers.1.neurons.1.b"


def test_mlp_activations_per_layer() -> None:
    model = nn.MLP(2, [4, 4, 3], activation="tanh", output_activation="sigmoid")
    assert [layer.activation for layer in model.layers] == ["tanh", "tanh", "sigmoid"]
    out = model([0.1, 0.2])
    assert isinstance(out, list) and len(out) == 3
    assert all(0 < v.data < 1 for v in out)
    assert nn.MLP(2, [4, 1])([1, 2]).op == "Σwx+b"  # linear output by default, one Value


def test_mlp_accepts_numbers_values_and_arrays() -> None:
    tg.manual_seed(5)
    model = nn.MLP(2, [4, 1])
    a = model([1.0, -2.0]).data
    assert model([Value(1.0), Value(-2.0)]).data == a
    assert model(np.array([1.0, -2.0])).data == a
    assert model((1, -2)).data == a


def test_mlp_matches_a_hand_written_forward() -> None:
    tg.manual_seed(2)
    model = nn.MLP(3, [4, 2], activation="tanh")
    x = np.array([0.2, -0.4, 0.9])
    h = x
    for layer in model.layers:
        W = np.array([[w.data for w in n.w] for n in layer.neurons])
        b = np.array([n.b.data for n in layer.neurons])
        h = W @ h + b
        h = np.tanh(h) if layer.activation == "tanh" else h
    np.testing.assert_allclose([v.data for v in model(x)], h, rtol=1e-12)


def test_layer_returns_list_or_single_value() -> None:
    assert len(nn.Layer(2, 3)([1, 2])) == 3
    assert isinstance(nn.Layer(2, 1)([1, 2]), Value)


def test_wrong_input_length_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="MLP expects 2 input value\\(s\\), got 3"):
        nn.MLP(2, [4, 1])([1, 2, 3])
    with pytest.raises(ValueError, match="Layer expects 3"):
        nn.Layer(3, 2)([1])
    with pytest.raises(ValueError, match="Neuron expects 2"):
        nn.Neuron(2)([1, 2, 3, 4])


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        nn.Neuron(2, activation="softplus")
    with pytest.raises(ValueError, match="at least one layer"):
        nn.MLP(2, [])
    with pytest.raises(TypeError, match="Tensor"):
        nn.MLP(2, [1])(tg.Tensor([1.0, 2.0]))


def test_repr_and_counts() -> None:
    model = nn.MLP(2, [16, 16, 1])
    assert len(model.parameters()) == model.num_parameters() == 337  # as micrograd's demo
    assert repr(model) == (
        "MLP(\n"
        "  (layers.0): Layer(nin=2, nout=16, activation='relu')\n"
        "  (layers.1): Layer(nin=16, nout=16, activation='relu')\n"
        "  (layers.2): Layer(nin=16, nout=1, activation='linear')\n"
        ")"
    )
    assert repr(nn.Neuron(3, "tanh")) == "Neuron(nin=3, activation='tanh')"


def test_state_dict_of_scalar_model_round_trips() -> None:
    tg.manual_seed(0)
    a = nn.MLP(2, [3, 1])
    tg.manual_seed(1)
    b = nn.MLP(2, [3, 1])
    sd = a.state_dict()
    assert all(arr.shape == () for arr in sd.values())
    b.load_state_dict(sd)
    assert b([0.3, 0.4]).data == a([0.3, 0.4]).data


def test_two_moons_reaches_full_training_accuracy() -> None:
    """micrograd's demo: MLP 2-16-16-1, hinge loss + L2, SGD with a decaying rate."""
    X, y = make_moons(100, noise=0.1, seed=0)
    tg.manual_seed(0)
    model = nn.MLP(2, [16, 16, 1], activation="relu", output_activation="linear")
    params = model.parameters()
    inputs, labels = X.tolist(), y.tolist()
    accuracy = 0.0
    for k in range(100):
        scores = [model(x) for x in inputs]
        data_loss = sum((1 - yi * s).relu() for yi, s in zip(labels, scores)) * (1 / len(inputs))
        loss = data_loss + 1e-4 * sum(p * p for p in params)
        accuracy = np.mean([(s.data > 0) == (yi > 0) for s, yi in zip(scores, labels)])
        if accuracy == 1.0:
            break
        model.zero_grad()
        loss.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in params:
            p.data -= lr * p.grad
    assert accuracy == 1.0, f"training accuracy {accuracy:.2f} after 100 steps"


def test_same_numbers_as_micrograd() -> None:
    """With micrograd's weights copied in (same parameter order), forward and backward agree."""
    micrograd_nn = pytest.importorskip("micrograd.nn")
    ours, theirs = nn.MLP(2, [4, 4, 1]), micrograd_nn.MLP(2, [4, 4, 1])
    assert len(ours.parameters()) == len(theirs.parameters())
    for p, q in zip(ours.parameters(), theirs.parameters()):
        p.data = q.data
    for x in ([0.5, -1.0], [2.0, 0.25]):
        a, b = ours(x), theirs(x)
        assert a.data == pytest.approx(b.data, rel=1e-12)
        ours.zero_grad()
        theirs.zero_grad()
        a.backward()
        b.backward()
        for p, q in zip(ours.parameters(), theirs.parameters()):
            assert p.grad == pytest.approx(q.grad, rel=1e-12, abs=1e-15)
