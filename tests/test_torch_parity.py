"""Parity with PyTorch: forward values and gradients of every op on random float64 inputs.

Skipped when torch is not installed. Each case draws inputs and a random upstream
gradient, runs the op in both libraries and compares the output and every input's
gradient. Second derivatives are compared for the smooth elementwise ops too.
"""

import numpy as np
import pytest

import tinygrad_dk as tg
from tinygrad_dk import Tensor, grad

torch = pytest.importorskip("torch")

SEEDS = [0, 1, 2]


def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def positive(*shape):
    return lambda rng: rng.uniform(0.2, 3.0, size=shape)


def away_from_zero(*shape):
    return lambda rng: rng.uniform(0.1, 3.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def distinct(*shape):
    """No ties (the max/min tie rule is tested separately)."""
    return lambda rng: (rng.permutation(int(np.prod(shape))).reshape(shape) - 3.0) * 0.3


# name -> (tinygrad_dk function, torch function, input makers)
CASES = {
    # arithmetic with broadcasting
    "add": (lambda a, b: a + b, lambda a, b: a + b, [normal(3, 1), normal(1, 4)]),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, [normal(5), normal(2, 5)]),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, [normal(), normal(2, 3)]),
    "div": (lambda a, b: a / b, lambda a, b: a / b, [normal(2, 3), away_from_zero(3)]),
    "pow tensor": (lambda a, b: a**b, lambda a, b: a**b, [positive(2, 3), normal(2, 1)]),
    "pow number": (lambda a: a**3, lambda a: a**3, [normal(4)]),
    "pow 0.5": (lambda a: a**0.5, lambda a: a**0.5, [positive(4)]),
    "pow -2": (lambda a: a**-2, lambda a: a**-2, [away_from_zero(4)]),
    "rpow": (lambda a: 2.0**a, lambda a: 2.0**a, [normal(4)]),
    "rsub": (lambda a: 1.5 - a, lambda a: 1.5 - a, [normal(4)]),
    "rdiv": (lambda a: 1.5 / a, lambda a: 1.5 / a, [away_from_zero(4)]),
    "neg": (lambda a: -a, lambda a: -a, [normal(2, 2)]),
    # matrix products
    "matmul 1d@1d": (lambda a, b: a @ b, torch.matmul, [normal(4), normal(4)]),
    "matmul 2d@2d": (lambda a, b: a @ b, torch.matmul, [normal(3, 4), normal(4, 2)]),
    "matmul 1d@2d": (lambda a, b: a @ b, torch.matmul, [normal(4), normal(4, 2)]),
    "matmul 2d@1d": (lambda a, b: a @ b, torch.matmul, [normal(3, 4), normal(4)]),
    "matmul batched": (lambda a, b: a @ b, torch.matmul, [normal(2, 3, 4), normal(2, 4, 5)]),
    "matmul broadcast batch": (lambda a, b: a @ b, torch.matmul,
                               [normal(2, 1, 3, 4), normal(5, 4, 2)]),
    "matmul batch@2d": (lambda a, b: a @ b, torch.matmul, [normal(3, 2, 4), normal(4, 2)]),
    # elementwise functions
    "exp": (tg.exp, torch.exp, [normal(2, 3)]),
    "log": (tg.log, torch.log, [positive(2, 3)]),
    "sqrt": (tg.sqrt, torch.sqrt, [positive(2, 3)]),
    "abs": (tg.abs, torch.abs, [away_from_zero(2, 3)]),
    "tanh": (tg.tanh, torch.tanh, [normal(2, 3)]),
    "sigmoid": (tg.sigmoid, torch.sigmoid, [normal(2, 3)]),
    "relu": (tg.relu, torch.relu, [away_from_zero(2, 3)]),
    "leaky_relu": (tg.leaky_relu, torch.nn.functional.leaky_relu, [away_from_zero(2, 3)]),
    "leaky_relu 0.2": (lambda x: x.leaky_relu(0.2),
                       lambda x: torch.nn.functional.leaky_relu(x, 0.2), [away_from_zero(2, 3)]),
    "clip": (lambda x: x.clip(-0.5, 0.5), lambda x: torch.clamp(x, -0.5, 0.5), [distinct(2, 3)]),
    "maximum": (tg.maximum, torch.maximum, [distinct(2, 3), lambda rng: rng.standard_normal(3)
                                            * 0.1 + 0.05]),
    "minimum": (tg.minimum, torch.minimum, [distinct(2, 3), lambda rng: rng.standard_normal(3)
                                            * 0.1 + 0.05]),
    "where": (lambda a, b: tg.where(a.data > 0, a, b),
              lambda a, b: torch.where(a > 0, a, b), [away_from_zero(2, 3), normal(3)]),
    # reductions
    "sum": (lambda x: x.sum(), torch.sum, [normal(2, 3)]),
    "sum axis": (lambda x: x.sum(axis=1), lambda x: x.sum(dim=1), [normal(2, 3, 4)]),
    "sum axes keepdims": (lambda x: x.sum(axis=(0, 2), keepdims=True),
                          lambda x: x.sum(dim=(0, 2), keepdim=True), [normal(2, 3, 4)]),
    "mean": (lambda x: x.mean(), torch.mean, [normal(2, 3)]),
    "mean axis -1": (lambda x: x.mean(axis=-1), lambda x: x.mean(dim=-1), [normal(2, 3, 4)]),
    "max": (lambda x: x.max(), torch.amax, [distinct(2, 3)]),
    "max axis keepdims": (lambda x: x.max(axis=0, keepdims=True),
                          lambda x: x.amax(dim=0, keepdim=True), [distinct(3, 4)]),
    "min axes": (lambda x: x.min(axis=(0, 1)), lambda x: x.amin(dim=(0, 1)), [distinct(2, 3, 2)]),
    "var": (lambda x: x.var(ddof=0), lambda x: x.var(correction=0), [normal(2, 3)]),
    "var axis ddof": (lambda x: x.var(axis=1, ddof=1),
                      lambda x: x.var(dim=1, correction=1), [normal(3, 4)]),
    "logsumexp": (lambda x: x.logsumexp(axis=1), lambda x: torch.logsumexp(x, dim=1),
                  [normal(3, 4)]),
    "logsumexp keepdims": (lambda x: x.logsumexp(axis=0, keepdims=True),
                           lambda x: torch.logsumexp(x, dim=0, keepdim=True), [normal(3, 4)]),
    "softmax": (lambda x: tg.softmax(x, axis=-1), lambda x: torch.softmax(x, dim=-1),
                [normal(3, 4)]),
    "softmax axis 0": (lambda x: x.softmax(axis=0), lambda x: torch.softmax(x, dim=0),
                       [normal(3, 4)]),
    "log_softmax": (lambda x: tg.log_softmax(x, axis=1), lambda x: torch.log_softmax(x, dim=1),
                    [normal(3, 4)]),
    # shapes
    "reshape": (lambda x: x.reshape(3, -1), lambda x: x.reshape(3, -1), [normal(2, 3, 2)]),
    "transpose": (lambda x: x.transpose(2, 0, 1), lambda x: x.permute(2, 0, 1),
                  [normal(2, 3, 4)]),
    "T": (lambda x: x.T, lambda x: x.permute(2, 1, 0), [normal(2, 3, 4)]),
    "flatten": (lambda x: x.flatten(1), lambda x: x.flatten(1), [normal(2, 3, 4)]),
    "squeeze": (lambda x: x.squeeze(1), lambda x: x.squeeze(1), [normal(2, 1, 3)]),
    "expand_dims": (lambda x: x.expand_dims(1), lambda x: x.unsqueeze(1), [normal(2, 3)]),
    "broadcast_to": (lambda x: x.broadcast_to((4, 2, 3)), lambda x: x.expand(4, 2, 3),
                     [normal(2, 1)]),
    "concatenate": (lambda a, b: tg.concatenate([a, b], axis=1),
                    lambda a, b: torch.cat([a, b], dim=1), [normal(2, 3), normal(2, 1)]),
    "stack": (lambda a, b: tg.stack([a, b], axis=-1), lambda a, b: torch.stack([a, b], dim=-1),
              [normal(2, 3), normal(2, 3)]),
    # indexing
    "index int/slice": (lambda x: x[1, 1:], lambda x: x[1, 1:], [normal(3, 4)]),
    "index None/Ellipsis": (lambda x: x[..., None, ::2], lambda x: x[..., None, ::2],
                            [normal(2, 3, 4)]),
    "index repeated ints": (lambda x: x[np.array([0, 2, 0, 0])],
                            lambda x: x[torch.tensor([0, 2, 0, 0])], [normal(3, 2)]),
    "index two arrays": (lambda x: x[np.array([0, 1, 1]), np.array([2, 2, 0])],
                         lambda x: x[torch.tensor([0, 1, 1]), torch.tensor([2, 2, 0])],
                         [normal(2, 3)]),
    "index mask": (lambda x: x[x.data > 0], lambda x: x[x > 0], [away_from_zero(3, 4)]),
}


