"""The playground in a real browser: headless Chromium from the system, driven by Playwright.

The test starts the server, loads the page, trains, inspects a neuron, changes the
activation and the engine, and checks that the browser's console stayed free of
errors. It saves screenshots in ``test-output/`` (git-ignored) at the repository root.

Skipped, with the reason, when Playwright for Python, aiohttp or the browser is missing
(``apt-get install chromium``; ``pip install -e ".[playground]" playwright``). Playwright
never downloads a browser of its own here: it is pointed at the system's Chromium
(``PLAYGROUND_CHROMIUM`` overrides the path).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytest.importorskip("aiohttp", reason='the playground server needs aiohttp: '
                    'pip install -e ".[playground]"')
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright for Python is not installed: pip install "
                               "playwright (the system's Chromium is used, no download)")

from viz.playground.datasets import DOMAIN  # noqa: E402
from viz.playground.server import BackgroundServer  # noqa: E402
from viz.playground.session import Session  # noqa: E402
from viz.playground.state import parse_query  # noqa: E402

CHROMIUM = Path(os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium"))
if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}: install it with apt-get install chromium "
                "(or set PLAYGROUND_CHROMIUM)", allow_module_level=True)

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OUTPUT = Path(__file__).resolve().parents[1] / "test-output"
WAIT = 20_000  # ms
SETUP = "data=xor&hidden=4,4&activation=tanh&lr=0.1&batch=10&seed=3&points=200"


@pytest.fixture(scope="module")
def server():
    running = BackgroundServer()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh tab that records every console error and uncaught exception."""
    tab = browser.new_page(viewport={"width": 1300, "height": 1000})
    tab.errors = []
    tab.on("console", lambda m: m.type == "error" and tab.errors.append(m.text))
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    yield tab
    tab.close()


def epoch(page) -> int:
    return int(page.get_attribute("body", "data-epoch"))


def wait_epoch(page, at_least: int) -> None:
    page.wait_for_function(f"Number(document.body.dataset.epoch) >= {at_least}", timeout=WAIT)


def picture(page) -> str:
    return page.evaluate("document.getElementById('output').toDataURL()")


def click_point(page, index: int) -> None:
    """Click data point ``index`` on the output picture (positions from the same seed)."""
    points = Session(parse_query(dict(p.split("=") for p in SETUP.split("&")))[0]).points
    x1, x2 = points[index]
    box = page.locator("#output").bounding_box()
    page.mouse.click(box["x"] + (x1 + DOMAIN) / (2 * DOMAIN) * box["width"],
                     box["y"] + (DOMAIN - x2) / (2 * DOMAIN) * box["height"])


def test_train_watch_and_inspect_a_neuron(server, page) -> None:
    page.goto(f"{server.url}?{SETUP}")
    page.wait_for_selector("body[data-epoch='0']", timeout=WAIT)
    first_loss = float(page.inner_text("#loss-train"))
    first_picture = picture(page)

    # Play, let it learn, pause.
    page.click("#play")
    wait_epoch(page, 40)
    page.click("#play")
    page.wait_for_selector("#play:not(.playing)", timeout=WAIT)
    loss = float(page.inner_text("#loss-train"))
    assert loss < 0.8 * first_loss, (first_loss, loss)
    assert picture(page) != first_picture  # the decision boundary moved

    # Hover an edge: its weight and gradient.
    page.hover(".edge-hit >> nth=0")
    assert re.search(r"w1\[1,1\] \(from x₁\) = -?[\d.e-]+, gradient -?[\d.e-]+",
                     page.inner_text("#tooltip"))

    # Click a neuron: its graph, with values and gradients, for one point.
    page.click(".neuron[data-layer='0'][data-neuron='1']")
    page.wait_for_selector("#graph svg", timeout=WAIT)
    graph = page.inner_text("#graph")
    assert "z1[2]" in graph and "a1[2]" in graph
    assert re.search(r"data -?\d", graph) and re.search(r"grad -?\d", graph)
    assert "Neuron 2 of hidden layer 1" in page.inner_text("#graph-title")

    # Pick another data point by clicking it: the graph follows.
    click_point(page, 7)
    page.wait_for_function("document.getElementById('graph-title').textContent"
                           ".includes('point 7 ')", timeout=WAIT)

    # A new activation rebuilds the network and goes into the address.
    page.select_option("select[name=activation]", "relu")
    page.wait_for_function("location.search.includes('activation=relu')", timeout=WAIT)
    page.wait_for_selector("body[data-epoch='0']", timeout=WAIT)
    page.click("#step")
    page.wait_for_selector("body[data-epoch='1']", timeout=WAIT)

    # The other engine trains on from the same weights.
    page.select_option("select[name=engine]", "value")
    page.wait_for_function("location.search.includes('engine=value')", timeout=WAIT)
    page.click("#step")
    page.wait_for_selector("body[data-epoch='2']", timeout=WAIT)
    assert page.inner_text("#engine-name") == "Value"
    page.wait_for_function("document.getElementById('graph-title').textContent"
                           ".includes('epoch 2')", timeout=WAIT)
    assert re.search(r"grad -?\d", page.inner_text("#graph"))

    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "playground-browser.png"), full_page=True)
    assert page.errors == []


def test_a_bad_address_is_explained_in_the_page(server, page) -> None:
    page.goto(f"{server.url}?lr=banana&hidden=4,9&colour=red")
    page.wait_for_selector("body[data-epoch='0']", timeout=WAIT)
    errors = page.inner_text("#errors")
    assert "lr: 'banana' is not a number" in errors
    assert "hidden: '9' is not a layer size" in errors
    assert "unknown setting 'colour'" in errors
    assert "lr=0.03" in page.url and "hidden=4,2" in page.url  # the defaults, in the address
    page.click("#step")
    page.wait_for_selector("body[data-epoch='1']", timeout=WAIT)
    assert page.errors == []


def test_teacher_mode_hides_controls(server, page) -> None:
    page.goto(f"{server.url}?hide=engine,optimizer")
    page.wait_for_selector("body[data-epoch='0']", timeout=WAIT)
    assert not page.is_visible("select[name=engine]")
    assert not page.is_visible("select[name=optimizer]")
    assert page.is_visible("select[name=lr]")
    page.click("#teacher summary")
    page.check("#hide-list input[value=lr]")
    page.wait_for_function("location.search.includes('hide=lr,optimizer,engine')", timeout=WAIT)
    assert not page.is_visible("select[name=lr]")
    assert "hide=lr,optimizer,engine" in page.input_value("#share-link")
    assert page.errors == []
