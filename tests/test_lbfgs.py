"""Focused tests of ``optim.LBFGS`` (the dec group): its line search against PyTorch's own
functions, a model trained with it as in PyTorch, Values, state_dict, and the errors.
(Trajectories against PyTorch's LBFGS: ``test_differential_dec.py``.)"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
from torch.optim import lbfgs as torch_lbfgs  # noqa: E402

import nn  # noqa: E402
import tinygrad_dk as tg  # noqa: E402
from nn import optim  # noqa: E402
from nn.optim.lbfgs import _cubic_interpolate, _strong_wolfe  # noqa: E402
from tinygrad_dk import Tensor, Value  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e200, 1e200), min_size=6, max_size=6), st.booleans())
def test_cubic_interpolation_is_pytorchs(v, bounded):
    x1, f1, g1, x2, f2, g2 = v
    if x1 == x2:
        return
    bounds = (min(x1, x2) - 1, max(x1, x2) + 1) if bounded else None
    ours = _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds)
    theirs = float(torch_lbfgs._cubic_interpolate(
        *(torch.tensor(x, dtype=torch.float64) for x in v), bounds=bounds))
    if np.isnan(theirs):  # a flat cubic: PyTorch's 0 / 0; ours: the midpoint
        lo, hi = bounds or sorted((x1, x2))
        assert ours == (lo + hi) / 2
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(coeffs=st.lists(st.floats(-3, 3), min_size=3, max_size=3),
       t=st.sampled_from([1e-3, 0.1, 1.0, 10.0, 1e3]), c1=st.sampled_from([1e-4, 0.3]),
       max_ls=st.sampled_from([1, 2, 25]))
@example(coeffs=[1.5, -1.0, 0.125], t=0.1, c1=1e-4, max_ls=25)  # a nearly flat bracket
def test_strong_wolfe_line_search_is_pytorchs(coeffs, t, c1, max_ls):
    """On f(x) = x^4/4 + a x^3 + b x^2 + c x along d = -f'(x0) from x0 = 0: the step, the
    loss and the number of evaluations, for steps that must grow or shrink."""
    a, b, c = coeffs
    if c == 0:
        return  # a flat start: no downhill direction

    def f_and_g(x):
        return x ** 4 / 4 + a * x ** 3 + b * x ** 2 + c * x, x ** 3 + 3 * a * x ** 2 + 2 * b * x + c
    f0, g0 = f_and_g(0.0)
    d = -g0

    def ours_obj(x, t, d):
        f, g = f_and_g(x[0][0] + t * d[0])
        return f, np.array([g])

    # PyTorch's losses as float64 tensors: with Python floats, PyTorch divides a float by a
    # tensor as float * (1 / tensor), which rounds differently from a division, and on a
    # nearly flat bracket (its ends ~1e-6 apart, e.g. a, b, c = 1.5, -1, 0.125 and t = 0.1)
    # that rounding changes the path (a few cases in a thousand)
    def torch_obj(x, t, d):
        f, g = f_and_g(float(x[0][0]) + float(t) * float(d[0]))
        return torch.tensor(f, dtype=torch.float64), torch.tensor([g], dtype=torch.float64)
    ours = _strong_wolfe(ours_obj, [np.array([0.0])], t, np.array([d]), f0, np.array([g0]),
                         g0 * d, c1=c1, max_ls=max_ls)
    theirs = torch_lbfgs._strong_wolfe(torch_obj, [torch.tensor([0.0], dtype=torch.float64)], t,
                                       torch.tensor([d], dtype=torch.float64),
                                       torch.tensor(f0, dtype=torch.float64),
                                       torch.tensor([g0], dtype=torch.float64),
                                       torch.tensor(g0 * d, dtype=torch.float64), c1=c1,
                                       max_ls=max_ls)
    assert ours[3] == theirs[3]  # evaluations: the same path
    np.testing.assert_allclose([ours[0], ours[2]], [float(theirs[0]), float(theirs[2])],
                               rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_a_model_trained_with_lbfgs_follows_pytorch(line_search_fn):
    """Written as in PyTorch, the losses computed by each engine: a linear regression."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((30, 3)), rng.standard_normal((30, 1))
    ours, theirs = nn.Linear(3, 1, dtype=np.float64), torch.nn.Linear(3, 1, dtype=torch.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    opt = optim.LBFGS(ours.parameters(), lr=0.5, max_iter=5, line_search_fn=line_search_fn)
    topt = torch.optim.LBFGS(theirs.parameters(), lr=0.5, max_iter=5,
                             line_search_fn=line_search_fn)

    def closure():
        opt.zero_grad()
        loss = nn.functional.mse_loss(ours(Tensor(X)), Tensor(y))
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = torch.nn.functional.mse_loss(theirs(torch.tensor(X)), torch.tensor(y))
        loss.backward()
        return loss
    for _ in range(4):
        np.testing.assert_allclose(opt.step(closure).item(), topt.step(tclosure).item(),
                                   rtol=1e-9)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-7)