def run_both(case, seed):
    """Forward and backward in both libraries; returns outputs and gradients."""
    ours_fn, torch_fn, makers = CASES[case]
    rng = np.random.default_rng(seed)
    arrays = [make(rng) for make in makers]
    ours_in = [Tensor(a, requires_grad=True) for a in arrays]
    torch_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours, theirs = ours_fn(*ours_in), torch_fn(*torch_in)
    upstream = rng.standard_normal(ours.shape)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    return ours, theirs, ours_in, torch_in


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", list(CASES))
def test_forward_and_gradients_match_torch(case, seed):
    ours, theirs, ours_in, torch_in = run_both(case, seed)
    expected = theirs.detach().numpy()
    assert ours.shape == expected.shape
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours.data, expected, rtol=1e-10, atol=1e-12)
    for i, (a, b) in enumerate(zip(ours_in, torch_in)):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"gradient of input {i}")


def test_ties_in_max_split_like_torch_amax():
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    ours = Tensor(data, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True)
    ours.max(axis=1).sum().backward()
    theirs.amax(dim=1).sum().backward()
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy())


def test_ties_in_maximum_split_like_torch():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 0.0])
    oa, ob = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tg.maximum(oa, ob).sum().backward()
    torch.maximum(ta, tb).sum().backward()
    np.testing.assert_allclose(oa.grad.data, ta.grad.numpy())
    np.testing.assert_allclose(ob.grad.data, tb.grad.numpy())


