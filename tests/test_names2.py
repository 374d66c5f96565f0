"""Group names2: torch.gradient, the window functions, threads, the default device,
autocast and GradScaler, nn.init.sparse_, optim.Adafactor and the recurrent base classes:
known values, PyTorch's and numpy's answers, and the errors (the differential rows are in
``test_differential_names2.py`` and ``test_differential_optim.py``)."""

from __future__ import annotations

import math
import types
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
import tinygrad_dk as tg
from nn import optim
from tinygrad_dk import Tensor, gradcheck, threads

torch = pytest.importorskip("torch")


# --- gradient -------------------------------------------------------------------------------


def test_gradient_known_values_and_dtypes():
    (g,) = tg.gradient(tg.tensor([1.0, 4.0, 9.0, 16.0, 25.0]))
    np.testing.assert_array_equal(g.numpy(), [3, 4, 6, 8, 9])
    (g,) = tg.gradient(tg.tensor([1.0, 4.0, 9.0, 16.0, 25.0]), edge_order=2)
    np.testing.assert_allclose(g.numpy(), [2, 4, 6, 8, 10])
    (g,) = tg.gradient(tg.tensor([1, 4, 9]))  # integers: the default float dtype
    assert g.dtype == np.float32 and g.tolist() == [3.0, 4.0, 5.0]
    assert tg.gradient(tg.tensor(3.0)) == ()  # no axes, no derivatives (as PyTorch)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_gradient_matches_numpy(data):
    ndim = data.draw(st.integers(1, 3))
    edge = data.draw(st.sampled_from([1, 2]))
    shape = tuple(data.draw(st.integers(edge + 1, 5)) for _ in range(ndim))
    f = np.random.default_rng(data.draw(st.integers(0, 99))).standard_normal(shape)
    axes = data.draw(st.permutations(range(ndim)))[:data.draw(st.integers(1, ndim))]
    kind = data.draw(st.sampled_from(["number", "numbers", "coordinates"]))
    if kind == "number":
        spacing = [data.draw(st.sampled_from([0.5, 3.0]))] * len(axes)
        ours = tg.gradient(f, spacing=spacing[0], dim=tuple(axes), edge_order=edge)
    else:
        spacing = ([data.draw(st.sampled_from([0.5, 2.0, -1.0])) for _ in axes]
                   if kind == "numbers" else
                   [np.cumsum(np.random.default_rng(a).uniform(0.2, 2.0, shape[a]))
                    for a in axes])
        ours = tg.gradient(f, spacing=spacing, dim=tuple(axes), edge_order=edge)
    expected = np.gradient(f, *spacing, axis=tuple(axes), edge_order=edge)
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    for mine, theirs in zip(ours, expected):
        np.testing.assert_allclose(mine.numpy(), theirs, rtol=1e-10, atol=1e-12)


def test_gradient_gradcheck_values_and_coordinates():
    rng = np.random.default_rng(0)
    f = Tensor(rng.standard_normal((4, 5)), requires_grad=True)
    x = Tensor(np.array([0.0, 0.5, 1.7, 2.0, 3.5]), requires_grad=True)
    for edge in (1, 2):
        assert gradcheck(lambda f, x, edge=edge: tg.cat([g.reshape(-1) for g in tg.gradient(
            f, spacing=(x,), dim=1, edge_order=edge)]), (f, x))
        assert gradcheck(lambda f, edge=edge: tg.cat([g.reshape(-1) for g in tg.gradient(
            f, spacing=[0.5, 2.0], edge_order=edge)]), (f,))


