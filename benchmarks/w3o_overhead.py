"""W3o, the overhead-bound step: a 2-16-16-2 Sequential, batch 32, SGD.

The arrays are so small that the arithmetic costs next to nothing: the step times each
engine's fixed costs (modules, graph recording, backward walk, optimizer loop). Same
program as W3s (``benchmarks.mlp_steps``), ours against PyTorch and hand-written numpy.
"""

from __future__ import annotations

from benchmarks import mlp_steps
from benchmarks.mlp_steps import Setup
from benchmarks.spec import QUICK_PLAN, Goal, Plan, Workload

SETUP = Setup((2, 16, 16, 2), 32, "SGD")
#: 1,000 timed steps per engine (a step takes a fraction of a millisecond).
PLAN = Plan(warmup=50, rounds=5, calls=200, settle=20)

WORKLOAD = Workload(
    key="W3o",
    title=lambda quick: (f"overhead-bound Sequential step: {SETUP.shape}, float32, batch "
                         f"{SETUP.batch}, CrossEntropyLoss, SGD"),
    unit="us/step",
    size_name="batch",
    sizes=lambda quick: [SETUP.batch],
    engines=mlp_steps.engines(lambda batch, quick: SETUP),
    plan=lambda batch, quick: QUICK_PLAN if quick else PLAN,
    scale=lambda batch: 1e6,
    goals=[Goal("time ours/torch", 1.0, lambda r: r.ratio("torch"), issue="17")],
)
