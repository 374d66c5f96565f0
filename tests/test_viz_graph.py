"""viz.draw_graph: what the picture contains, checked on the rendered SVG."""

from __future__ import annotations

import math
import re
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import viz
from tinygrad_dk import Tensor, Value
from viz import style
from viz.graph import NOT_COMPUTED, escape_record, nearest_to_output
from viz.renderer import find_renderer

SVG = "{http://www.w3.org/2000/svg}"

needs_renderer = pytest.mark.skipif(find_renderer() is None, reason="no Graphviz renderer")


def svg_of(dot) -> ET.Element:
    return ET.fromstring(dot.pipe(format="svg"))


def count_class(svg: ET.Element, cls: str) -> int:
    return sum(1 for g in svg.iter(SVG + "g") if g.get("class") == cls)


def all_text(svg: ET.Element) -> str:
    return "\n".join(t.text or "" for t in svg.iter(SVG + "text"))


def neuron() -> tuple[Value, list[Value]]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.label = "out"
    return out, [x1, x2, w1, w2, b]


def expected_counts(root) -> tuple[int, int]:
    """Drawn nodes (graph nodes + one ellipse per op) and drawn edges."""
    stats = viz.graph.graph_stats(root)
    return stats["nodes"] + stats["ops"], stats["edges"] + stats["ops"]


@needs_renderer
def test_neuron_svg_has_every_node_edge_value_and_grad():
    out, leaves = neuron()
    out.backward()
    svg = svg_of(viz.draw_graph(out))
    nodes, edges = expected_counts(out)
    assert (nodes, edges) == (10 + 5, 9 + 5)  # 10 Values, 5 ops, 9 parent links
    assert count_class(svg, "node") == nodes
    assert count_class(svg, "edge") == edges
    text = all_text(svg)
    for v in leaves + [out]:
        assert f"data {v.data:.4g}" in text
        assert f"grad {v.grad:.4g}" in text
    for op in ("*", "+", "tanh"):
        assert op in text
    assert NOT_COMPUTED not in text


@needs_renderer
def test_node_used_twice_draws_two_edges():
    a = Value(3.0, label="a")
    y = a + a
    y.backward()
    svg = svg_of(viz.draw_graph(y))
    assert count_class(svg, "node") == 3
    assert count_class(svg, "edge") == 3  # a -> +, a -> +, + -> y


def test_before_backward_says_so_instead_of_zeros():
    out, _ = neuron()
    source = viz.draw_graph(out).source
    assert NOT_COMPUTED in source
    assert "grad 0" not in source
    out.backward()
    assert NOT_COMPUTED not in viz.draw_graph(out).source


def test_tensor_before_backward_says_so():
    w = Tensor([1.0, 2.0], requires_grad=True, label="w")
    source = viz.draw_graph((w * w).sum()).source
    assert NOT_COMPUTED in source


def test_show_grad_false_hides_gradients_and_colour_legend():
    out, _ = neuron()
    out.backward()
    source = viz.draw_graph(out, show_grad=False).source
    assert re.search(r"grad -?[0-9]", source) is None
    assert "vanishing" not in source


@needs_renderer
def test_small_tensor_shows_values_shape_and_dtype():
    w = Tensor([[1.5, -2.0], [0.25, 4.0]], requires_grad=True, label="W")
    x = Tensor([1.0, 2.0])
    y = (w @ x).sum()
    y.backward()
    svg = svg_of(viz.draw_graph(y))
    text = all_text(svg)
    assert "(2, 2) float32" in text
    assert "1.5" in text and "0.25" in text  # the data values themselves
    assert "grad [[1, 2]," in text  # d sum(W x) / dW = x in every row (numbers as %g)
    assert "mean" not in text
    # x is data, not a parameter: its box shows its numbers and no gradient at all
    assert "(2,) float32\ndata [1, 2]\n(2,)" in text
    assert any(e.get("stroke-dasharray") for e in svg.iter())  # and its border is dashed
    nodes, edges = expected_counts(y)
    assert count_class(svg, "node") == nodes
    assert count_class(svg, "edge") == edges


