"""Threads: gradient mode is per thread, and separate models train in parallel threads
exactly as they train one after the other.
"""

import sys
import threading

import numpy as np

import nn
from nn import optim
from tinygrad_dk import Tensor, Value, is_grad_enabled, no_grad


def _run_together(*functions):
    """Run each function in its own thread, started together; re-raise any failure."""
    errors, barrier = [], threading.Barrier(len(functions))

    def wrap(fn):
        def run():
            try:
                barrier.wait(timeout=10)
                fn()
            except BaseException as err:  # noqa: BLE001 - handed back to the test
                errors.append(err)
        return run

    threads = [threading.Thread(target=wrap(fn)) for fn in functions]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads very often: the steps really interleave
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        sys.setswitchinterval(interval)
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_while_another_records():
    inside, both_busy, results = threading.Event(), threading.Barrier(2), {}

    def in_no_grad():
        x = Tensor(np.ones(3), requires_grad=True)
        with no_grad():
            inside.set()
            both_busy.wait(timeout=10)  # the other thread records while we are inside
            outs = [x * 2 for _ in range(200)]
            results["no_grad"] = (is_grad_enabled(), any(o.requires_grad for o in outs))

    def recording():
        inside.wait(timeout=10)
        x = Tensor(np.ones(3), requires_grad=True)
        both_busy.wait(timeout=10)
        outs = [x * 2 for _ in range(200)]
        results["recording"] = (is_grad_enabled(), all(o.requires_grad for o in outs))
        sum(outs).sum().backward()
        results["grad"] = x.grad.data.copy()

    _run_together(in_no_grad, recording)
    assert results["no_grad"] == (False, False)
    assert results["recording"] == (True, True)
    np.testing.assert_array_equal(results["grad"], np.full(3, 400.0))
    assert is_grad_enabled()  # the main thread was never affected


def _tensor_job(seed, steps=150):
    """Train a small Tensor MLP on its own data; returns a function and its result slot."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(32, 2))
    y = np.sin(X[:, :1]) + X[:, 1:] ** 2
    model = nn.Sequential(nn.Linear(2, 8, dtype=np.float64), nn.Tanh(),
                          nn.Linear(8, 1, dtype=np.float64))
    for p, w in zip(model.parameters(), _initial_weights(model, seed)):
        p.data = w
    result = {}

    def train():
        opt = optim.Adam(model.parameters(), lr=0.01)
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            loss = nn.MSELoss()(model(Tensor(X)), Tensor(y))
            loss.backward()
            opt.step()
            losses.append(loss.item())
        result["losses"] = losses
        result["weights"] = [p.data.copy() for p in model.parameters()]

    return train, result


def _initial_weights(model, seed):
    rng = np.random.default_rng(seed + 1000)
    return [rng.normal(scale=0.5, size=p.shape) for p in model.parameters()]


def _scalar_job(seed, steps=40):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(6, 2)).tolist()
    y = [a - b for a, b in X]
    model = nn.MLP(2, [4, 1], activation="tanh")
    for p, w in zip(model.parameters(), rng.normal(scale=0.5, size=len(model.parameters()))):
        p.data = float(w)
    result = {}

    def train():
        opt = optim.SGD(model.parameters(), lr=0.05)
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            loss = Value(0.0)
            for xi, yi in zip(X, y):
                loss = loss + (model(xi) - yi) ** 2
            loss.backward()
            opt.step()
            losses.append(loss.data)
        result["losses"] = losses
        result["weights"] = [p.data for p in model.parameters()]

    return train, result


def test_two_tensor_models_train_in_parallel_as_sequentially():
    seq_a, res_seq_a = _tensor_job(1)
    seq_b, res_seq_b = _tensor_job(2)
    seq_a()
    seq_b()
    par_a, res_par_a = _tensor_job(1)
    par_b, res_par_b = _tensor_job(2)
    _run_together(par_a, par_b)
    assert res_par_a["losses"] == res_seq_a["losses"]
    assert res_par_b["losses"] == res_seq_b["losses"]
    for w_par, w_seq in zip(res_par_a["weights"] + res_par_b["weights"],
                            res_seq_a["weights"] + res_seq_b["weights"]):
        np.testing.assert_array_equal(w_par, w_seq)
    assert res_seq_a["losses"][-1] < res_seq_a["losses"][0]  # it did train


def test_a_tensor_and_a_scalar_model_train_in_parallel_as_sequentially():
    seq_t, res_seq_t = _tensor_job(3, steps=100)
    seq_s, res_seq_s = _scalar_job(4)
    seq_t()
    seq_s()
    par_t, res_par_t = _tensor_job(3, steps=100)
    par_s, res_par_s = _scalar_job(4)
    _run_together(par_t, par_s)
    assert res_par_t["losses"] == res_seq_t["losses"]
    assert res_par_s["losses"] == res_seq_s["losses"]
    assert res_par_s["weights"] == res_seq_s["weights"]


def test_parallel_training_while_another_thread_is_in_no_grad():
    # A thread doing inference under no_grad must not switch recording off for a
    # thread that is training at the same time.
    train, result = _tensor_job(5, steps=100)
    reference_train, reference = _tensor_job(5, steps=100)
    reference_train()
    stop = threading.Event()

    def inference():
        x = Tensor(np.ones((4, 2)))
        layer = nn.Linear(2, 1)
        while not stop.is_set():
            with no_grad():
                layer(x)

    def train_then_stop():
        try:
            train()
        finally:
            stop.set()

    _run_together(inference, train_then_stop)
    assert result["losses"] == reference["losses"]
