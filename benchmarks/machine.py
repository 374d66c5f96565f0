"""What machine the numbers come from: CPU, cores, Python, numpy and its BLAS."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

import numpy as np

from benchmarks import peers


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or platform's guess elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def usable_cores() -> int:
    """Cores this process may run on (its affinity), falling back to the CPU count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def blas_info() -> list[dict[str, Any]]:
    """numpy's BLAS: threadpoolctl's view (library, version, threads) when installed,
    else what ``numpy.show_config`` recorded at build time."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        keys = ("internal_api", "version", "num_threads", "architecture", "threading_layer")
        return [{k: pool.get(k) for k in keys} for pool in threadpool_info()]
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return [{"internal_api": blas.get("name"), "version": blas.get("version")}]
    except (TypeError, KeyError):  # numpy too old for mode="dicts"
        return []


def load_average() -> float | None:
    """The 1-minute load average (runnable processes), or None where unknown."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def busy_warning(load: float | None, cores: int) -> str | None:
    """A warning when other processes compete for the cores, else None."""
    if load is None or load < cores:
        return None
    return (f"warning: load average {load:.1f} on {cores} cores: other processes compete for "
            "the CPU, so timings are noisy (multi-threaded BLAS and PyTorch suffer most)")


def describe() -> dict[str, Any]:
    """Everything above as one dict, for the table header and the JSON."""
    return {
        "cpu": cpu_model(),
        "cores": usable_cores(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": load_average(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "blas": blas_info(),
        "torch_threads": peers.TORCH_THREADS,
        "versions": peers.versions(),
    }


def summary_lines(info: dict[str, Any]) -> list[str]:
    """The machine, in a few human-readable lines."""
    blas = ", ".join(
        " ".join(str(pool[k]) for k in ("internal_api", "version") if pool.get(k))
        + (f" ({pool['num_threads']} threads)" if pool.get("num_threads") else "")
        for pool in info["blas"]
    ) or "unknown"
    installed = ", ".join(f"{name} {v}" for name, v in info["versions"].items() if v)
    return [
        f"CPU:     {info['cpu']} ({info['cores']} usable cores of {info['cpu_count']})",
        f"Python:  {info['implementation']} {info['python']} on {info['platform']}",
        f"numpy:   {info['numpy']}, BLAS: {blas}",
        f"engines: {installed}; torch threads: {info['torch_threads']}",
        f"load:    {_load_text(info['load_average_at_start'])} (1-minute average at start)",
    ]


def _load_text(load: float | None) -> str:
    return "unknown" if load is None else f"{load:.2f}"
