"""The parent's side of the worker processes (see ``benchmarks.worker``).

``Worker`` starts ``python -m benchmarks.worker`` with this repository first on the
path, sends it one JSON command per line and reads one JSON reply. ``Pool`` hands
out workers: in a full run every workload gets fresh ones (one per engine), so no
workload inherits another's memory state; with ``--quick`` one worker per engine
serves the whole run, which saves the start-up (importing PyTorch takes seconds).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class WorkerDied(RuntimeError):
    """The worker process ended without answering (a crash, e.g. a stack overflow)."""


class Worker:
    """One engine's process; ``env`` adds environment variables (thread counts)."""

    def __init__(self, label: str, env: dict[str, str] | None = None) -> None:
        self.label = label
        env = {**os.environ, **(env or {})}
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.worker"], cwd=ROOT, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
        )

    def ask(self, **command: Any) -> dict[str, Any]:
        """Send one command and wait for its reply."""
        process = self._process
        try:
            process.stdin.write(json.dumps(command) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            raise WorkerDied(f"the {self.label} worker ended (exit code {process.wait()}): "
                             f"{self.stderr_tail()}")
        return json.loads(line)

    def stderr_tail(self, lines: int = 3) -> str:
        """The last lines the worker wrote to stderr (for a crash report)."""
        self._stderr.seek(0)
        tail = [line.strip() for line in self._stderr.read().splitlines() if line.strip()]
        return " | ".join(tail[-lines:]) or "no output"

    def close(self) -> None:
        """Ask the worker to exit, and make sure it does."""
        if self._process.poll() is None:
            try:
                self._process.stdin.write(json.dumps({"op": "exit"}) + "\n")
                self._process.stdin.close()
                self._process.wait(timeout=30)
            except (BrokenPipeError, OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait()
        self._stderr.close()


class Pool:
    """Workers by engine name (shared through the run) or by workload and engine."""

    def __init__(self, shared: bool, env: dict[str, str] | None = None) -> None:
        self.shared, self.env = shared, env
        self._workers: dict[tuple[str, str], Worker] = {}

    def worker(self, workload: str, engine: str) -> Worker:
        """The worker for ``engine`` in ``workload``, started on first use."""
        key = ("", engine) if self.shared else (workload, engine)
        if key not in self._workers:
            self._workers[key] = Worker(engine, self.env)
        return self._workers[key]

    def discard(self, workload: str, engine: str) -> None:
        """Close one worker (after it crashed), so a fresh one starts next time."""
        key = ("", engine) if self.shared else (workload, engine)
        worker = self._workers.pop(key, None)
        if worker is not None:
            worker.close()

    def release(self, workload: str) -> None:
        """A workload is done: close its workers (unless they serve the whole run)."""
        if self.shared:
            return
        for key in [key for key in self._workers if key[0] == workload]:
            self._workers.pop(key).close()

    def close(self) -> None:
        """Close every worker."""
        for worker in self._workers.values():
            worker.close()
        self._workers.clear()
