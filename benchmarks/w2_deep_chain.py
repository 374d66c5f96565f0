"""W2, scalar deep chain: N steps of ``x = tanh(x * 0.999 + 0.001)``, then backward.

A graph 3N nodes deep. micrograd's recursive topological sort raises RecursionError
past about 330 steps at Python's default recursion limit; this module finds that limit
and then measures micrograd with the limit raised, in a thread with a big stack.
Ours must work at N = 1,000,000 in the main thread at the default limit.
"""

from __future__ import annotations

import sys
from functools import partial
from typing import Any

from benchmarks import peers
from benchmarks.timing import (
    OURS,
    Contender,
    Measurement,
    Settings,
    Step,
    Unavailable,
    WorkloadResult,
    alternate,
    big_stack_runner,
    without_gc,
)

SIZES = (1_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)
UNIT = "us/node"
DEFAULT_LIMIT_ENGINE = "micrograd (default limit)"
#: An informational row (full runs only): micrograd (raised limit) with the collector off.
GC_OFF_ENGINE = "micrograd (gc off)"


def make_step(value_class: type, n: int) -> Step:
    """Build the chain from a fresh leaf and backpropagate; check = d(result)/d(leaf)."""

    def step() -> tuple[float, Any]:
        leaf = value_class(0.5)
        x = leaf
        for _ in range(n):
            x = (x * 0.999 + 0.001).tanh()
        x.backward()
        return leaf.grad, x

    return step


def repeats_and_warmup(n: int, settings: Settings) -> tuple[int, int]:
    """Fewer repeats, and no warm-up, for the sizes where one call takes seconds."""
    if n >= 1_000_000:
        return min(settings.repeats, 3), 0
    if n >= 100_000:
        return min(settings.repeats, 5), min(settings.warmup, 1)
    return settings.repeats, settings.warmup


def largest_n_at_default_limit(value_class: type, upper: int = 2_000) -> int:
    """Bisect for the longest chain micrograd backpropagates at the current limit."""

    def works(n: int) -> bool:
        try:
            make_step(value_class, n)()
        except RecursionError:
            return False
        return True

    low, high = 0, upper  # works(low) holds; find the largest n <= high that works
    if works(high):
        return high
    while high - low > 1:
        middle = (low + high) // 2
        if works(middle):
            low = middle
        else:
            high = middle
    return low


def run(settings: Settings) -> WorkloadResult:
    """Time W2 at every size; report where micrograd fails at the default limit."""
    sizes = QUICK_SIZES if settings.quick else SIZES
    result = WorkloadResult(
        "W2", "scalar deep chain: N x (x*0.999 + 0.001).tanh(), then backward", []
    )
    default_limit = sys.getrecursionlimit()
    try:
        micrograd_value: type | None = peers.micrograd_value()
    except Unavailable as error:
        micrograd_value = None
        result.notes.append(str(error))
    if micrograd_value is not None:
        if peers.micrograd_adds_tanh():
            result.notes.append(
                "micrograd 0.1.0 has no tanh: the runner adds one written in micrograd's "
                "own style (one node, closure backward)"
            )
        max_n = largest_n_at_default_limit(micrograd_value)
        result.extra["micrograd_default_recursion_limit"] = default_limit
        result.extra["micrograd_max_n_at_default_limit"] = max_n
        result.notes.append(
            f"micrograd at the default recursion limit ({default_limit}) works up to "
            f"N={max_n} and raises RecursionError beyond; its timings below use a raised "
            "limit in a thread with a 512 MiB stack"
        )

    for n in sizes:
        repeats, warmup = repeats_and_warmup(n, settings)
        print(f"  W2 at N={n:,}: {repeats} repeats ...", flush=True)  # big N take minutes
        ours = Contender(OURS, lambda n=n: make_step(peers.ours_value(), n), 1e6 / n)
        entrants = [ours]
        if micrograd_value is not None:
            build = partial(make_step, micrograd_value, n)
            raised = big_stack_runner(recursion_limit=4 * n + 10_000)
            entrants.append(Contender("micrograd", build, 1e6 / n, runner=raised))
            if not settings.quick:
                entrants.append(
                    Contender(GC_OFF_ENGINE, build, 1e6 / n, runner=without_gc(raised))
                )
        measurements = alternate(entrants, n, UNIT, repeats, warmup)
        for m in measurements:
            if m.engine in ("micrograd", GC_OFF_ENGINE) and m.status == "failed":
                m.note = f"still fails with the raised limit: {m.note}"
        result.measurements.extend(measurements)
        if micrograd_value is not None and n > result.extra["micrograd_max_n_at_default_limit"]:
            result.measurements.append(
                Measurement(
                    DEFAULT_LIMIT_ENGINE,
                    n,
                    UNIT,
                    status="failed",
                    note=f"RecursionError at the default limit {default_limit}",
                )
            )
    return result
