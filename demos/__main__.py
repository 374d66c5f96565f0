"""Command line: `python -m demos [NAME] [--quick] [--seed N] [--out DIR] [--list]`.

With no NAME, a tour runs every demo in quick mode and lists every file it wrote.
`python -m demos NAME` runs one demo in full.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# Plots are written to files only: never try to open a window.
os.environ.setdefault("MPLBACKEND", "Agg")

from demos import DEMOS, load  # noqa: E402
from demos._common import print_headline, take_written  # noqa: E402


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m demos",
        description="Runnable lessons for tinygrad_dk. Without NAME: a quick tour of all demos.",
    )
    parser.add_argument("name", nargs="?", help="the demo to run (see --list)")
    parser.add_argument("--list", action="store_true", help="list the demos, one per line")
    parser.add_argument("--quick", action="store_true", help="train less (a few seconds each)")
    parser.add_argument("--seed", type=int, default=0,
                        help="random seed for splits, samples and initial weights (0)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (./out)")
    return parser.parse_args(argv)


def _run_one(name: str, out_dir: Path, quick: bool, seed: int) -> float:
    print(f"\n=== demo: {name} ({DEMOS[name]}) ===")
    start = time.perf_counter()
    numbers = load(name).run(out_dir, quick, seed=seed)
    seconds = time.perf_counter() - start
    print_headline(name, numbers)
    print(f"  ({seconds:.1f} s)")
    return seconds


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.list:
        width = max(len(n) for n in DEMOS)
        for name, summary in DEMOS.items():
            print(f"{name.ljust(width)}  {summary}")
        return 0
    if args.name is not None:
        if args.name not in DEMOS:
            print(f"unknown demo {args.name!r}; run `python -m demos --list`", file=sys.stderr)
            return 2
        _run_one(args.name, args.out, args.quick, args.seed)
        take_written()
        return 0

    print(f"Tour: every demo in quick mode, writing into {args.out.resolve()}")
    start = time.perf_counter()
    for name in DEMOS:
        _run_one(name, args.out, quick=True, seed=args.seed)
    total = time.perf_counter() - start
    files = take_written()
    print(f"\nTour done in {total:.1f} s. Files written ({len(files)}):")
    for path in files:
        print(f"  {path}  ({path.stat().st_size / 1024:.1f} kB)")
    print("Run one demo in full with `python -m demos NAME`, e.g. `python -m demos digits`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
