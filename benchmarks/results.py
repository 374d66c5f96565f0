"""What the parent keeps of a run: one ``Measurement`` per engine and size, grouped
into a ``WorkloadResult`` per workload; plain data, written to the JSON as it is."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from benchmarks.spec import Size


@dataclass
class Measurement:
    """One engine at one size, in the workload's unit."""

    engine: str
    size: Size
    unit: str
    #: Every timed call, in the unit.
    samples: list[float] = field(default_factory=list)
    #: Per round: the reference's median in its turn / this engine's median in its
    #: turn right after (empty for the reference itself, and without comparison).
    round_ratios: list[float] = field(default_factory=list)
    #: Check values of the first two calls: from the shared starting weights, and after
    #: one update (so a wrong gradient shows as a disagreement between engines).
    checks: list[float] = field(default_factory=list)
    status: str = "ok"  # "ok", "skipped" (not installed) or "failed" (raised)
    note: str = ""
    #: Minor page faults (fresh memory pages from the OS) in the timed turns.
    faults: int | None = 0
    #: Peak bytes allocated during one call (tracemalloc), None when not measured.
    peak_bytes: int | None = None
    #: What the engine's worker reported about itself (threads, limits).
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def check(self) -> float | None:
        """The first call's check value, or None when the engine did not run."""
        return self.checks[0] if self.checks else None

    @property
    def median(self) -> float | None:
        """Median of the samples, or None when the engine did not run."""
        return statistics.median(self.samples) if self.samples else None

    @property
    def ratio(self) -> float | None:
        """reference / this engine: the median over the rounds, or None."""
        return statistics.median(self.round_ratios) if self.round_ratios else None

    @property
    def faults_per_call(self) -> float | None:
        """Minor page faults per timed call (None where the OS does not count them)."""
        if self.faults is None or not self.samples:
            return None
        return self.faults / len(self.samples)  # one sample per timed call

    def fail(self, status: str, note: str) -> None:
        """Mark the engine as skipped or failed; its partial numbers are dropped."""
        self.status, self.note = status, note
        self.samples.clear()
        self.round_ratios.clear()

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the JSON report."""
        return {
            "engine": self.engine, "size": self.size, "unit": self.unit,
            "status": self.status, "note": self.note,
            "median": self.median, "ratio": self.ratio, "round_ratios": self.round_ratios,
            "samples": self.samples, "checks": self.checks,
            "faults_per_call": self.faults_per_call, "peak_bytes": self.peak_bytes,
            "info": self.info,
        }


@dataclass
class WorkloadResult:
    """Everything one workload measured, ready for the table and the JSON."""

    key: str
    title: str
    size_name: str = "size"
    measurements: list[Measurement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def find(self, engine: str, size: Size | None = None) -> Measurement | None:
        """The measurement of ``engine`` (at ``size``, if given), or None."""
        for m in self.measurements:
            if m.engine == engine and (size is None or m.size == size):
                return m
        return None

    def ratio(self, engine: str, size: Size | None = None) -> float | None:
        """reference / ``engine`` (median over the rounds), or None when not measured."""
        m = self.find(engine, size)
        return m.ratio if m is not None else None

    def peak_ratio(self, engine: str, other: str, size: Size | None = None) -> float | None:
        """Peak memory of one call, ``engine`` / ``other``, or None when not measured."""
        a, b = self.find(engine, size), self.find(other, size)
        if a is None or b is None or not a.peak_bytes or not b.peak_bytes:
            return None
        return a.peak_bytes / b.peak_bytes

    def faults_per_call(self, engine: str, size: Size | None = None) -> float | None:
        """Minor page faults per timed call of ``engine``, or None when not measured."""
        m = self.find(engine, size)
        return m.faults_per_call if m is not None and m.status == "ok" else None

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the JSON report."""
        return {
            "title": self.title,
            "size_name": self.size_name,
            "results": [m.to_json() for m in self.measurements],
            "notes": self.notes,
            "extra": self.extra,
        }
