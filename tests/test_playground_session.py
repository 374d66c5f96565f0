"""The playground's engines, session and message layer, driven directly (no web library)."""

from __future__ import annotations

import base64
import json
import re
import warnings

import numpy as np
import pytest

import nn
from viz.playground import messages
from viz.playground.engines import TensorEngine, ValueEngine, initial_weights
from viz.playground.session import GRID, Session, TrainingDiverged
from viz.playground.state import Settings


def weights_close(a, b, atol=1e-10) -> bool:
    return all(np.allclose(Wa, Wb, atol=atol, rtol=0) and np.allclose(ba, bb, atol=atol, rtol=0)
               for (Wa, ba), (Wb, bb) in zip(a, b))


def pixels(base64_text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(base64_text), dtype=np.uint8)


# --- the two engines --------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "linear"])
def test_value_forward_is_nn_mlp(activation: str) -> None:
    """The scalar engine's own loop (which keeps hidden outputs) computes what nn.MLP does."""
    sizes = [3, 4, 2, 1]
    engine = ValueEngine(sizes, activation, initial_weights(sizes, np.random.default_rng(0)))
    x = [0.5, -1.5, 2.0]
    assert engine.forward_one(x)[-1][0].data == pytest.approx(engine.model(x).data, abs=1e-15)


def test_tensor_engine_gradient_is_the_logistic_regression_formula() -> None:
    """No hidden layer, full batch: dL/dW = mean((sigmoid(s) - y) x), dL/db = mean(sigmoid(s) - y).
    """
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(7, 2)), rng.integers(0, 2, 7).astype(float)
    weights = initial_weights([2, 1], rng)
    engine = TensorEngine([2, 1], "tanh", weights)
    engine.new_optimizer("sgd", 0.5)
    loss = engine.train_step(X, y, None, "classification", "none", 0.0)
    W, b = weights[0]
    s = X @ W[0] + b[0]
    p = 1 / (1 + np.exp(-s))
    assert loss == pytest.approx(np.mean(np.logaddexp(0, s) - y * s), rel=1e-12)
    (gW, gb), = engine.get_grads()
    assert np.allclose(gW[0], ((p - y)[:, None] * X).mean(axis=0), atol=1e-12)
    assert gb[0] == pytest.approx(np.mean(p - y), abs=1e-12)
    assert np.allclose(engine.get_weights()[0][0], W - 0.5 * gW, atol=1e-12)  # one SGD step


@pytest.mark.parametrize("changes", [
    {},                                                        # the defaults: tanh, SGD, batch 10
    {"activation": "relu", "optimizer": "adam", "batch": "full", "data": "xor"},
    {"reg": "l2", "rate": "0.01", "optimizer": "momentum", "dropout": "0.3", "hidden": "5,3"},
    {"reg": "l1", "rate": "0.003", "activation": "sigmoid", "data": "bumps", "batch": "7"},
])
def test_both_engines_show_the_same_numbers(changes) -> None:
    settings, errors = Settings(points=60).updated(changes)
    assert errors == []
    tensor, value = Session(settings), Session(settings.updated({"engine": "value"})[0])
    for _ in range(3):
        tensor.train_epoch()
        value.train_epoch()
    assert np.allclose(tensor.history, value.history, atol=1e-10, rtol=0)
    assert weights_close(tensor.trainer.get_weights(), value.trainer.get_weights())
    assert weights_close(tensor.trainer.get_grads(), value.trainer.get_grads())
    a, b = tensor.frame(), value.frame()
    assert (a["engine"], b["engine"]) == ("tensor", "value")
    assert a["output"] == b["output"] and a["neurons"] == b["neurons"]


def test_switching_engines_mid_run_continues_with_the_same_weights() -> None:
    straight = Session(Settings(points=60))
    switched = Session(Settings(points=60))
    for _ in range(3):
        straight.train_epoch()
        switched.train_epoch()
    errors, rebuilt = switched.update({"engine": "value"})
    assert errors == [] and not rebuilt and isinstance(switched.trainer, ValueEngine)
    for _ in range(2):
        straight.train_epoch()
        switched.train_epoch()
    assert switched.epoch == straight.epoch == 5
    assert np.allclose(straight.history, switched.history, atol=1e-10, rtol=0)


# --- the session ------------------------------------------------------------------------


def test_one_epoch_changes_the_weights_and_training_lowers_the_loss() -> None:
    session = Session(Settings(data="gauss", points=100, lr=0.1))
    before = session.trainer.get_weights()
    session.train_epoch()
    assert session.epoch == 1 and len(session.history) == 2
    assert not weights_close(before, session.trainer.get_weights(), atol=1e-6)
    for _ in range(20):
        session.train_epoch()
    assert session.history[-1][1] < 0.5 * session.history[0][1]  # the training loss
    assert session.accuracy()["test"] > 0.9


