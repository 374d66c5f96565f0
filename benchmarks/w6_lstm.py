"""W6, an LSTM step: LSTM(1, 16) over 12 time steps, batch 238, Linear(16, 1), MSE, Adam.

One training step of a one-year-ahead forecaster like the LSTM of the `time_series`
lesson: the LSTM reads 12 numbers per sequence (batch first), a Linear layer turns the
last hidden state into the forecast, mean squared error, Adam with lr 0.01. Both
engines start from the same weights (PyTorch's state-dict keys, loaded with
``load_state_dict``) and see the same batch; each is written as its users write it:

* ours: ``nn.LSTM(1, 16, batch_first=True)``, ``nn.Linear``, ``nn.MSELoss``, ``nn.optim.Adam``;
* PyTorch (CPU): the same with ``torch.nn`` and ``torch.optim``.

Quick: batch 32, 6 time steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.spec import QUICK_PLAN, Goal, Plan, Size, Step, Workload

BATCH, STEPS, HIDDEN = 238, 12, 16
QUICK_BATCH, QUICK_STEPS = 32, 6
LEARNING_RATE = 0.01
PLAN = Plan(warmup=10, rounds=5, calls=20, settle=3)


def lstm_state(seed: int = 7) -> dict[str, np.ndarray]:
    """Starting weights under PyTorch's keys: LSTM parameters uniform in +-1/sqrt(16)."""
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(HIDDEN)
    shapes = {"lstm.weight_ih_l0": (4 * HIDDEN, 1), "lstm.weight_hh_l0": (4 * HIDDEN, HIDDEN),
              "lstm.bias_ih_l0": (4 * HIDDEN,), "lstm.bias_hh_l0": (4 * HIDDEN,),
              "head.weight": (1, HIDDEN), "head.bias": (1,)}
    return {k: rng.uniform(-bound, bound, s).astype(np.float32) for k, s in shapes.items()}


def sequence_batch(batch: int, steps: int, seed: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Sequences (batch, steps, 1) and targets (batch, 1), like scaled sunspot numbers."""
    rng = np.random.default_rng(seed)
    X = rng.random((batch, steps, 1)).astype(np.float32)
    return X, rng.random((batch, 1)).astype(np.float32)


def _forecaster(lib: Any) -> Any:
    class Forecaster(lib.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = lib.LSTM(1, HIDDEN, batch_first=True)
            self.head = lib.Linear(HIDDEN, 1)

        def forward(self, x: Any) -> Any:
            out, _ = self.lstm(x)
            return self.head(out[:, -1])

    return Forecaster()


def _step(engine: str, batch: Size, quick: bool) -> Step:
    """The step of ``engine`` (ours or PyTorch): same program, weights and batch."""
    lib = peers.NNLibrary(engine)
    model = lib.load(_forecaster(lib.nn), lstm_state())
    X, y = sequence_batch(int(batch), QUICK_STEPS if quick else STEPS)
    optimizer = lib.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    return peers.training_step(model, lib.nn.MSELoss(), optimizer, lib.tensor(X),
                               lib.tensor(y))


WORKLOAD = Workload(
    key="W6",
    title=lambda quick: (f"LSTM step: LSTM(1, {HIDDEN}) over {QUICK_STEPS if quick else STEPS} "
                         f"steps, batch {QUICK_BATCH if quick else BATCH}, Linear(16, 1), "
                         "MSE, Adam"),
    unit="ms/step",
    size_name="batch",
    sizes=lambda quick: [QUICK_BATCH if quick else BATCH],
    engines=peers.ours_and_torch(_step),
    plan=lambda batch, quick: QUICK_PLAN if quick else PLAN,
    goals=[Goal("time ours/torch", 2.0, lambda r: r.ratio("torch"), issue="15")],
)