def test_lbfgs_minimises_rosenbrock_on_values_and_inside_no_grad():
    """Scalar Values are parameters too; the closure records its graph even when step()
    runs inside no_grad (as PyTorch's enable_grad around the closure)."""
    x, y = Value(-1.5), Value(2.0)
    opt = optim.LBFGS([x, y], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        loss.backward()
        return loss
    with tg.no_grad():
        for _ in range(10):
            opt.step(closure)
    assert abs(x.data - 1) < 1e-4 and abs(y.data - 1) < 1e-4


def test_state_dict_round_trip_continues_the_same_path():
    def problem(p):
        def closure():
            p.grad = None
            loss = ((p - Tensor(np.array([1.0, -2.0]))) ** 2 * Tensor(np.array([1.0, 30.0]))).sum()
            loss.backward()
            return loss
        return closure
    p = Tensor(np.array([3.0, 3.0]), requires_grad=True)
    opt = optim.LBFGS([p], max_iter=2, history_size=3)
    opt.step(problem(p))
    saved = opt.state_dict()
    assert {"func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
            "prev_flat_grad", "prev_loss"} <= set(saved["state"][0])
    q = Tensor(p.numpy().copy(), requires_grad=True)
    opt.step(problem(p))  # (changes neither the saved state nor q)
    again = optim.LBFGS([q], max_iter=2, history_size=3)
    again.load_state_dict(saved)
    again.step(problem(q))
    np.testing.assert_array_equal(q.numpy(), p.numpy())


def test_errors_are_clear():
    p = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(TypeError, match="LBFGS.step needs a closure"):
        optim.LBFGS([p]).step()
    with pytest.raises(ValueError, match="line_search_fn must be None or 'strong_wolfe'"):
        optim.LBFGS([p], line_search_fn="wolfe")
    with pytest.raises(ValueError, match="max_iter must be a whole number >= 1"):
        optim.LBFGS([p], max_iter=0)
    with pytest.raises(ValueError, match="history_size must be a whole number"):
        optim.LBFGS([p], history_size=2.5)
    with pytest.raises(ValueError, match="one parameter group only"):
        optim.LBFGS([{"params": [p]}, {"params": [Tensor(np.zeros(1), requires_grad=True)]}])
    with pytest.raises(TypeError, match="lr must be a number"):
        optim.LBFGS([p], lr="1")


def test_a_minimum_stops_at_once():
    p = Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.LBFGS([p])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = ((p - 1.0) ** 2).sum()
        loss.backward()
        return loss
    assert opt.step(closure).item() == 0.0 and len(calls) == 1


def _one_step_each(x0, **options):
    """One LBFGS step on sum((p - 1)^2) from x0, here and in PyTorch: (loss, p) of each."""
    def closure_of(opt, p):
        def closure():
            opt.zero_grad()
            loss = ((p - 1.0) ** 2).sum()
            loss.backward()
            return loss
        return closure
    results = []
    for p, opt_class in ((Tensor(np.array(x0), requires_grad=True), optim.LBFGS),
                         (torch.tensor(x0, requires_grad=True), torch.optim.LBFGS)):
        opt = opt_class([p], **options)
        results.append((opt.step(closure_of(opt, p)).item(), p.detach().numpy().copy()))
    return results


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_an_infinite_parameter_gives_pytorchs_answer_without_numpy_warnings(line_search_fn):
    """inf and nan are IEEE's answer, quietly, as in every other optimizer's step()."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ours, theirs = _one_step_each([np.inf, 1.0], line_search_fn=line_search_fn)
    assert ours[0] == theirs[0] == np.inf
    np.testing.assert_array_equal(ours[1], theirs[1])


def test_a_zero_gradient_with_a_negative_tolerance_is_pytorchs_answer():
    """1 / sum|g| is inf there (the first step's length is then lr), not a ZeroDivisionError."""
    ours, theirs = _one_step_each([1.0, 1.0], tolerance_grad=-1.0)
    assert ours[0] == theirs[0] == 0.0
    np.testing.assert_array_equal(ours[1], theirs[1])


def test_max_eval_defaults_to_max_iter_times_5_over_4_for_numpy_integers_too():
    p = Tensor(np.zeros(2), requires_grad=True)
    for max_iter in (8, np.int64(8)):
        assert optim.LBFGS([p], max_iter=max_iter).param_groups[0]["max_eval"] == 10


def test_parameters_without_numbers_are_a_clear_error():
    """All parameters empty: nothing to minimise (numpy's and PyTorch's own errors there
    speak of a reduction with no identity)."""
    with pytest.raises(ValueError, match="hold no numbers"):
        optim.LBFGS([Tensor(np.zeros(0), requires_grad=True)])
    optim.LBFGS([Tensor(np.zeros(0), requires_grad=True), Tensor(np.zeros(1), requires_grad=True)])
