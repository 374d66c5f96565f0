"""W1, scalar MLP step: one SGD step of micrograd's two-moons demo, ours vs micrograd.

100 two-moons points, an MLP 2-16-16-1 (ReLU hidden, linear output), max-margin loss
``mean(relu(1 - y * score)) + 1e-4 * sum(p * p)``, backward, SGD with lr 0.1. The step
is written once and run on both engines: only the Value class and the MLP differ.
The peak memory of one step (tracemalloc) is measured for both. Full runs add, for
information, micrograd with the garbage collector off: most of micrograd's time goes to
the collector scanning its graph, whose closures make reference cycles.
"""

from __future__ import annotations

from typing import Any

from benchmarks import peers
from benchmarks.inputs import flatten_neuron_order, make_moons, scalar_mlp_weights
from benchmarks.spec import OURS, QUICK_PLAN, Engine, Goal, Plan, Step, Workload
from benchmarks.timing import without_gc

LAYER_SIZES = [2, 16, 16, 1]
POINTS, QUICK_POINTS = 100, 20
LEARNING_RATE = 0.1
WEIGHT_DECAY = 1e-4
UNIT = "ms/step"
#: An informational row (full runs only): micrograd with the garbage collector off.
MICROGRAD_GC_OFF = "micrograd (gc off)"


def make_step(model: Any, X: list[list[float]], Y: list[float]) -> Step:
    """One training step on any micrograd-like engine (``model`` returns a Value)."""
    params = model.parameters()
    inv_n = 1.0 / len(X)

    def step() -> tuple[float, Any]:
        scores = [model(x) for x in X]
        data_loss = sum((1 - y * score).relu() for y, score in zip(Y, scores, strict=True)) * inv_n
        reg_loss = WEIGHT_DECAY * sum(p * p for p in params)
        loss = data_loss + reg_loss
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= LEARNING_RATE * p.grad
        return loss.data, loss

    return step


def load_weights(model: Any, flat: list[float]) -> None:
    """Copy the shared starting weights into ``model.parameters()`` (micrograd order)."""
    params = model.parameters()
    if len(params) != len(flat):
        raise ValueError(f"model has {len(params)} parameters, the weights have {len(flat)}")
    for p, w in zip(params, flat, strict=True):
        p.data = w


def _weights() -> list[float]:
    return flatten_neuron_order(scalar_mlp_weights(LAYER_SIZES))


def _data(n_points: int) -> tuple[list[list[float]], list[float]]:
    X, y = make_moons(n_points, noise=0.1, seed=0)
    return X.tolist(), y.tolist()


def build_ours(n_points: int, quick: bool) -> Step:
    """Our scalar ``nn.MLP`` on the shared points and weights."""
    nn = peers.ours_nn()
    model = nn.MLP(2, LAYER_SIZES[1:], activation="relu", output_activation="linear")
    load_weights(model, _weights())
    return make_step(model, *_data(n_points))


def build_micrograd(n_points: int, quick: bool) -> Step:
    """micrograd's ``MLP`` (ReLU hidden, linear output) on the same points and weights."""
    model = peers.require("micrograd.nn").MLP(2, LAYER_SIZES[1:])
    load_weights(model, _weights())
    return make_step(model, *_data(n_points))


WORKLOAD = Workload(
    key="W1",
    title=lambda quick: (f"scalar MLP step: {QUICK_POINTS if quick else POINTS} two-moons "
                         "points, MLP 2-16-16-1, SGD"),
    unit=UNIT,
    size_name="points",
    sizes=lambda quick: [QUICK_POINTS if quick else POINTS],
    engines=[
        Engine(OURS, build_ours),
        Engine("micrograd", build_micrograd),
        Engine(MICROGRAD_GC_OFF, build_micrograd, runner=lambda size: without_gc(),
               informational=True),
    ],
    plan=lambda size, quick: QUICK_PLAN if quick
    else Plan(warmup=2, rounds=5, calls=3),
    goals=[
        Goal("time ours/micrograd", 0.07, lambda r: r.ratio("micrograd"),
             issue="17 (8 asked 0.25)"),
        Goal("peak memory of one step ours/micrograd", 0.35,
             lambda r: r.peak_ratio(OURS, "micrograd"), issue="8"),
    ],
)
