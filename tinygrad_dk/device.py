"""Devices: tinygrad_dk computes on the CPU, with numpy.

PyTorch programs pick a device at the top::

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device); x = x.to(device)

Here ``cuda.is_available()``, ``accelerator.is_available()`` and
``backends.mps.is_available()`` say False, so such a program chooses the CPU and runs
unchanged; ``.to("cpu")`` and ``.cpu()`` return the tensor itself. Asking for a GPU
explicitly (``.cuda()``, ``.to("cuda")``) is an error that says so.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


class device:  # noqa: N801 - PyTorch's name
    """A place to compute: only ``device("cpu")`` exists here."""

    def __init__(self, type: str | device = "cpu", index: int | None = None) -> None:  # noqa: A002
        name = type.type if isinstance(type, device) else str(type)
        self.type = name.split(":")[0]
        self.index = index

    def __eq__(self, other: object) -> bool:
        return str(other).split(":")[0] == self.type

    def __hash__(self) -> int:
        return hash(self.type)

    def __repr__(self) -> str:
        return f"device(type={self.type!r})"

    def __str__(self) -> str:
        return self.type


CPU = device("cpu")


def check(where: Any, what: str = "to") -> None:
    """Refuse any device but the CPU, with the reason (None means the CPU)."""
    if where is None or device(where).type == "cpu":
        return
    raise RuntimeError(
        f"{what}({str(where)!r}): tinygrad_dk computes on the CPU with numpy, there is no "
        f"{device(where).type} device. Choose the device as PyTorch programs do, "
        '`device = "cuda" if torch.cuda.is_available() else "cpu"` (False here), or drop '
        "the .to(...)/.cuda() call"
    )


def _never() -> bool:
    """No GPU or other accelerator here."""
    return False


def _nothing(*args: Any, **kwargs: Any) -> None:
    """Seeding or configuring a GPU: nothing to do without one."""


# What seeding boilerplate touches (torch.cuda.manual_seed_all(0),
# torch.backends.cudnn.deterministic = True) works and changes nothing.
cuda = SimpleNamespace(is_available=_never, device_count=lambda: 0, manual_seed=_nothing,
                       manual_seed_all=_nothing)
accelerator = SimpleNamespace(is_available=_never, current_accelerator=lambda: None)
backends = SimpleNamespace(mps=SimpleNamespace(is_available=_never),
                           cuda=SimpleNamespace(is_built=_never),
                           cudnn=SimpleNamespace(deterministic=False, benchmark=False,
                                                 enabled=False, is_available=_never))


def use_deterministic_algorithms(mode: bool, warn_only: bool = False) -> None:
    """Accepted for PyTorch programs: numpy on the CPU is deterministic already."""
