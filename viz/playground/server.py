"""The playground's web server: aiohttp serves the page and one websocket per tab.

Why aiohttp: one well-kept library gives both the HTTP server and the websocket, so
no HTTP is written by hand here. The server

* listens on 127.0.0.1 only, and answers only requests addressed to this machine
  (``Host`` 127.0.0.1 or localhost), and websockets opened by its own page (a check
  of the ``Origin`` header: another web site open in the browser cannot drive it);
* serves ``static/`` (the page, its scripts and styles: everything works offline);
* gives each websocket (each tab) a ``TabDriver`` with its own session, built from
  the settings in the page's address, and ends it when the socket closes.

``run`` serves in the foreground until Ctrl-C (``python -m viz.playground``);
``BackgroundServer`` serves from a background thread (for Jupyter and tests).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from viz.playground.driver import TabDriver
from viz.playground.messages import MAX_MESSAGE_CHARS
from viz.playground.state import parse_query

HOST = "127.0.0.1"
STATIC = Path(__file__).resolve().with_name("static")
LOCAL_NAMES = {"127.0.0.1", "localhost"}
SOCKETS = web.AppKey("sockets", set)
log = logging.getLogger(__name__)


@web.middleware
async def _local_only(request: web.Request, handler: Callable) -> web.StreamResponse:
    """Refuse requests addressed to another name (protects against DNS rebinding)."""
    if (urlsplit(f"//{request.host}").hostname or "") not in LOCAL_NAMES:
        raise web.HTTPForbidden(text="the playground only answers on 127.0.0.1 / localhost")
    return await handler(request)


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def _socket(request: web.Request) -> web.WebSocketResponse:
    """One tab: its session lives as long as this websocket."""
    origin = request.headers.get("Origin")
    if origin and urlsplit(origin).netloc != request.host:
        raise web.HTTPForbidden(text=f"websocket from another site ({origin}) refused")
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=4 * MAX_MESSAGE_CHARS)
    await ws.prepare(request)
    driver = TabDriver(ws.send_str)
    sockets = request.app[SOCKETS]
    sockets.add(ws)
    try:
        settings, errors = parse_query(request.query)
        await driver.start(settings, errors)
        async for message in ws:
            if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                await driver.handle(message.data)
    except ConnectionError:
        pass  # the tab went while we were sending to it
    finally:
        sockets.discard(ws)
        await driver.close()
    return ws


async def _close_sockets(app: web.Application) -> None:
    for ws in list(app[SOCKETS]):
        await ws.close(message=b"server shutting down")


def create_app() -> web.Application:
    """The aiohttp application: the page, its static files and the websocket."""
    app = web.Application(middlewares=[_local_only])
    app[SOCKETS] = set()
    app.router.add_get("/", _index)
    app.router.add_get("/ws", _socket)
    app.router.add_static("/static/", STATIC)
    app.on_shutdown.append(_close_sockets)
    return app


def bind(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (``port`` 0: any free port)."""
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be from 0 to 65535 (0 picks a free one), got {port}")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, port))
    except OSError as err:
        sock.close()
        raise OSError(f"cannot listen on {HOST}:{port} ({err.strerror}); choose another port "
                      "with --port, or leave it out to get a free one") from None
    sock.listen(128)
    return sock


def address(sock: socket.socket, query: str = "") -> str:
    """The page's address for a bound socket, with an optional settings query."""
    port = sock.getsockname()[1]
    return f"http://{HOST}:{port}/" + (f"?{query.lstrip('?')}" if query else "")


async def _serve(app: web.Application, sock: socket.socket, started: Callable[[], None],
                 stop: asyncio.Event) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        started()
        await stop.wait()
    finally:
        await runner.cleanup()  # closes every tab's websocket, which ends its session


def run(port: int = 0, open_browser: bool = True, query: str = "") -> None:
    """Serve in this thread until Ctrl-C; print the address and open the browser."""
    sock = bind(port)
    url = address(sock, query)

    def started() -> None:
        print(f"tinygrad_dk playground: {url}  (Ctrl-C stops it)", flush=True)
        if open_browser:
            webbrowser.open(url)

    try:
        asyncio.run(_serve(create_app(), sock, started, asyncio.Event()))
    except KeyboardInterrupt:
        print("playground stopped", flush=True)


class BackgroundServer:
    """The server in a daemon thread with its own event loop; ``stop()`` ends it."""

    def __init__(self, port: int = 0) -> None:
        self._sock = bind(port)
        self.app = create_app()
        self.url = address(self._sock)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="playground-server",
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("the playground server did not start within 30 s")
        if self._error is not None:
            raise RuntimeError(f"the playground server failed to start: {self._error}")

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await _serve(self.app, self._sock, self._ready.set, self._stop)

        try:
            asyncio.run(main())
        except BaseException as err:  # handed to the thread that waits for the start
            self._error = err
            log.exception("playground server stopped with an error")
        finally:
            self._ready.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Close every tab's session and stop serving."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
