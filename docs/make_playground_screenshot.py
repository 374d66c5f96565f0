"""Regenerate docs/playground.png: the live playground in headless Chromium, mid-training.

Needs the playground extra, Playwright for Python and the system's Chromium (Playwright
is pointed at it and downloads nothing)::

    pip install -e ".[playground]" playwright     # and: apt-get install chromium

Run from the repository root:  python docs/make_playground_screenshot.py
"""

from pathlib import Path

from playwright.sync_api import sync_playwright

from viz.playground.server import BackgroundServer

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SETUP = ("data=spiral&noise=10&features=x1,x2,sin1,sin2&hidden=8,8,4&activation=tanh"
         "&lr=0.01&optimizer=adam&batch=10&seed=1")
OUT = Path(__file__).with_name("playground.png")

server = BackgroundServer()
try:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1500})
        page.goto(f"{server.url}?{SETUP}")
        page.wait_for_selector("body[data-epoch='0']")
        page.click("#play")
        page.wait_for_function("Number(document.body.dataset.epoch) >= 120", timeout=60_000)
        page.click("#play")
        page.wait_for_selector("#play:not(.playing)")
        page.click(".neuron[data-layer='0'][data-neuron='2']")
        page.wait_for_selector("#graph svg")
        page.hover(".edge-hit >> nth=0")
        page.screenshot(path=str(OUT))
        browser.close()
finally:
    server.stop()
print(f"wrote {OUT}")
