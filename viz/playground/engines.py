"""The two engines that can train the playground's network, side by side.

Both build the same network, ``sizes = [inputs, hidden..., 1]``: hidden layers with one
activation and a linear output (a score for classification, the prediction itself for
regression). Both take the same starting weights and report weights and gradients in
one layout, per layer a matrix ``W`` of shape (out, in) (``nn.Linear``'s layout) and a
bias vector ``b``, so the session can move a network from one engine to the other.

* ``TensorEngine``: ``nn.Sequential`` of float64 ``nn.Linear`` layers and activation
  modules. A batch goes through each layer as one matrix product.
* ``ValueEngine``: the scalar ``nn.MLP``. Every weighted sum and every activation of
  every point is its own graph node: the same arithmetic, one number at a time.

A training step is the same for both: forward the batch, data loss (binary
cross-entropy on the score for classification, mean squared error for regression)
plus the penalty ``rate * sum(w^2)`` (L2) or ``rate * sum(|w|)`` (L1) over the weights
(not the biases), zero the gradients, backward, optimizer step. Everything random
(the batches, the dropout masks) is drawn by the session and handed in, so both engines
compute the same numbers, up to the rounding of float64 sums taken in another order.
That is also why dropout is applied here as a multiplication by the session's mask
(0, or 1 / (1 - p) for a kept unit: inverted dropout, as ``nn.Dropout``) instead of
with ``nn.Dropout``, whose mask would come from the shared generator of one engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import nn
import nn.functional as F
from nn import optim
from tinygrad_dk import Tensor, Value

#: Per layer: the weights W (out, in) and the biases b (out,), as float64 arrays.
Weights = list[tuple[np.ndarray, np.ndarray]]
#: Per hidden layer: the dropout mask for a batch, shape (batch, neurons); or None.
Masks = list[np.ndarray] | None

_TENSOR_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
    "linear": nn.Identity,
}
VALUE_ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": F.relu, "leaky_relu": F.leaky_relu, "tanh": F.tanh, "sigmoid": F.sigmoid,
    "linear": lambda v: v,
}


def data_loss(task: str) -> Callable[[Any, Any], Any]:
    """The loss for ``task``: it works on a Tensor of scores and on a list of Values."""
    return F.binary_cross_entropy_with_logits if task == "classification" else F.mse_loss


def initial_weights(sizes: Sequence[int], rng: np.random.Generator) -> Weights:
    """Starting weights as ``nn.Linear`` draws them (PyTorch's default), from ``rng``.

    W and b are uniform in [-1/sqrt(inputs), 1/sqrt(inputs)]. The session's own
    generator (not the shared ``tinygrad_dk`` one) keeps every tab's network its own.
    """
    weights = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        bound = 1.0 / np.sqrt(n_in)
        weights.append((rng.uniform(-bound, bound, (n_out, n_in)),
                        rng.uniform(-bound, bound, n_out)))
    return weights


def make_optimizer(params: list[Any], name: str, lr: float) -> optim.Optimizer:
    """'sgd', 'momentum' (SGD with momentum 0.9) or 'adam'."""
    if name == "adam":
        return optim.Adam(params, lr=lr)
    return optim.SGD(params, lr=lr, momentum=0.9 if name == "momentum" else 0.0)


class TensorEngine:
    """The network as ``nn.Sequential(Linear, act, Linear, act, ..., Linear)`` in float64."""

    name = "tensor"

    def __init__(self, sizes: Sequence[int], activation: str, weights: Weights) -> None:
        parts: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
            if i:
                parts.append(_TENSOR_ACTIVATIONS[activation]())
            parts.append(nn.Linear(n_in, n_out, dtype=np.float64))
        self.model = nn.Sequential(*parts)
        self.linears = [part for part in self.model if isinstance(part, nn.Linear)]
        self.set_weights(weights)
        self.optimizer: optim.Optimizer | None = None

    def set_weights(self, weights: Weights) -> None:
        """Copy ``weights`` in (the optimizer keeps its state)."""
        for layer, (W, b) in zip(self.linears, weights):
            layer.weight.data = np.array(W, dtype=np.float64)
            layer.bias.data = np.array(b, dtype=np.float64)

    def get_weights(self) -> Weights:
        return [(layer.weight.data.copy(), layer.bias.data.copy()) for layer in self.linears]

    def get_grads(self) -> Weights:
        """The gradients of the last step (zeros before the first)."""
        def grad(p: Tensor) -> np.ndarray:
            return np.zeros_like(p.data) if p.grad is None else np.array(p.grad.data)
        return [(grad(layer.weight), grad(layer.bias)) for layer in self.linears]

    def new_optimizer(self, name: str, lr: float) -> None:
        self.optimizer = make_optimizer(self.model.parameters(), name, lr)

    def forward(self, X: np.ndarray, masks: Masks = None) -> tuple[Tensor, list[Tensor]]:
        """The scores (n, 1) and every hidden layer's output (n, neurons)."""
        h = Tensor(X)
        hidden = []
        for part in self.model:
            h = part(h)
            if not isinstance(part, nn.Linear):  # an activation: a hidden layer's output
                if masks is not None:
                    h = h * Tensor(masks[len(hidden)])
                hidden.append(h)
        return h, hidden

    def train_step(self, X: np.ndarray, y: np.ndarray, masks: Masks, task: str, reg: str,
                   rate: float) -> float:
        """One step on the batch (X, y); returns its data loss (without the penalty)."""
        scores, _ = self.forward(X, masks)
        loss = data_loss(task)(scores, y.reshape(-1, 1))
        total = loss
        if reg != "none" and rate:
            penalty = [(W * W).sum() if reg == "l2" else W.abs().sum()
                       for W in (layer.weight for layer in self.linears)]
            total = loss + rate * sum(penalty[1:], penalty[0])  # start the sum at a Tensor
        self.optimizer.zero_grad()
        total.backward()
        self.optimizer.step()
        return float(loss.item())


class ValueEngine:
    """The network as the scalar ``nn.MLP``: one Value per weight, per sum, per activation."""

    name = "value"

    def __init__(self, sizes: Sequence[int], activation: str, weights: Weights) -> None:
        self.model = nn.MLP(sizes[0], list(sizes[1:]), activation=activation,
                            output_activation="linear")
        self._activations = [VALUE_ACTIVATIONS[layer.activation] for layer in self.model.layers]
        self.set_weights(weights)
        self.optimizer: optim.Optimizer | None = None

    def set_weights(self, weights: Weights) -> None:
        for layer, (W, b) in zip(self.model.layers, weights):
            for j, neuron in enumerate(layer.neurons):
                for i, w in enumerate(neuron.w):
                    w.data = float(W[j, i])
                neuron.b.data = float(b[j])

    def _collect(self, attribute: str) -> Weights:
        return [(np.array([[getattr(w, attribute) for w in n.w] for n in layer.neurons]),
                 np.array([getattr(n.b, attribute) for n in layer.neurons]))
                for layer in self.model.layers]

    def get_weights(self) -> Weights:
        return self._collect("data")

    def get_grads(self) -> Weights:
        return self._collect("grad")

    def new_optimizer(self, name: str, lr: float) -> None:
        self.optimizer = make_optimizer(self.model.parameters(), name, lr)

    def forward_one(self, x: Sequence[Any], masks: Sequence[Sequence[float]] | None = None
                    ) -> list[list[Value]]:
        """Every layer's outputs for one point ``x`` (numbers or Values).

        The same arithmetic as ``nn.MLP.__call__`` (a test checks it), but keeping
        the hidden layers' outputs and applying the dropout masks between layers.
        """
        outputs = []
        last = len(self.model.layers) - 1
        for k, (layer, act) in enumerate(zip(self.model.layers, self._activations)):
            x = [act(Value.weighted_sum(n.w, x, n.b)) for n in layer.neurons]
            if masks is not None and k < last:
                x = [a * m for a, m in zip(x, masks[k])]
            outputs.append(x)
        return outputs

    def train_step(self, X: np.ndarray, y: np.ndarray, masks: Masks, task: str, reg: str,
                   rate: float) -> float:
        rows = X.tolist()
        scores = []
        for i, row in enumerate(rows):
            row_masks = None if masks is None else [m[i].tolist() for m in masks]
            scores.append(self.forward_one(row, row_masks)[-1][0])
        loss = data_loss(task)(scores, y.tolist())
        total = loss
        if reg != "none" and rate:
            weights = [w for layer in self.model.layers for n in layer.neurons for w in n.w]
            terms = [w * w if reg == "l2" else w.abs() for w in weights]
            total = loss + rate * sum(terms[1:], terms[0])  # start the sum at a Value
        self.optimizer.zero_grad()
        total.backward()
        self.optimizer.step()
        return loss.data
