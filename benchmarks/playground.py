"""PG, the live playground's update rate: full page updates per second, for both engines.

One timed call is one update exactly as the playground's training loop makes it while
playing (``viz.playground.driver``), without the websocket: one epoch of training
(200 training points in shuffled mini-batches of 10: 20 SGD steps, lr 0.03), then the
frame: the output's picture and every hidden neuron's picture over the 48 x 48 raster,
the train and test losses for the curves, the weights and their gradients, all turned
into the JSON text the page receives. (The neuron graph is not part of it: while
playing it is redrawn at most every 0.4 s.)

Data: XOR, 400 points, half for training, seed 1, features x1 and x2, tanh.
Networks (``size`` = number of hidden layers of 8): 2-8-8-1 and 2-8-8-8-8-8-8-1 (6x8).
Engines: the Tensor engine (``nn.Sequential`` in float64) and the scalar Value engine
(``nn.MLP``). They train the same network from the same weights on the same batches, so
their check values (the training loss after the update) must agree.

Target: at least 10 updates per second for the Tensor engine on 2-8-8-1.
"""

from __future__ import annotations

from typing import Any

from benchmarks.results import WorkloadResult
from benchmarks.spec import QUICK_PLAN, Engine, Goal, Plan, Size, Step, Workload
from viz.playground.driver import encode
from viz.playground.session import Session
from viz.playground.state import Settings as PlaygroundSettings

HIDDEN_LAYERS = (2, 6)
POINTS, QUICK_POINTS = 400, 60
UNIT = "ms/update"
ENGINES = {"Tensor engine": "tensor", "Value engine": "value"}
TARGET_UPDATES_PER_SECOND = 10.0


def _builder(engine: str) -> Any:
    def build(layers: Size, quick: bool) -> Step:
        session = Session(PlaygroundSettings(
            data="xor", points=QUICK_POINTS if quick else POINTS, train=50, seed=1,
            hidden=(8,) * int(layers), activation="tanh", lr=0.03, batch=10, engine=engine))

        def step() -> tuple[float, str]:
            session.train_epoch()
            text = encode(session.frame())
            return session.history[-1][1], text

        return step
    return build


def finish(result: WorkloadResult) -> None:
    """Updates per second for every engine and network, in the notes and the extras."""
    rates = {}
    for m in result.measurements:
        if m.median:
            rates[f"{m.engine} {m.size}x8"] = 1e3 / m.median
            result.notes.append(f"{m.engine}, {m.size} hidden layers of 8: "
                                f"{1e3 / m.median:.1f} updates/s")
    result.extra["updates_per_second"] = rates


def _tensor_rate(result: WorkloadResult) -> float | None:
    return result.extra.get("updates_per_second", {}).get("Tensor engine 2x8")


WORKLOAD = Workload(
    key="PG",
    title=lambda quick: (f"playground updates (epoch + pictures + curves): XOR, "
                         f"{(QUICK_POINTS if quick else POINTS) // 2} training points, batch "
                         "10; size = hidden layers of 8"),
    unit=UNIT,
    size_name="layers",
    sizes=lambda quick: HIDDEN_LAYERS,
    engines=[Engine(name, _builder(engine)) for name, engine in ENGINES.items()],
    plan=lambda size, quick: QUICK_PLAN if quick
    else Plan(warmup=2, rounds=5, calls=3),
    compare=False,
    memory=False,
    goals=[Goal("Tensor engine 2-8-8-1 updates/s", TARGET_UPDATES_PER_SECOND, _tensor_rate,
                at_least=True, issue="18")],
    finish=finish,
)
