"""What machine the numbers come from: CPU, cores, Python, numpy and its BLAS."""

from __future__ import annotations

import ctypes
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


#: Environment variables that set thread counts of numpy's BLAS and PyTorch.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def blas_info() -> list[dict[str, Any]]:
    """numpy's BLAS as ``numpy.show_config`` recorded it at build time, and its threads.

    The thread count is OpenBLAS's own answer (:func:`blas_threads`), else unknown.
    """
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        found = {"internal_api": blas.get("name"), "version": blas.get("version")}
    except (TypeError, KeyError):  # numpy too old for mode="dicts"
        found = {"internal_api": "unknown", "version": None}
    found["num_threads"] = blas_threads()
    return [found]


def blas_threads() -> int | None:
    """How many threads numpy's OpenBLAS uses, asked from the loaded library itself.

    Linux only (the library is found in /proc/self/maps); elsewhere, or for another
    BLAS, None. Its default is one thread per core unless OPENBLAS_NUM_THREADS or
    OMP_NUM_THREADS says otherwise.
    """
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps
                     if "openblas" in line.lower() and line.split()[-1].startswith("/")}
    except OSError:
        return None
    names = ("openblas_get_num_threads", "openblas_get_num_threads64_",
             "scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads")
    for path in sorted(paths):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for name in names:
            function = getattr(library, name, None)
            if function is not None:
                function.restype = ctypes.c_int
                return int(function())
    return None


def worker_threads() -> dict[str, Any]:
    """What a worker reports: numpy's BLAS threads and, when the engine imported it,
    PyTorch's threads and parallel back-end (``torch.__config__.parallel_info``)."""
    found: dict[str, Any] = {"pid": os.getpid(), "blas_threads": blas_threads()}
    torch = sys.modules.get("torch")
    if torch is not None:
        found["torch_threads"] = torch.get_num_threads()
        for line in torch.__config__.parallel_info().splitlines():
            if line.startswith("ATen parallel backend:"):
                found["torch_parallel"] = line.split(":", 1)[1].strip()
    return found


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


def describe(worker_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything above as one dict, for the table header and the JSON.

    ``worker_env``: the thread variables the runner gives its workers (``--threads``).
    """
    env = {**os.environ, **(worker_env or {})}
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
        "torch_threads": int(env.get(peers.THREADS_VARIABLE, peers.TORCH_THREADS)),
        "thread_variables": {name: env.get(name) for name in THREAD_VARIABLES},
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
        f"numpy:   {info['numpy']}, BLAS: {blas}, in this process (the workers report "
        "theirs at the end)",
        f"engines: {installed}; torch threads: {info['torch_threads']} (set by the runner)",
        f"threads: {_variables_text(info['thread_variables'])} for the workers; each engine "
        "runs in its own process",
        f"load:    {_load_text(info['load_average_at_start'])} (1-minute average at start)",
    ]


def threads_lines(seen: dict[str, dict[str, Any]]) -> list[str]:
    """What the workers reported about their threads, in a line or two."""
    blas = {str(threads.get("blas_threads")) for threads in seen.values()}
    lines = [f"numpy's BLAS threads in the workers: {', '.join(sorted(blas)) or 'unknown'}"]
    for engine, threads in seen.items():
        if "torch_threads" in threads:
            lines.append(f"PyTorch in the {engine} worker: {threads['torch_threads']} threads, "
                         f"parallel back end {threads.get('torch_parallel', 'unknown')}")
            break
    return lines


def _variables_text(variables: dict[str, str | None]) -> str:
    chosen = [f"{name}={value}" for name, value in variables.items() if value]
    return ", ".join(chosen) if chosen else "no thread variables set (library defaults)"


def _load_text(load: float | None) -> str:
    return "unknown" if load is None else f"{load:.2f}"