def test_large_tensor_shows_summary_statistics():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(50, 20)).astype(np.float32)
    w = Tensor(data, requires_grad=True, label="W")
    y = (w * w).mean()
    y.backward()
    source = viz.draw_graph(y).source
    assert "(50, 20) float32" in source
    assert f"mean {data.mean():.4g}" in source
    assert f"std {data.std():.4g}" in source
    assert f"min {data.min():.4g}" in source and f"max {data.max():.4g}" in source
    grad = 2 * data / data.size
    assert f"grad mean {grad.mean():.4g}" in source
    assert str(data[0, 0])[:5] not in source.split("W |")[0]  # values themselves not listed


def test_kinds_are_styled_differently():
    out, _ = neuron()
    c = out * 2.0  # 2.0 becomes a constant leaf
    c.backward()
    source = viz.draw_graph(c).source
    assert "filled,bold" in source  # parameters / inputs
    assert "filled,dashed" in source  # the constant 2.0
    assert "Mrecord" in source  # computed nodes
    assert "parameter / input" in source and "constant / data" in source  # legend


@needs_renderer
def test_record_special_characters_are_escaped():
    weird = 'a{b}|c<d>"e"\\f'
    a = Value(1.0, label=weird)
    y = a * 2
    y.backward()
    text = all_text(svg_of(viz.draw_graph(y)))
    assert weird in text
    assert escape_record("x|y") == "x\\|y"


def test_colour_scale_blue_for_vanishing_red_for_exploding():
    def rgb(c: str) -> tuple[int, ...]:
        return tuple(int(c[i:i + 2], 16) for i in (1, 3, 5))

    small, healthy, large = (rgb(style.grad_colour(m)) for m in (1e-8, 0.5, 1e5))
    assert small[2] > small[0]  # blue
    assert large[0] > large[2]  # red
    assert min(healthy) > 200  # pale
    assert style.grad_colour(0.0) == style.ZERO_COLOUR
    assert style.grad_colour(math.nan) == style.NONFINITE_COLOUR
    assert style.grad_colour(math.inf) == style.NONFINITE_COLOUR


def test_fill_follows_gradient_size():
    a = Value(1e-9, label="tiny")
    b = Value(1e6, label="huge")
    y = a * b  # dy/da = 1e6, dy/db = 1e-9
    y.backward()
    source = viz.draw_graph(y).source
    assert style.grad_colour(1e6) in source
    assert style.grad_colour(1e-9) in source


def chain(n: int) -> Value:
    v = Value(1.0, label="x")
    for _ in range(n - 1):
        v = v.tanh()
    return v


@needs_renderer
def test_max_nodes_condenses_a_10000_node_chain_quickly():
    root = chain(10_000)
    root.backward()
    start = time.perf_counter()
    dot = viz.draw_graph(root, max_nodes=50)
    svg = svg_of(dot)
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0
    # 50 Values, 50 op ellipses (all are tanh results), one summary box.
    assert count_class(svg, "node") == 50 + 50 + 1
    text = all_text(svg)
    assert "9,950 more nodes and 9,950 edges not drawn" in text
    assert "10,000 nodes" in text


def test_hundred_thousand_nodes_draws_in_well_under_a_few_seconds():
    root = chain(100_000)
    start = time.perf_counter()
    source = viz.draw_graph(root).source
    assert time.perf_counter() - start < 3.0
    assert "99,700 more nodes" in source


def test_nearest_to_output_keeps_the_output_side():
    root = chain(10)
    order = viz.graph.topo_sort(root)
    kept = nearest_to_output(order, 3)
    assert kept == order[-3:]


def test_bad_arguments_are_reported():
    with pytest.raises(ValueError, match="max_nodes"):
        viz.draw_graph(Value(1.0), max_nodes=0)
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw_graph(Value(1.0), rankdir="sideways")
