"""One training step of a ReLU MLP classifier, written the way each engine's users write it.

Shared by W3s, W3a, W3o and the scaling table. ``Setup`` fixes the layer sizes, the
batch and the optimizer; every engine starts from the same weights and batch
(``benchmarks.inputs``), so their losses agree:

* ours: ``nn.Sequential(nn.Linear, nn.ReLU, ..., nn.Linear)``, ``nn.CrossEntropyLoss()``,
  an optimizer from ``nn.optim``; ``zero_grad``, forward, ``backward``, ``step``;
* PyTorch: the same lines with ``torch.nn`` and ``torch.optim`` (CPU, 2 threads);
* numpy: forward and backward written by hand (stable log-softmax, softmax minus
  one-hot), the update in place: the floor for any engine built on numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks import peers
from benchmarks.inputs import classification_batch, tensor_mlp_weights
from benchmarks.spec import Engine, Size, Step

if TYPE_CHECKING:  # only for the type hint of products_note
    from benchmarks.results import WorkloadResult

#: Learning rate and options per optimizer (AdamW with PyTorch's default decay, explicit).
OPTIMIZERS: dict[str, dict[str, Any]] = {
    "SGD": {"lr": 0.01},
    "Adam": {"lr": 1e-3},
    "AdamW": {"lr": 1e-3, "weight_decay": 0.01},
}


@dataclass(frozen=True)
class Setup:
    """Layer sizes (inputs first, classes last), batch size and optimizer name."""

    sizes: tuple[int, ...]
    batch: int
    optimizer: str = "SGD"

    def problem(self) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        """Starting weights ``[W1, b1, ...]``, the inputs and the integer labels."""
        weights = tensor_mlp_weights(list(self.sizes), dtype=np.float32)
        X, labels = classification_batch(self.batch, self.sizes[0], self.sizes[-1],
                                         dtype=np.float32)
        return weights, X, labels

    @property
    def shape(self) -> str:
        return "-".join(str(s) for s in self.sizes)


def state_dict(weights: list[np.ndarray]) -> dict[str, np.ndarray]:
    """``[W1, b1, W2, b2, ...]`` as a Sequential's state dict (ReLUs at odd positions)."""
    return {f"{2 * (i // 2)}.{'weight' if i % 2 == 0 else 'bias'}": w
            for i, w in enumerate(weights)}


def _layers(linear: Any, relu: Any, sizes: tuple[int, ...]) -> list[Any]:
    layers: list[Any] = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(relu())
    return layers


def engine(name: str, setup: Setup) -> Step:
    """Ours or PyTorch (``name``): Sequential, CrossEntropyLoss and an optimizer, the
    same lines for both (with torch.nn and torch.optim for PyTorch, on the CPU)."""
    lib = peers.NNLibrary(name)
    weights, X, labels = setup.problem()
    model = lib.load(lib.nn.Sequential(*_layers(lib.nn.Linear, lib.nn.ReLU, setup.sizes)),
                     state_dict(weights))
    optimizer = getattr(lib.optim, setup.optimizer)(model.parameters(),
                                                    **OPTIMIZERS[setup.optimizer])
    return peers.training_step(model, lib.nn.CrossEntropyLoss(), optimizer, lib.tensor(X),
                               lib.tensor(labels))


def engines(setup_at: Callable[[Size, bool], Setup]) -> list[Engine]:
    """Ours, PyTorch and numpy on the setup ``setup_at(size, quick)``."""
    return [*peers.ours_and_torch(lambda name, size, quick: engine(name, setup_at(size, quick))),
            Engine("numpy", lambda size, quick: numpy(setup_at(size, quick)))]


def numpy(setup: Setup) -> Step:
    """Forward and backward by hand; SGD or Adam(W) by hand, in place."""
    weights, X, labels = setup.problem()
    params = [w.copy() for w in weights]
    n_layers = len(params) // 2
    rows = np.arange(len(X))
    update = _sgd(params) if setup.optimizer == "SGD" else _adam(params, setup.optimizer)

    def step() -> tuple[float, Any]:
        # forward, keeping each layer's input
        inputs = [X]
        for i in range(n_layers):
            z = inputs[-1] @ params[2 * i].T + params[2 * i + 1]
            inputs.append(np.maximum(z, 0) if i < n_layers - 1 else z)
        logits = inputs.pop()
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_probs[rows, labels].mean()
        # backward: d loss / d logits = (softmax - one_hot) / batch
        d = np.exp(log_probs)
        d[rows, labels] -= 1
        d /= len(X)
        grads: list[Any] = [None] * len(params)
        for i in reversed(range(n_layers)):
            a = inputs[i]
            grads[2 * i], grads[2 * i + 1] = d.T @ a, d.sum(axis=0)
            if i:
                d = (d @ params[2 * i]) * (a > 0)
        update(grads)
        return float(loss), None

    return step


