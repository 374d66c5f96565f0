"""SC, the scaling table: where each engine wins, from tiny batches to big layers.

The W3s step (Sequential, CrossEntropyLoss, SGD lr 0.01) on an MLP
``width-width-width-10`` (two hidden ReLU layers of ``width``), for batch
{1, 32, 256, 2048} x width {16, 256, 1024}; ours against PyTorch and hand-written
numpy. Quick: batch {1, 32} x width {16}.

Read it from the left (small batch, narrow layers), where a step is all fixed costs:
Python bookkeeping, op dispatch, the optimizer loop; to the right, where the matrix
products dominate and every engine waits for the same kind of BLAS kernel.
"""

from __future__ import annotations

from benchmarks import mlp_steps
from benchmarks.mlp_steps import Setup
from benchmarks.results import WorkloadResult
from benchmarks.spec import OURS, QUICK_PLAN, Plan, Size, Workload

BATCHES, WIDTHS = (1, 32, 256, 2048), (16, 256, 1024)
QUICK_BATCHES, QUICK_WIDTHS = (1, 32), (16,)
CLASSES = 10
#: Rough speeds for choosing how many calls a turn makes (about 0.15 s per turn).
FLOPS_PER_SECOND, FIXED_SECONDS, TURN_SECONDS = 2e10, 2e-4, 0.15


def label(batch: int, width: int) -> str:
    """A size's label: "batch x width"."""
    return f"{batch}x{width}"


def _parse(size: Size) -> tuple[int, int]:
    batch, width = str(size).split("x")
    return int(batch), int(width)


def _setup(size: Size) -> Setup:
    batch, width = _parse(size)
    return Setup((width, width, width, CLASSES), batch, "SGD")


def sizes(quick: bool) -> list[str]:
    """Width by width, each from the smallest batch to the largest."""
    batches, widths = (QUICK_BATCHES, QUICK_WIDTHS) if quick else (BATCHES, WIDTHS)
    return [label(b, w) for w in widths for b in batches]


def plan(size: Size, quick: bool) -> Plan:
    """About 0.15 s per turn: many calls for the tiny steps, a few for the big ones."""
    if quick:
        return QUICK_PLAN
    batch, width = _parse(size)
    flops = 6 * batch * (2 * width * width + width * CLASSES)  # forward + backward
    seconds = flops / FLOPS_PER_SECOND + FIXED_SECONDS
    calls = max(1, min(200, round(TURN_SECONDS / seconds)))
    return Plan(warmup=max(2, min(20, calls)), rounds=5, calls=calls,
                settle=max(1, calls // 10))


def finish(result: WorkloadResult) -> None:
    """The table of ratios, width by batch, in the extras (for the README)."""
    table = {}
    for m in result.measurements:
        if m.engine != OURS and m.ratio is not None:
            table.setdefault(m.engine, {})[str(m.size)] = m.ratio
    result.extra["ratios"] = table


WORKLOAD = Workload(
    key="SC",
    title=lambda quick: ("scaling: Sequential step width-width-width-10, SGD, float32; "
                         "size = batch x width"),
    unit="ms/step",
    size_name="batch x width",
    sizes=sizes,
    engines=mlp_steps.engines(lambda size, quick: _setup(size)),
    plan=plan,
    finish=finish,
)
