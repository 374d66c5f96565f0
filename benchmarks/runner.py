"""The command line: ``python -m benchmarks [--quick] [--only W1,PG] [--repeats N] ...``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import machine, peers, registry, report
from benchmarks.processes import Pool
from benchmarks.results import WorkloadResult
from benchmarks.schedule import run_workload
from benchmarks.spec import Settings, Workload

WORKLOADS = registry.WORKLOADS
DEFAULT_JSON = Path(__file__).resolve().parent / "results.json"


def workload_list(text: str) -> list[str]:
    """Parse ``--only``: comma-separated workload keys, case-insensitive."""
    by_upper = {key.upper(): key for key in WORKLOADS}
    asked = [part.strip().upper() for part in text.split(",") if part.strip()]
    unknown = [key for key in asked if key not in by_upper]
    if unknown or not asked:
        raise argparse.ArgumentTypeError(
            f"unknown workload(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(WORKLOADS)}"
        )
    return [by_upper[key] for key in asked]


def positive_int(text: str) -> int:
    """Parse a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"needs a whole number >= 1, got {text!r}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time tinygrad_dk against micrograd, PyTorch, HIPS autograd, MyGrad and "
        "plain numpy on the same workloads, each engine in its own process, in rounds.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, one round (a smoke test); one worker per engine "
                        "serves the whole run")
    parser.add_argument("--only", type=workload_list, default=list(WORKLOADS),
                        metavar="W1,W3s", help="run only these workloads")
    parser.add_argument("--repeats", type=positive_int, default=None, metavar="N",
                        help="timed calls per engine and size, spread over the rounds "
                        "(default: each workload's plan)")
    parser.add_argument("--rounds", type=positive_int, default=None, metavar="R",
                        help="rounds per size (default: each workload's plan, mostly 5)")
    parser.add_argument("--threads", type=positive_int, default=None, metavar="T",
                        help="threads for every engine's BLAS, OpenMP and PyTorch (sets "
                        "OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS in the "
                        "workers; default: the libraries' own, PyTorch 2)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, metavar="PATH",
                        help="where to write the JSON results (default benchmarks/results.json)")
    return parser.parse_args(argv)


def thread_variables(count: int) -> dict[str, str]:
    """The environment that gives every worker's libraries ``count`` threads."""
    names = (*machine.THREAD_VARIABLES, peers.THREADS_VARIABLE)
    return {name: str(count) for name in names}


def worker_threads(results: dict[str, WorkloadResult]) -> dict[str, dict[str, Any]]:
    """What each engine's workers reported about their threads (first report wins)."""
    seen: dict[str, dict[str, Any]] = {}
    for result in results.values():
        for m in result.measurements:
            threads = {k: v for k, v in m.info.items()
                       if k in ("blas_threads", "torch_threads", "torch_parallel")}
            if threads and m.engine not in seen:
                seen[m.engine] = threads
    return seen


def main(argv: list[str] | None = None) -> int:
    """Run the chosen workloads, print the table and the targets, write the JSON."""
    args = parse_args(argv)
    settings = Settings(quick=args.quick, repeats=args.repeats, rounds=args.rounds)
    threads = None if args.threads is None else thread_variables(args.threads)
    info = machine.describe(threads)
    print("tinygrad_dk side-by-side benchmarks")
    for line in machine.summary_lines(info):
        print(" ", line)
    warning = machine.busy_warning(info["load_average_at_start"], info["cores"])
    if warning:
        print(" ", warning)
    print(f"  settings: {'quick' if settings.quick else 'full'} sizes; each engine in its own "
          "process; medians; ratios per round, median over the rounds")
    print()

    done: list[tuple[Workload, WorkloadResult]] = []
    pool = Pool(shared=settings.quick, env=threads)
    try:
        for key in args.only:
            workload = registry.load(key)
            started, load_before = time.perf_counter(), machine.load_average()
            print(f"running {key} ...", flush=True)
            result = run_workload(workload, settings, pool)
            pool.release(key)
            result.extra["load_average"] = [load_before, machine.load_average()]
            result.notes.extend(report.check_notes(result, workload))
            done.append((workload, result))
            for line in report.workload_lines(result, workload):
                print(line)
            loads = " -> ".join("?" if x is None else f"{x:.2f}"
                                for x in result.extra["load_average"])
            print(f"  ({time.perf_counter() - started:.1f} s; load average {loads})")
            print(flush=True)
    finally:
        pool.close()

    results = {workload.key: result for workload, result in done}
    info["load_average_at_end"] = machine.load_average()
    info["worker_threads"] = worker_threads(results)
    for line in machine.threads_lines(info["worker_threads"]):
        print(line)
    warning = machine.busy_warning(info["load_average_at_end"], info["cores"])
    if warning:
        print(warning.replace("load average", "load average at the end", 1))
    print()
    found = report.targets(done)
    for line in report.target_lines(found):
        print(line)
    settings_json = {"quick": settings.quick, "repeats": settings.repeats,
                     "rounds": settings.rounds, "threads": args.threads,
                     "workloads": args.only, "argv": sys.argv[1:]}
    report.write_json(args.json, report.json_payload(info, settings_json, results, found))
    print(f"\nJSON written to {args.json}")
    return 0