#: The informational rows of the step's matrix products alone (see ``products``).
PRODUCTS = {"numpy": "numpy, products only", "torch": "torch, products only"}


def product_list(name: str, setup: Setup) -> list[tuple[str, Callable[[], Any]]]:
    """The step's matrix products, one call each, with numpy's BLAS (``name`` "numpy")
    or PyTorch's ("torch"): each layer's forward product, then from the last layer down
    its weight gradient and (below the first layer) its input gradient, on arrays of the
    step's shapes and layouts. Each comes with a label that names the product and its
    shape, such as ``"W grad 2: (256x10)^T (256x128)"``.

    This is the part of the step that is all BLAS, the same work for every engine: it
    shows how much of a ratio against PyTorch is numpy's BLAS against PyTorch's
    (OpenBLAS against MKL on Intel), which no engine built on numpy can change.
    The numpy products use ours' layouts (``nn.Linear`` keeps its weight column-major;
    the hand-written step's row-major weights are no faster), PyTorch's its own.
    """
    weights, X, _ = setup.problem()
    rng = np.random.default_rng(1)  # activations and gradients: any numbers will do
    acts = [X] + [rng.standard_normal((setup.batch, n), dtype=np.float32)
                  for n in setup.sizes[1:-1]]
    grads = [rng.standard_normal((setup.batch, n), dtype=np.float32) for n in setup.sizes[1:]]
    mats = weights[0::2]
    # the weight gradient g^T a in the layout each engine's backward computes it
    if name == "torch":
        torch = peers.torch_module()
        acts, grads, mats = ([torch.from_numpy(a) for a in arrays]
                             for arrays in (acts, grads, mats))
        weight_grad = lambda g, a: g.T @ a  # noqa: E731
    else:
        mats = [np.asfortranarray(w) for w in mats]
        weight_grad = lambda g, a: (a.T @ g).T  # noqa: E731
    n, sizes = setup.batch, setup.sizes
    found = [(f"forward {i}: ({n}x{sizes[i]}) ({sizes[i]}x{sizes[i + 1]})",
              lambda i=i: acts[i] @ mats[i].T) for i in range(len(mats))]
    for i in reversed(range(len(mats))):
        found.append((f"W grad {i}: ({n}x{sizes[i + 1]})^T ({n}x{sizes[i]})",
                      lambda i=i: weight_grad(grads[i], acts[i])))
        if i:
            found.append((f"x grad {i}: ({n}x{sizes[i + 1]}) ({sizes[i + 1]}x{sizes[i]})",
                          lambda i=i: grads[i] @ mats[i]))
    return found


def products(name: str, setup: Setup) -> Step:
    """All of the step's matrix products (``product_list``) in one timed call: the W3s
    rows "numpy, products only" and "torch, products only"."""
    calls = [call for _, call in product_list(name, setup)]

    def step() -> tuple[float, Any]:
        outs = [call() for call in calls]
        return float(outs[0][0, 0]), outs  # one number of a product: both rows agree

    return step


def products_note(result: WorkloadResult) -> None:
    """The note comparing the two rows of products alone (a ``Workload.finish``)."""
    numpy_row, torch_row = (result.find(PRODUCTS[k]) for k in ("numpy", "torch"))
    if numpy_row is None or torch_row is None or not numpy_row.median or not torch_row.median:
        return
    result.notes.append(
        f"the step's matrix products alone: {numpy_row.median:.3g} {numpy_row.unit} with "
        f"numpy's BLAS, {torch_row.median:.3g} with PyTorch's (numpy/PyTorch "
        f"{numpy_row.median / torch_row.median:.2f}); the rest of the step is each "
        "engine's own")


def _sgd(params: list[np.ndarray]) -> Any:
    lr = OPTIMIZERS["SGD"]["lr"]

    def update(grads: list[np.ndarray]) -> None:
        for p, g in zip(params, grads):
            p -= lr * g

    return update


def _adam(params: list[np.ndarray], name: str) -> Any:
    """Adam (or AdamW: decoupled weight decay) as a numpy user writes it."""
    lr, decay = OPTIMIZERS[name]["lr"], OPTIMIZERS[name].get("weight_decay", 0.0)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t = [0]

    def update(grads: list[np.ndarray]) -> None:
        t[0] += 1
        step_size = lr / (1 - beta1 ** t[0])
        root_correction = math.sqrt(1 - beta2 ** t[0])
        for p, g, m_, v_ in zip(params, grads, m, v):
            if decay:
                p *= 1 - lr * decay
            m_ *= beta1
            m_ += (1 - beta1) * g
            v_ *= beta2
            v_ += (1 - beta2) * (g * g)
            p -= step_size * m_ / (np.sqrt(v_) / root_correction + eps)

    return update
