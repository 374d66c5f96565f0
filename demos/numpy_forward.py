"""The forward and backward step written with numpy alone, then checked against the engine.

This is the course's low-level exercise. A network with one hidden layer reads a
batch X (n samples x 4 features of the iris flowers) and predicts one of 3 classes:

    Z1 = X W1^T + b1          hidden pre-activations, shape (n, 8)
    H  = tanh(Z1)             hidden activations
    Z2 = H W2^T + b2          logits, shape (n, 3)
    P  = softmax(Z2)          probabilities, every row sums to 1
    L  = -mean(log P[i, y_i]) cross-entropy of the true classes

W1 has shape (out, in) = (8, 4) as in `nn.Linear` and PyTorch, hence the W^T.

Backward, by the chain rule, from the loss back to the weights (Y is one-hot):

    dZ2 = (P - Y) / n         softmax and cross-entropy together: a famous, simple result
    dW2 = dZ2^T H,  db2 = sum of dZ2 over the rows
    dH  = dZ2 W2
    dZ1 = dH * (1 - H^2)      tanh'(z) = 1 - tanh(z)^2
    dW1 = dZ1^T X,  db1 = sum of dZ1 over the rows

The engine computes the same numbers from the same formulas written with Tensors,
and `backward()` finds the gradients without being told the formulas above. The
demo prints the largest difference between numpy and engine: in float64 it is
rounding noise, far below 1e-6.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from demos._common import print_table
from nn import data
from tinygrad_dk import Tensor

OUTPUTS: tuple[str, ...] = ()  # this demo only prints


def numpy_forward(X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray,
                  W2: np.ndarray, b2: np.ndarray) -> dict[str, np.ndarray]:
    """The forward step in plain numpy; returns every intermediate for the backward step."""
    Z1 = X @ W1.T + b1
    H = np.tanh(Z1)
    Z2 = H @ W2.T + b2
    Z2_shifted = Z2 - Z2.max(axis=1, keepdims=True)  # same softmax, but exp cannot overflow
    P = np.exp(Z2_shifted) / np.exp(Z2_shifted).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(P[np.arange(len(y)), y]))
    return {"Z1": Z1, "H": H, "Z2": Z2, "P": P, "loss": np.array(loss)}


def numpy_backward(X: np.ndarray, y: np.ndarray, W2: np.ndarray,
                   cache: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The backward step by hand: the chain rule, one line per formula of the docstring."""
    n = len(y)
    Y = data.one_hot(y, 3)
    dZ2 = (cache["P"] - Y) / n
    dW2 = dZ2.T @ cache["H"]
    db2 = dZ2.sum(axis=0)
    dH = dZ2 @ W2
    dZ1 = dH * (1 - cache["H"] ** 2)
    dW1 = dZ1.T @ X
    db1 = dZ1.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    X, y = data.load_iris()
    X = data.StandardScaler().fit_transform(X)  # float64 numpy arrays
    batch = slice(0, 150, 10) if quick else slice(None)  # quick: 15 of the 150 flowers
    X, y = X[batch], y[batch]

    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(0, 0.5, (8, 4)), "b1": np.zeros(8),
        "W2": rng.normal(0, 0.5, (3, 8)), "b2": np.zeros(3),
    }

    # 1. numpy alone
    cache = numpy_forward(X, y, **params)
    grads_np = numpy_backward(X, y, params["W2"], cache)

    # 2. the engine: the same formulas with Tensors, gradients by backward()
    t = {name: Tensor(value, requires_grad=True) for name, value in params.items()}
    X_t = Tensor(X)
    H_t = (X_t @ t["W1"].T + t["b1"]).tanh()
    Z2_t = H_t @ t["W2"].T + t["b2"]
    P_t = Z2_t.softmax(axis=1)
    loss_t = -(Z2_t.log_softmax(axis=1) * data.one_hot(y, 3)).sum(axis=1).mean()
    loss_t.backward()

    print(f"Forward step on {len(y)} iris flowers, 4 -> 8 (tanh) -> 3 (softmax), float64:")
    rows = [
        ("hidden H", np.abs(cache["H"] - H_t.numpy()).max()),
        ("logits Z2", np.abs(cache["Z2"] - Z2_t.numpy()).max()),
        ("softmax P", np.abs(cache["P"] - P_t.numpy()).max()),
        ("loss", abs(float(cache["loss"]) - loss_t.item())),
    ]
    print_table(["quantity", "max |numpy - engine|"], rows, digits=3)
    forward_diff = max(r[1] for r in rows)

    print("\nBackward step: gradients by hand (numpy) vs the engine's backward():")
    rows = [(name, str(params[name].shape), np.abs(grads_np[name] - t[name].grad.numpy()).max())
            for name in params]
    print_table(["parameter", "shape", "max |numpy - engine|"], rows, digits=3)
    backward_diff = max(r[2] for r in rows)
    print(f"\nloss = {float(cache['loss']):.6f} (numpy)  {loss_t.item():.6f} (engine)")

    return {
        "loss": float(cache["loss"]),
        "forward_max_abs_diff": float(forward_diff),
        "backward_max_abs_diff": float(backward_diff),
    }