def test_gradient_second_derivative_through_coordinates_matches_torch():
    rng = np.random.default_rng(1)
    f, x = rng.standard_normal(6), np.cumsum(rng.uniform(0.5, 1.5, 6))
    ours = [Tensor(a, requires_grad=True) for a in (f, x)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (f, x)]
    for lib, (a, b) in ((tg, ours), (torch, theirs)):
        (g,) = lib.gradient(a, spacing=(b,), edge_order=2)
        (gx,) = lib.autograd.grad((g * g).sum(), b, create_graph=True)
        (gx * gx).sum().backward()
    np.testing.assert_allclose(ours[0].grad.numpy(), theirs[0].grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(ours[1].grad.numpy(), theirs[1].grad.numpy(), rtol=1e-9)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"edge_order": 3}, RuntimeError, "edge_order=1 and edge_order=2"),
    ({"spacing": [1.0, 2.0]}, RuntimeError, "list of length 2"),
    ({"dim": 1}, IndexError, "out of range"),
    ({"spacing": np.arange(3.0)}, TypeError, r"spacing=\(x,\)"),
    ({"spacing": (np.arange(4.0),)}, RuntimeError, "1-D tensor of its 3 sample"),
    ({"spacing": "1"}, TypeError, "spacing must be"),
])
def test_gradient_errors(kwargs, error, words):
    with pytest.raises(error, match=words):
        tg.gradient(tg.tensor([1.0, 2.0, 4.0]), **kwargs)


def test_gradient_too_few_samples_is_an_error_as_in_pytorch():
    with pytest.raises(RuntimeError, match="at least edge_order\\+1.*2 sample"):
        tg.gradient(tg.tensor([1.0, 2.0]), edge_order=2)
    with pytest.raises(RuntimeError):
        torch.gradient(torch.tensor([1.0, 2.0]), edge_order=2)


# --- windows --------------------------------------------------------------------------------

