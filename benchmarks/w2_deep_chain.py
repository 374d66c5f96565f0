"""W2, scalar deep chain: N steps of ``x = tanh(x * 0.999 + 0.001)``, then backward.

A graph 3N nodes deep. micrograd's recursive topological sort raises RecursionError
past about 330 steps at Python's default recursion limit; its worker finds that limit,
and micrograd is then timed with the limit raised, in a thread with a big stack.
Ours must work at N = 1,000,000 in the main thread at the default limit.
"""

from __future__ import annotations

import sys
from typing import Any

from benchmarks import peers
from benchmarks.results import Measurement, WorkloadResult
from benchmarks.spec import OURS, QUICK_PLAN, Engine, Goal, Plan, Runner, Size, Step, Workload
from benchmarks.timing import big_stack_runner, without_gc

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


def build_ours(n: int, quick: bool) -> Step:
    """Our ``Value``, in the worker's main thread at the default recursion limit."""
    return make_step(peers.ours_value(), n)


def build_micrograd(n: int, quick: bool) -> Step:
    """micrograd's ``Value`` (given a tanh in its own style when it has none)."""
    return make_step(peers.micrograd_value(), n)


_limit_facts: dict[str, Any] = {}


def micrograd_limits(n: int, quick: bool) -> dict[str, Any]:
    """Where micrograd fails at the default recursion limit (found once per worker)."""
    if not _limit_facts:
        _limit_facts["default_recursion_limit"] = sys.getrecursionlimit()
        _limit_facts["adds_tanh"] = peers.micrograd_adds_tanh()
        _limit_facts["max_n_at_default_limit"] = largest_n_at_default_limit(
            peers.micrograd_value())
    return dict(_limit_facts)


def raised_limit(n: Size) -> Runner:
    return big_stack_runner(recursion_limit=4 * int(n) + 10_000)


def plan(n: Size, quick: bool) -> Plan:
    """Fewer calls, and no warm-up, for the sizes where one call takes seconds."""
    if int(n) >= 1_000_000:
        return Plan(warmup=0, rounds=3, calls=1)
    if int(n) >= 100_000:
        return Plan(warmup=1, rounds=5, calls=1)
    return QUICK_PLAN if quick else Plan(warmup=2, rounds=5, calls=3)


def finish(result: WorkloadResult) -> None:
    """The rows and notes about micrograd at the default recursion limit."""
    facts = next((m.info for m in result.measurements
                  if m.engine == "micrograd" and "max_n_at_default_limit" in m.info), None)
    for m in result.measurements:
        if m.engine in ("micrograd", GC_OFF_ENGINE) and m.status == "failed":
            m.note = f"still fails with the raised limit: {m.note}"
    if facts is None:
        return
    if facts["adds_tanh"]:
        result.notes.append("micrograd 0.1.0 has no tanh: the runner adds one written in "
                            "micrograd's own style (one node, closure backward)")
    limit, max_n = facts["default_recursion_limit"], facts["max_n_at_default_limit"]
    result.extra["micrograd_default_recursion_limit"] = limit
    result.extra["micrograd_max_n_at_default_limit"] = max_n
    result.notes.append(
        f"micrograd at the default recursion limit ({limit}) works up to N={max_n} and "
        "raises RecursionError beyond; its timings use a raised limit in a thread with a "
        "512 MiB stack")
    for n in dict.fromkeys(m.size for m in result.measurements):
        if int(n) > max_n:
            result.measurements.append(Measurement(
                DEFAULT_LIMIT_ENGINE, n, UNIT, status="failed",
                note=f"RecursionError at the default limit {limit}"))


def _largest(result: WorkloadResult) -> int:
    return max(int(m.size) for m in result.measurements)


def ours_works(result: WorkloadResult) -> float | None:
    """Ours at the largest N: its us/node when it ran, else None."""
    ours = result.find(OURS, _largest(result))
    return ours.median if ours is not None and ours.status == "ok" else None


def per_node_ratio(result: WorkloadResult) -> float | None:
    """us/node ours/micrograd (raised limit) at the largest N where both ran."""
    both = [int(m.size) for m in result.measurements
            if m.engine == "micrograd" and m.ratio is not None]
    return result.find("micrograd", max(both)).ratio if both else None


WORKLOAD = Workload(
    key="W2",
    title=lambda quick: "scalar deep chain: N x (x*0.999 + 0.001).tanh(), then backward",
    unit=UNIT,
    size_name="N",
    sizes=lambda quick: QUICK_SIZES if quick else SIZES,
    engines=[
        Engine(OURS, build_ours),
        Engine("micrograd", build_micrograd, runner=raised_limit, about=micrograd_limits),
        Engine(GC_OFF_ENGINE, build_micrograd,
               runner=lambda n: without_gc(raised_limit(n)), informational=True),
    ],
    plan=plan,
    scale=lambda n: 1e6 / int(n),
    memory=False,
    goals=[
        Goal("ours works at the largest N (measured: us/node)", 0.0, ours_works,
             at_least=True, issue="8", limit_text="works"),
        Goal("us/node ours/micrograd (raised limit), largest N both ran", 1.0,
             per_node_ratio, issue="8"),
    ],
    finish=finish,
)
