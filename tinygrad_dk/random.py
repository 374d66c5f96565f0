"""``tg.random``: PyTorch's ``torch.random``, the shared generator's seed and state.

Every name here is the one the package already has (``tg.manual_seed``, ``tg.seed``,
``tg.get_rng_state``, ...): one generator, reached by two paths. ``fork_rng()`` adds a
``with`` block whose random draws leave the shared stream exactly where it was::

    with tg.random.fork_rng():
        noise = tg.randn(3)        # draws inside
    tg.randn(3)                    # the same numbers as without the block
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tinygrad_dk.creation import initial_seed, manual_seed
from tinygrad_dk.random_fill import get_rng_state, seed, set_rng_state


@contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, **device_options: Any) -> Iterator[None]:
    """Inside the block draw freely; on leaving it (also by an exception) the shared
    generator goes back to its state on entering. ``enabled=False`` does nothing;
    ``devices`` is accepted for PyTorch programs (the CPU's generator is the only one)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


__all__ = ["manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "fork_rng"]