WINDOWS = ["hann_window", "hamming_window", "bartlett_window", "blackman_window",
           "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
def test_window_lengths_periodic_and_float32_against_torch(name):
    ours, theirs = getattr(tg, name), getattr(torch, name)
    assert ours(0).shape == (0,) and ours(1).tolist() == [1.0]
    for n in (2, 5, 16, 31):
        np.testing.assert_allclose(ours(n).numpy(), ours(n + 1, periodic=False).numpy()[:n],
                                   atol=1e-7)  # periodic: the symmetric window of n + 1, cut
        for periodic in (True, False):
            mine, ref = ours(n, periodic), theirs(n, periodic)
            assert mine.dtype == np.float32
            # PyTorch computes a float32 window in float32 (its kaiser's I0 ~5 ulps off)
            np.testing.assert_allclose(mine.numpy(), ref.numpy(), rtol=0, atol=1e-6)
            mine = ours(n, periodic, dtype=tg.float64)
            np.testing.assert_allclose(mine.numpy(), theirs(n, periodic, dtype=torch.float64),
                                       rtol=1e-14, atol=1e-15)


def test_window_options():
    np.testing.assert_allclose(tg.hamming_window(5, False, 0.5, 0.5).numpy(),
                               [0.0, 0.5, 1.0, 0.5, 0.0], atol=1e-7)
    assert tg.hann_window(3, requires_grad=True).requires_grad
    w = tg.kaiser_window(9, False, beta=1000.0)  # PyTorch: nan (inf / inf); here finite
    assert np.isfinite(w.numpy()).all() and w[4].item() == 1.0
    np.testing.assert_allclose(tg.kaiser_window(6, True, -3.0).numpy(),
                               tg.kaiser_window(6, True, 3.0).numpy())  # I0 is even


@pytest.mark.parametrize("call, error, words", [
    (lambda: tg.hann_window(-1), RuntimeError, "non-negative window_length"),
    (lambda: tg.hann_window(3.0), TypeError, "must be an int"),
    (lambda: tg.blackman_window(3, dtype=tg.long), RuntimeError, "floating point dtypes"),
    (lambda: tg.bartlett_window(3, device="cuda"), RuntimeError, "no cuda device"),
    (lambda: tg.hamming_window(3, "yes"), TypeError, "periodic must be True or False"),
    (lambda: tg.kaiser_window(3, True, float("nan")), ValueError, "beta is nan"),
])
def test_window_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()


# --- threads and the default device ---------------------------------------------------------


class _FakeThreadpoolctl(types.ModuleType):
    """threadpoolctl's two functions, recording the limits they are given."""

    def __init__(self):
        super().__init__("threadpoolctl")
        self.threads = 4

    def threadpool_info(self):
        return [{"user_api": "blas", "num_threads": self.threads},
                {"user_api": "openmp", "num_threads": 9}]

    def threadpool_limits(self, limits, user_api):
        assert user_api == "blas"
        self.threads = limits
        return object()


def test_threads_with_threadpoolctl(monkeypatch):
    fake = _FakeThreadpoolctl()
    monkeypatch.setattr(threads, "_threadpoolctl", lambda: fake)
    assert tg.get_num_threads() == 4  # the BLAS pool's, not OpenMP's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.set_num_threads(2)
    assert fake.threads == 2 and tg.get_num_threads() == 2


def test_threads_without_threadpoolctl_warn_with_the_fix(monkeypatch):
    monkeypatch.setattr(threads, "_threadpoolctl", lambda: None)
    for variable in threads.BLAS_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert tg.get_num_threads() == 3
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")  # OpenBLAS reads its own first
    assert tg.get_num_threads() == 2
    with pytest.warns(RuntimeWarning, match="pip install threadpoolctl.*OPENBLAS_NUM_THREADS=1"):
        tg.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.set_num_threads(2)  # what it is already: nothing to say
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert tg.get_num_threads() == (__import__("os").cpu_count() or 1)


def test_threads_warn_when_threadpoolctl_sees_no_blas(monkeypatch):
    fake = _FakeThreadpoolctl()
    fake.threadpool_info = lambda: [{"user_api": "openmp", "num_threads": 9}]
    monkeypatch.setattr(threads, "_threadpoolctl", lambda: fake)
    monkeypatch.setattr(threads, "_from_environment", lambda: 3)
    assert tg.get_num_threads() == 3  # not OpenMP's 9
    with pytest.warns(RuntimeWarning, match="finds no BLAS pool.*OPENBLAS_NUM_THREADS=1"):
        tg.set_num_threads(1)  # a limit on no pool would change nothing: it says so


def test_threads_with_the_real_threadpoolctl_if_installed():
    if threads._threadpoolctl() is None or not any(
            p["user_api"] == "blas" for p in threads._threadpoolctl().threadpool_info()):
        pytest.skip("threadpoolctl (or a BLAS it sees) is not installed")
    before = tg.get_num_threads()
    try:
        tg.set_num_threads(1)
        assert tg.get_num_threads() == 1
    finally:
        tg.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_thread_counts_must_be_positive_integers(bad):
    with pytest.raises(RuntimeError, match="positive integer"):
        tg.set_num_threads(bad)
    with pytest.raises(RuntimeError, match="positive integer"):
        tg.set_num_interop_threads(bad)


def test_interop_threads_and_default_device():
    assert tg.get_num_interop_threads() == 1
    tg.set_num_interop_threads(1)
    with pytest.warns(RuntimeWarning, match="no inter-op thread pool"):
        tg.set_num_interop_threads(4)
    assert tg.get_default_device() == tg.device("cpu") and str(tg.get_default_device()) == "cpu"
    tg.set_default_device("cpu")
    tg.set_default_device(None)
    tg.set_default_device(tg.device("cpu"))
    with pytest.raises(RuntimeError, match="no cuda device"):
        tg.set_default_device("cuda")


# --- autocast -------------------------------------------------------------------------------


def test_autocast_changes_nothing_and_nests():
    x = tg.randn(3, 4)
    w = tg.randn(4, 2)
    assert not tg.is_autocast_enabled("cpu")
    with tg.autocast("cpu", dtype=tg.bfloat16) as ctx:
        assert tg.is_autocast_enabled("cpu") and ctx.fast_dtype is tg.bfloat16
        y = x @ w
        with tg.autocast("cpu", enabled=False):
            assert not tg.is_autocast_enabled("cpu")
        assert tg.is_autocast_enabled("cpu")
    assert not tg.is_autocast_enabled("cpu")
    assert y.dtype == np.float32 and np.array_equal(y.numpy(), (x @ w).numpy())
    with tg.amp.autocast("cpu", dtype=tg.float16):
        assert tg.is_autocast_enabled("cpu")

    @tg.autocast("cpu")
    def inside():
        return tg.is_autocast_enabled("cpu")

    assert inside() and not tg.is_autocast_enabled("cpu")


def test_autocast_arguments_as_pytorch():
    with pytest.warns(UserWarning, match="CUDA is not available"):
        with tg.autocast("cuda"):
            assert not tg.is_autocast_enabled("cuda")
    with pytest.warns(UserWarning, match="not supported. Disabling"):
        ctx = tg.autocast("cpu", dtype=tg.float32)
    assert not ctx._enabled
    with pytest.raises(RuntimeError, match="use \"cpu\""):
        tg.autocast("gpu")
    with pytest.raises(ValueError, match="of type str"):
        tg.autocast(tg.device("cpu"))
    with pytest.raises(ValueError, match="enabled must be True or False"):
        tg.autocast("cpu", enabled="yes")
    with pytest.warns(FutureWarning, match="torch.amp.autocast\\('cpu'"):
        with tg.cpu.amp.autocast():
            assert tg.is_autocast_enabled("cpu")
    with pytest.warns(FutureWarning), pytest.warns(UserWarning, match="CUDA"):
        tg.cuda.amp.autocast()


def test_bfloat16_is_a_name_not_a_dtype():
    assert repr(tg.bfloat16) == "torch.bfloat16"
    with pytest.raises(TypeError, match="no bfloat16 dtype.*float32"):
        tg.zeros(2, dtype=tg.bfloat16)


# --- GradScaler -----------------------------------------------------------------------------


def _scaler_run(lib, scaler, grads):
    """SGD steps on one parameter with the given (unscaled) gradients."""
    p = lib.tensor(np.ones(3), requires_grad=True) if lib is torch else Tensor(
        np.ones(3), requires_grad=True)
    opt = (torch.optim if lib is torch else optim).SGD([p], lr=0.5)
    scales = []
    for g in grads:
        opt.zero_grad()
        loss = (p * (lib.tensor(g) if lib is torch else Tensor(g))).sum()
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    return p.detach().numpy(), scales, scaler.state_dict()


def test_grad_scaler_follows_pytorch():
    grads = [np.array([1.0, 2.0, 3.0]), np.array([np.inf, 0.0, 1.0]),
             np.array([0.5, -1.0, 2.0]), np.array([1.0, 1.0, np.nan]),
             np.array([0.25, 0.5, 1.0]), np.array([1.0, 1.0, 1.0])]
    kwargs = {"init_scale": 8.0, "growth_interval": 2, "backoff_factor": 0.25}
    ours = _scaler_run(tg, tg.amp.GradScaler("cpu", **kwargs), grads)
    theirs = _scaler_run(torch, torch.amp.GradScaler("cpu", **kwargs), grads)
    np.testing.assert_array_equal(ours[0], theirs[0])  # skipped steps skipped, others exact
    assert ours[1] == theirs[1]
    assert ours[2] == theirs[2]


def test_grad_scaler_disabled_and_default_device():
    with pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = tg.amp.GradScaler()
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    loss = Tensor(2.0, requires_grad=True)
    assert scaler.scale(loss) is loss
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = tg.amp.GradScaler(enabled=False)
    assert not quiet.is_enabled()
    with pytest.warns(FutureWarning, match="GradScaler\\('cuda'"), pytest.warns(UserWarning):
        tg.cuda.amp.GradScaler()
    p = Tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    (p * 3).sum().backward()
    scaler.step(opt)  # disabled: optimizer.step() as it is
    assert p.tolist() == [-2.0, -2.0]


def test_grad_scaler_errors_and_state():
    scaler = tg.amp.GradScaler("cpu", init_scale=4.0)
    p = Tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    scaler.scale([p.sum(), (p * 2).sum()])[0].backward()
    scaler.unscale_(opt)
    np.testing.assert_array_equal(p.grad.numpy(), [1.0, 1.0])
    with pytest.raises(RuntimeError, match="already been called on this optimizer"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    scaler.update()
    with pytest.raises(RuntimeError, match="No inf checks"):
        scaler.update()
    with pytest.raises(RuntimeError, match="Closure"):
        scaler.step(opt, closure=lambda: 0.0)
    other = tg.amp.GradScaler("cpu")
    other.load_state_dict(scaler.state_dict())
    assert other.state_dict() == scaler.state_dict() == {
        "scale": 4.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000,
        "_growth_tracker": 1}
    with pytest.raises(RuntimeError, match="state dict is empty"):
        other.load_state_dict({})
    with pytest.raises(ValueError, match="growth_factor must be > 1.0"):
        tg.amp.GradScaler("cpu", growth_factor=0.5)
    scaler.update(new_scale=16.0)
    assert scaler.get_scale() == 16.0


def test_grad_scaler_checks_the_scaled_gradients_and_refuses_float16_as_pytorch():
    for m, opts in ((tg, optim), (torch, torch.optim)):  # a scale below 1: 3e38 * 4 = inf
        p = m.tensor(np.ones(2, np.float32), requires_grad=True)
        scaler = m.amp.GradScaler("cpu", init_scale=0.25)
        scaler.scale(p.sum()).backward()
        p.grad = m.tensor(np.full(2, 3e38, np.float32))  # finite while scaled
        scaler.step(opts.SGD([p], lr=1.0))
        scaler.update()
        assert np.isneginf(p.detach().numpy()).all() and scaler.get_scale() == 0.25
    p = Tensor(np.ones(2, np.float16), requires_grad=True)
    scaler = tg.amp.GradScaler("cpu")
    scaler.scale(p.sum()).backward()
    with pytest.raises(ValueError, match="unscale FP16 gradients"):
        scaler.unscale_(optim.SGD([p], lr=1.0))


# --- nn.init.sparse_, the recurrent base classes --------------------------------------------


def test_sparse_init():
    w = tg.zeros(10, 6)
    nn.init.sparse_(w, sparsity=0.25, std=0.5, generator=tg.Generator().manual_seed(3))
    zeros = (w.numpy() == 0).sum(axis=0)
    assert (zeros == math.ceil(0.25 * 10)).all()  # the same count in every column
    again = nn.init.sparse_(tg.zeros(10, 6), 0.25, 0.5, tg.Generator().manual_seed(3))
    np.testing.assert_array_equal(again.numpy(), w.numpy())
    big = nn.init.sparse_(tg.zeros(400, 300), 0.1, std=0.02).numpy()
    assert abs(big[big != 0].std() - 0.02) < 1e-3
    with pytest.raises(ValueError, match="2 dimensions"):
        nn.init.sparse_(tg.zeros(3), 0.5)
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        nn.init.sparse_(tg.zeros(3, 3), 1.5)


def test_recurrent_base_classes():
    for layer in (nn.RNN(2, 3), nn.LSTM(2, 3), nn.GRU(2, 3)):
        assert isinstance(layer, nn.RNNBase) and not isinstance(layer, nn.RNNCellBase)
    for cell in (nn.RNNCell(2, 3), nn.LSTMCell(2, 3), nn.GRUCell(2, 3)):
        assert isinstance(cell, nn.RNNCellBase) and not isinstance(cell, nn.RNNBase)


# --- Adafactor ------------------------------------------------------------------------------


def test_adafactor_state_shapes_match_pytorch():
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    p, tp = Tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)
    opt, topt = optim.Adafactor([p]), torch.optim.Adafactor([tp])
    p.grad, tp.grad = Tensor(a), torch.tensor(a)
    opt.step()
    topt.step()
    mine, theirs = opt.state_dict()["state"][0], topt.state_dict()["state"][0]
    assert set(mine) == set(theirs) == {"step", "row_var", "col_var"}
    for key in ("row_var", "col_var"):
        np.testing.assert_allclose(mine[key], theirs[key].numpy(), rtol=1e-12)
    assert opt.param_groups[0]["eps"] == (None, 1e-3) and opt.param_groups[0]["lr"] == 1e-2


@pytest.mark.parametrize("kwargs, words", [
    ({"lr": -1.0}, "lr must be >= 0"), ({"beta2_decay": 0.5}, "beta2_decay must be <= 0"),
    ({"eps": (-1.0, 1e-3)}, "eps\\[0\\]"), ({"eps": (None, -1.0)}, "eps\\[1\\]"),
    ({"d": 0.5}, "d must be >= 1"), ({"weight_decay": -0.1}, "weight_decay must be >= 0"),
])
def test_adafactor_refuses_what_pytorch_refuses(kwargs, words):
    with pytest.raises(ValueError, match=words):
        optim.Adafactor([Tensor(np.ones(2), requires_grad=True)], **kwargs)
    with pytest.raises(ValueError):
        torch.optim.Adafactor([torch.ones(2, requires_grad=True)], **kwargs)
    with pytest.raises(TypeError, match="lr must be a number"):
        optim.Adafactor([Tensor(np.ones(2), requires_grad=True)], lr="0.1")
