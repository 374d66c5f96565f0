"""``python -m viz.playground``: serve the live playground on 127.0.0.1 and open it."""

from __future__ import annotations

import argparse
import sys
from urllib.parse import parse_qsl

from viz.playground import _web, parse_query


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m viz.playground",
        description="Train a small neural network in your browser and watch every neuron, "
        "weight and gradient change. Serves on 127.0.0.1 only; Ctrl-C stops it.",
        epilog='example: python -m viz.playground "data=spiral&hidden=8,8,8&activation=relu"',
    )
    parser.add_argument("settings", nargs="?", default="",
                        help="start from these settings, written as in the page's address "
                        "(data=xor&hidden=8,8&lr=0.1); the page shows every setting's name")
    parser.add_argument("--port", type=int, default=0,
                        help="the port to listen on (default: any free port)")
    parser.add_argument("--no-browser", action="store_true",
                        help="print the address but do not open a browser")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen, errors = parse_query(dict(parse_qsl(args.settings.lstrip("?"), keep_blank_values=True)))
    for error in errors:
        print(f"warning: {error}", file=sys.stderr)
    try:
        server = _web()
        server.run(args.port, open_browser=not args.no_browser, query=chosen.to_query())
    except (ImportError, OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
