"""One neuron, computed by the engine and by hand.

A neuron takes inputs x_1..x_n, weighs each with w_i, adds a bias b and squashes
the sum with an activation function, here the sigmoid:

    z = w_1 x_1 + w_2 x_2 + b
    a = sigmoid(z) = 1 / (1 + e^-z)          a number between 0 and 1: a probability

The example is a real flower: petal length and width of an iris (scaled), and the
question "is it a virginica?" (y = 1) or not (y = 0). The loss is binary
cross-entropy, L = -(y log a + (1 - y) log(1 - a)).

Backprop is the chain rule. Going backwards from L:

    dL/da = -(y / a) + (1 - y) / (1 - a)
    da/dz = a (1 - a)                        the sigmoid's derivative
    dL/dz = dL/da * da/dz = a - y            (the two fractions cancel: remember this one)
    dL/dw_i = dL/dz * dz/dw_i = (a - y) x_i
    dL/db   = dL/dz * 1       = a - y

The demo computes these by hand, calls `L.backward()` on the engine's graph, shows
that the numbers are equal, takes one gradient-descent step (w <- w - lr * dL/dw)
and draws the graph with every node's value and gradient (`viz.draw_graph`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import viz
from demos._common import output_file, print_table, wrote
from nn import data
from tinygrad_dk import Value

OUTPUTS = ("neuron_graph.svg",)  # files this demo writes into out_dir


def neuron_loss(x1: Value, x2: Value, w1: Value, w2: Value, b: Value, y: float) -> Value:
    """Weighted sum, sigmoid, binary cross-entropy: each step a labelled node of the graph."""
    z = w1 * x1 + w2 * x2 + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    loss = -(y * a.log() + (1 - y) * (1 - a).log())
    loss.label = "L"
    return loss


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    del seed  # nothing random to seed here: the lesson is exact
    X, y_all = data.load_iris()
    X = data.StandardScaler().fit_transform(X[:, 2:])  # petal length and width, scaled
    flower = 120  # one virginica (class 2)
    y = 1.0 if y_all[flower] == 2 else 0.0

    x1, x2 = Value(X[flower, 0], label="x1"), Value(X[flower, 1], label="x2")
    w1, w2, b = Value(-0.5, label="w1"), Value(0.3, label="w2"), Value(0.1, label="b")
    loss = neuron_loss(x1, x2, w1, w2, b, y)
    loss.backward()

    # The same derivatives by hand, with plain floats.
    z = w1.data * x1.data + w2.data * x2.data + b.data
    a = 1 / (1 + math.exp(-z))
    dz = a - y
    by_hand = {"w1": dz * x1.data, "w2": dz * x2.data, "b": dz}

    print(f"Flower {flower}: x1 = {x1.data:.3f}, x2 = {x2.data:.3f} (scaled petal length, width),"
          f" y = {y:.0f}")
    print(f"z = {z:.4f}, a = sigmoid(z) = {a:.4f}, L = {loss.data:.4f}\n")
    rows = [(p.label, by_hand[p.label], p.grad, abs(by_hand[p.label] - p.grad))
            for p in (w1, w2, b)]
    print_table(["parameter", "dL/dp by hand", "dL/dp engine", "difference"], rows, digits=6)
    max_diff = max(r[3] for r in rows)

    # The graph, drawn after backward so every node shows its gradient too.
    graph_file = output_file(out_dir, "neuron_graph.svg")
    viz.render(viz.draw_graph(loss), graph_file)
    wrote(graph_file)

    # One step of gradient descent: move each parameter against its gradient.
    lr = 0.5
    for p in (w1, w2, b):
        p.data -= lr * p.grad
    loss_after = neuron_loss(x1, x2, w1, w2, b, y).data
    print(f"\nOne gradient step (lr = {lr}): loss {loss.data:.4f} -> {loss_after:.4f}")

    return {"loss_before": loss.data, "loss_after": loss_after, "max_grad_diff": max_diff}
