"""W3s, the training step as users write it: nn.Sequential, CrossEntropyLoss, SGD.

784-256-128-10 ReLU MLP, float32, batch 256 (quick: 64-32-16-10, batch 32), SGD with
lr 0.01: ``zero_grad``, forward, loss, ``backward``, ``step``. Ours against PyTorch
(the same lines with ``torch.nn``) and against the hand-written numpy step, the floor
for any engine on numpy (``benchmarks.mlp_steps``). Besides the time: the minor page
faults per step (memory handed back to the OS and taken again) and the peak memory
one step allocates. Two informational rows time the step's matrix products alone, with
numpy's BLAS and with PyTorch's: how much of the ratio against PyTorch is the BLAS.
"""

from __future__ import annotations

from benchmarks import mlp_steps
from benchmarks.mlp_steps import Setup
from benchmarks.spec import OURS, QUICK_PLAN, Engine, Goal, Plan, Workload

FULL = Setup((784, 256, 128, 10), 256, "SGD")
QUICK = Setup((64, 32, 16, 10), 32, "SGD")
#: 450 timed steps per engine after 20 warm-up steps, in 15 rounds; 50 untimed steps
#: (about 0.15 s) start each turn, so the engine's own thread pool is awake and the
#: previous engine's idle OpenBLAS threads (they spin for about 0.1 s) have gone to sleep.
#: 15 rounds, not 5, because the per-round ratios swing on a shared 2-core machine: the
#: same step in two workers gave medians of 0.98-1.08 over six runs of 5 rounds, and of
#: 0.96-1.01 over six runs of 15.
PLAN = Plan(warmup=20, rounds=15, calls=30, settle=50)


def _setup(quick: bool) -> Setup:
    return QUICK if quick else FULL


WORKLOAD = Workload(
    key="W3s",
    title=lambda quick: (f"Sequential step: {_setup(quick).shape}, float32, batch "
                         f"{_setup(quick).batch}, CrossEntropyLoss, SGD"),
    unit="ms/step",
    size_name="batch",
    sizes=lambda quick: [_setup(quick).batch],
    engines=[
        *mlp_steps.engines(lambda batch, quick: _setup(quick)),
        # informational (full runs only): the products alone, numpy's BLAS and PyTorch's
        *(Engine(row, lambda batch, quick, name=name: mlp_steps.products(name, _setup(quick)),
                 informational=True, checked=False, traced_memory=False)
          for name, row in mlp_steps.PRODUCTS.items()),
    ],
    plan=lambda batch, quick: QUICK_PLAN if quick else PLAN,
    goals=[
        Goal("time ours/numpy", 1.10, lambda r: r.ratio("numpy"), issue="17"),
        Goal("time ours/torch", 1.0, lambda r: r.ratio("torch"), issue="17"),
        Goal("ours: minor page faults per step", 1.0, lambda r: r.faults_per_call(OURS),
             issue="17"),
        Goal("peak memory of one step ours/numpy", 1.2,
             lambda r: r.peak_ratio(OURS, "numpy"), issue="17"),
    ],
    finish=mlp_steps.products_note,
)
