"""W3f, one epoch of ``nn.fit`` against the same epoch written as a plain loop.

2,048 rows of 784 features, 10 classes, batch 256 (8 steps), the W3s model
(784-256-128-10, SGD lr 0.01); quick: 256 rows, 64-32-16-10, batch 32. What one
timed call does:

* ``nn.fit``: ``fit(model, CrossEntropyLoss(), SGD, X, y, epochs=1, batch_size=256,
  seed=0, progress=False)``;
* hand loop: the same epoch as a user writes it without ``fit``: shuffle with the same
  seed, then per batch ``zero_grad``, forward, loss, ``backward``, ``step``; then what
  ``fit`` records for the epoch, the loss of the trained model on all 2,048 rows
  (eval mode, ``no_grad``, batches of 256). So both do the same arithmetic, and the
  ratio is the price of ``fit``'s bookkeeping (checks, batching, history);
* hand loop, steps only (for information): the 8 steps without the end-of-epoch loss,
  showing what that evaluation costs. Its check value is the last batch's loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.inputs import classification_batch, tensor_mlp_weights
from benchmarks.mlp_steps import Setup, _layers, state_dict
from benchmarks.spec import Engine, Goal, Plan, Step, Workload

FULL = Setup((784, 256, 128, 10), 256, "SGD")
QUICK = Setup((64, 32, 16, 10), 32, "SGD")
ROWS, QUICK_ROWS = 2048, 256
SEED = 0
LEARNING_RATE = 0.01
FIT, HAND, STEPS_ONLY = "nn.fit", "hand loop", "hand loop, steps only"
#: Each turn starts with 8 untimed epochs (about 0.15 s), as W3s's 50 untimed steps: the
#: previous engine's idle OpenBLAS threads spin for about 0.1 s after their last product,
#: and a timed epoch that overlaps them shares the two cores (with one untimed epoch the
#: per-round ratios spread over 0.78-1.35). 15 rounds, as W3s: with 5, runs of the
#: same code gave medians from 0.975 to 1.14; with 15, three runs gave 1.012-1.020.
PLAN = Plan(warmup=3, rounds=15, calls=6, settle=8)
QUICK_PLAN = Plan(warmup=1, rounds=1, calls=2)


def _training(quick: bool) -> tuple[Any, Any, Any, np.ndarray, np.ndarray, int]:
    """Model, loss, optimizer, X, y and the batch size, from the shared weights."""
    nn = peers.ours_nn()
    from nn import optim

    setup = QUICK if quick else FULL
    model = nn.Sequential(*_layers(nn.Linear, nn.ReLU, setup.sizes))
    model.load_state_dict(state_dict(tensor_mlp_weights(list(setup.sizes))))
    X, y = classification_batch(QUICK_ROWS if quick else ROWS, setup.sizes[0],
                                setup.sizes[-1])
    optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE)
    return model, nn.CrossEntropyLoss(), optimizer, X, y, setup.batch


def build_fit(rows: Any, quick: bool) -> Step:
    """One epoch of ``nn.fit``; check = the epoch's recorded training loss."""
    model, loss_fn, optimizer, X, y, batch = _training(quick)
    fit = peers.ours_nn().fit

    def step() -> tuple[float, Any]:
        history = fit(model, loss_fn, optimizer, X, y, epochs=1, batch_size=batch,
                      seed=SEED, progress=False)
        return history["loss"][-1], history

    return step


def _hand_loop(evaluate: bool) -> Any:
    def build(rows: Any, quick: bool) -> Step:
        Tensor = peers.ours_tensor()
        from tinygrad_dk import no_grad

        model, loss_fn, optimizer, X, y, batch = _training(quick)
        n = len(X)

        def step() -> tuple[float, Any]:
            order = np.random.default_rng(SEED).permutation(n)
            model.train()
            for start in range(0, n, batch):
                rows = order[start:start + batch]
                optimizer.zero_grad()
                loss = loss_fn(model(Tensor(X[rows])), Tensor(y[rows]))
                loss.backward()
                optimizer.step()
            if not evaluate:
                return loss.item(), loss
            model.eval()
            total = 0.0
            with no_grad():
                for start in range(0, n, batch):
                    part = slice(start, start + batch)
                    loss = loss_fn(model(Tensor(X[part])), Tensor(y[part]))
                    total += loss.item() * (min(start + batch, n) - start)
            return total / n, None

        return step
    return build


WORKLOAD = Workload(
    key="W3f",
    title=lambda quick: (f"one epoch of nn.fit vs the same loop by hand: "
                         f"{QUICK_ROWS if quick else ROWS} rows, "
                         f"{(QUICK if quick else FULL).shape}, batch "
                         f"{(QUICK if quick else FULL).batch}, SGD"),
    unit="ms/epoch",
    size_name="rows",
    sizes=lambda quick: [QUICK_ROWS if quick else ROWS],
    engines=[
        Engine(FIT, build_fit),
        Engine(HAND, _hand_loop(evaluate=True)),
        Engine(STEPS_ONLY, _hand_loop(evaluate=False), checked=False),
    ],
    plan=lambda rows, quick: QUICK_PLAN if quick else PLAN,
    goals=[Goal("time nn.fit / hand loop (same work)", 1.05, lambda r: r.ratio(HAND),
                issue="17")],
)
