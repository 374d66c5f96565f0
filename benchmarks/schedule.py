"""The rounds: who runs when, and how the ratios come out of them.

For each size of a workload every engine's worker builds its step and makes the plan's
warm-up calls. Then come the rounds. In a round the reference engine (ours) takes a
turn right before each other engine takes one: ours, peer 1, ours, peer 2, ... So
both sides of every ratio run within a second or so of each other, and slow drift of
the machine (turbo, a neighbour's job) hits both. The round's ratio for a peer is the
median of ours in its turn divided by the peer's median in the turn right after; the
reported ratio is the median of those over the rounds. Only one worker runs at a
time; the others wait on their pipes, with their thread pools asleep.

Workloads without a reference (``compare=False``: two engines of ours, like PG)
simply take turns.
"""

from __future__ import annotations

import statistics

from benchmarks.processes import Pool, WorkerDied
from benchmarks.results import Measurement, WorkloadResult
from benchmarks.spec import Engine, Settings, Size, Workload


class _Contender:
    """An engine at one size: its worker and the measurement being filled in."""

    def __init__(self, engine: Engine, measurement: Measurement, scale: float) -> None:
        self.engine, self.measurement, self.scale = engine, measurement, scale

    @property
    def live(self) -> bool:
        return self.measurement.status == "ok"


def run_workload(workload: Workload, settings: Settings, pool: Pool) -> WorkloadResult:
    """Every size of ``workload``, each engine in its own worker process."""
    result = WorkloadResult(workload.key, workload.title(settings.quick), workload.size_name)
    for size in workload.sizes(settings.quick):
        result.measurements.extend(run_size(workload, size, settings, pool))
    if workload.finish is not None:
        workload.finish(result)
    return result


def run_size(workload: Workload, size: Size, settings: Settings, pool: Pool
             ) -> list[Measurement]:
    """One size: build, warm up, the rounds, then the peak memory of one call."""
    plan = workload.plan(size, settings.quick).adjusted(settings)
    scale = workload.scale(size)
    engines = [e for e in workload.engines if not (e.informational and settings.quick)]
    contenders = [_Contender(e, Measurement(e.name, size, workload.unit), scale)
                  for e in engines]

    def ask(c: _Contender, **command: object) -> dict:
        try:
            return pool.worker(workload.key, c.engine.name).ask(**command)
        except WorkerDied as error:
            pool.discard(workload.key, c.engine.name)
            return {"error": str(error), "died": True}

    for c in contenders:
        reply = ask(c, op="build", workload=workload.key, engine=c.engine.name, size=size,
                    quick=settings.quick)
        if "error" in reply:
            c.measurement.fail("failed", f"setup: {reply['error']}")
        elif reply["status"] != "ok":
            c.measurement.fail(reply["status"], reply["note"])
        else:
            c.measurement.info = reply["info"]

    def turn(c: _Contender, calls: int, settle: int, record: bool) -> float | None:
        """One turn; returns its median (in the unit), or None if the engine failed."""
        if not c.live:
            return None
        reply = ask(c, op="turn", calls=calls, settle=settle)
        m = c.measurement
        m.checks = reply.get("checks", m.checks)
        if "error" in reply:
            m.fail("failed", reply["error"])
            return None
        if not record:
            return None
        samples = [s * c.scale for s in reply["seconds"]]
        m.samples.extend(samples)
        m.faults = None if m.faults is None or reply["faults"] is None \
            else m.faults + reply["faults"]
        return statistics.median(samples)

    for c in contenders:
        turn(c, plan.warmup, 0, record=False)
    reference, others = contenders[0], contenders[1:]
    for _ in range(plan.rounds):
        if workload.compare and reference.live and any(c.live for c in others):
            for other in others:
                if not other.live:
                    continue
                ours = turn(reference, plan.calls, plan.settle, record=True)
                theirs = turn(other, plan.calls, plan.settle, record=True)
                if ours is not None and theirs:
                    other.measurement.round_ratios.append(ours / theirs)
        else:
            for c in contenders:
                turn(c, plan.calls, plan.settle, record=True)

    if workload.memory:
        for c in contenders:
            if c.live and c.engine.traced_memory and not c.engine.informational:
                reply = ask(c, op="memory")
                c.measurement.peak_bytes = reply.get("peak")
    return [c.measurement for c in contenders]
