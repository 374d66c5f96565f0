"""The command line: ``python -m benchmarks [--quick] [--only W1,PG] [--repeats N] [--json P]``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import (
    machine,
    playground,
    report,
    w1_scalar_mlp,
    w2_deep_chain,
    w3_tensor_mlp,
    w4_small_ops,
    w5_digits_cnn,
    w6_lstm,
)
from benchmarks.timing import Settings, WorkloadResult

WORKLOADS: dict[str, Callable[[Settings], WorkloadResult]] = {
    "W1": w1_scalar_mlp.run,
    "W2": w2_deep_chain.run,
    "W3": w3_tensor_mlp.run,
    "W4": w4_small_ops.run,
    "W5": w5_digits_cnn.run,
    "W6": w6_lstm.run,
    "PG": playground.run,
}
DEFAULT_REPEATS, QUICK_REPEATS = 15, 3
DEFAULT_WARMUP, QUICK_WARMUP = 2, 1
DEFAULT_JSON = Path(__file__).resolve().parent / "results.json"


def workload_list(text: str) -> list[str]:
    """Parse ``--only``: comma-separated workload keys, case-insensitive."""
    keys = [part.strip().upper() for part in text.split(",") if part.strip()]
    unknown = [key for key in keys if key not in WORKLOADS]
    if unknown or not keys:
        raise argparse.ArgumentTypeError(
            f"unknown workload(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(WORKLOADS)}"
        )
    return keys


def positive_int(text: str) -> int:
    """Parse ``--repeats``: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"--repeats needs a whole number >= 1, got {text!r}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time tinygrad_dk against micrograd, PyTorch, HIPS autograd, MyGrad and "
        "plain numpy on the same workloads, alternating ours and each peer.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and few repeats (a smoke test, a few seconds)")
    parser.add_argument("--only", type=workload_list, default=list(WORKLOADS),
                        metavar="W1,W3", help="run only these workloads")
    parser.add_argument("--repeats", type=positive_int, default=None, metavar="N",
                        help=f"timed calls per engine and peer (default {DEFAULT_REPEATS}, "
                        f"{QUICK_REPEATS} with --quick; fewer for W2's largest chains)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, metavar="PATH",
                        help="where to write the JSON results (default benchmarks/results.json)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen workloads, print the table and the targets, write the JSON."""
    args = parse_args(argv)
    settings = Settings(
        quick=args.quick,
        repeats=args.repeats or (QUICK_REPEATS if args.quick else DEFAULT_REPEATS),
        warmup=QUICK_WARMUP if args.quick else DEFAULT_WARMUP,
    )
    info = machine.describe()
    print("tinygrad_dk side-by-side benchmarks")
    for line in machine.summary_lines(info):
        print(" ", line)
    warning = machine.busy_warning(info["load_average_at_start"], info["cores"])
    if warning:
        print(" ", warning)
    print(f"  settings: {'quick' if settings.quick else 'full'} sizes, "
          f"{settings.repeats} repeats, {settings.warmup} warm-up calls; medians; "
          "ratio = ours / engine (below 1: ours is faster)")
    print()

    results: dict[str, WorkloadResult] = {}
    for key in args.only:
        started = time.perf_counter()
        print(f"running {key} ...", flush=True)
        result = WORKLOADS[key](settings)
        result.notes.extend(report.check_notes(result))
        results[key] = result
        for line in report.workload_lines(result):
            print(line)
        print(f"  ({time.perf_counter() - started:.1f} s)")
        print(flush=True)

    info["load_average_at_end"] = machine.load_average()
    warning = machine.busy_warning(info["load_average_at_end"], info["cores"])
    if warning:
        print(warning.replace("load average", "load average at the end", 1))
        print()
    found = report.targets(results)
    for line in report.target_lines(found):
        print(line)
    settings_json = {"quick": settings.quick, "repeats": settings.repeats,
                     "warmup": settings.warmup, "workloads": args.only, "argv": sys.argv[1:]}
    report.write_json(args.json, report.json_payload(info, settings_json, results, found))
    print(f"\nJSON written to {args.json}")
    return 0
