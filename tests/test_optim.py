"""Optimizers: updates worked out by hand, on Tensor and Value parameters; validation."""

import warnings

import numpy as np
import pytest

from nn import optim
from tinygrad_dk import Tensor, Value


def tensor_param(x=1.0, dtype=np.float64):
    return Tensor(np.array([x], dtype=dtype), requires_grad=True)


def run(opt, params, steps, grad_fn):
    """Take `steps` steps; grad_fn(theta) gives the gradient. Returns theta after each."""
    out = []
    for _ in range(steps):
        opt.zero_grad()
        for p in params:
            if isinstance(p, Value):
                p.grad = grad_fn(p.data)
            else:
                p.grad = np.asarray(grad_fn(p.data), dtype=p.dtype)
        opt.step()
        out.append(float(np.asarray(params[0].data).reshape(-1)[0]))
    return out


def both_engines(make_opt, steps, grad_fn, x0=1.0):
    """The same trajectory for a Tensor parameter and for a Value parameter."""
    t, v = tensor_param(x0), Value(x0)
    a = run(make_opt([t]), [t], steps, grad_fn)
    b = run(make_opt([v]), [v], steps, grad_fn)
    np.testing.assert_allclose(a, b, rtol=1e-14)
    return a


def test_sgd_plain():
    # g = theta (loss theta^2 / 2), lr 0.1: theta <- 0.9 theta: 0.9, 0.81, 0.729
    traj = both_engines(lambda p: optim.SGD(p, lr=0.1), 3, lambda th: th)
    np.testing.assert_allclose(traj, [0.9, 0.81, 0.729])


def test_sgd_momentum():
    # mu 0.9, lr 0.1, g = theta:
    # 1: b = g = 1                     theta = 1 - 0.1 * 1 = 0.9
    # 2: b = 0.9 * 1 + 0.9 = 1.8        theta = 0.9 - 0.18 = 0.72
    # 3: b = 0.9 * 1.8 + 0.72 = 2.34    theta = 0.72 - 0.234 = 0.486
    traj = both_engines(lambda p: optim.SGD(p, lr=0.1, momentum=0.9), 3, lambda th: th)
    np.testing.assert_allclose(traj, [0.9, 0.72, 0.486])


def test_sgd_nesterov():
    # mu 0.9, lr 0.1, g = theta:
    # 1: b = 1, step g + mu b = 1.9                       theta = 1 - 0.19 = 0.81
    # 2: g = 0.81, b = 0.9 + 0.81 = 1.71, step 0.81 + 1.539 = 2.349, theta = 0.5751
    traj = both_engines(lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), 2,
                        lambda th: th)
    np.testing.assert_allclose(traj, [0.81, 0.5751])


def test_sgd_weight_decay_and_dampening():
    # constant g = 1, weight decay 0.5, lr 0.1:
    # 1: g = 1 + 0.5 * 1 = 1.5,      theta = 1 - 0.15 = 0.85
    # 2: g = 1 + 0.5 * 0.85 = 1.425, theta = 0.85 - 0.1425 = 0.7075
    traj = both_engines(lambda p: optim.SGD(p, lr=0.1, weight_decay=0.5), 2, lambda th: 1.0)
    np.testing.assert_allclose(traj, [0.85, 0.7075])
    # momentum 0.9, dampening 0.5, g = 1: b1 = 1 (no dampening at the first step),
    # theta = 0.9; b2 = 0.9 * 1 + 0.5 * 1 = 1.4, theta = 0.9 - 0.14 = 0.76
    traj = both_engines(lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.5), 2,
                        lambda th: 1.0)
    np.testing.assert_allclose(traj, [0.9, 0.76])


def test_adam():
    # lr 0.1, betas (0.9, 0.999), eps 1e-8, g = theta, theta0 = 1
    # 1: m = 0.1, v = 0.001; m_hat = 0.1 / 0.1 = 1, v_hat = 0.001 / 0.001 = 1
    #    theta = 1 - 0.1 * 1 / (1 + 1e-8)
    # 2: g = theta1 ~ 0.9; m = 0.9 * 0.1 + 0.1 g, v = 0.999 * 0.001 + 0.001 g^2
    #    theta = theta1 - 0.1 * (m / 0.19) / (sqrt(v / (1 - 0.999^2)) + 1e-8)
    th1 = 1 - 0.1 * 1 / (1 + 1e-8)
    m2 = 0.9 * 0.1 + 0.1 * th1
    v2 = 0.999 * 0.001 + 0.001 * th1**2
    th2 = th1 - 0.1 * (m2 / (1 - 0.9**2)) / (np.sqrt(v2 / (1 - 0.999**2)) + 1e-8)
    traj = both_engines(lambda p: optim.Adam(p, lr=0.1), 2, lambda th: th)
    np.testing.assert_allclose(traj, [th1, th2], rtol=1e-12)
    assert th2 == pytest.approx(0.800412, abs=1e-6)


