"""One neuron's computation graph for one data point, drawn with ``viz.draw_graph``.

Whichever engine trains, the graph is built with the scalar ``Value`` engine from the
current weights: that is the engine that shows every number. The point's features
are the inputs, the network runs forward, the point's own data loss (no penalty, no
dropout) runs backward, and the picture shows the graph that computed the chosen
neuron, every node with its value and its gradient d(loss of this point)/d(node).
For the output neuron the picture goes one step further, to the loss itself.

Names in the picture, with layers counted from 1 (the inputs are layer 0):
``w2[3,1]`` is the weight from unit 1 of layer 1 into neuron 3 of layer 2, ``b2[3]``
that neuron's bias, ``z2[3]`` its weighted sum and ``a2[3]`` its activation.
Big graphs (neurons deep in a wide network) are condensed by ``draw_graph`` to the
nodes nearest the neuron, with one box saying what was left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tinygrad_dk import Value
from viz.playground.datasets import FEATURE_LABELS
from viz.playground.engines import VALUE_ACTIVATIONS, Weights, data_loss

#: Nodes drawn at most; more are summarised in one box (see ``viz.draw_graph``).
MAX_NODES = 60


@dataclass
class NeuronGraph:
    """The drawing and the numbers a caption needs."""

    svg: str
    value: float  # the neuron's output for this point (the loss, for the output neuron)
    grad: float   # d(loss of this point) / d(that output)
    loss: float   # the point's data loss
    note: str     # empty, or why the gradients are not shown


def neuron_graph(weights: Weights, activation: str, task: str, feature_names: Sequence[str],
                 features: Sequence[float], target: float, layer: int, neuron: int,
                 max_nodes: int = MAX_NODES) -> NeuronGraph:
    """Draw neuron ``neuron`` of layer ``layer`` (0-based over the hidden layers, then the
    output) for the point with these ``features`` and ``target``."""
    import viz  # the package's public drawing function (imported late: viz imports us lazily)

    x = [Value(float(v), label=FEATURE_LABELS[name]) for v, name in zip(features, feature_names)]
    act = VALUE_ACTIVATIONS[activation]
    last = len(weights) - 1
    outputs: list[list[Value]] = []
    for k, (W, b) in enumerate(weights):
        tag = k + 1
        layer_out = []
        for j in range(W.shape[0]):
            w = [Value(float(W[j, i]), label=f"w{tag}[{j + 1},{i + 1}]") for i in range(len(x))]
            z = Value.weighted_sum(w, x, Value(float(b[j]), label=f"b{tag}[{j + 1}]"))
            z.label = f"z{tag}[{j + 1}]"
            a = z if k == last else act(z)
            if a is not z:
                a.label = f"a{tag}[{j + 1}]"
            layer_out.append(a)
        outputs.append(layer_out)
        x = layer_out
    score = outputs[-1][0]
    score.label = "score" if task == "classification" else "prediction"
    loss = data_loss(task)([score], [float(target)])
    loss.label = "loss"
    loss.backward()

    root = loss if layer == last else outputs[layer][neuron]
    note = ""
    if root.grad == 0.0:
        # draw_graph reads a zero gradient at the root as "backward not called yet", so
        # this case (every weight out of the neuron is 0, or every neuron it feeds is an
        # inactive ReLU for this point) is drawn without gradients and explained in words.
        note = ("this neuron's gradient for this point is exactly 0 (every neuron it feeds "
                "ignores it here, e.g. ReLUs that are off or weights of 0): nothing flows back "
                "through it, so only values are shown")
    drawing = viz.draw_graph(root, max_nodes=max_nodes, show_grad=not note)
    svg = drawing.pipe(format="svg").decode("utf-8")
    return NeuronGraph(svg=_strip_prolog(svg), value=root.data, grad=root.grad,
                       loss=loss.data, note=note)


def _strip_prolog(svg: str) -> str:
    """The <svg> element alone, ready to put inside the page (no XML prolog or doctype)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg

