"""W1, scalar MLP step: one SGD step of micrograd's two-moons demo, ours vs micrograd.

100 two-moons points, an MLP 2-16-16-1 (ReLU hidden, linear output), max-margin loss
``mean(relu(1 - y * score)) + 1e-4 * sum(p * p)``, backward, SGD with lr 0.1. The step
is written once and run on both engines: only the Value class and the MLP differ.
Also measures the peak memory one step allocates (tracemalloc), and, for information,
micrograd with the garbage collector off: most of micrograd's time goes to the collector
scanning its graph, whose closures make reference cycles.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

from benchmarks import peers
from benchmarks.inputs import flatten_neuron_order, make_moons, scalar_mlp_weights
from benchmarks.timing import (
    OURS,
    Contender,
    Settings,
    Step,
    WorkloadResult,
    alternate,
    describe_error,
    without_gc,
)

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


def contenders(n_points: int, informational: bool = True) -> list[Contender]:
    """Ours and micrograd on the same points and starting weights (and, when
    ``informational``, micrograd once more with the garbage collector off)."""
    X_np, y_np = make_moons(n_points, noise=0.1, seed=0)
    X, Y = X_np.tolist(), y_np.tolist()
    flat = flatten_neuron_order(scalar_mlp_weights(LAYER_SIZES))

    def build_ours() -> Step:
        nn = peers.ours_nn()
        model = nn.MLP(2, LAYER_SIZES[1:], activation="relu", output_activation="linear")
        load_weights(model, flat)
        return make_step(model, X, Y)

    def build_micrograd() -> Step:
        mlp_module = peers.require("micrograd.nn")
        model = mlp_module.MLP(2, LAYER_SIZES[1:])
        load_weights(model, flat)
        return make_step(model, X, Y)

    entrants = [
        Contender(OURS, build_ours, scale=1e3),
        Contender("micrograd", build_micrograd, scale=1e3),
    ]
    if informational:
        entrants.append(
            Contender(MICROGRAD_GC_OFF, build_micrograd, scale=1e3, runner=without_gc())
        )
    return entrants


def peak_memory(build: Callable[[], Step]) -> int:
    """Peak bytes allocated while one step runs, from fresh weights (tracemalloc)."""
    step = build()
    gc.collect()
    tracemalloc.start()
    try:
        _, keep_alive = step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del keep_alive
    return peak


def run(settings: Settings) -> WorkloadResult:
    """Time W1 and measure its peak memory."""
    n_points = QUICK_POINTS if settings.quick else POINTS
    entrants = contenders(n_points, informational=not settings.quick)
    measurements = alternate(entrants, n_points, UNIT, settings.repeats, settings.warmup)
    result = WorkloadResult(
        "W1",
        f"scalar MLP step: {n_points} two-moons points, MLP 2-16-16-1, SGD",
        measurements,
    )
    peaks: dict[str, int] = {}
    for contender, measurement in zip(entrants, measurements, strict=True):
        if measurement.status != "ok" or contender.name == MICROGRAD_GC_OFF:
            continue
        try:
            peaks[contender.name] = peak_memory(contender.build)
        except Exception as error:  # Unavailable included: skip, keep a note
            result.notes.append(f"{contender.name}: peak memory not measured: "
                                f"{describe_error(error)}")
    result.extra["peak_memory_bytes"] = peaks
    if OURS in peaks and "micrograd" in peaks:
        result.extra["peak_memory_ratio"] = peaks[OURS] / peaks["micrograd"]
    return result
