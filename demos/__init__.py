"""Runnable lessons for tinygrad_dk: `python -m demos` (see `python -m demos --list`).

Each demo is one module with a teaching docstring and a function
`run(out_dir: Path, quick: bool, seed: int = 0) -> dict` that prints what it does,
writes its pictures into `out_dir` and returns its headline numbers. `quick=True`
trains less (for the tour and the tests); the numbers are then a little worse.
`seed` picks the random split, sample and initial weights: a lesson must hold
for every seed, not for one lucky draw (the tests try several).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any

# The demos multiply small matrices, for which one BLAS thread is fastest: more
# threads only add start-up cost and, on a busy machine, a lot of waiting. This
# works only if numpy is not loaded yet, as with `python -m demos`.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

# name -> one-line summary, in the order a student should read them
DEMOS: dict[str, str] = {
    "neuron": "one neuron: weighted sum, sigmoid, gradients by hand vs backprop, graph",
    "activations": "sigmoid, ReLU, leaky ReLU, tanh, softmax and their derivatives",
    "numpy_forward": "forward and backward step in numpy alone, equal to the engine",
    "gradcheck": "every op's backprop checked numerically; a wrong Function caught",
    "scalar_mlp": "the scalar MLP learns two moons; decision boundary, graph",
    "unsupervised": "supervised vs unsupervised: an autoencoder sorts the digits unlabelled",
    "full_batch_vs_sgd": "full-batch gradient descent vs mini-batch SGD, loss curves",
    "digits": "10-class softmax on 8x8 digits: dropout, early stopping, confusion",
    "cnn": "a convolutional network on the digits: learnt filters, pooling, vs the MLP",
    "little_data": "too little data: augmentation, transfer (frozen body), a simpler model",
    "wrong_labels": "20% wrong labels: the cost, and the loss pointing a reviewer at them",
    "biased_data": "biased data: trained on small tumours only, tested on all",
    "imbalanced": "breast cancer: accuracy trap, class weights, resampling, threshold",
    "regression": "diabetes: feature scaling, MSE vs MAE with outliers, R2/RMSE/MAE",
    "nonlinear": "non-linear relations: CO2's season, a straight line vs a network",
    "bounded_outputs": "sunspots >= 0: a linear output predicts < 0; ReLU, softplus, log target",
    "tanh_output": "a target in -1..1 (CO2's season): sigmoid cannot go below 0, tanh can",
    "heteroscedastic": "Engel: spread grows with income; weighted loss, GaussianNLLLoss intervals",
    "several_outputs": "six blood values at once: big outputs drown small ones; standardise",
    "time_series": "sunspots one year ahead: same as last year vs an MLP vs an LSTM",
    "overfitting": "small data, big model: dropout, early stopping, k-fold CV",
}


def load(name: str) -> ModuleType:
    """The module of demo `name` (imported only when asked for)."""
    if name not in DEMOS:
        raise KeyError(f"unknown demo {name!r}; choose one of: {', '.join(DEMOS)}")
    return importlib.import_module(f"demos.{name}")


def run(name: str, out_dir: Path | str = "out", quick: bool = False,
        seed: int = 0) -> dict[str, Any]:
    """Run one demo and return its headline numbers."""
    return load(name).run(Path(out_dir), quick, seed=seed)
