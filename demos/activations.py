"""Activation functions and their derivatives: what backprop multiplies by.

Without an activation, layers of weighted sums collapse into one weighted sum: a
network could only draw straight lines. The activation bends it. Each one has a
derivative, and backprop multiplies the gradient by it at every neuron:

    sigmoid     s(x) = 1 / (1 + e^-x)          s'(x) = s(x) (1 - s(x))     at most 0.25
    tanh        t(x) = (e^x - e^-x)/(e^x + e^-x) t'(x) = 1 - t(x)^2        at most 1
    ReLU        max(0, x)                       1 for x > 0, else 0
    leaky ReLU  x for x > 0, else a x           1 for x > 0, else a       (a = 0.01, as in PyTorch)
    softmax     p_i = e^z_i / sum_j e^z_j        dp_i/dz_j = p_i (delta_ij - p_j)

What to see in the picture:

* sigmoid and tanh saturate: for large |x| the derivative is almost 0, so the
  gradient that passes through them vanishes (slow learning in deep networks);
* ReLU has slope 1 wherever it is active (no vanishing), but a neuron whose input
  stays negative gets gradient 0 and never recovers ("dead ReLU");
* leaky ReLU keeps a small slope below 0 (0.01: its line lies just above 0), so
  it can recover;
* a linear output (no activation) passes any number on: the output of regression;
* softmax turns a vector of scores into probabilities that sum to 1. The picture
  has three classes with scores [x, 1, -1]: as the score x of class 0 grows, p_0
  takes probability from the other two. With two classes, softmax([x, 0])_0 is
  exactly sigmoid(x): softmax generalises sigmoid.

The derivatives in the plot come from the engine's `backward()`; the table checks
them against the formulas above.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_dk as tg
import viz
from demos._common import print_table, save_figure
from tinygrad_dk import Tensor

OUTPUTS = ("activations.png",)

# name: (function on Tensors, derivative formula on numpy arrays)
FUNCTIONS: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[np.ndarray], np.ndarray]]] = {
    "sigmoid": (tg.sigmoid, lambda x: (1 / (1 + np.exp(-x))) * (1 - 1 / (1 + np.exp(-x)))),
    "tanh": (tg.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "ReLU": (tg.relu, lambda x: (x > 0).astype(float)),
    "leaky ReLU": (lambda t: tg.leaky_relu(t, 0.01), lambda x: np.where(x > 0, 1.0, 0.01)),
}


def derivative_by_backward(fn: Callable[[Tensor], Tensor], x: np.ndarray) -> np.ndarray:
    """f'(x) at every point: each output depends on its own x only, so grad of sum(f) = f'."""
    t = Tensor(x, requires_grad=True)
    fn(t).sum().backward()
    return t.grad.numpy()


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    del seed  # nothing random to seed here: the lesson is exact
    points = np.array([-4.0, -1.0, -0.5, 0.5, 1.0, 4.0])
    rows, worst = [], 0.0
    for name, (fn, formula) in FUNCTIONS.items():
        engine = derivative_by_backward(fn, points)
        worst = max(worst, float(np.abs(engine - formula(points)).max()))
        rows.append((name, *[float(d) for d in engine]))
    print("Derivatives f'(x) computed by backward():")
    print_table(["activation", *[f"x={x:g}" for x in points]], rows, digits=3)
    print(f"largest difference from the formulas: {worst:.2e}")

    # softmax: a vector in, a vector out, so its derivative is a matrix (the Jacobian).
    z = np.array([2.0, 1.0, 0.1])
    p = np.exp(z) / np.exp(z).sum()
    jacobian_formula = np.diag(p) - np.outer(p, p)
    jacobian_engine = np.stack([
        tg.grad(lambda t, i=i: tg.softmax(t, axis=0)[i])(Tensor(z)).numpy() for i in range(3)
    ])
    softmax_diff = float(np.abs(jacobian_engine - jacobian_formula).max())
    print(f"\nsoftmax({z.tolist()}) = {np.round(p, 4).tolist()}  (sums to {p.sum():.1f})")
    print("Jacobian dp_i/dz_j by the engine (each row sums to 0: probabilities stay summing to 1):")
    print_table(["", "dz_0", "dz_1", "dz_2"],
                [(f"dp_{i}", *map(float, jacobian_engine[i])) for i in range(3)], digits=4)
    print(f"difference from p_i (delta_ij - p_j): {softmax_diff:.2e}")
    grid = np.linspace(-5, 5, 101)
    sigmoid_max = float(derivative_by_backward(tg.sigmoid, grid).max())
    print(f"largest slope of sigmoid: {sigmoid_max:.3f} (at x = 0): every sigmoid layer"
          " shrinks the gradient at least 4x")

    save_figure(viz.plot_activations((-5.0, 5.0)), out_dir, "activations.png")
    return {"max_derivative_error": max(worst, softmax_diff), "sigmoid_max_slope": sigmoid_max}
