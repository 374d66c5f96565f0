"""The playground's server: page, websocket sessions, safety checks, command line, Jupyter.

Runs the real aiohttp application on 127.0.0.1 (a free port) and talks to it as the page
does, acknowledging every frame. Skipped when aiohttp (the playground extra) is missing.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aiohttp", reason='the playground server needs aiohttp: '
                    'pip install -e ".[playground]"')

from aiohttp import WSServerHandshakeError  # noqa: E402
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

import viz  # noqa: E402
from viz.playground import __main__ as cli  # noqa: E402
from viz.playground.server import SOCKETS, STATIC, create_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
TIMEOUT = 20.0


def serve(test):
    """Run ``test(client, app)`` against the app on a free 127.0.0.1 port."""
    async def main() -> Any:
        app = create_app()
        async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
            return await test(client, app)
    return asyncio.run(main())


async def receive(ws, kind: str) -> dict:
    """Read messages until one of type ``kind``; acknowledge frames as the page does."""
    async def read() -> dict:
        while True:
            message = json.loads(await ws.receive_str())
            if message["type"] == "frame":
                await ws.send_json({"type": "ack"})
            if message["type"] == kind:
                return message
    return await asyncio.wait_for(read(), TIMEOUT)


async def until(condition, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def tab_threads() -> int:
    return sum(t.name.startswith("playground-tab") for t in threading.enumerate())


def test_page_and_assets_are_served_and_work_offline() -> None:
    async def test(client, app):
        page = await client.get("/")
        assert page.status == 200
        html = await page.text()
        assert '<script type="module" src="/static/main.js">' in html
        for path in sorted(STATIC.iterdir()):
            response = await client.get(f"/static/{path.name}")
            assert response.status == 200, path.name
            text = await response.text()
            # Offline: no script, style, font or module from another site.
            assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?https?:""", text), path.name
            assert not re.search(r"""(import|from)\s*["']https?:""", text), path.name
    serve(test)
    # Every asset is package data (pyproject.toml ships static/*.html, *.js, *.css).
    assert {p.suffix for p in STATIC.iterdir()} <= {".html", ".js", ".css"}
    assert '"viz.playground" = ["static/*.html", "static/*.js", "static/*.css"]' in (
        ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_a_tab_session_from_start_to_close() -> None:
    async def test(client, app):
        threads_before = tab_threads()
        ws = await client.ws_connect("/ws?data=xor&hidden=3&lr=banana")
        state = await receive(ws, "state")
        assert "lr" in state["errors"][0] and "data=xor" in state["query"]
        assert (await receive(ws, "network"))["sizes"] == [2, 3, 1]
        assert (await receive(ws, "frame"))["epoch"] == 0
        assert (await receive(ws, "status"))["playing"] is False
        assert len(app[SOCKETS]) == 1 and tab_threads() == threads_before + 1

        await ws.send_json({"type": "play"})
        assert (await receive(ws, "status"))["playing"] is True
        first = await receive(ws, "frame")
        while (frame := await receive(ws, "frame"))["epoch"] < first["epoch"] + 5:
            pass
        assert frame["history_from"] > 0  # only the new points of the curves
        await ws.send_json({"type": "pause"})
        assert (await receive(ws, "status"))["playing"] is False

        await ws.send_str("this is not json")
        assert "not valid JSON" in (await receive(ws, "error"))["message"]
        await ws.send_json({"type": "select_neuron", "layer": 9, "neuron": 0})
        assert "layer 9 does not exist" in (await receive(ws, "error"))["message"]
        await ws.send_json({"type": "select_neuron", "layer": 0, "neuron": 1})
        graph = await receive(ws, "graph")
        assert graph["svg"].startswith("<svg") and "z1[2]" in graph["svg"]
        await ws.send_json({"type": "set", "changes": {"activation": "relu"}})
        assert (await receive(ws, "state"))["settings"]["activation"] == "relu"
        assert (await receive(ws, "frame"))["epoch"] == 0

        await ws.close()  # the tab goes: its session and worker thread end
        await until(lambda: not app[SOCKETS], "the session to end")
        await until(lambda: tab_threads() == threads_before, "the worker thread to end")
    serve(test)


def test_each_tab_has_its_own_session() -> None:
    async def test(client, app):
        a = await client.ws_connect("/ws?data=circle")
        b = await client.ws_connect("/ws?data=spiral&engine=value")
        for ws in (a, b):
            await receive(ws, "status")
        await a.send_json({"type": "step"})
        await a.send_json({"type": "step"})
        assert (await receive(a, "frame"))["epoch"] == 1
        assert (await receive(a, "frame"))["epoch"] == 2
        await b.send_json({"type": "step"})
        frame = await receive(b, "frame")
        assert frame["epoch"] == 1 and frame["engine"] == "value"
        assert len(app[SOCKETS]) == 2
        await a.close()
        await b.close()
    serve(test)


def test_other_hosts_and_other_sites_are_refused() -> None:
    async def test(client, app):
        response = await client.get("/", headers={"Host": "attacker.example"})
        assert response.status == 403
        with pytest.raises(WSServerHandshakeError) as refused:
            await client.ws_connect("/ws", headers={"Origin": "http://attacker.example"})
        assert refused.value.status == 403
        assert not app[SOCKETS]
    serve(test)


def test_command_line_prints_the_address_serves_and_stops_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "viz.playground", "--no-browser", "data=moons&hidden=5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/\S*", line).group(0)
        assert "data=moons" in url and "hidden=5" in url
        with urllib.request.urlopen(url, timeout=TIMEOUT) as page:
            assert page.status == 200 and b"playground" in page.read()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


def test_command_line_help_and_a_busy_port(capsys) -> None:
    done = subprocess.run([sys.executable, "-m", "viz.playground", "--help"], env=ENV,
                          capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT)
    assert done.returncode == 0 and "--no-browser" in done.stdout and "--port" in done.stdout
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["--no-browser", "--port", str(port)]) == 1
    assert "choose another port" in capsys.readouterr().err


def test_jupyter_entry_point_shows_the_page() -> None:
    try:
        shown = viz.playground(data="xor", hidden=[8, 8])
        url = getattr(shown, "src", shown)
        assert "data=xor" in url and "hidden=8,8" in url and url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=TIMEOUT) as page:
            assert page.status == 200
        with pytest.raises(ValueError, match="lr"):
            viz.playground(lr="fast")
    finally:
        viz.playground.stop()


def test_importing_viz_does_not_import_the_web_library() -> None:
    code = ("import sys, viz, viz.playground.session, viz.playground.messages; "
            "assert 'aiohttp' not in sys.modules, 'aiohttp was imported'; "
            "assert callable(viz.playground)")
    done = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=ROOT)
    assert done.returncode == 0, done.stderr