def test_the_seed_fixes_the_whole_run_and_reset_goes_back() -> None:
    a, b = Session(Settings(points=50, dropout=0.2)), Session(Settings(points=50, dropout=0.2))
    for _ in range(2):
        a.train_epoch()
        b.train_epoch()
    assert a.history == b.history
    start = Session(Settings(points=50)).trainer.get_weights()
    a.reset()
    assert a.epoch == 0 and len(a.history) == 1
    assert weights_close(a.trainer.get_weights(), start, atol=0)


def test_what_a_change_rebuilds() -> None:
    session = Session(Settings(points=50))
    session.train_epoch()
    assert session.update({"lr": 0.3}) == ([], False)
    assert session.trainer.optimizer.lr == 0.3 and session.epoch == 1
    assert session.update({"optimizer": "adam"}) == ([], False)
    assert isinstance(session.trainer.optimizer, nn.optim.Adam) and session.epoch == 1
    assert session.update({"hidden": "3"}) == ([], True)
    assert session.epoch == 0 and session.settings.layer_sizes == [2, 3, 1]
    old_points = session.points.copy()
    assert session.update({"seed": 7}) == ([], True)
    assert not np.array_equal(old_points, session.points)
    errors, rebuilt = session.update({"hidden": "12"})
    assert not rebuilt and "hidden" in errors[0] and session.settings.hidden == (3,)


