"""An engine's own process: ``python -m benchmarks.worker``, driven by the parent.

Why a process per engine: PyTorch's OpenMP threads and numpy's OpenBLAS threads keep
spinning for a while after a call returns. In one process (or two engines' calls
interleaved) each engine's timed call shares the cores with the other's spinning
threads; page faults and peak memory of one engine would also mix with another's.
Here each engine has the process, its allocator and its thread pools to itself, and
the parent wakes one worker at a time.

The protocol is one JSON object per line: the parent writes a command to stdin, the
worker answers with one line on stdout (anything the engines print goes to stderr).

* ``{"op": "build", "workload": "W3s", "engine": "torch", "size": 256, "quick": false}``
  builds the step: ``{"status": "ok", "info": {...}}`` or a status "skipped"/"failed"
  with a note;
* ``{"op": "turn", "calls": 30, "settle": 3, "record": true}`` makes ``settle``
  untimed calls, then ``calls`` calls: ``{"seconds": [...], "checks": [...],
  "faults": n}``, or ``{"error": "..."}``;
* ``{"op": "memory"}``: the peak bytes one call allocates, ``{"peak": n}``;
* ``{"op": "exit"}``.
"""

from __future__ import annotations

import gc
import json
import sys
from typing import Any, TextIO

from benchmarks import machine, registry
from benchmarks.spec import Runner, Step, Unavailable
from benchmarks.timing import describe_error, minor_faults, peak_memory, time_once


class Session:
    """The worker's state: the step it currently times and its first check values."""

    def __init__(self) -> None:
        self.step: Step | None = None
        self.runner: Runner | None = None
        self.checks: list[float] = []

    def build(self, workload_key: str, engine_name: str, size: Any, quick: bool) -> dict:
        self.step, self.runner, self.checks = None, None, []
        gc.unfreeze()
        gc.collect()
        engine = registry.load(workload_key).engine(engine_name)
        try:
            step = engine.build(size, quick)
            about = engine.about(size, quick) if engine.about else {}
        except Unavailable as error:
            return {"status": "skipped", "note": str(error)}
        except Exception as error:
            return {"status": "failed", "note": f"setup: {describe_error(error)}"}
        self.step = step
        self.runner = engine.runner(size) if engine.runner else None
        gc.collect()
        gc.freeze()  # the engine's modules and the model: never scanned while timing
        return {"status": "ok", "info": {**machine.worker_threads(), **about}}

    def call(self) -> float:
        seconds, check = (self.runner or time_once)(self.step)
        if len(self.checks) < 2:
            self.checks.append(check)
        return seconds

    def turn(self, calls: int, settle: int) -> dict:
        if self.step is None:
            return {"error": "no step built"}
        try:
            for _ in range(settle):
                self.call()
            before = minor_faults()
            seconds = [self.call() for _ in range(calls)]
            after = minor_faults()
        except Exception as error:
            return {"error": describe_error(error), "checks": self.checks}
        faults = None if before is None or after is None else after - before
        return {"seconds": seconds, "checks": self.checks, "faults": faults}

    def memory(self) -> dict:
        if self.step is None:
            return {"error": "no step built"}
        try:
            return {"peak": peak_memory(self.step, self.runner)}
        except Exception as error:
            return {"error": describe_error(error)}


def serve(commands: TextIO, replies: TextIO) -> None:
    """Answer commands until "exit" (or the end of the input)."""
    session = Session()
    for line in commands:
        command = json.loads(line)
        op = command.get("op")
        if op == "exit":
            break
        if op == "build":
            reply = session.build(command["workload"], command["engine"], command["size"],
                                  command["quick"])
        elif op == "turn":
            reply = session.turn(command["calls"], command["settle"])
        elif op == "memory":
            reply = session.memory()
        else:
            reply = {"error": f"unknown command {op!r}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def main() -> None:
    """Serve the parent on the real stdout; everything else printed goes to stderr."""
    replies = sys.stdout
    sys.stdout = sys.stderr
    serve(sys.stdin, replies)


if __name__ == "__main__":
    main()
