"""viz.playground: train a network in the browser and watch every neuron, weight and gradient.

Like TensorFlow Playground, but driven by this project's own engines, and with one thing
more: click a neuron and see its computation graph for one data point, every value and
every gradient, as training goes::

    python -m viz.playground                     # serve on 127.0.0.1, open the browser
    python -m viz.playground "data=xor&hidden=8,8" --no-browser --port 8000

    import viz
    viz.playground()                             # in Jupyter: the page inside the notebook
    viz.playground(data="spiral", hidden=[8, 8, 8], activation="relu")

Pick the data (circles, XOR, two gaussians, spiral, two moons, iris, breast cancer, two
regression surfaces), the features, the layers, the activation, the learning rate, the
batch size, the optimizer, L1/L2 regularisation and dropout; play, pause, step, reset.
The page shows the output over the plane with the train and test points, every
neuron's output as a small picture, the weights as coloured edges (hover: the weight
and its gradient) and the loss curves. The Tensor and the scalar Value engine train the
same network from the same weights to the same numbers, at different speeds.
The whole set-up lives in the page's address, so a link shares it; ``hide=...`` in
the address hides controls (teacher mode).

The parts, one idea per module:

* ``state``: the settings and their address (parsing, checking, writing back);
* ``datasets``: the data sets and the input features;
* ``engines``: the same network on the Tensor and on the Value engine;
* ``neuron_graph``: one neuron's computation graph for one point (``viz.draw_graph``);
* ``session``: one tab's data, network, training and pictures (plain Python);
* ``messages``: what the page and the session say to each other, checked;
* ``driver``: one tab's worker thread and training loop;
* ``server``: aiohttp, the page and one websocket per tab; ``static/``: the page.

The web part needs the optional extra: ``pip install "tinygrad-dk[playground]"``
(aiohttp). Importing this package does not import aiohttp; starting a server does.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from viz.playground.state import Settings, parse_query

__all__ = ["show", "stop", "Settings", "parse_query"]

_server: Any = None  # the BackgroundServer that show() started, if any


def _web() -> Any:
    """The server module; a clear ImportError when the optional extra is missing."""
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        raise ImportError(
            "the playground needs aiohttp, which is an optional extra: "
            'pip install "tinygrad-dk[playground]"') from None
    from viz.playground import server
    return server


def settings_query(settings: dict[str, Any]) -> str:
    """The address query for these settings; a ValueError lists any bad ones."""
    chosen, errors = parse_query(settings)
    if errors:
        raise ValueError("playground settings: " + "; ".join(errors))
    return chosen.to_query()


def show(width: str | int = "100%", height: int = 900, port: int = 0, **settings: Any) -> Any:
    """Start the server in a background thread (once) and show the page.

    In Jupyter this returns an ``IPython.display.IFrame`` of the page (the last
    expression of a cell shows it); elsewhere it returns the address. ``settings``
    are the page's settings, e.g. ``data="xor", hidden=[8, 8], activation="relu"``
    (see ``viz.playground.Settings``). ``port`` matters only for the first call.
    """
    global _server
    query = settings_query(settings)
    if _server is None or not _server.running:
        _server = _web().BackgroundServer(port)
    url = f"{_server.url}?{query}"
    try:
        from IPython.display import IFrame
    except ImportError:
        print(f"playground: {url}")
        return url
    return IFrame(url, width=width, height=height)


def stop() -> None:
    """Stop the server that ``show`` started (every tab's session ends)."""
    global _server
    if _server is not None:
        _server.stop()
        _server = None


class _CallableModule(types.ModuleType):
    """Lets ``viz.playground(...)`` call ``show``: ``viz.playground`` is this package,
    since importing a submodule binds its name on the parent package."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return show(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