def test_softmax_at_extremes_matches_torch():
    data = np.array([[1000.0, -1000.0, 0.0]])
    for ours_fn, torch_fn in [(tg.softmax, torch.softmax), (tg.log_softmax, torch.log_softmax)]:
        ours = Tensor(data, requires_grad=True)
        theirs = torch.tensor(data, requires_grad=True)
        upstream = np.array([[1.0, 2.0, 3.0]])
        ours_fn(ours, axis=1).backward(upstream)
        torch_fn(theirs, dim=1).backward(torch.tensor(upstream))
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), atol=1e-12)


SMOOTH = {
    "exp": (tg.exp, torch.exp, positive(4)),
    "log": (tg.log, torch.log, positive(4)),
    "sqrt": (tg.sqrt, torch.sqrt, positive(4)),
    "tanh": (tg.tanh, torch.tanh, normal(4)),
    "sigmoid": (tg.sigmoid, torch.sigmoid, normal(4)),
    "pow": (lambda x: x**x, lambda x: x**x, positive(4)),
    "softmax": (lambda x: tg.softmax(x) * tg.arange(4.0), lambda x: torch.softmax(x, 0)
                * torch.arange(4.0, dtype=torch.float64), normal(4)),
    "logsumexp*x": (lambda x: x.logsumexp() * x, lambda x: torch.logsumexp(x, 0) * x,
                    normal(4)),
}


@pytest.mark.parametrize("name", list(SMOOTH))
def test_second_derivatives_match_torch(name):
    ours_fn, torch_fn, make = SMOOTH[name]
    x0 = make(np.random.default_rng(3))
    ours = grad(lambda x: grad(lambda y: ours_fn(y).sum())(x).sum())(x0)
    x = torch.tensor(x0, requires_grad=True)
    (g,) = torch.autograd.grad(torch_fn(x).sum(), x, create_graph=True)
    (theirs,) = torch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-9, atol=1e-12)


def test_small_network_training_step_matches_torch():
    # One SGD step of a 2-layer classifier with cross-entropy, in both libraries.
    rng = np.random.default_rng(0)
    X, labels = rng.standard_normal((8, 3)), rng.integers(0, 4, size=8)
    W1, b1, W2 = rng.standard_normal((3, 5)), rng.standard_normal(5), rng.standard_normal((5, 4))
    ours = [Tensor(a.copy(), requires_grad=True) for a in (W1, b1, W2)]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in (W1, b1, W2)]

    logits = (Tensor(X) @ ours[0] + ours[1]).relu() @ ours[2]
    loss = -logits.log_softmax(axis=1)[np.arange(8), labels].mean()
    loss.backward()
    t_logits = (torch.tensor(X) @ theirs[0] + theirs[1]).relu() @ theirs[2]
    t_loss = torch.nn.functional.cross_entropy(t_logits, torch.tensor(labels))
    t_loss.backward()

    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-10, atol=1e-12)
