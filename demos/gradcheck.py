"""Is backprop right? Compare every op's gradient with a numeric slope.

For a function f and a tiny step eps, the central difference

    (f(x + eps) - f(x - eps)) / (2 eps)

measures the slope df/dx without knowing any derivative rule; its error is of the
order eps^2. `tinygrad_dk.gradcheck(fn, inputs)` does this for every element of every
input and compares with the gradient backprop computes. It returns True or raises
`GradcheckError` with a table of the elements that disagree.

Two rules make the check trustworthy:

* use float64: with float32's 7 digits the difference quotient is mostly noise;
* keep inputs away from kinks (relu and abs at 0, max with ties): there the
  derivative does not exist and the two sides of the difference quotient disagree.

The last part writes a new op as a `Function` (as `torch.autograd.Function`) with
a deliberate mistake in its derivative, and shows gradcheck catching it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_dk as tg
from demos._common import print_table
from tinygrad_dk import Function, GradcheckError, Tensor, Value, gradcheck

OUTPUTS: tuple[str, ...] = ()  # this demo only prints

# (name, function, input values): Value ops work on one number per input.
VALUE_CASES: list[tuple[str, Callable, tuple[float, ...]]] = [
    ("a + b", lambda a, b: a + b, (1.5, -0.7)),
    ("a - b", lambda a, b: a - b, (1.5, -0.7)),
    ("a * b", lambda a, b: a * b, (1.5, -0.7)),
    ("a / b", lambda a, b: a / b, (1.5, -0.7)),
    ("a ** 3", lambda a: a**3, (1.3,)),
    ("a ** b", lambda a, b: a**b, (1.3, 0.8)),
    ("exp(a)", lambda a: a.exp(), (0.4,)),
    ("log(a)", lambda a: a.log(), (2.5,)),
    ("sqrt(a)", lambda a: a.sqrt(), (2.5,)),
    ("abs(a)", lambda a: a.abs(), (-0.8,)),
    ("tanh(a)", lambda a: a.tanh(), (0.4,)),
    ("sigmoid(a)", lambda a: a.sigmoid(), (0.4,)),
    ("relu(a)", lambda a: a.relu(), (0.9,)),
    ("leaky_relu(a)", lambda a: a.leaky_relu(0.1), (-0.9,)),
    ("neuron", lambda w, x, b: (w * x + b).sigmoid(), (0.5, -1.2, 0.1)),
]

# (name, function, input shapes): Tensor ops on small random float64 arrays.
TENSOR_CASES: list[tuple[str, Callable, tuple[tuple[int, ...], ...]]] = [
    ("a + b (broadcast)", lambda a, b: a + b, ((3, 4), (4,))),
    ("a * b (broadcast)", lambda a, b: a * b, ((3, 4), (3, 1))),
    ("a / b", lambda a, b: a / (b * b + 1), ((3, 4), (3, 4))),
    ("a ** 2", lambda a: a**2, ((3, 4),)),
    ("a @ b", lambda a, b: a @ b, ((3, 4), (4, 2))),
    ("exp", lambda a: a.exp(), ((3, 4),)),
    ("log", lambda a: (a * a + 1).log(), ((3, 4),)),
    ("sqrt", lambda a: (a * a + 1).sqrt(), ((3, 4),)),
    ("abs", lambda a: a.abs(), ((3, 4),)),
    ("tanh", lambda a: a.tanh(), ((3, 4),)),
    ("sigmoid", lambda a: a.sigmoid(), ((3, 4),)),
    ("relu", lambda a: a.relu(), ((3, 4),)),
    ("leaky_relu", lambda a: a.leaky_relu(0.1), ((3, 4),)),
    ("sum(axis=0)", lambda a: a.sum(axis=0), ((3, 4),)),
    ("mean(axis=1)", lambda a: a.mean(axis=1, keepdims=True), ((3, 4),)),
    ("max(axis=1)", lambda a: a.max(axis=1), ((3, 4),)),
    ("var", lambda a: a.var(axis=0), ((3, 4),)),
    ("softmax", lambda a: a.softmax(axis=1), ((3, 4),)),
    ("log_softmax", lambda a: a.log_softmax(axis=1), ((3, 4),)),
    ("logsumexp", lambda a: a.logsumexp(axis=1), ((3, 4),)),
    ("reshape, .T", lambda a: a.reshape(4, 3).T, ((3, 4),)),
    ("a[1:, ::2]", lambda a: a[1:, ::2], ((3, 4),)),
    ("concatenate", lambda a, b: tg.concatenate([a, b], axis=0), ((3, 4), (2, 4))),
    ("stack", lambda a, b: tg.stack([a, b], axis=1), ((3, 4), (3, 4))),
    ("where", lambda a, b: tg.where(a.data > 0, a, b), ((3, 4), (3, 4))),
    ("maximum", lambda a, b: tg.maximum(a, b), ((3, 4), (3, 4))),
    ("clip", lambda a: a.clip(-0.5, 0.5), ((3, 4),)),
]


def away_from_kinks(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random float64 numbers with |x| >= 0.1 and no two equal: no relu/abs/max kinks."""
    x = rng.uniform(0.1, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    return x + 1e-3 * np.arange(x.size).reshape(shape)  # break ties between elements


class Cube(Function):
    """x ** 3 done right."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx: Any, grad: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2


class WrongCube(Cube):
    """Cube's forward with a deliberate bug in the derivative: it forgets the square."""

    @staticmethod
    def backward(ctx: Any, grad: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return grad * 3 * x  # wrong: d/dx x^3 = 3 x^2


def check(fn: Callable, inputs: list[Any]) -> str:
    """'ok', or the first line of the GradcheckError."""
    try:
        gradcheck(fn, inputs)
        return "ok"
    except GradcheckError as err:
        return "FAILED: " + str(err).splitlines()[0]


def run(out_dir: Path, quick: bool, seed: int = 0) -> dict[str, Any]:
    del seed  # nothing random to seed here: the lesson is exact
    rng = np.random.default_rng(0)  # fixed inputs: every run checks the same points
    rows = []
    for name, fn, values in VALUE_CASES:
        inputs = [Value(v) for v in values]
        rows.append(("Value", name, "scalars", check(fn, inputs)))
    for name, fn, shapes in TENSOR_CASES:
        inputs = [Tensor(away_from_kinks(rng, s), requires_grad=True) for s in shapes]
        shape_text = " ".join("x".join(map(str, s)) for s in shapes)
        rows.append(("Tensor", name, shape_text, check(fn, inputs)))
    # custom ops: the right Cube passes ...
    x = Tensor(away_from_kinks(rng, (2, 3)), requires_grad=True)
    rows.append(("Function", "Cube", "2x3", check(Cube.apply, [x])))

    print("Backprop vs central differences (float64, eps=1e-6):")
    print_table(["engine", "op", "input shapes", "gradcheck"], rows)
    passed = sum(row[3] == "ok" for row in rows)
    print(f"\n{passed} of {len(rows)} checks passed.")

    # ... and the wrong one is caught, with the element that disagrees.
    print("\nA custom Function with a wrong derivative (3x instead of 3x^2):")
    caught = False
    try:
        gradcheck(WrongCube.apply, [x])
    except GradcheckError as err:
        caught = True
        print("  GradcheckError:")
        for line in str(err).splitlines():
            print("    " + line)
    return {"checks": len(rows), "passed": passed, "wrong_function_caught": caught}
