"""Importing the engines: ours and the peers, each skipped with a note when missing.

Peers are imported from the environment (``pip install -e ".[bench]"`` and
``pip install torch==2.13.0``); nothing of theirs is copied into this repository.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import math
import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

from benchmarks.spec import OURS, Engine, Size, Step, Unavailable

#: PyTorch's threads: 2, or what ``--threads`` put into this variable for the workers.
THREADS_VARIABLE = "TINYGRAD_DK_BENCH_THREADS"
TORCH_THREADS = int(os.environ.get(THREADS_VARIABLE, "2"))

#: How to install each peer, quoted in the "skipped" note.
INSTALL_HINTS = {
    "micrograd": 'pip install -e ".[bench]"',
    "autograd": 'pip install -e ".[bench]"',
    "mygrad": 'pip install -e ".[bench]"',
    "torch": "pip install torch==2.13.0",
}

#: Distribution names whose versions the report lists.
DISTRIBUTIONS = ("tinygrad-dk", "numpy", "micrograd", "autograd", "mygrad", "torch")


def require(module_name: str) -> ModuleType:
    """Import a peer's module, or raise :class:`Unavailable` saying how to install it."""
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        top = module_name.split(".")[0]
        hint = INSTALL_HINTS.get(top, f"pip install {top}")
        raise Unavailable(f"{top} not installed ({hint}): {error}") from error


def torch_module() -> ModuleType:
    """PyTorch on the CPU with :data:`TORCH_THREADS` threads."""
    torch = require("torch")
    torch.set_num_threads(TORCH_THREADS)
    return torch


def _micrograd_tanh(self: Any) -> Any:
    """tanh for micrograd 0.1.0's Value, which has none: one node, closure backward."""
    value_class = type(self)
    t = math.tanh(self.data)
    out = value_class(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1.0 - t * t) * out.grad

    out._backward = _backward
    return out


def micrograd_value() -> type:
    """micrograd's Value class, given a ``tanh`` method if its version lacks one.

    micrograd 0.1.0 (the PyPI release) has no tanh; the chain workload needs one. The
    method added here builds one node whose backward is a closure, exactly as
    micrograd's own ops do, so it costs what a built-in micrograd tanh would.
    """
    engine = require("micrograd.engine")
    if not hasattr(engine.Value, "tanh"):
        engine.Value.tanh = _micrograd_tanh
    return engine.Value


def micrograd_adds_tanh() -> bool:
    """True when the installed micrograd lacks tanh (so the runner supplies it)."""
    try:
        engine = importlib.import_module("micrograd.engine")
    except ImportError:
        return False
    return getattr(engine.Value, "tanh", None) in (None, _micrograd_tanh)


def ours_value() -> type:
    """Our scalar ``Value``, or :class:`Unavailable` while it is unwritten."""
    try:
        from tinygrad_dk import Value
    except ImportError as error:
        raise Unavailable(f"ours not ready (tinygrad_dk.Value): {error}") from error
    return Value


def ours_nn() -> ModuleType:
    """Our ``nn`` package with its scalar ``MLP``, or :class:`Unavailable`."""
    try:
        import nn

        nn.MLP  # noqa: B018 - the scalar MLP must exist too
    except (ImportError, AttributeError) as error:
        raise Unavailable(f"ours not ready (nn.MLP): {error}") from error
    return nn


def ours_tensor() -> type:
    """Our ``Tensor``, or :class:`Unavailable` while it is unwritten."""
    try:
        from tinygrad_dk import Tensor
    except ImportError as error:
        raise Unavailable(f"ours not ready (tinygrad_dk.Tensor): {error}") from error
    return Tensor


def ours_training() -> tuple[ModuleType, ModuleType]:
    """Our ``nn.functional`` and ``nn.optim``, or :class:`Unavailable`."""
    try:
        import nn.functional as F
        from nn import optim
    except ImportError as error:
        raise Unavailable(f"ours not ready (nn.functional / nn.optim): {error}") from error
    return F, optim


def versions() -> dict[str, str | None]:
    """Installed version of each engine's distribution (None when not installed)."""
    found: dict[str, str | None] = {}
    for name in DISTRIBUTIONS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


class NNLibrary:
    """What a program written against PyTorch's API needs from an engine: ``nn``,
    ``optim``, a tensor from an array, and loading a numpy state dict into a model.

    Ours and PyTorch both provide it, so a workload builds the same program for both:
    only this object differs.
    """

    def __init__(self, name: str) -> None:
        if name == "torch":
            torch = torch_module()
            self.nn, self.optim, self.tensor = torch.nn, torch.optim, torch.tensor
        else:
            self.nn, self.tensor = ours_nn(), ours_tensor()
            self.optim = self.nn.optim

    def load(self, model: Any, state: dict[str, Any]) -> Any:
        """``model`` with the numpy arrays of ``state`` loaded into it."""
        model.load_state_dict({k: self.tensor(v) for k, v in state.items()})
        return model


def training_step(model: Any, loss_fn: Any, optimizer: Any, inputs: Any, targets: Any
                  ) -> Any:
    """One training step as a PyTorch user writes it, for ours and PyTorch alike:
    ``zero_grad``, forward, loss, ``backward``, ``step``. Returns (loss, loss): the loss
    is the check value and stays alive until the clock stops."""

    def step() -> tuple[float, Any]:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return float(loss.item()), loss

    return step


def ours_and_torch(build: Callable[[str, Size, bool], Step]) -> list[Engine]:
    """Our row and PyTorch's for a program written once against :class:`NNLibrary`:
    ``build(engine_name, size, quick)`` makes either step. PyTorch's arrays live in C++,
    out of tracemalloc's sight, so its row measures no peak memory."""
    return [Engine(OURS, lambda size, quick: build(OURS, size, quick)),
            Engine("torch", lambda size, quick: build("torch", size, quick),
                   traced_memory=False)]
