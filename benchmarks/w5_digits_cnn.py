"""W5, the digits CNN step: batch 64 of 1x8x8 images, two convolutions, SGD.

One training step of the network of the `cnn` lesson (without its dropout):
Conv2d(1, 16, 3, padding=1) - ReLU - MaxPool2d(2) - Conv2d(16, 32, 3, padding=1) - ReLU -
MaxPool2d(2) - Flatten - Linear(128, 10), mean cross-entropy, SGD with lr 0.01. Both
engines start from the same weights (drawn once with numpy, loaded with
``load_state_dict``) and see the same batch, so their first losses agree. Each is
written as its users write it:

* ours: ``nn.Sequential`` of ``nn.Conv2d`` ..., ``nn.CrossEntropyLoss``, ``nn.optim.SGD``;
* PyTorch (CPU): the same with ``torch.nn`` and ``torch.optim``.

Quick: batch 16.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.spec import QUICK_PLAN, Goal, Plan, Size, Step, Workload

BATCH, QUICK_BATCH = 64, 16
LEARNING_RATE = 0.01
PLAN = Plan(warmup=10, rounds=5, calls=20, settle=3)


def cnn_state(seed: int = 5) -> dict[str, np.ndarray]:
    """Starting weights under PyTorch's state-dict keys, uniform in +-1/sqrt(fan_in)."""
    rng = np.random.default_rng(seed)
    shapes = {"0": ((16, 1, 3, 3), 9), "3": ((32, 16, 3, 3), 144), "7": ((10, 128), 128)}
    state = {}
    for layer, (shape, fan_in) in shapes.items():
        bound = 1.0 / np.sqrt(fan_in)
        state[f"{layer}.weight"] = rng.uniform(-bound, bound, shape).astype(np.float32)
        state[f"{layer}.bias"] = rng.uniform(-bound, bound, shape[0]).astype(np.float32)
    return state


def image_batch(batch: int, seed: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Random 1x8x8 images in [0, 1] (as the digits / 16) and labels 0..9."""
    rng = np.random.default_rng(seed)
    return rng.random((batch, 1, 8, 8)).astype(np.float32), rng.integers(0, 10, batch)


def _layers(lib: Any) -> Any:
    return lib.Sequential(
        lib.Conv2d(1, 16, 3, padding=1), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(16, 32, 3, padding=1), lib.ReLU(), lib.MaxPool2d(2),
        lib.Flatten(), lib.Linear(128, 10),
    )


def _step(engine: str, batch: Size, quick: bool) -> Step:
    """The step of ``engine`` (ours or PyTorch): same program, weights and batch."""
    lib = peers.NNLibrary(engine)
    model = lib.load(_layers(lib.nn), cnn_state())
    X, labels = image_batch(int(batch))
    optimizer = lib.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    return peers.training_step(model, lib.nn.CrossEntropyLoss(), optimizer, lib.tensor(X),
                               lib.tensor(labels))


WORKLOAD = Workload(
    key="W5",
    title=lambda quick: (f"digits CNN step: batch {QUICK_BATCH if quick else BATCH}, 1x8x8, "
                         "conv16-pool-conv32-pool-linear, cross-entropy, SGD"),
    unit="ms/step",
    size_name="batch",
    sizes=lambda quick: [QUICK_BATCH if quick else BATCH],
    engines=peers.ours_and_torch(_step),
    plan=lambda batch, quick: QUICK_PLAN if quick else PLAN,
    goals=[Goal("time ours/torch", 1.5, lambda r: r.ratio("torch"), issue="15")],
)
