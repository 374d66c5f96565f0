"""Draw the computation graph behind a Value or a Tensor, with every value and gradient.

``draw_graph(loss)`` walks the graph with ``tinygrad_dk.topo_sort`` (the same walk
that ``backward`` uses) and returns a ``viz.renderer.Digraph``: in Jupyter it shows up
inline, elsewhere call ``.render(outfile="graph.svg")`` or ``viz.render(loss, path)``.
Both engines are drawn by one code path: a node is read only through what Values and
Tensors share (``tinygrad_dk.Node``: ``op``, ``parents``, ``label``, ``shape``,
``numpy()``, ``grad_numpy()``, ``requires_grad``).

What the picture shows:

* every node is a box with its label, its data and its gradient; a Tensor shows its
  shape and dtype, its values when it has at most 12 elements, otherwise
  mean/std/min/max;
* every operation is a small ellipse between its inputs and its result;
* the border tells the kind of node: thick for parameters and inputs that get a
  gradient, dashed for constants and data, rounded for computed nodes;
* the fill colour follows |grad| on a log scale (see ``viz.style``): vanishing
  gradients are blue, exploding ones red;
* a graph with more than ``max_nodes`` nodes is condensed to the ``max_nodes``
  nodes nearest the output plus one box telling what was left out;
* ``summarize=True`` keeps only the output, the leaves and the labelled tensors and
  draws every connected group of other operations as one box listing them
  (``viz.summary``): an LSTM becomes its unrolled chain of steps, ``h[0]``, ``h[1]``, ...
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from tinygrad_dk import topo_sort
from viz import style
from viz.renderer import Digraph, write_picture
from viz.summary import Group
from viz.summary import summarize as summarize_graph

SMALL_TENSOR = 12  # tensors with at most this many elements show all their values
# Operations whose inputs are not interchangeable: the role of the second input,
# written on its edge (the first input is the one it acts on).
OPERAND_ROLES = {"-": ("", "subtracted"), "/": ("", "divisor"), "**": ("", "exponent")}
NOT_COMPUTED = "gradients not computed yet - call backward()"

_RECORD_SPECIALS = str.maketrans({c: "\\" + c for c in '\\{}|<>"'})


def escape_record(text: str) -> str:
    """Escape the characters that have a meaning inside a Graphviz record label."""
    return str(text).replace("\r", " ").replace("\n", " ").translate(_RECORD_SPECIALS)


def _num(x: float, precision: int) -> str:
    """A number in at most ``precision`` significant digits (1e-08 stays visible; -0 is 0)."""
    return f"{float(x) + 0.0:.{precision}g}"


# --- What each node says ------------------------------------------------------------


def _kind(node: Any) -> str:
    """'parameter', 'constant' or 'computed' (see the module docstring)."""
    if node.op:
        return "computed"
    return "parameter" if node.requires_grad else "constant"


def _grads_computed(root: Any) -> bool:
    """Has ``backward()`` been called on this graph? (The output's grad is 1 then.)"""
    g = root.grad_numpy()
    return g is not None and bool(np.any(g != 0))


def _array_text(name: str, arr: np.ndarray, precision: int) -> str:
    """Escaped record text for an array: all values if small, else summary statistics."""
    arr = np.asarray(arr)
    if arr.ndim == 0:
        return escape_record(f"{name} {_num(arr, precision)}")
    if arr.size <= SMALL_TENSOR:
        body = np.array2string(arr, separator=", ", max_line_width=60,
                               formatter={"float_kind": lambda v: _num(v, precision)})
        lines = f"{name} {body}".splitlines()
        return "\\n".join(escape_record(line) for line in lines)
    a = arr.astype(np.float64)
    with np.errstate(all="ignore"):  # inf and nan are shown, not warned about
        line1 = f"{name} mean {_num(a.mean(), precision)}  std {_num(a.std(), precision)}"
        line2 = f"min {_num(a.min(), precision)}  max {_num(a.max(), precision)}"
    n_inf, n_nan = int(np.isinf(a).sum()), int(np.isnan(a).sum())
    if n_inf or n_nan:
        line2 += f"  ({n_inf} inf, {n_nan} nan)"
    return escape_record(line1) + "\\n" + escape_record(line2)


def _fields(node: Any, show_grad: bool, precision: int,
            name: str = "") -> tuple[list[str], float | None]:
    """The record fields of one node and the |grad| that picks its colour (None: no grad)."""
    label = node.label or name
    fields = [escape_record(label)] if label else []
    scalar = node.ndim == 0 and node.dtype == np.float64  # a Value, or a float64 number
    if not scalar:
        fields.append(escape_record(f"{tuple(node.shape)} {node.dtype}"))
    fields.append(_array_text("data", node.numpy(), precision))
    if not show_grad:
        return fields, None
    g = node.grad_numpy()
    if g is None:
        if node.op:  # a computed node that backward did not reach
            fields.append(escape_record("no grad"))
        return fields, None  # a constant (dashed border): it has no gradient to show
    g = np.asarray(g, dtype=np.float64)
    fields.append(_array_text("grad", g, precision))
    return fields, float(np.abs(g).mean()) if g.size else 0.0


# --- Which nodes to draw ------------------------------------------------------------


def nearest_to_output(order: list[Any], keep: int, parents: Any = None) -> list[Any]:
    """The ``keep`` nodes of a topologically sorted graph with the fewest steps to the output.

    ``order`` comes from ``topo_sort``, so its last node is the output and every
    node comes after its parents. Walking it backwards, a node's distance is final
    before its parents are reached: one linear pass, no recursion. ``parents(node)``
    gives a node's parents (default: ``node.parents``).
    """
    parents = parents or _own_parents
    position = {id(node): i for i, node in enumerate(order)}
    far = len(order) + 1
    distance = [far] * len(order)
    distance[-1] = 0
    for i in range(len(order) - 1, -1, -1):
        step = distance[i] + 1
        for parent in parents(order[i]):
            j = position[id(parent)]
            if step < distance[j]:
                distance[j] = step
    nearest = sorted(range(len(order)), key=lambda i: (distance[i], -i))[:keep]
    return [order[i] for i in sorted(nearest)]


# --- The drawing --------------------------------------------------------------------


def _own_parents(node: Any) -> Any:
    return node.parents


def _depth_and_breadth(order: list[Any], parents: Any = _own_parents) -> tuple[int, int]:
    """How many steps the longest way from an input to the output takes (graph depth),
    and the most nodes that lie the same number of steps from the output (its width).

    Graphviz places a node next to the op that uses it, so counting steps back from the
    output predicts the drawing's shape better than counting from the inputs.
    """
    steps = {id(order[-1]): 0}
    for node in reversed(order):  # every consumer comes before its parents here
        for parent in parents(node):
            steps[id(parent)] = max(steps.get(id(parent), 0), steps[id(node)] + 1)
    counts: dict[int, int] = {}
    for value in steps.values():
        counts[value] = counts.get(value, 0) + 1
    return max(counts) + 1, max(counts.values())


def draw_graph(root: Any, *, rankdir: str = "auto", show_grad: bool = True,
               precision: int = 4, max_nodes: int = 300, summarize: bool = False,
               names: Mapping[str, Any] | None = None) -> Digraph:
    """Draw the graph that computed ``root`` (a Value or a Tensor).

    Args:
        root: the output node, usually the loss.
        rankdir: 'LR' (left to right) or 'TB' (top to bottom), as in Graphviz; 'auto'
            (default) picks top to bottom for a graph deeper than it is wide, so that a
            small graph such as one neuron reads at the width of a page.
        show_grad: show gradients and colour nodes by |grad|.
        precision: significant digits of the numbers shown.
        max_nodes: past this many nodes, draw only the ``max_nodes`` nodes nearest
            the output and one box saying how much was left out.
        summarize: draw only the output, the leaves and the labelled tensors, and one
            box for each connected group of the other operations (see ``viz.summary``).
        names: names for nodes without a label of their own, e.g.
            ``dict(model.named_parameters())`` to see "0.weight" on the parameters.

    Returns:
        A ``graphviz.Digraph`` subclass; display it in Jupyter, or call
        ``.render(outfile="graph.svg")`` / ``.pipe(format="svg")``.
    """
    if not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    if rankdir not in ("auto", "LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'RL', 'TB' or 'BT' (or 'auto'), got "
                         f"{rankdir!r}")
    if not hasattr(root, "parents"):
        raise TypeError(f"draw_graph: expected a Value or a Tensor (the output of a "
                        f"computation, e.g. the loss), got {type(root).__name__} {root!r:.40}")

    name_of = {id(node): name for name, node in (names or {}).items()}
    order = topo_sort(root)
    items, parents_of = order, _own_parents
    if summarize:
        items, drawn_parents = summarize_graph(order)

        def parents_of(item: Any) -> list[Any]:
            return drawn_parents[id(item)]
    total_edges = sum(len(parents_of(item)) for item in items)
    kept = items if len(items) <= max_nodes else nearest_to_output(items, max_nodes, parents_of)
    names = {id(node): f"n{i}" for i, node in enumerate(kept)}

    if rankdir == "auto":
        depth, breadth = _depth_and_breadth(kept, lambda n: [p for p in parents_of(n)
                                                             if id(p) in names])
        rankdir = "TB" if depth > breadth else "LR"
    have_grad = show_grad and _grads_computed(root)
    note = NOT_COMPUTED if show_grad and not have_grad else ""
    horizontal = rankdir in ("LR", "RL")

    dot = Digraph(name="computation_graph", format="svg")
    dot.attr(rankdir=rankdir, labelloc="t", fontsize="12", fontname="Helvetica")
    dot.attr("node", fontname="Helvetica", fontsize="11")
    dot.attr("edge", arrowsize="0.7", fontname="Helvetica")
    dot.attr(label=style.legend_html(have_grad, note, summarized=summarize))

    drawn_edges = 0
    cut_off: list[str] = []  # op nodes (or nodes) with at least one parent left out
    for node in kept:
        name = names[id(node)]
        target = name
        if isinstance(node, Group):  # several operations summarised in one box
            dot.node(name, label=node.text().replace("\n", "\\n"), **style.GROUP_STYLE)
        else:
            fields, magnitude = _fields(node, have_grad, precision, name_of.get(id(node), ""))
            body = " | ".join(fields)
            fill = style.NO_GRAD_COLOUR if magnitude is None else style.grad_colour(magnitude)
            attrs = dict(style.KIND_STYLE[_kind(node)])
            if node is root:
                attrs.update(style.OUTPUT_STYLE)
            # Value boxes read left to right (label | data | grad); Tensor boxes stack
            # their longer lines. In a record, braces flip the direction of the fields.
            flip = horizontal != (node.ndim > 0)
            dot.node(name, label="{ " + body + " }" if flip else body,
                     fillcolor=fill, fontcolor=style.font_colour(fill), **attrs)
            if node.op:
                target = name + "op"
                dot.node(target, label=escape_record(node.op), **style.OP_STYLE)
                dot.edge(target, name)
        missing = False
        drawn = parents_of(node)
        for position, parent in enumerate(drawn):
            if id(parent) in names:
                # a - b, a / b, a ** b: say which input is the second one (a summary's
                # drawn inputs are regrouped, so their positions say nothing)
                role = OPERAND_ROLES.get(node.op, ("", ""))[1] \
                    if position == 1 and not summarize else ""
                dot.edge(names[id(parent)], target, **({"label": role, "fontsize": "9"}
                                                        if role else {}))
                drawn_edges += 1
            else:
                missing = True
        if missing:
            cut_off.append(target)

    if len(kept) < len(items):
        hidden_nodes = len(items) - len(kept)
        hidden_edges = total_edges - drawn_edges
        hint = "" if summarize else ",\\nor summarize=True to draw labelled tensors only"
        text = (f"{hidden_nodes:,} more nodes and {hidden_edges:,} edges not drawn\\n"
                f"(the graph has {len(items):,} nodes and {total_edges:,} edges;\\n"
                f"showing the {len(kept):,} nearest the output: raise max_nodes to see "
                f"more{hint})")
        dot.node("omitted", label=text, shape="note", style="filled", fillcolor="#eeeeee")
        for target in cut_off:
            dot.edge("omitted", target, style="dashed", color="#888888")
    return dot


def graph_stats(root: Any) -> dict[str, int]:
    """Counts a full drawing of ``root`` would have: graph nodes, edges, op ellipses."""
    order = topo_sort(root)
    ops = sum(1 for node in order if node.op)
    return {"nodes": len(order), "edges": sum(len(n.parents) for n in order), "ops": ops}


def render(root_or_graph: Any, path: str | os.PathLike, format: str | None = None,
           **draw_options: Any) -> str:
    """Draw a Value/Tensor graph (or take a ready ``graphviz`` graph) and write it to ``path``.

    ``format`` is 'svg', 'png' or 'pdf' (pdf needs the system Graphviz); by default
    it comes from the file extension. Extra keyword arguments go to ``draw_graph``.
    Returns the path of the written file.
    """
    if isinstance(root_or_graph, graphviz.Digraph | graphviz.Graph | graphviz.Source):
        source = root_or_graph.source
    else:
        source = draw_graph(root_or_graph, **draw_options).source
    out = Path(path)
    if format and not out.suffix:
        out = out.with_suffix("." + format)
    return write_picture(source, out, format)
