"""What a workload file declares: its engines, sizes, plan of rounds and goals.

A workload is one module with one ``WORKLOAD = Workload(...)`` and one line in
``benchmarks/registry.py``. Everything in it is plain data and functions:

* ``Engine.build(size, quick)`` makes one engine's step (model, weights and inputs
  already copied in) and runs *inside that engine's own worker process*, so it may
  import the engine freely; it raises :class:`Unavailable` when the engine is missing.
* ``Plan`` says how many untimed and timed calls each engine makes, in how many rounds.
* ``Goal`` turns the finished result into one number and a limit (a target).

The parent process (``benchmarks.schedule``) never imports an engine: it only
sends these names to the workers and collects what they measured.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for type hints: results imports nothing from here at run time
    from benchmarks.results import WorkloadResult

#: The name of our engine's row in every workload that compares us with peers.
OURS = "tinygrad_dk"

#: What one step returns: a number to cross-check engines against each other (a loss,
#: a gradient) and anything that must outlive the clock (usually the graph's root).
Outcome = tuple[float, Any]
#: One unit of work to time: a forward, a backward and (for training) an update.
Step = Callable[[], Outcome]
#: Runs a step once and returns (seconds, check value).
Runner = Callable[[Step], tuple[float, float]]
#: A workload size: a number (points, batch, chain length) or a label ("32x256", "Adam").
Size = int | str


class Unavailable(Exception):
    """Raised by a builder when its engine (or a feature of ours) is not installed."""


@dataclass(frozen=True)
class Settings:
    """What the command line chose."""

    quick: bool = False
    #: Timed calls per engine and size (spread over the rounds); None: the plan's own.
    repeats: int | None = None
    #: Rounds per size; None: the plan's own.
    rounds: int | None = None


@dataclass(frozen=True)
class Plan:
    """How one size is timed.

    Each engine first makes ``warmup`` untimed calls. Then come ``rounds`` rounds; in
    each, every engine takes a *turn*: ``settle`` untimed calls (so its own thread
    pools are awake and the previous engine's are asleep), then ``calls`` timed ones.
    """

    warmup: int = 2
    rounds: int = 5
    calls: int = 3
    settle: int = 0

    def adjusted(self, settings: Settings) -> Plan:
        """The plan after ``--rounds`` and ``--repeats`` (timed calls per engine)."""
        rounds = settings.rounds or self.rounds
        calls = self.calls
        if settings.repeats is not None:
            rounds = min(rounds, settings.repeats)
            calls = math.ceil(settings.repeats / rounds)
        return dataclasses.replace(self, rounds=rounds, calls=calls)


#: The plan of most workloads in ``--quick`` runs: one untimed call, then one round of
#: three timed calls (enough to show that every engine runs and agrees, not to rank them).
QUICK_PLAN = Plan(warmup=1, rounds=1, calls=3)


@dataclass(frozen=True)
class Engine:
    """One contender: a name, how to build its step, and how to time one call."""

    name: str
    build: Callable[[Size, bool], Step]
    #: How to time one call at a size (default: in the worker's main thread).
    runner: Callable[[Size], Runner] | None = None
    #: Facts the engine reports about itself after building (runs in its worker).
    about: Callable[[Size, bool], dict[str, Any]] | None = None
    #: An extra row for information (e.g. micrograd with the collector off): full runs
    #: only, no memory measurement, never part of a goal.
    informational: bool = False
    #: False where tracemalloc cannot see the engine's arrays (PyTorch allocates in C++).
    traced_memory: bool = True
    #: False when its check value is, by design, not the reference's quantity.
    checked: bool = True


@dataclass(frozen=True)
class Goal:
    """A target: ``measure(result)`` compared with ``limit`` (at most, or at least)."""

    name: str
    limit: float
    measure: Callable[[WorkloadResult], float | None]
    at_least: bool = False
    #: Which issue asked for it, shown in the targets table.
    issue: str = ""
    #: How the goal is shown when not as "<= limit" (e.g. "works").
    limit_text: str = ""


def _default_scale(size: Size) -> float:
    return 1e3  # seconds -> milliseconds


@dataclass(frozen=True)
class Workload:
    """A workload: what it times, on which engines, at which sizes, and its goals.

    ``engines[0]`` is the reference (ours, usually): with ``compare=True`` every
    round runs it right before each other engine, and that engine's ratio for the
    round is reference / engine; the reported ratio is the median over the rounds.
    """

    key: str
    title: Callable[[bool], str]
    unit: str
    sizes: Callable[[bool], Sequence[Size]]
    engines: Sequence[Engine]
    plan: Callable[[Size, bool], Plan]
    #: Seconds -> the unit, per size (e.g. microseconds per node for a chain of n).
    scale: Callable[[Size], float] = _default_scale
    size_name: str = "size"
    compare: bool = True
    #: Measure the peak memory of one call (tracemalloc) after the timing.
    memory: bool = True
    goals: Sequence[Goal] = field(default_factory=tuple)
    #: Runs in the parent when every size is done: notes and extras for the report.
    finish: Callable[[WorkloadResult], None] | None = None

    def engine(self, name: str) -> Engine:
        """The engine called ``name``."""
        for engine in self.engines:
            if engine.name == name:
                return engine
        raise KeyError(f"{self.key} has no engine {name!r}")