def test_adam_constant_gradient_steps_by_lr():
    # with a constant gradient m_hat = g and v_hat = g^2, so every step is lr g / (|g| + eps)
    traj = both_engines(lambda p: optim.Adam(p, lr=0.1, eps=0.0), 3, lambda th: 2.0)
    np.testing.assert_allclose(traj, [0.9, 0.8, 0.7], rtol=1e-12)


def test_adam_l2_weight_decay_is_in_the_gradient():
    # the loss gradient is 0 but weight_decay 0.1 makes g = 0.1 theta (eps 0, lr 0.1):
    # 1: g = 0.1, m = 0.01, v = 1e-5, m_hat = 0.1, v_hat = 0.01: theta = 1 - 0.1 = 0.9
    # 2: g = 0.09, m = 0.009 + 0.009 = 0.018, v = 0.999e-5 + 0.001 * 0.0081 = 1.809e-5
    #    theta = 0.9 - 0.1 * (0.018 / 0.19) / sqrt(1.809e-5 / 0.001999)
    th2 = 0.9 - 0.1 * (0.018 / 0.19) / np.sqrt(1.809e-5 / 0.001999)
    traj = both_engines(lambda p: optim.Adam(p, lr=0.1, weight_decay=0.1, eps=0.0), 2,
                        lambda th: 0.0)
    np.testing.assert_allclose(traj, [0.9, th2], rtol=1e-12)


def test_adamw_decoupled_weight_decay():
    # lr 0.1, weight_decay 0.1, constant g = 2, eps 0:
    # 1: theta = 1 * (1 - 0.1 * 0.1) = 0.99, then the Adam step of lr: 0.89
    # 2: theta = 0.89 * 0.99 = 0.8811, then - 0.1: 0.7811
    traj = both_engines(lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.1, eps=0.0), 2,
                        lambda th: 2.0)
    np.testing.assert_allclose(traj, [0.89, 0.7811], rtol=1e-12)
    assert optim.AdamW([tensor_param()]).param_groups[0]["weight_decay"] == 0.01


def test_real_backward_loop_decreases_loss():
    w = Tensor(np.array([3.0, -2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.5)
    for _ in range(50):
        opt.zero_grad()
        ((w * w).sum()).backward()
        opt.step()
    assert np.abs(w.data).max() < 1e-3


def test_tensor_dtype_is_kept_and_none_grads_are_skipped():
    a = tensor_param(1.0, np.float32)
    b = tensor_param(5.0)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = np.array([1.0], np.float32)
    opt.step()
    assert a.dtype == np.float32 and a.data[0] == pytest.approx(0.9)
    assert b.data[0] == 5.0 and id(b) not in opt.state


def test_zero_grad_clears_both_engines():
    t, v = tensor_param(), Value(1.0)
    t.grad, v.grad = np.array([1.0]), 2.0
    optim.SGD([t, v], lr=0.1).zero_grad()
    assert t.grad is None and v.grad == 0.0


def test_learning_rate_can_change():
    p = tensor_param(1.0)
    opt = optim.SGD([p], lr=0.1)
    opt.lr = 0.5
    assert opt.param_groups[0]["lr"] == 0.5
    p.grad = np.array([1.0])
    opt.step()
    assert p.data[0] == pytest.approx(0.5)
    opt.param_groups[0]["lr"] = 0.25
    assert opt.lr == 0.25
    opt.step()
    assert p.data[0] == pytest.approx(0.25)


def test_param_groups_with_own_settings():
    a, b = tensor_param(1.0), tensor_param(1.0)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = np.array([1.0]), np.array([1.0])
    opt.step()
    assert a.data[0] == pytest.approx(0.9) and b.data[0] == pytest.approx(0.5)


def test_schedulers():
    opt = optim.SGD([tensor_param()], lr=1.0)
    sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        lrs.append(opt.lr)
        sched.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25]
    opt2 = optim.Adam([tensor_param()], lr=0.1)
    lam = optim.LambdaLR(opt2, lambda epoch: 1 / (epoch + 1))
    lam.step()
    assert lam.get_last_lr() == [pytest.approx(0.05)]


@pytest.mark.parametrize("make,match", [
    (lambda p: optim.SGD(p, lr=-0.1), "lr"),
    (lambda p: optim.Adam(p, lr=-1), "lr"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "betas"),
    (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), "betas"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "nesterov"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-1), "momentum"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "weight_decay"),
    (lambda p: optim.SGD([], lr=0.1), "empty"),
    (lambda p: optim.Adam(iter([])), "empty"),
])
def test_invalid_settings(make, match):
    with pytest.raises(ValueError, match=match):
        make([tensor_param()])


