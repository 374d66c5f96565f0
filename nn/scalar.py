"""Scalar networks on ``Value``: a neuron, a layer of neurons, a multi-layer perceptron.

These are the networks as the course draws them on the board: every weight is
one ``Value``, every neuron computes

    out = act(w_1 x_1 + w_2 x_2 + ... + w_n x_n + b)

and ``viz.draw_graph`` can show each number and its gradient. They are slow
compared with ``Tensor`` layers (one Python object per number), which is the
price of seeing everything; use ``nn.Linear`` / ``nn.Sequential`` for real data.

Initialisation (as micrograd): weights are drawn uniformly from [-1, 1] with
the shared generator ``tinygrad_dk.generator()``, so ``tg.manual_seed(0)`` makes
a model repeatable; biases start at 0.

``parameters()`` lists them layer by layer, neuron by neuron, each neuron's
weights then its bias: the same order as micrograd's ``MLP.parameters()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import tinygrad_dk as tg
from nn.module import Module
from tinygrad_dk import Value

ScalarInput = Value | float | int

# The activation functions a neuron may apply to z = sum(w * x) + b.
ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,  # slope 0.01 for z < 0
    "linear": lambda z: z,  # no activation: the output layer of a regression or a score
}


def _activation(name: str) -> Callable[[Value], Value]:
    if name not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(map(repr, ACTIVATIONS))}"
        )
    return ACTIVATIONS[name]


def _as_values(x: Any, nin: int, who: str) -> list[Value]:
    """Check the input length and turn numbers into constant Values (once per call)."""
    if isinstance(x, (Value, int, float)):
        x = [x]
    elif type(x).__name__ == "Tensor":
        raise TypeError(f"{who}: got a Tensor; scalar models take a list of numbers or Values "
                        "(use nn.Linear / nn.Sequential for Tensors)")
    # numbers become input Values named x1, x2, ... (as the neuron is drawn in the course)
    xs = [v if isinstance(v, Value) else Value(v, label=f"x{i}") for i, v in enumerate(x, 1)]
    if len(xs) != nin:
        raise ValueError(f"{who} expects {nin} input value(s), got {len(xs)}; give one number "
                         f"per input feature")
    return xs


class Neuron(Module):
    """One neuron: ``act(sum_i w_i x_i + b)`` with ``nin`` weights and a bias.

    ``activation`` is 'relu', 'tanh', 'sigmoid', 'leaky_relu' or 'linear' (none).
    """

    def __init__(self, nin: int, activation: str = "relu") -> None:
        super().__init__()
        if int(nin) < 1:
            raise ValueError(f"Neuron: nin must be at least 1, got {nin}")
        rng = tg.generator()
        self.nin = int(nin)
        self.activation = activation
        self._act = _activation(activation)
        self.w = [Value(float(rng.uniform(-1.0, 1.0)), label=f"w{i}")
                  for i in range(1, self.nin + 1)]
        self.b = Value(0.0, label="b")

    def forward(self, x: Sequence[ScalarInput]) -> Value:
        """The neuron's output for one example ``x`` (a list of ``nin`` numbers or Values)."""
        xs = _as_values(x, self.nin, "Neuron")
        return self._act(Value.weighted_sum(self.w, xs, self.b))

    def extra_repr(self) -> str:
        return f"nin={self.nin}, activation={self.activation!r}"


class Layer(Module):
    """``nout`` neurons that all see the same ``nin`` inputs.

    Called on one example it returns a list of ``nout`` Values (one Value if
    ``nout == 1``, as in micrograd).
    """

    def __init__(self, nin: int, nout: int, activation: str = "relu") -> None:
        super().__init__()
        if int(nout) < 1:
            raise ValueError(f"Layer: nout must be at least 1, got {nout}")
        self.nin, self.nout, self.activation = int(nin), int(nout), activation
        self.neurons = [Neuron(nin, activation) for _ in range(self.nout)]
        self.name_weights("")

    def name_weights(self, layer: str) -> None:
        """Label every weight ``w{layer}[neuron,input]`` and bias ``b{layer}[neuron]``
        (counted from 1), so a drawing of the graph says which neuron each belongs to."""
        for j, neuron in enumerate(self.neurons, 1):
            for i, w in enumerate(neuron.w, 1):
                w.label = f"w{layer}[{j},{i}]"
            neuron.b.label = f"b{layer}[{j}]"

    def _outputs(self, xs: list[Value]) -> list[Value]:
        # The fast path: inputs are already Values of the right length.
        weighted_sum = Value.weighted_sum
        return [n._act(weighted_sum(n.w, xs, n.b)) for n in self.neurons]

    def forward(self, x: Sequence[ScalarInput]) -> Value | list[Value]:
        out = self._outputs(_as_values(x, self.nin, "Layer"))
        return out[0] if len(out) == 1 else out

    def extra_repr(self) -> str:
        return f"nin={self.nin}, nout={self.nout}, activation={self.activation!r}"

    def __repr__(self) -> str:  # one line: sixteen identical neurons say nothing new
        return f"Layer({self.extra_repr()})"


class MLP(Module):
    """A multi-layer perceptron of scalar Layers.

    ``MLP(2, [16, 16, 1])`` has 2 inputs, two hidden layers of 16 neurons with
    ``activation`` and one output neuron with ``output_activation`` ('linear' by
    default: a raw score for a hinge loss or a regression). Called on one
    example it returns a Value when there is one output, else a list of Values.
    """

    def __init__(self, nin: int, nouts: Iterable[int], activation: str = "relu",
                 output_activation: str = "linear") -> None:
        super().__init__()
        sizes = [int(nin), *[int(n) for n in nouts]]
        if len(sizes) < 2:
            raise ValueError("MLP: give at least one layer size, e.g. MLP(2, [16, 16, 1])")
        self.nin = sizes[0]
        self.sizes = sizes
        last = len(sizes) - 2
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation)
            for i in range(len(sizes) - 1)
        ]
        for number, layer in enumerate(self.layers, 1):
            layer.name_weights(str(number))

    def forward(self, x: Sequence[ScalarInput]) -> Value | list[Value]:
        xs = _as_values(x, self.nin, "MLP")
        for layer in self.layers:
            xs = layer._outputs(xs)
        return xs[0] if len(xs) == 1 else xs
