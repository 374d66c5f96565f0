"""W4, small-op overhead: 1000 x ``y = tanh(y * 1.0001 + 0.0001)`` on 8 float64 numbers.

The arrays are so small that the arithmetic costs nothing: what is timed is each
engine's bookkeeping per op (building a node, dispatching, running its backward).
One step builds the chain from x, sums it, and backpropagates to x; the unit is
microseconds per op, three ops (multiply, add, tanh) per iteration.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.spec import OURS, QUICK_PLAN, Engine, Goal, Plan, Step, Workload

ITERATIONS, QUICK_ITERATIONS = 1_000, 100
OPS_PER_ITERATION = 3
UNIT = "us/op"


def starting_x(seed: int = 4) -> np.ndarray:
    """The shared input: 8 standard-normal float64 numbers."""
    return np.random.default_rng(seed).standard_normal(8)


def ours_step(x0: np.ndarray, iterations: int) -> Step:
    """Our Tensor engine; check = sum of d(sum y)/dx."""
    Tensor = peers.ours_tensor()
    x = Tensor(x0.copy(), requires_grad=True)

    def step() -> tuple[float, Any]:
        x.grad = None
        y = x
        for _ in range(iterations):
            y = (y * 1.0001 + 0.0001).tanh()
        total = y.sum()
        total.backward()
        return float(x.grad.data.sum()), total

    return step


def torch_step(x0: np.ndarray, iterations: int) -> Step:
    """PyTorch on the CPU."""
    torch = peers.torch_module()
    x = torch.tensor(x0, requires_grad=True)

    def step() -> tuple[float, Any]:
        x.grad = None
        y = x
        for _ in range(iterations):
            y = torch.tanh(y * 1.0001 + 0.0001)
        total = y.sum()
        total.backward()
        return float(x.grad.sum()), total

    return step


def autograd_step(x0: np.ndarray, iterations: int) -> Step:
    """HIPS autograd: ``grad`` of the whole chain as a function of x."""
    anp = peers.require("autograd.numpy")
    grad = peers.require("autograd").grad
    x = x0.copy()

    def chain(y: Any) -> Any:
        for _ in range(iterations):
            y = anp.tanh(y * 1.0001 + 0.0001)
        return anp.sum(y)

    d_chain = grad(chain)

    def step() -> tuple[float, Any]:
        return float(d_chain(x).sum()), None

    return step


def mygrad_step(x0: np.ndarray, iterations: int) -> Step:
    """MyGrad."""
    mg = peers.require("mygrad")
    x = mg.tensor(x0.copy())

    def step() -> tuple[float, Any]:
        y = x
        for _ in range(iterations):
            y = mg.tanh(y * 1.0001 + 0.0001)
        total = y.sum()
        total.backward()  # overwrites x.grad
        return float(x.grad.sum()), total

    return step


def _engine(name: str, make: Any, traced_memory: bool = True) -> Engine:
    return Engine(name, lambda iterations, quick: make(starting_x(), int(iterations)),
                  traced_memory=traced_memory)


WORKLOAD = Workload(
    key="W4",
    title=lambda quick: (f"small-op overhead: {QUICK_ITERATIONS if quick else ITERATIONS} x "
                         "tanh(y*1.0001 + 0.0001) on shape (8,) float64"),
    unit=UNIT,
    size_name="iterations",
    sizes=lambda quick: [QUICK_ITERATIONS if quick else ITERATIONS],
    engines=[
        _engine(OURS, ours_step),
        _engine("torch", torch_step, traced_memory=False),
        _engine("autograd", autograd_step),
        _engine("mygrad", mygrad_step),
    ],
    # 15 rounds, not 5: a turn lasts about 20 ms, so with 5 rounds one slow spell of
    # the machine (seconds long) could fall on most of ours' turns and few of PyTorch's
    # (a one-thread full run on a 2-core Intel Xeon gave 1.35, per round 0.52-1.97,
    # where three runs of W4 alone right after gave 0.82-0.90)
    plan=lambda size, quick: QUICK_PLAN if quick
    else Plan(warmup=2, rounds=15, calls=3),
    scale=lambda iterations: 1e6 / (OPS_PER_ITERATION * int(iterations)),
    goals=[Goal("time ours/torch", 1.0, lambda r: r.ratio("torch"), issue="8")],
)