def test_divergence_is_caught_reported_and_undone_without_warnings() -> None:
    session = Session(Settings(data="plane", activation="linear", lr=10.0, points=60,
                               features=("x1", "x2", "x1sq"), hidden=(8, 8)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning leaking out would fail here
        with pytest.raises(TrainingDiverged, match="lower the learning rate"):
            for _ in range(50):
                session.train_epoch()
    weights = session.trainer.get_weights()
    assert all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in weights)
    json.dumps(session.frame(), allow_nan=False)  # the page still gets finite numbers


def test_frame_holds_every_picture_and_the_curves() -> None:
    session = Session(Settings(hidden=(3, 2), points=40))
    session.train_epoch()
    frame = session.frame()
    assert frame["epoch"] == 1 and frame["history_from"] == 0 and len(frame["history"]) == 2
    assert session.frame()["history"] == []  # only new curve points are sent again
    assert pixels(frame["output"]).shape == (GRID * GRID,)
    assert [len(layer) for layer in frame["neurons"]] == [3, 2]
    assert pixels(frame["neurons"][1][0]).shape == (GRID * GRID // 4,)
    assert np.array(frame["weights"][0]).shape == (3, 2)
    assert np.array(frame["weight_grads"][2]).shape == (1, 2)
    # The output picture is 2p - 1 of the network's probability, pixel by pixel.
    scores = session.viewer.forward(session.grid_inputs)[0].data[:, 0]
    expected = np.rint((2 / (1 + np.exp(-scores)) - 1 + 1) * 127.5)
    assert np.abs(pixels(frame["output"]) - expected).max() <= 1
    json.dumps(frame, allow_nan=False)


def test_network_message_describes_layout_and_points() -> None:
    session = Session(Settings(features=("x1", "x2", "x1sq"), hidden=(4,), points=30, train=60))
    message = session.network_message()
    assert message["sizes"] == [3, 4, 1]
    assert [f["active"] for f in message["features"]] == [True, True, True] + [False] * 4
    assert len(message["points"]) == 30 and sum(message["train"]) == 18


def test_neuron_graph_shows_values_and_gradients_of_one_point() -> None:
    session = Session(Settings(hidden=(3,), activation="tanh", points=40))
    session.train_epoch()
    session.select_neuron(0, 1)
    session.select_point(5)
    graph = session.graph_message()
    assert graph["point"] == 5 and graph["note"] == "" and not graph["is_output"]
    assert "z1[2]" in graph["svg"] and "a1[2]" in graph["svg"] and "w1[2,1]" in graph["svg"]
    assert re.search(r"data -?\d", graph["svg"]) and re.search(r"grad -?\d", graph["svg"])
    assert graph["svg"].startswith("<svg")
    # The drawn value is the neuron's output for that point.
    _, hidden = session.viewer.forward(session.inputs[5:6])
    assert graph["value"] == pytest.approx(hidden[0].data[0, 1], abs=1e-12)
    # The output neuron's graph ends in the point's loss.
    session.select_neuron(1, 0)
    out = session.graph_message()
    score = session.viewer.forward(session.inputs[5:6])[0].data[0, 0]
    y = session.targets[5]
    assert out["is_output"] and out["grad"] == 1.0
    assert out["value"] == pytest.approx(np.logaddexp(0, score) - y * score, rel=1e-12)


def test_a_neuron_without_gradient_is_drawn_with_values_and_a_note() -> None:
    session = Session(Settings(hidden=(2, 2), activation="relu", points=40))
    first, second, out = session.trainer.get_weights()
    second[0][:], second[1][:] = 0.0, -1.0  # both ReLUs of layer 2 off for every point
    session.trainer.set_weights([first, second, out])
    session.select_neuron(0, 0)
    graph = session.graph_message()
    assert "exactly 0" in graph["note"] and graph["grad"] == 0.0
    assert re.search(r"data -?\d", graph["svg"]) and not re.search(r"grad -?\d", graph["svg"])


def test_bad_neuron_or_point_says_what_exists() -> None:
    session = Session(Settings(hidden=(4, 2), points=30))
    with pytest.raises(ValueError, match="layers 0 to 2"):
        session.select_neuron(3, 0)
    with pytest.raises(ValueError, match="neurons 0 to 1"):
        session.select_neuron(1, 2)
    with pytest.raises(ValueError, match="points 0 to 29"):
        session.select_point(30)


# --- the message layer ---------------------------------------------------------------------


@pytest.mark.parametrize("text, words", [
    ("not json", "not valid JSON"),
    ("[1, 2]", 'JSON object with a "type"'),
    ('{"kind": "play"}', 'JSON object with a "type"'),
    ('{"type": "fly"}', "unknown message type 'fly'"),
    ('{"type": "select_neuron", "layer": 0}', "missing field(s) neuron"),
    ('{"type": "select_neuron", "layer": true, "neuron": 0}', "layer must be a whole number"),
    ('{"type": "select_point", "index": "3"}', "index must be a whole number"),
    ('{"type": "set", "changes": [1]}', "changes must be an object"),
    ('{"type": "set", "changes": "' + "x" * 30_000 + '"}', "too long"),
])
def test_bad_messages_are_refused_with_a_reason(text: str, words: str) -> None:
    with pytest.raises(messages.MessageError, match=words.replace("(", r"\(").replace(")", r"\)")):
        messages.parse(text)


def run(session: Session, message: dict) -> list[dict]:
    return messages.apply(session, messages.parse(json.dumps(message)))


def test_messages_drive_the_session() -> None:
    session = Session(Settings(points=40))
    replies = run(session, {"type": "set", "changes": {"hidden": "3", "lr": "oops"}})
    assert [r["type"] for r in replies] == ["state", "network", "frame"]
    assert "lr" in replies[0]["errors"][0] and "hidden=3" in replies[0]["query"]
    assert [r["type"] for r in run(session, {"type": "step"})] == ["frame"]
    assert session.epoch == 1
    graph, = run(session, {"type": "select_neuron", "layer": 0, "neuron": 2})
    assert graph["svg"] and (graph["layer"], graph["neuron"]) == (0, 2)
    assert [r["type"] for r in run(session, {"type": "step"})] == ["frame", "graph"]
    graph, = run(session, {"type": "select_point", "index": 3})
    assert graph["point"] == 3
    assert run(session, {"type": "clear_neuron"})[0]["layer"] is None
    replies = run(session, {"type": "regenerate"})
    assert replies[0]["type"] == "state" and session.epoch == 0
    assert replies[0]["settings"]["seed"] == str(session.settings.seed)
    assert [r["type"] for r in run(session, {"type": "reset"})] == ["network", "frame"]
    with pytest.raises(ValueError, match="neuron 5 does not exist"):
        run(session, {"type": "select_neuron", "layer": 0, "neuron": 5})
    with pytest.raises(messages.MessageError, match="training loop"):
        run(session, {"type": "play"})


# --- the Danish guide's numbers (docs/da/10-legeplads.md) ----------------------------------


def train(query: str, epochs: int) -> Session:
    settings, errors = Settings().updated(dict(pair.split("=") for pair in query.split("&")))
    assert errors == []
    session = Session(settings)
    for _ in range(epochs):
        session.train_epoch()
    return session


def test_the_guide_tables_hold() -> None:
    """Exercise 1 (activations) and exercise 2 (full batch vs SGD), 100 epochs each."""
    circle = "data=circle&hidden=4,2&lr=0.03&activation="
    assert round(train(circle + "linear", 100).history[-1][1], 3) == 0.677
    assert round(train(circle + "relu", 100).history[-1][1], 3) == 0.090
    noisy = "data=circle&noise=20&hidden=4,2&activation=tanh&"
    full = train(noisy + "batch=full&lr=0.3", 100).history[-1]
    sgd = train(noisy + "batch=10&lr=0.03", 100).history[-1]
    assert round(full[1], 3) == round(sgd[1], 3) == 0.318
