"""One tab's driver: its session, its worker thread and its training loop.

The server makes one ``TabDriver`` per browser tab (per websocket) and hands it every
text message the tab sends. Why it is shaped this way:

* **The page never waits for training.** All work on the session (training, pictures,
  graphs, and turning the replies into JSON) runs in the driver's own worker thread,
  one job at a time, so the server's event loop stays free to talk to every tab and
  the session needs no locks.
* **One training task per tab.** ``play`` starts a loop that trains one epoch, sends
  a frame and repeats until ``pause``; ``close`` (the tab went) stops it and ends the
  worker thread.
* **The page is never flooded.** The page answers every frame with ``ack`` once it has
  drawn it; the loop keeps at most ``MAX_IN_FLIGHT`` frames unanswered, and runs at
  most ``MAX_UPDATES_PER_SECOND`` (so a slow page or a hidden tab slows training down
  instead of piling up messages). The neuron graph is redrawn at most every
  ``GRAPH_INTERVAL`` seconds while playing.
* **Nothing the page sends crashes anything.** A bad message gets an ``error`` reply;
  so does a diverging training run (which also pauses), and an unexpected failure is
  logged and reported in the page.

``send`` is any coroutine function that delivers one text message to the tab, so the
driver knows nothing about the web library.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from viz.playground import messages
from viz.playground.session import Session, TrainingDiverged
from viz.playground.state import Settings

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 2
MAX_UPDATES_PER_SECOND = 30
GRAPH_INTERVAL = 0.4


def encode(message: dict[str, Any]) -> str:
    """JSON for the page; a NaN or infinity is a bug, so it raises instead of passing."""
    return json.dumps(message, allow_nan=False, separators=(",", ":"))


class TabDriver:
    """Session, worker thread and training loop of one tab (see the module docstring)."""

    def __init__(self, send: Callable[[str], Awaitable[None]]) -> None:
        self._send = send
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playground-tab")
        self.session: Session | None = None
        self.playing = False
        self._in_flight = 0
        self._acked = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._last_graph = 0.0
        self._closed = False

    async def _run(self, job: Callable[[], list[dict[str, Any]]]) -> list[tuple[str, str]]:
        """Run ``job`` in the worker thread; return its replies as (type, JSON text)."""
        def work() -> list[tuple[str, str]]:
            return [(message["type"], encode(message)) for message in job()]
        return await asyncio.get_running_loop().run_in_executor(self._worker, work)

    async def _deliver(self, replies: list[tuple[str, str]]) -> None:
        for kind, text in replies:
            if kind == "frame":  # the page acknowledges each frame it draws
                self._in_flight += 1
            await self._send(text)

    async def _report(self, text: str) -> None:
        await self._send(encode(messages.error_message(text)))

    async def start(self, settings: Settings, errors: list[str]) -> None:
        """Build the session from the address's settings and send the first picture."""
        def build(chosen: Settings, problems: list[str]) -> Callable[[], list[dict[str, Any]]]:
            def job() -> list[dict[str, Any]]:
                self.session = Session(chosen)
                s = self.session
                return [s.state_message(problems), s.network_message(), s.frame(), self._status()]
            return job
        try:
            await self._deliver(await self._run(build(settings, errors)))
        except ConnectionError:
            raise
        except Exception as err:  # a bug: start from the defaults rather than leave a blank page
            log.exception("playground: building the session failed")
            problem = f"internal error while building the session ({type(err).__name__}: {err})"
            await self._deliver(await self._run(build(Settings(), [*errors, problem])))

    def _status(self) -> dict[str, Any]:
        return {"type": "status", "playing": self.playing}

    async def handle(self, text: str | bytes) -> None:
        """Carry out one message from the page; problems become ``error`` replies."""
        try:
            command = messages.parse(text)
            if command.kind == "ack":
                self._in_flight = max(0, self._in_flight - 1)
                self._acked.set()
            elif command.kind == "play":
                self._start_loop()
                await self._send(encode(self._status()))
            elif command.kind == "pause":
                self.playing = False
                await self._send(encode(self._status()))
            else:
                await self._deliver(await self._run(lambda: messages.apply(self.session, command)))
        except (ValueError, TrainingDiverged) as err:  # MessageError is a ValueError
            await self._report(str(err))
        except ConnectionError:
            raise  # the tab went; the server ends this driver
        except Exception as err:  # a bug: keep the tab alive and say so
            log.exception("playground: a message failed")
            await self._report(f"internal error while handling the message: "
                               f"{type(err).__name__}: {err}")

    def _start_loop(self) -> None:
        self.playing = True
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.create_task(self._play())

    async def _play(self) -> None:
        """Train, send a frame, repeat, until paused or closed."""
        try:
            while self.playing and not self._closed:
                while self._in_flight >= MAX_IN_FLIGHT and self.playing:
                    self._acked.clear()
                    await self._acked.wait()
                if not self.playing:
                    break
                started = time.perf_counter()
                await self._deliver(await self._run(self._advance))
                pause = 1.0 / MAX_UPDATES_PER_SECOND - (time.perf_counter() - started)
                await asyncio.sleep(max(0.0, pause))
        except TrainingDiverged as err:
            self.playing = False
            await self._report(str(err))
            await self._send(encode(self._status()))
        except ConnectionError:
            self.playing = False  # the tab went while we were sending to it
        except Exception as err:
            self.playing = False
            log.exception("playground: training failed")
            await self._report(f"internal error while training: {type(err).__name__}: {err}")
            await self._send(encode(self._status()))

    def _advance(self) -> list[dict[str, Any]]:
        """One epoch and its frame, plus the graph when it is due (worker thread)."""
        session = self.session
        session.train_epoch()
        replies = [session.frame()]
        now = time.perf_counter()
        if session.selected is not None and now - self._last_graph >= GRAPH_INTERVAL:
            self._last_graph = now
            replies.append(session.graph_message())
        return replies

    async def close(self) -> None:
        """The tab went: stop the loop and end the worker thread."""
        self._closed = True
        self.playing = False
        self._acked.set()
        if self._loop_task is not None:
            self._loop_task.cancel()
            try:
                await self._loop_task
            except (asyncio.CancelledError, Exception):
                pass
        self._worker.shutdown(wait=False, cancel_futures=True)
