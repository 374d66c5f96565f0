"""BL, the W3s step's matrix products one at a time: numpy's BLAS against PyTorch's.

W3s's two informational rows time the step's eight matrix products together. This
workload times each product alone, in the same layouts (``mlp_steps.product_list``),
numpy in one worker and PyTorch in another, rounds alternating. The ratio is numpy /
PyTorch per product, so a reader sees which products decide the BLAS part of W3s's
ratio against PyTorch, and how each BLAS uses a second thread (run with ``--threads 1``
and without). For information only: no engine built on numpy can change these numbers.
"""

from __future__ import annotations

from typing import Any

from benchmarks import mlp_steps
from benchmarks.spec import QUICK_PLAN, Engine, Plan, Size, Step, Workload
from benchmarks.w3s_sequential import FULL, QUICK

#: Products take 5-700 us: 300 timed calls per engine and product in 15 rounds, each
#: turn after 50 untimed calls (the other worker's BLAS threads go to sleep meanwhile).
PLAN = Plan(warmup=20, rounds=15, calls=20, settle=50)


def _setup(quick: bool) -> mlp_steps.Setup:
    return QUICK if quick else FULL


def _labels(quick: bool) -> list[Size]:
    # only the labels: they do not depend on the engine, and building needs no PyTorch
    return [label for label, _ in mlp_steps.product_list("numpy", _setup(quick))]


def _one(name: str) -> Any:
    def build(label: Size, quick: bool) -> Step:
        calls = dict(mlp_steps.product_list(name, _setup(quick)))
        call = calls[label]

        def step() -> tuple[float, Any]:
            out = call()
            return float(out[0, 0]), out  # the same inputs: both engines agree

        return step

    return build


WORKLOAD = Workload(
    key="BL",
    title=lambda quick: (f"the W3s step's matrix products one by one "
                         f"({_setup(quick).shape}, float32), numpy's BLAS "
                         "(ours' layouts) against PyTorch's"),
    unit="us/product",
    size_name="product",
    sizes=_labels,
    engines=[
        Engine("numpy", _one("numpy")),
        Engine("torch", _one("torch")),
    ],
    plan=lambda label, quick: QUICK_PLAN if quick else PLAN,
    scale=lambda label: 1e6,  # seconds -> microseconds
    memory=False,
)
