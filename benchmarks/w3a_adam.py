"""W3a, the Sequential step with Adam and with AdamW instead of SGD.

The W3s model and batch (784-256-128-10, batch 256; quick: 64-32-16-10, batch 32),
``optim.Adam(lr=1e-3)`` and ``optim.AdamW(lr=1e-3, weight_decay=0.01)`` against
PyTorch's, and against Adam written in numpy as its users would (in-place moments,
temporaries for the update). The size column names the optimizer.
"""

from __future__ import annotations

from benchmarks import mlp_steps
from benchmarks.mlp_steps import Setup
from benchmarks.spec import QUICK_PLAN, Goal, Size, Workload
from benchmarks.w3s_sequential import FULL, PLAN, QUICK

OPTIMIZERS = ("Adam", "AdamW")


def _setup(optimizer: Size, quick: bool) -> Setup:
    base = QUICK if quick else FULL
    return Setup(base.sizes, base.batch, str(optimizer))


WORKLOAD = Workload(
    key="W3a",
    title=lambda quick: (f"Sequential step with Adam / AdamW: {_setup('Adam', quick).shape}, "
                         f"float32, batch {_setup('Adam', quick).batch}, CrossEntropyLoss"),
    unit="ms/step",
    size_name="optimizer",
    sizes=lambda quick: OPTIMIZERS,
    engines=mlp_steps.engines(_setup),
    plan=lambda name, quick: QUICK_PLAN if quick else PLAN,
    goals=[
        Goal("time ours/torch, Adam", 1.0, lambda r: r.ratio("torch", "Adam"), issue="17"),
        Goal("time ours/torch, AdamW", 1.0, lambda r: r.ratio("torch", "AdamW"), issue="17"),
    ],
)
