"""Turning measurements into the printed table, the targets and the JSON file."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.results import Measurement, WorkloadResult
from benchmarks.spec import Goal, Workload

#: Two engines "agree" when their first-step check values are this close.
CHECK_RTOL, CHECK_ATOL = 1e-3, 1e-6


@dataclass
class Target:
    """One goal of one workload, evaluated: e.g. W3s time ours/numpy <= 1.1, PASS."""

    workload: str
    name: str
    limit: str
    value: float | None
    passed: bool | None  # None: not measured (an engine is missing or failed)
    issue: str = ""
    note: str = ""

    @property
    def verdict(self) -> str:
        """PASS, MISS, or n/a when it could not be measured."""
        return "n/a" if self.passed is None else ("PASS" if self.passed else "MISS")


def evaluate(goal: Goal, workload: Workload, result: WorkloadResult) -> Target:
    """One goal against one result."""
    value = goal.measure(result)
    limit = goal.limit_text or f"{'>=' if goal.at_least else '<='} {goal.limit:g}"
    if value is None:
        return Target(workload.key, goal.name, limit, None, None, goal.issue,
                      "not measured: an engine is missing or failed")
    passed = value >= goal.limit if goal.at_least else value <= goal.limit
    return Target(workload.key, goal.name, limit, value, passed, goal.issue)


def targets(done: list[tuple[Workload, WorkloadResult]]) -> list[Target]:
    """Every goal of every workload that ran."""
    return [evaluate(goal, workload, result) for workload, result in done
            for goal in workload.goals]


def check_notes(result: WorkloadResult, workload: Workload) -> list[str]:
    """Notes for engines whose check values disagree with the reference engine's.

    The first check comes from the shared starting weights, the second from the weights
    after one update. The reference is the workload's first engine when it ran, else
    the first engine that ran; checks are compared per size.
    """
    unchecked = {e.name for e in workload.engines if not e.checked}
    notes = []
    for size in dict.fromkeys(m.size for m in result.measurements):
        checks = {m.engine: m.checks for m in result.measurements
                  if m.size == size and m.status == "ok" and m.checks
                  and m.engine not in unchecked}
        if not checks:
            continue
        first = workload.engines[0].name
        reference = first if first in checks else next(iter(checks))
        for engine, values in checks.items():
            for call, (value, expected) in enumerate(zip(values, checks[reference]), start=1):
                if not math.isclose(value, expected, rel_tol=CHECK_RTOL, abs_tol=CHECK_ATOL):
                    notes.append(f"check of call {call} disagrees at size {size}: "
                                 f"{engine} {value:.7g} vs {reference} {expected:.7g}")
    return notes


def _number(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def _ratio(m: Measurement) -> str:
    if m.ratio is None:
        return "-"
    if len(m.round_ratios) < 2:
        return f"{m.ratio:.3f}"
    return f"{m.ratio:.3f} ({min(m.round_ratios):.2f}-{max(m.round_ratios):.2f})"


def _mib(count: int | None) -> str:
    return "-" if not count else f"{count / 2**20:.2f}"


def workload_lines(result: WorkloadResult, workload: Workload) -> list[str]:
    """One workload's block of the table: a row per engine and size, then notes."""
    reference = workload.engines[0].name
    lines = [f"{result.key}  {result.title}"]
    if workload.compare:
        lines.append(f"  ratio = {reference} / engine, per round, median over the rounds "
                     f"(min-max in brackets); below 1: {reference} is faster")
    lines.append(f"  {'engine':<24}{result.size_name:>14}  {'median':>9}  {'unit':<9}"
                 f"{'ratio':>20}  {'faults/call':>11}  {'peak MiB':>8}  {'check':>12}  status")
    for m in result.measurements:
        status = m.status if not m.note else f"{m.status}: {m.note}"
        faults = m.faults_per_call
        lines.append(
            f"  {m.engine:<24}{str(m.size):>14}  {_number(m.median):>9}  {m.unit:<9}"
            f"{_ratio(m):>20}  {_number(faults, 3) if faults is not None else '-':>11}"
            f"  {_mib(m.peak_bytes):>8}  {_number(m.check, 7):>12}  {status}"
        )
    lines.extend(f"  note: {note}" for note in result.notes)
    return lines


def target_lines(found: list[Target]) -> list[str]:
    """The targets table with its PASS/MISS column."""
    lines = ["Targets", f"  {'workload':<9}{'target':<56}{'measured':>10}  {'goal':<9}"
             f"{'result':<7}issue"]
    for t in found:
        note = f"  ({t.note})" if t.note else ""
        value = "-" if t.value is None else f"{t.value:.3f}"
        lines.append(f"  {t.workload:<9}{t.name:<56}{value:>10}  {t.limit:<9}"
                     f"{t.verdict:<7}{t.issue}{note}")
    return lines


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write the JSON report, creating its folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")


def json_payload(
    machine: dict[str, Any],
    settings: dict[str, Any],
    results: dict[str, WorkloadResult],
    found: list[Target],
) -> dict[str, Any]:
    """The whole report as plain data."""
    return {
        "machine": machine,
        "settings": settings,
        "workloads": {key: result.to_json() for key, result in results.items()},
        "targets": [asdict(t) | {"verdict": t.verdict} for t in found],
    }
