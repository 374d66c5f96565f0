"""A small network of scalar neurons learns the two-moons problem.

Two interleaved half circles ("moons") cannot be separated by a straight line, so
a single neuron fails: the network needs a hidden layer that bends the boundary.
`nn.MLP(2, [16, 16, 1])` is exactly the network of the blackboard: 2 inputs, two
hidden layers of 16 ReLU neurons, one sigmoid output neuron, every weight a `Value`.

Training is the loop every framework runs, written out in full:

    for step in range(steps):
        p = [model(x) for x in X]          forward: one graph per example
        loss = binary cross-entropy(p, y)  one number measuring how wrong we are
        model.zero_grad()                  forget the previous step's gradients
        loss.backward()                    backprop: dloss/dw for every weight w
        for w in model.parameters():
            w.data -= lr * w.grad          gradient descent: a small step downhill

The demo draws the decision boundary (where the network says 0.5) over the data,
and the computation graph of one prediction: even 2 -> 4 -> 1 neurons make a
graph with dozens of nodes, which is why real networks work on whole arrays.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

import nn
import tinygrad_dk as tg
import viz
from demos._common import output_file, save_figure, wrote
from nn import metrics
from tinygrad_dk import Value

OUTPUTS = ("scalar_mlp_boundary.png", "scalar_mlp_graph.svg")


def make_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: n points (x1, x2), labels 0 (upper) and 1 (lower)."""
    n_upper = n // 2
    t_upper = rng.uniform(0, math.pi, n_upper)
    t_lower = rng.uniform(0, math.pi, n - n_upper)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    X = np.concatenate([upper, lower]) + rng.normal(0, noise, (n, 2))
    y = np.concatenate([np.zeros(n_upper, dtype=np.int64), np.ones(n - n_upper, dtype=np.int64)])
    return X, y


def bce(p: Value, y: int) -> Value:
    """Binary cross-entropy of one prediction p (a probability) for the label y (0 or 1)."""
    return -(p.log()) if y == 1 else -((1 - p).log())


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed + 1)
    n, steps = (60, 40) if quick else (100, 150)
    X, y = make_moons(n, noise=0.1, rng=rng)
    X_test, y_test = make_moons(200, noise=0.1, rng=rng)  # fresh points the model never sees

    tg.manual_seed(seed)
    model = nn.MLP(2, [16, 16, 1], activation="relu", output_activation="sigmoid")
    print(f"Two moons, {n} points; model {model.sizes}, "
          f"{len(model.parameters())} parameters (each a Value)")

    lr = 0.5
    for step in range(steps):
        probs = [model(x) for x in X]
        loss = sum(bce(p, yi) for p, yi in zip(probs, y)) * (1.0 / n)
        model.zero_grad()
        loss.backward()
        for w in model.parameters():
            w.data -= lr * w.grad
        if step % (steps // 5) == 0 or step == steps - 1:
            acc = metrics.accuracy(y, [int(p.data >= 0.5) for p in probs])
            print(f"  step {step:4d}  loss {loss.data:.4f}  accuracy {acc:.3f}")

    accuracy = metrics.accuracy(y, [int(model(x).data >= 0.5) for x in X])
    test_accuracy = metrics.accuracy(y_test, [int(model(x).data >= 0.5) for x in X_test])
    print(f"accuracy: training {accuracy:.3f}, test {test_accuracy:.3f} (200 new points)")
    # the boundary is where the sigmoid output crosses 0.5
    title = f"Scalar MLP on two moons (test accuracy {test_accuracy:.2f})"
    fig = viz.plot_decision_boundary(model, X, y, threshold=0.5, title=title)
    save_figure(fig, out_dir, "scalar_mlp_boundary.png")

    # One prediction through a tiny network keeps the graph readable.
    tiny = nn.MLP(2, [4, 1], activation="relu", output_activation="sigmoid")
    out = tiny(X[0])
    out.backward()
    graph_file = output_file(out_dir, "scalar_mlp_graph.svg")
    viz.render(viz.draw_graph(out), graph_file)
    wrote(graph_file)
    print(f"  graph of one prediction of a 2 -> 4 -> 1 network: "
          f"{len(tg.topo_sort(out))} nodes")
    return {"train_loss": loss.data, "train_accuracy": accuracy, "test_accuracy": test_accuracy}
