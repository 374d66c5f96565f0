"""Turning measurements into the printed table, the targets and the JSON file."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.timing import OURS, Measurement, WorkloadResult

#: Two engines "agree" when their first-step check values are this close.
CHECK_RTOL, CHECK_ATOL = 1e-3, 1e-6


@dataclass
class Target:
    """One goal from issue 8 (or 18, PG), e.g. W1 time ours/micrograd <= 0.25."""

    workload: str
    name: str
    limit: str
    value: float | None
    passed: bool | None  # None: not measured (an engine is missing or failed)
    note: str = ""

    @property
    def verdict(self) -> str:
        """PASS, MISS, or n/a when it could not be measured."""
        return "n/a" if self.passed is None else ("PASS" if self.passed else "MISS")


def ratio(ours: Measurement | None, peer: Measurement | None) -> float | None:
    """median(ours) / median(peer), or None when either did not run."""
    if ours is None or peer is None or ours.median is None or peer.median is None:
        return None
    return ours.median / peer.median


def _at_most(workload: str, name: str, value: float | None, limit: float, why: str) -> Target:
    passed = None if value is None else value <= limit
    return Target(workload, name, f"<= {limit:g}", value, passed, why if value is None else "")


def _below(workload: str, name: str, value: float | None, why: str) -> Target:
    passed = None if value is None else value < 1.0
    return Target(workload, name, "< 1", value, passed, why if value is None else "")


def targets(results: dict[str, WorkloadResult]) -> list[Target]:
    """Evaluate every target whose workload ran."""
    found: list[Target] = []
    missing = "ours or the peer did not run"
    if "W1" in results:
        w1 = results["W1"]
        found.append(_at_most("W1", "time ours/micrograd",
                              ratio(w1.find(OURS), w1.find("micrograd")), 0.25, missing))
        found.append(_at_most("W1", "peak memory ours/micrograd",
                              w1.extra.get("peak_memory_ratio"), 0.35, missing))
    if "W2" in results:
        found.extend(_w2_targets(results["W2"]))
    if "W3" in results:
        w3 = results["W3"]
        ours = w3.find(OURS)
        found.append(_at_most("W3", "time ours/numpy", ratio(ours, w3.find("numpy")), 1.10,
                              missing))
        for peer in ("mygrad", "autograd"):
            found.append(_below("W3", f"time ours/{peer}", ratio(ours, w3.find(peer)), missing))
    if "W4" in results:
        w4 = results["W4"]
        found.append(_at_most("W4", "time ours/torch",
                              ratio(w4.find(OURS), w4.find("torch")), 1.0, missing))
    for key, limit in (("W5", 1.5), ("W6", 2.0)):  # issue 15: images and sequences
        if key in results:
            found.append(_at_most(key, "time ours/torch", ratio(results[key].find(OURS),
                                                                results[key].find("torch")),
                                  limit, missing))
    if "PG" in results:  # issue 18: the live playground
        rate = results["PG"].extra.get("updates_per_second", {}).get("Tensor engine 2x8")
        found.append(Target("PG", "Tensor engine 2-8-8-1 updates/s", ">= 10", rate,
                            None if rate is None else rate >= 10.0,
                            "" if rate is not None else "the Tensor engine did not run"))
    return found


def _w2_targets(w2: WorkloadResult) -> list[Target]:
    """Ours works at the largest N; and is no slower per node than micrograd there."""
    largest = max(m.size for m in w2.measurements)
    ours = w2.find(OURS, largest)
    works = ours is not None and ours.status == "ok"
    work_note = "" if works else (ours.note if ours else "ours did not run")
    found = [
        Target("W2", f"ours works at N={largest:,} (measured: us/node)", "works",
               ours.median if works and ours else None,
               works if ours and ours.status != "skipped" else None, work_note)
    ]
    # Compare at the largest N where both ran with the same unit (us per node).
    both = [
        m.size for m in w2.measurements
        if m.engine == "micrograd" and m.median is not None
        and (o := w2.find(OURS, m.size)) is not None and o.median is not None
    ]
    if both:
        n = max(both)
        value = ratio(w2.find(OURS, n), w2.find("micrograd", n))
        found.append(_at_most("W2", f"us/node ours/micrograd (raised limit) at N={n:,}",
                              value, 1.0, ""))
    else:
        found.append(Target("W2", "us/node ours/micrograd (raised limit)", "<= 1", None, None,
                            "ours or micrograd did not run"))
    return found


def check_notes(result: WorkloadResult) -> list[str]:
    """Notes for engines whose check values disagree with the reference engine's.

    The first check comes from the shared starting weights, the second from the weights
    after one update. The reference is ours when it ran, else the first engine that
    ran; checks are compared per size.
    """
    notes = []
    for size in dict.fromkeys(m.size for m in result.measurements):
        checks = {m.engine: m.checks for m in result.measurements
                  if m.size == size and m.status == "ok" and m.checks}
        if not checks:
            continue
        reference = OURS if OURS in checks else next(iter(checks))
        for engine, values in checks.items():
            for call, (value, expected) in enumerate(zip(values, checks[reference]), start=1):
                if not math.isclose(value, expected, rel_tol=CHECK_RTOL, abs_tol=CHECK_ATOL):
                    notes.append(f"check of call {call} disagrees at size {size}: "
                                 f"{engine} {value:.7g} vs {reference} {expected:.7g}")
    return notes


def _number(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _bytes(count: int) -> str:
    return f"{count / 2**20:.2f} MiB"


def workload_lines(result: WorkloadResult) -> list[str]:
    """One workload's block of the table: a row per engine and size, then notes."""
    lines = [f"{result.key}  {result.title}"]
    lines.append(f"  {'engine':<27}{'size':>10}  {'median':>10}  {'unit':<8}  {'ours/engine':>11}"
                 f"  {'check':>13}  status")
    for m in result.measurements:
        ours = result.find(OURS, m.size)
        shown_ratio = ratio(ours, m) if m.engine != OURS else None
        status = m.status if not m.note else f"{m.status}: {m.note}"
        lines.append(
            f"  {m.engine:<27}{m.size:>10,}  {_number(m.median):>10}  {m.unit:<8}"
            f"  {_ratio(shown_ratio):>11}  {_number(m.check, 7):>13}  {status}"
        )
    peaks = result.extra.get("peak_memory_bytes")
    if peaks:
        text = ", ".join(f"{engine} {_bytes(count)}" for engine, count in peaks.items())
        memory_ratio = result.extra.get("peak_memory_ratio")
        suffix = f"; ours/micrograd {memory_ratio:.3f}" if memory_ratio is not None else ""
        lines.append(f"  peak memory of one step (tracemalloc): {text}{suffix}")
    lines.extend(f"  note: {note}" for note in result.notes)
    return lines


def target_lines(found: list[Target]) -> list[str]:
    """The targets table with its PASS/MISS column."""
    lines = ["Targets (issues 8, 15 and 18)", f"  {'workload':<9}{'target':<50}{'measured':>10}  "
             f"{'goal':<8}result"]
    for t in found:
        note = f"  ({t.note})" if t.note else ""
        lines.append(f"  {t.workload:<9}{t.name:<50}{_ratio(t.value):>10}  {t.limit:<8}"
                     f"{t.verdict}{note}")
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