def test_invalid_parameter_types():
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(tensor_param(), lr=0.1)
    with pytest.raises(TypeError, match="Tensors or Values"):
        optim.SGD([np.zeros(3)], lr=0.1)
    opt = optim.SGD([tensor_param()], lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -1.0


def test_sgd_updates_in_place_without_touching_the_callers_array():
    init = np.array([1.0, 2.0])
    p = Tensor(init, requires_grad=True)  # a parameter copies the array it is given
    assert not np.shares_memory(p.data, init)
    data_before = p.data
    y = (p * p).sum()
    y.backward()
    stale = (p * 3.0).sum()  # a graph built before the update
    optim.SGD([p], lr=0.1).step()
    assert p.data is data_before  # updated in place, as PyTorch
    np.testing.assert_allclose(p.data, [0.8, 1.6])  # theta - 0.1 * 2 theta
    np.testing.assert_array_equal(init, [1.0, 2.0])  # the caller's array is untouched
    with pytest.raises(RuntimeError, match="modified after the operation used it"):
        stale.backward()  # the in-place update bumped the version counter


def test_momentum_buffer_does_not_alias_the_gradient():
    p = Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.array([1.0])
    opt.step()
    p.grad.data[...] = 100.0  # e.g. clipping a gradient in place after the step
    assert opt.state[id(p)]["momentum_buffer"][0] == 1.0


# --- updates in place: no fresh memory per step, gradients untouched -------------------

IN_PLACE = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "sgd momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    "adam": lambda p: optim.Adam(p, lr=0.01),
    "adamw": lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.1),
}
EVERY_RULE = {
    **IN_PLACE,
    "sgd decay, dampening": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.3,
                                                weight_decay=0.01),
    "sgd nesterov": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "adam l2": lambda p: optim.Adam(p, lr=0.01, weight_decay=0.1),
}


@pytest.mark.parametrize("name", list(IN_PLACE))
def test_steps_allocate_no_parameter_sized_memory(name):
    import tracemalloc

    rng = np.random.default_rng(0)
    params = [Tensor(rng.standard_normal((300, 200)).astype(np.float32), requires_grad=True),
              Tensor(rng.standard_normal(200).astype(np.float32), requires_grad=True)]
    for p in params:
        p.grad = rng.standard_normal(p.shape).astype(np.float32)
    opt = IN_PLACE[name](params)
    opt.step()  # the first step creates the state (moments, momentum, scratch buffer)
    tracemalloc.start()
    try:
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < params[0].data.nbytes / 20  # 240 kB per parameter copy; a step: ~nothing


@pytest.mark.parametrize("name", list(EVERY_RULE))
def test_updates_never_change_the_gradient_and_agree_for_every_size(name):
    # Parameters of different sizes share one scratch buffer: each must get its own
    # update, and the gradients the user sees stay as backward left them.
    rng = np.random.default_rng(1)
    shapes = [(7, 5), (5,), (40,), ()]
    together = [Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    alone = [Tensor(p.data.copy(), requires_grad=True) for p in together]
    optimizers = [EVERY_RULE[name](together)] + [EVERY_RULE[name]([p]) for p in alone]
    for _ in range(3):
        grads = [rng.standard_normal(s) for s in shapes]
        for p, q, g in zip(together, alone, grads):
            p.grad, q.grad = g.copy(), g.copy()
        for opt in optimizers:
            opt.step()
        for p, g in zip(together, grads):
            np.testing.assert_array_equal(p.grad.data, g)
    for p, q in zip(together, alone):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", list(EVERY_RULE))
def test_non_finite_gradients_give_non_finite_weights_without_warnings(name):
    # inf and nan are IEEE answers: the weights take them and numpy stays quiet (fit
    # reports the non-finite loss itself); the step records no graph either.
    p = Tensor(np.array([np.inf, 1.0, 2.0]), requires_grad=True)
    v = Value(np.inf)
    opt = EVERY_RULE[name]([p, v])
    p.grad, v.grad = np.array([np.inf, np.nan, -np.inf]), np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
    assert not np.isfinite(p.data).any() and not np.isfinite(v.data)
    assert p._ctx is None and p.requires_grad and p.grad_fn is None
