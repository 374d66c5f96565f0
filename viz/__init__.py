"""viz: computation-graph drawing and training plots.

Graphs (need only the pip-installed ``graphviz`` and ``graphviz-pure``)::

    import viz
    viz.draw_graph(loss)                 # a Digraph: shows inline in Jupyter
    viz.render(loss, "graph.svg")        # or .png; .pdf needs the system Graphviz
    viz.find_renderer()                  # which program draws the pictures

Plots (need matplotlib: ``pip install "tinygrad-dk[plot]"``)::

    viz.plot_history(history)            # train vs validation, best epoch marked
    viz.plot_decision_boundary(model, X, y)
    viz.plot_activations()
    viz.plot_confusion_matrix(cm, labels)
    viz.plot_loss_curves({"full batch": a, "SGD": b})

The live playground (needs aiohttp: ``pip install "tinygrad-dk[playground]"``)::

    viz.playground()                     # in Jupyter; or python -m viz.playground
"""

from viz.graph import draw_graph, escape_record, render
from viz.plots import (
    plot_activations,
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_history,
    plot_loss_curves,
)
from viz.renderer import Digraph, find_renderer

__all__ = [
    "draw_graph", "render", "find_renderer", "Digraph", "escape_record",
    "plot_history", "plot_decision_boundary", "plot_activations",
    "plot_confusion_matrix", "plot_loss_curves",
]


def __getattr__(name: str) -> object:
    # viz.playground is loaded on first use: it is an application on top of nn and
    # importing viz must stay light (the web library is imported only by its server).
    if name == "playground":
        import importlib

        return importlib.import_module("viz.playground")
    raise AttributeError(f"module 'viz' has no attribute {name!r}")
