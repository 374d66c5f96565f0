"""viz.draw_graph(summarize=True) and names=: a CNN and an LSTM drawn legibly."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
import viz
from tinygrad_dk import Tensor, Value
from viz.renderer import find_renderer
from viz.summary import Group, summarize

SVG = "{http://www.w3.org/2000/svg}"
needs_renderer = pytest.mark.skipif(find_renderer() is None, reason="no Graphviz renderer")


def svg_text(dot) -> str:
    svg = ET.fromstring(dot.pipe(format="svg"))
    return "\n".join(t.text or "" for t in svg.iter(SVG + "text"))


def lstm_loss(steps: int = 5):
    tg.manual_seed(0)
    lstm, head = nn.LSTM(1, 4, batch_first=True), nn.Linear(4, 1)
    x = np.random.default_rng(0).standard_normal((3, steps, 1)).astype(np.float32)
    out, _ = lstm(x)
    loss = nn.functional.mse_loss(head(out[:, -1]), np.zeros((3, 1), dtype=np.float32))
    loss.backward()
    return loss, lstm


def test_unlabelled_operations_become_one_box_listing_them():
    x, w, b = Tensor([1.0, 2.0]), Tensor([0.5, -1.0], requires_grad=True), \
        Tensor(0.3, requires_grad=True)
    out = ((x * w).sum() + b).tanh()
    items, parents = summarize(tg.topo_sort(out))
    groups = [i for i in items if isinstance(i, Group)]
    assert len(groups) == 1
    assert groups[0].text() == "3 operations: *, sum, +"
    assert items[-1] is out and parents[id(out)] == [groups[0]]
    assert {id(p) for p in parents[id(groups[0])]} == {id(x), id(w), id(b)}


def test_a_single_operation_is_drawn_as_itself_and_labels_split_groups():
    a = Tensor([1.0, 2.0], requires_grad=True)
    h = (a * 2).exp()
    h.label = "h"
    out = (h + 1).sum()
    items, parents = summarize(tg.topo_sort(out))
    assert not any(isinstance(i, Group) for i in items)  # a*2 alone, h+1 alone
    assert [i.op for i in items] == ["", "*", "exp", "+", "sum"]


def test_value_graphs_summarise_too():
    x = Value(2.0, label="x")
    out = ((x * 3 + 1).tanh() * x).relu()
    items, _ = summarize(tg.topo_sort(out))
    assert sum(isinstance(i, Group) for i in items) == 1


def test_lstm_summary_is_one_box_per_time_step():
    loss, _ = lstm_loss(steps=5)
    items, parents = summarize(tg.topo_sort(loss))
    labels = [i.label for i in items if not isinstance(i, Group)]
    for t in range(5):
        assert f"h[{t}]" in labels and f"c[{t}]" in labels
    assert "initial state (zeros)" in labels  # named, also as the steps' columns
    # the first step's input is a constant (no recorded op), so it is named after its parts
    assert "[x[0]; initial state (zeros); 1]" in labels
    steps = [g for g in items if isinstance(g, Group) and "sigmoid" in g.text()]
    assert len(steps) == 5
    for g in steps:  # one matrix product, the gates, the new cell and hidden state
        for part in ("@", "sigmoid", "4x getitem", "2x *", "tanh"):
            assert part in g.text()
    assert len(items) < len(tg.topo_sort(loss)) / 2


@needs_renderer
def test_lstm_drawing_shows_the_unrolled_steps_with_parameter_names():
    loss, lstm = lstm_loss(steps=4)
    names = {f"lstm.{k}": v for k, v in lstm.named_parameters()}
    text = svg_text(viz.draw_graph(loss, summarize=True, names=names, rankdir="TB"))
    for t in range(4):
        assert f"h[{t}]" in text and f"c[{t}]" in text
    assert "lstm.weight_hh_l0" in text and "[W_ih | W_hh | b]" in text
    assert "operations between labelled tensors" in text  # the legend explains the boxes
    assert text.count("operations: concatenate") >= 3


@needs_renderer
def test_cnn_drawing_is_small_and_names_its_parameters():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(16, 3))
    loss = nn.functional.cross_entropy(model(np.zeros((2, 1, 4, 4), dtype=np.float32)),
                                       np.array([0, 2]))
    loss.backward()
    stats = viz.graph.graph_stats(loss)
    assert stats["nodes"] < 15  # a convolution is one node, not one per pixel
    text = svg_text(viz.draw_graph(loss, names=dict(model.named_parameters())))
    for op in ("conv2d", "relu", "max_pool2d", "linear", "cross_entropy"):
        assert op in text
    assert "0.weight" in text and "4.bias" in text


@needs_renderer
def test_summary_still_respects_max_nodes():
    loss, _ = lstm_loss(steps=8)
    text = svg_text(viz.draw_graph(loss, summarize=True, max_nodes=10))
    assert "more nodes" in text and "not drawn" in text


def test_condensed_full_drawing_suggests_summarize():
    loss, _ = lstm_loss(steps=8)
    dot = viz.draw_graph(loss, max_nodes=20)
    assert "summarize=True" in dot.source
