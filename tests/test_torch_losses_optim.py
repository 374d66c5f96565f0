"""Losses and optimizers against PyTorch (skipped when torch is not installed).

Same random float64 inputs in both libraries; values and gradients must agree to
about 1e-10, and 20-step optimizer trajectories to 1e-6 (in practice ~1e-13).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
TF = torch.nn.functional

import nn.functional as F  # noqa: E402
from nn import optim  # noqa: E402
from tinygrad_dk import Tensor  # noqa: E402


def both(a):
    """The same float64 data as our Tensor and as a torch tensor, both requiring grad."""
    a = np.asarray(a, dtype=np.float64)
    return Tensor(a.copy(), requires_grad=True), torch.tensor(a, requires_grad=True)


def compare(ours_fn, torch_fn, *arrays, rtol=1e-10, atol=1e-12):
    pairs = [both(a) for a in arrays]
    ours = ours_fn(*[p[0] for p in pairs])
    theirs = torch_fn(*[p[1] for p in pairs])
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(1).standard_normal(ours.shape)
    ours.backward(g)
    theirs.backward(torch.tensor(g))
    for (t, tt) in pairs:
        np.testing.assert_allclose(t.grad.data, tt.grad.numpy(), rtol=rtol, atol=atol)


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(rng, reduction):
    x, y = rng.standard_normal((6, 3)) * 2, rng.standard_normal((6, 3)) * 2
    compare(lambda a, b: F.mse_loss(a, b, reduction=reduction),
            lambda a, b: TF.mse_loss(a, b, reduction=reduction), x, y)
    compare(lambda a, b: F.l1_loss(a, b, reduction=reduction),
            lambda a, b: TF.l1_loss(a, b, reduction=reduction), x, y)
    for delta in (0.5, 1.0, 3.0):
        compare(lambda a, b, d=delta: F.huber_loss(a, b, reduction=reduction, delta=d),
                lambda a, b, d=delta: TF.huber_loss(a, b, reduction=reduction, delta=d), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(rng, reduction):
    p, y = rng.uniform(0.01, 0.99, (5, 2)), rng.uniform(0, 1, (5, 2))
    w = rng.uniform(0.5, 2, (5, 2))
    compare(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
            lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), p, y)
    compare(lambda a, b: F.binary_cross_entropy(a, b, weight=w, reduction=reduction),
            lambda a, b: TF.binary_cross_entropy(a, b, weight=torch.tensor(w),
                                                 reduction=reduction), p, y)


def test_binary_cross_entropy_at_0_and_1():
    p, y = np.array([0.0, 1.0, 0.0, 1.0, 1e-50]), np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    compare(lambda a: F.binary_cross_entropy(a, y, reduction="sum"),
            lambda a: TF.binary_cross_entropy(a, torch.tensor(y), reduction="sum"), p,
            rtol=1e-7)  # slopes of about 1e12: torch's epsilon differs in the last digits


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos_weight", [None, 3.0, "tensor"])
def test_binary_cross_entropy_with_logits(rng, reduction, pos_weight):
    x = rng.standard_normal((6, 3)) * 3
    x[0] = [1000.0, -1000.0, 0.0]
    y = rng.uniform(0, 1, (6, 3))
    y[0] = [0.0, 1.0, 1.0]
    w = rng.uniform(0.5, 2, 3)
    ours_pw = rng.uniform(0.5, 4, 3) if pos_weight == "tensor" else pos_weight
    torch_pw = None if ours_pw is None else torch.as_tensor(ours_pw, dtype=torch.float64)
    ours_pw = Tensor(ours_pw) if pos_weight == "tensor" else ours_pw
    compare(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=w, reduction=reduction,
                                                        pos_weight=ours_pw),
        lambda a, b: TF.binary_cross_entropy_with_logits(
            a, b, weight=torch.tensor(w), reduction=reduction, pos_weight=torch_pw),
        x, y,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_class_indices(rng, reduction, weighted, smoothing):
    x = rng.standard_normal((7, 4)) * 3
    x[0] = [1000.0, -1000.0, 0.0, 5.0]
    y = np.array([0, 1, 3, 3, 2, 1, 0])
    w = rng.uniform(0.2, 3, 4) if weighted else None
    tw = None if w is None else torch.tensor(w)
    compare(lambda a: F.cross_entropy(a, y, weight=w, label_smoothing=smoothing,
                                      reduction=reduction),
            lambda a: TF.cross_entropy(a, torch.tensor(y), weight=tw, label_smoothing=smoothing,
                                       reduction=reduction), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_probability_targets(rng, reduction, weighted, smoothing):
    x = rng.standard_normal((5, 3)) * 2
    q = rng.dirichlet(np.ones(3), size=5)
    w = rng.uniform(0.2, 3, 3) if weighted else None
    tw = None if w is None else torch.tensor(w)
    compare(lambda a, b: F.cross_entropy(a, b, weight=w, label_smoothing=smoothing,
                                         reduction=reduction),
            lambda a, b: TF.cross_entropy(a, b, weight=tw, label_smoothing=smoothing,
                                          reduction=reduction), x, q)


def test_cross_entropy_single_example(rng):
    x = rng.standard_normal(5)
    compare(lambda a: F.cross_entropy(a, np.array(3), reduction="none"),
            lambda a: TF.cross_entropy(a, torch.tensor(3), reduction="none"), x)


def test_linear_and_activations(rng):
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), rng.standard_normal(5)
    compare(F.linear, TF.linear, x, w, b)
    compare(lambda a: F.leaky_relu(a, 0.2), lambda a: TF.leaky_relu(a, 0.2), x)
    compare(lambda a: F.log_softmax(a, axis=0), lambda a: TF.log_softmax(a, dim=0), x)
    compare(lambda a: F.softmax(a), lambda a: TF.softmax(a, dim=-1), x)


def test_hinge_equals_torch_formula(rng):
    s, y = rng.standard_normal(8), np.sign(rng.standard_normal(8))
    compare(lambda a: F.hinge_loss(a, y),
            lambda a: torch.clamp(1 - torch.tensor(y) * a, min=0).mean(), s)


# ------------------------------------------------------------------------- optimizers


OPTIMIZERS = {
    "sgd": (lambda p: optim.SGD(p, lr=0.05),
            lambda p: torch.optim.SGD(p, lr=0.05)),
    "sgd_momentum_dampening": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    "sgd_nesterov_wd": (
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.1, nesterov=True),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.1, nesterov=True)),
    "adam": (lambda p: optim.Adam(p, lr=0.02, betas=(0.8, 0.99)),
             lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99))),
    "adam_wd": (lambda p: optim.Adam(p, lr=0.02, weight_decay=0.1, eps=1e-6),
                lambda p: torch.optim.Adam(p, lr=0.02, weight_decay=0.1, eps=1e-6)),
    "adamw": (lambda p: optim.AdamW(p, lr=0.02, weight_decay=0.05),
              lambda p: torch.optim.AdamW(p, lr=0.02, weight_decay=0.05)),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_trajectories_equal_torch(rng, name):
    make_ours, make_torch = OPTIMIZERS[name]
    x, y = rng.standard_normal((16, 3)), rng.integers(0, 4, 16)
    w0, b0 = rng.standard_normal((4, 3)), rng.standard_normal(4)
    w, b = Tensor(w0.copy(), requires_grad=True), Tensor(b0.copy(), requires_grad=True)
    tw, tb = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    ours, theirs = make_ours([w, b]), make_torch([tw, tb])
    for step in range(20):
        if step == 10:  # a learning-rate change halfway, as a scheduler would do
            ours.lr = ours.lr / 2
            for group in theirs.param_groups:
                group["lr"] /= 2
        ours.zero_grad()
        F.cross_entropy(F.linear(Tensor(x), w, b), y).backward()
        ours.step()
        theirs.zero_grad()
        TF.cross_entropy(TF.linear(torch.tensor(x), tw, tb), torch.tensor(y)).backward()
        theirs.step()
        np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-6, atol=1e-9)
    assert np.abs(w.data - tw.detach().numpy()).max() < 1e-10


def test_step_lr_equals_torch():
    p = Tensor(np.zeros(1), requires_grad=True)
    tp = torch.zeros(1, requires_grad=True)
    ours, theirs = optim.SGD([p], lr=1.0), torch.optim.SGD([tp], lr=1.0)
    s_ours = optim.StepLR(ours, step_size=3, gamma=0.3)
    s_theirs = torch.optim.lr_scheduler.StepLR(theirs, step_size=3, gamma=0.3)
    for _ in range(8):
        theirs.step()
        s_ours.step()
        s_theirs.step()
        assert ours.lr == pytest.approx(theirs.param_groups[0]["lr"])
