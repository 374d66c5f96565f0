"""W3, functional tensor MLP step: 784-256-128-10, float32, batch 256, cross-entropy, SGD.

One training step (forward, mean cross-entropy, backward, SGD update with lr 0.01) on
the same random batch and starting weights in every engine. Each engine is written the
way its users write it, with the layers spelled out as ``x @ W.T + b``:

* ours: Tensors, ``nn.functional.cross_entropy``, ``nn.optim.SGD``;
* PyTorch (CPU, 2 threads): tensors, ``torch.nn.functional.cross_entropy``, ``torch.optim.SGD``;
* HIPS autograd: a loss function of a list of arrays, ``autograd.grad``, numpy update;
* MyGrad: tensors, ``mygrad.nnet.softmax_crossentropy``, update of ``.data``;
* numpy: forward and backward written by hand (``benchmarks.mlp_steps.numpy``, as in
  W3s), the floor for any numpy engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks import mlp_steps, peers
from benchmarks.mlp_steps import Setup
from benchmarks.spec import OURS, QUICK_PLAN, Engine, Goal, Plan, Step, Workload

LAYER_SIZES = [784, 256, 128, 10]
QUICK_LAYER_SIZES = [64, 32, 16, 10]
BATCH, QUICK_BATCH = 256, 32
LEARNING_RATE = 0.01
UNIT = "ms/step"
#: 300 timed steps per engine in 15 rounds (as W3s: with 5, the same code's ratio swung
#: by 5-10% from run to run); each turn starts with 50 untimed steps (about
#: 0.15 s), so the engine's own thread pool is awake and the previous engine's asleep
#: before the clock: OpenBLAS's idle threads spin for about 0.1 s after their last
#: product, and with 3 untimed steps a turn that followed MyGrad's or autograd's shared
#: the two cores with them (W3's ratio to numpy then swung between 0.55 and 2.7).
PLAN = Plan(warmup=10, rounds=15, calls=20, settle=50)


def ours_step(weights: list[np.ndarray], X: np.ndarray, labels: np.ndarray) -> Step:
    """Our Tensor engine."""
    Tensor = peers.ours_tensor()
    F, optim = peers.ours_training()
    params = [Tensor(w.copy(), requires_grad=True) for w in weights]
    inputs = Tensor(X)
    optimizer = optim.SGD(params, lr=LEARNING_RATE)

    def step() -> tuple[float, Any]:
        W1, b1, W2, b2, W3, b3 = params
        h1 = (inputs @ W1.T + b1).relu()
        h2 = (h1 @ W2.T + b2).relu()
        loss = F.cross_entropy(h2 @ W3.T + b3, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return float(loss.data), loss

    return step


def torch_step(weights: list[np.ndarray], X: np.ndarray, labels: np.ndarray) -> Step:
    """PyTorch on the CPU."""
    torch = peers.torch_module()
    params = [torch.tensor(w, requires_grad=True) for w in weights]
    inputs, targets = torch.tensor(X), torch.tensor(labels)
    optimizer = torch.optim.SGD(params, lr=LEARNING_RATE)
    cross_entropy = torch.nn.functional.cross_entropy

    def step() -> tuple[float, Any]:
        W1, b1, W2, b2, W3, b3 = params
        h1 = torch.relu(inputs @ W1.T + b1)
        h2 = torch.relu(h1 @ W2.T + b2)
        loss = cross_entropy(h2 @ W3.T + b3, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item(), loss

    return step


def autograd_step(weights: list[np.ndarray], X: np.ndarray, labels: np.ndarray) -> Step:
    """HIPS autograd: ``value_and_grad`` of a loss function of the parameter list."""
    anp = peers.require("autograd.numpy")
    value_and_grad = peers.require("autograd").value_and_grad
    params = [w.copy() for w in weights]
    rows = np.arange(len(X))

    def loss_fn(params: list[Any]) -> Any:
        W1, b1, W2, b2, W3, b3 = params
        h1 = anp.maximum(X @ W1.T + b1, 0.0)
        h2 = anp.maximum(h1 @ W2.T + b2, 0.0)
        logits = h2 @ W3.T + b3
        shifted = logits - anp.max(logits, axis=1, keepdims=True)
        log_probs = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
        return -anp.mean(log_probs[rows, labels])

    loss_and_grads = value_and_grad(loss_fn)

    def step() -> tuple[float, Any]:
        loss, grads = loss_and_grads(params)
        for p, g in zip(params, grads, strict=True):
            p -= LEARNING_RATE * g
        return float(loss), None

    return step


def mygrad_step(weights: list[np.ndarray], X: np.ndarray, labels: np.ndarray) -> Step:
    """MyGrad: tensors, its fused softmax cross-entropy, and an update of ``.data``."""
    mg = peers.require("mygrad")
    relu = peers.require("mygrad.nnet.activations").relu
    softmax_crossentropy = peers.require("mygrad.nnet.losses").softmax_crossentropy
    params = [mg.tensor(w.copy()) for w in weights]

    def step() -> tuple[float, Any]:
        W1, b1, W2, b2, W3, b3 = params
        h1 = relu(X @ W1.T + b1)
        h2 = relu(h1 @ W2.T + b2)
        loss = softmax_crossentropy(h2 @ W3.T + b3, labels)
        loss.backward()  # overwrites .grad; clears the graph, unlocking .data
        for p in params:
            p.data -= LEARNING_RATE * p.grad
        return float(loss.item()), loss

    return step


def _setup(quick: bool) -> Setup:
    sizes = QUICK_LAYER_SIZES if quick else LAYER_SIZES
    return Setup(tuple(sizes), QUICK_BATCH if quick else BATCH)


def _engine(name: str, make: Any, traced_memory: bool = True) -> Engine:
    return Engine(name, lambda batch, quick: make(*_setup(quick).problem()),
                  traced_memory=traced_memory)


WORKLOAD = Workload(
    key="W3",
    title=lambda quick: (f"tensor MLP step, functional: "
                         f"{'-'.join(map(str, QUICK_LAYER_SIZES if quick else LAYER_SIZES))}, "
                         f"float32, batch {QUICK_BATCH if quick else BATCH}, cross-entropy, SGD"),
    unit=UNIT,
    size_name="batch",
    sizes=lambda quick: [QUICK_BATCH if quick else BATCH],
    engines=[
        _engine(OURS, ours_step),
        _engine("torch", torch_step, traced_memory=False),
        _engine("autograd", autograd_step),
        _engine("mygrad", mygrad_step),
        # the same hand-written step as W3s's numpy row (SGD with lr 0.01)
        Engine("numpy", lambda batch, quick: mlp_steps.numpy(_setup(quick))),
    ],
    plan=lambda batch, quick: QUICK_PLAN if quick else PLAN,
    goals=[
        Goal("time ours/numpy", 1.10, lambda r: r.ratio("numpy"), issue="8"),
        Goal("time ours/mygrad (faster)", 1.0, lambda r: r.ratio("mygrad"), issue="8"),
        Goal("time ours/autograd (faster)", 1.0, lambda r: r.ratio("autograd"), issue="8"),
    ],
)
