"""Memory stays flat over long training: each step's graph is freed as soon as its
loss goes out of scope, by reference counting alone (no reference cycles, so no
garbage collection is needed, and the tests switch the collector off to prove it).
"""

import gc
import tracemalloc

import numpy as np
import pytest

import nn
from nn import optim
from tinygrad_dk import Tensor, Value


@pytest.fixture
def no_gc():
    """Run without the cyclic garbage collector: only reference counting frees memory."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _traced_growth(step, warmup, steps):
    """Bytes still allocated after ``steps`` more steps compared with after the warm-up,
    and the growth over the second half of those steps alone.

    A one-off rise in the first steps is Python's free lists and numpy's caches
    filling up (bounded); a leak keeps growing, so it shows in the second half too.
    """
    tracemalloc.start()
    try:
        for _ in range(warmup):
            step()
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(steps // 2):
            step()
        middle, _ = tracemalloc.get_traced_memory()
        for _ in range(steps - steps // 2):
            step()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return after - before, after - middle


def _tensor_training_step():
    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(32, 2)).astype(np.float32))
    y = Tensor((X.data[:, :1] * X.data[:, 1:]).astype(np.float32))
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()

    return step


def test_tensor_mlp_memory_is_flat_over_5000_steps(no_gc):
    growth, late = _traced_growth(_tensor_training_step(), warmup=100, steps=5000)
    assert growth < 1_000_000, f"memory grew by {growth / 1e6:.2f} MB over 5000 steps"
    assert late < 50_000, f"memory grew by {late / 1e3:.0f} kB over the last 2500 steps"


def test_a_tensor_graph_is_freed_when_the_loss_goes_out_of_scope(no_gc):
    import weakref

    x = Tensor(np.ones((4, 3)), requires_grad=True)
    h = (x * 2).tanh()
    loss = (h @ Tensor(np.ones((3, 1)))).sum()
    loss.backward()
    interior = weakref.ref(h)
    del h, loss
    assert interior() is None  # freed at once, by reference counting
    assert x.grad is not None  # the leaf keeps its gradient


def test_scalar_mlp_memory_is_flat_over_300_steps(no_gc):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 2)).tolist()
    y = [a * b for a, b in X]
    model = nn.MLP(2, [8, 1], activation="tanh")
    opt = optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        loss = Value(0.0)
        for xi, yi in zip(X, y):
            loss = loss + (model(xi) - yi) ** 2
        loss.backward()
        opt.step()

    growth, late = _traced_growth(step, warmup=20, steps=300)
    assert growth < 200_000, f"memory grew by {growth / 1e3:.0f} kB over 300 steps"
    assert late < 20_000, f"memory grew by {late / 1e3:.0f} kB over the last 150 steps"


def test_no_reference_cycles_are_left_by_a_training_step(no_gc):
    step = _tensor_training_step()
    step()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(10):
            step()
        found = gc.collect()
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert found == 0, f"{found} objects were only reachable through reference cycles"
