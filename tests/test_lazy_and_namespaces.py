"""Lazy layers, ``tg.testing``, ``tg.special`` at the extremes, ``tg.random``, ``tg.compile``
and the randomised layers (RReLU, FeatureAlphaDropout, gumbel_softmax): known values,
PyTorch's behaviour and messages, and the errors for misuse.

(Comparisons with PyTorch on random inputs: tests/test_differential_lazyns.py.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import nn.functional as F
import tinygrad_dk as tg
from nn import optim
from tinygrad_dk import gradcheck

try:  # the exact references of tg.special's tests (the rest runs without it)
    import mpmath

    mpmath.mp.dps = 40
except ImportError:  # pragma: no cover
    mpmath = None
needs_mpmath = pytest.mark.skipif(mpmath is None, reason="mpmath is not installed")


def _cnn():
    return nn.Sequential(nn.LazyConv2d(4, 3, padding=1), nn.LazyBatchNorm2d(), nn.ReLU(),
                         nn.Flatten(), nn.LazyLinear(3))


# --- lazy layers ---------------------------------------------------------------------------------


def test_lazy_parameters_are_placeholders_until_the_first_forward():
    tg.manual_seed(0)
    model = _cnn()
    params = model.parameters()
    assert len(params) == 6 and all(isinstance(p, nn.UninitializedParameter) for p in params)
    assert isinstance(model[1].running_mean, nn.parameter.UninitializedBuffer)
    assert repr(model[4]) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    opt = optim.Adam(params, lr=0.01)  # built before the dry run, as in PyTorch
    opt.step()  # nothing has a gradient yet: nothing happens (as PyTorch)
    out = model(tg.randn(2, 1, 5, 5))
    assert out.shape == (2, 3)
    assert [type(m) for m in model] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.Flatten,
                                        nn.Linear]
    assert model[4].in_features == 100 and model[0].in_channels == 1
    assert model[1].num_features == 4 and model[1].running_mean.shape == (4,)
    # the same objects, now ordinary parameters with the ordinary shapes
    assert all(a is b for a, b in zip(params, model.parameters(), strict=True))
    assert all(type(p) is tg.Parameter for p in params)
    assert model[4].weight.shape == (3, 100)
    before = model[4].weight.numpy().copy()
    model(tg.randn(2, 1, 5, 5)).sum().backward()
    opt.step()
    assert not np.allclose(before, model[4].weight.numpy())  # the optimizer trains them


def test_lazy_linear_uses_linears_own_initialisation():
    tg.manual_seed(3)
    lazy = nn.LazyLinear(4)
    lazy(tg.ones(2, 5))
    tg.manual_seed(3)
    plain = nn.Linear(5, 4)
    np.testing.assert_array_equal(lazy.weight.numpy(), plain.weight.numpy())
    np.testing.assert_array_equal(lazy.bias.numpy(), plain.bias.numpy())


def test_making_a_lazy_layer_draws_no_random_numbers():
    tg.manual_seed(1)
    nn.LazyLinear(4), nn.LazyConv1d(2, 3)
    after = tg.randn(3).numpy()
    tg.manual_seed(1)
    np.testing.assert_array_equal(after, tg.randn(3).numpy())


def test_uninitialised_parameters_refuse_what_needs_a_shape():
    w = nn.LazyLinear(3).weight
    for use in (lambda: w.numel(), lambda: w.shape, lambda: w.item(), lambda: np.asarray(w),
                lambda: w[0], lambda: len(w)):
        with pytest.raises(RuntimeError, match="before its first forward pass.*dry run"):
            use()
    with pytest.raises(RuntimeError, match="numel"):
        nn.Sequential(nn.LazyLinear(3)).num_parameters()
    assert repr(w) == "<UninitializedParameter>" and w.requires_grad and w.dtype == np.float32


def test_uninitialised_parameters_refuse_arithmetic():
    """Before the first forward pass an operation on a placeholder is an error naming the
    dry run (PyTorch raises too), not an empty result; model.double() keeps the refusal."""
    model = nn.Sequential(nn.LazyLinear(3))
    w, x = model[0].weight, tg.ones(2, 4)
    for use in (lambda: w * 2, lambda: x @ w, lambda: F.linear(x, w), lambda: w.exp(),
                lambda: w.reshape(-1), lambda: tg.cat([w, w]), lambda: x @ w.T,
                lambda: w.detach() * 2, lambda: w.clone() * 2, lambda: w.data * 2):
        with pytest.raises(RuntimeError, match="first forward pass.*dry run"):
            use()
    model.double()
    assert w.dtype == np.float64
    with pytest.raises(RuntimeError, match="dry run"):
        w * 2
    with pytest.raises(RuntimeError, match="dry run"):
        w.data = np.ones((3, 4))
    assert model(tg.ones(2, 4, dtype=tg.float64)).shape == (2, 3)
    assert (w * 2).shape == (3, 4)  # the same object, now with numbers


def test_lazy_layers_check_their_other_arguments_at_once():
    with pytest.raises(ValueError, match="out_features"):
        nn.LazyLinear(0)
    with pytest.raises(ValueError, match="kernel_size"):
        nn.LazyConv2d(4, 0)
    with pytest.raises(ValueError, match="0-d"):
        nn.LazyLinear(2)(tg.tensor(1.0))


def test_state_dict_loads_into_an_uninitialised_lazy_model():
    tg.manual_seed(0)
    trained = _cnn()
    x = tg.randn(3, 1, 5, 5)
    trained(x)
    trained.eval()
    fresh = _cnn()
    result = fresh.load_state_dict(trained.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert type(fresh[4]) is nn.Linear and fresh[4].in_features == 100
    fresh.eval()
    tg.testing.assert_close(fresh(x), trained(x))


def test_lazy_to_dtype_before_the_first_forward():
    layer = nn.LazyLinear(2).to(tg.float64)
    assert layer(tg.ones(4, 3, dtype=tg.float64)).dtype == np.float64
    assert layer.weight.dtype == np.float64 and layer.weight.shape == (2, 3)


def test_every_lazy_class_becomes_its_ordinary_class():
    inputs = {nn.LazyConv1d: (2, 3, 6), nn.LazyConvTranspose1d: (2, 3, 6),
              nn.LazyConvTranspose2d: (2, 3, 4, 4), nn.LazyBatchNorm1d: (4, 3),
              nn.LazyInstanceNorm1d: (2, 3, 6), nn.LazyInstanceNorm2d: (2, 3, 4, 4)}
    for lazy, shape in inputs.items():
        args = (2, 2) if "Conv" in lazy.__name__ else ()
        layer = lazy(*args)
        layer(tg.randn(*shape))
        assert type(layer) is lazy.cls_to_become
        assert getattr(layer, lazy._in_name) == 3


def test_lazy_conv_takes_the_channels_of_an_unbatched_input():
    layer = nn.LazyConv1d(2, 3)
    assert layer(tg.randn(5, 8)).shape == (2, 6)
    assert layer.in_channels == 5


def test_lazy_gradcheck_after_materialising():
    layer = nn.LazyLinear(2, dtype=tg.float64)
    x = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    layer(x)
    assert type(layer) is nn.Linear
    assert gradcheck(layer, [x])


# --- tg.testing.assert_close ---------------------------------------------------------------------


def _message(actual, expected, **kwargs):
    with pytest.raises(AssertionError) as info:
        tg.testing.assert_close(actual, expected, **kwargs)
    return str(info.value)


def test_assert_close_report_is_pytorchs():
    got = _message(tg.tensor([1.0, 2.0, 3.0]), tg.tensor([1.0, 2.1, 3.0]))
    assert got == ("Tensor-likes are not close!\n\nMismatched elements: 1 / 3 (33.3%)\n"
                   "Greatest absolute difference: 0.09999990463256836 at index (1,) "
                   "(up to 1e-05 allowed)\nGreatest relative difference: 0.04761900380253792 at "
                   "index (1,) (up to 1.3e-06 allowed)")
    assert _message(1.0, 1.1) == (
        "Scalars are not close!\n\nExpected 1.1 but got 1.0.\nAbsolute difference: "
        "0.10000000000000009 (up to 1e-07 allowed)\nRelative difference: 0.09090909090909098 "
        "(up to 1e-07 allowed)")
    assert _message(tg.tensor([1, 2]), tg.tensor([1, 3])).startswith(
        "Tensor-likes are not equal!\n\nMismatched elements: 1 / 2 (50.0%)\n"
        "Greatest absolute difference: 1 at index (1,)\n")
    assert "The failure occurred for item ['a']" in _message({"a": tg.tensor(1.0)},
                                                             {"a": tg.tensor(2.0)})
    assert "item [1]" in _message([tg.tensor(1.0), tg.tensor(1.0)],
                                  [tg.tensor(1.0), tg.tensor(3.0)])


def test_assert_close_tolerances_nan_dtype_shape():
    tg.testing.assert_close(tg.tensor([1.0]), tg.tensor([1.0 + 1e-6]))  # float32: 1.3e-6
    with pytest.raises(AssertionError):
        tg.testing.assert_close(tg.tensor([1.0], dtype=tg.float64),
                                tg.tensor([1.0 + 1e-6], dtype=tg.float64))
    tg.testing.assert_close(tg.tensor([1.0]), tg.tensor([1.5]), rtol=0.5, atol=0.0)
    nan = tg.tensor([math.nan, math.inf])
    assert "Mismatched elements: 1 / 2" in _message(nan, nan)
    tg.testing.assert_close(nan, nan, equal_nan=True)
    assert "attribute 'shape' do not match: (2,) != (3,)" in _message(tg.zeros(2), tg.zeros(3))
    assert "attribute 'dtype' do not match: float32 != float64" in _message(
        tg.zeros(2), tg.zeros(2, dtype=tg.float64))
    tg.testing.assert_close(tg.zeros(2), tg.zeros(2, dtype=tg.float64), check_dtype=False)
    assert _message(tg.zeros(1), tg.ones(1), msg="mine") == "mine"
    assert _message(tg.zeros(1), tg.ones(1), msg=lambda m: "X" + m[:6]) == "XTensor"
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
        tg.testing.assert_close(tg.zeros(1), tg.zeros(1), rtol=1e-3)
    with pytest.raises(TypeError, match="No comparison pair"):
        tg.testing.assert_close(tg.zeros(()), 0.0)


def test_make_tensor():
    tg.manual_seed(0)
    t = tg.testing.make_tensor(3, 4, dtype=tg.float32, device="cpu", low=-1, high=1)
    assert t.shape == (3, 4) and t.dtype == np.float32
    assert float(t.abs().max()) <= 1
    i = tg.testing.make_tensor((50,), dtype=tg.int64, device="cpu", exclude_zero=True)
    assert i.dtype == np.int64 and not np.any(i.numpy() == 0)
    assert i.numpy().min() >= -9 and i.numpy().max() < 10
    assert tg.testing.make_tensor(2, dtype=tg.float64, device="cpu",
                                  requires_grad=True).requires_grad


# --- tg.special ----------------------------------------------------------------------------------


def _mp(fn, xs):
    return np.array([float(fn(mpmath.mpf(float(x)))) for x in xs])


def _log_ndtr(v):
    # (log1p(-Phi(-v)) on the right: log Phi(30) = -4.9e-198 is beyond mpmath's 40 digits)
    return mpmath.log(mpmath.ncdf(v)) if v < 0 else mpmath.log1p(-mpmath.ncdf(-v))


EXTREMES = np.array([-1e30, -1e3, -30.0, -5.0, -0.5, 0.0, 0.5, 5.0, 30.0, 1e3, 1e30])


@needs_mpmath
def test_erfcx_log_ndtr_i0e_i1e_are_exact_at_the_extremes():
    x = tg.tensor(EXTREMES, dtype=tg.float64)
    safe = EXTREMES[EXTREMES > -26]  # erfcx overflows below -26.6
    np.testing.assert_allclose(tg.special.erfcx(tg.tensor(safe, dtype=tg.float64)).numpy(),
                               _mp(lambda v: mpmath.exp(v * v) * mpmath.erfc(v), safe),
                               rtol=1e-13)
    assert np.isposinf(tg.special.erfcx(tg.tensor([-30.0, -1e30])).numpy()).all()
    np.testing.assert_allclose(tg.special.log_ndtr(x).numpy(), _mp(_log_ndtr, EXTREMES),
                               rtol=1e-12, atol=1e-300)  # (math.erfc's own error: 1e-13)
    np.testing.assert_allclose(tg.special.i0e(x).numpy(),
                               _mp(lambda v: mpmath.exp(-abs(v)) * mpmath.besseli(0, v),
                                   EXTREMES), rtol=1e-13)
    np.testing.assert_allclose(tg.special.i1e(x).numpy(),
                               _mp(lambda v: mpmath.exp(-abs(v)) * mpmath.besseli(1, v),
                                   EXTREMES), rtol=1e-13)
    # float32's limits: finite, no warnings turned into nan
    big = tg.tensor([3.4e38, -3.4e38, 1e-45])
    assert np.isfinite(tg.special.i0e(big).numpy()).all()
    # log Phi(-3.4e38) = -5.8e76: beyond float32, so -inf, its nearest float32
    np.testing.assert_array_equal(tg.special.log_ndtr(big).numpy(),
                                  np.float32([0.0, -np.inf, -math.log(2)]))


@needs_mpmath
def test_derivatives_in_the_far_tails_against_mpmath():
    xs = np.array([-1925.7, -40.0, -3.0, 0.3, 8.0, 40.0, 1e3])
    x = tg.tensor(xs, dtype=tg.float64, requires_grad=True)
    (g,) = tg.autograd.grad(tg.special.log_ndtr(x).sum(), x, create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), x)
    f = _log_ndtr
    np.testing.assert_allclose(g.numpy(), _mp(lambda v: mpmath.diff(f, v), xs), rtol=1e-12,
                               atol=1e-300)
    np.testing.assert_allclose(h.numpy(), _mp(lambda v: mpmath.diff(f, v, 2), xs), rtol=1e-6,
                               atol=1e-300)
    big = np.array([30.0, 1e3, 1e30])
    x = tg.tensor(big, dtype=tg.float64, requires_grad=True)
    tg.special.erfcx(x).sum().backward()
    np.testing.assert_allclose(
        x.grad.numpy(), _mp(lambda v: mpmath.diff(lambda u: mpmath.exp(u * u) * mpmath.erfc(u),
                                                  v), big), rtol=1e-12)


@needs_mpmath
def test_ndtri_inverts_ndtr_far_into_the_tails():
    ps = np.array([1e-300, 1e-30, 1e-8, 0.01, 0.5, 0.9, 1 - 1e-12])
    x = tg.special.ndtri(tg.tensor(ps, dtype=tg.float64)).numpy()
    np.testing.assert_allclose(_mp(mpmath.ncdf, x), ps, rtol=1e-12)  # Phi(ndtri(p)) = p
    edge = tg.special.ndtri(tg.tensor([0.0, 1.0, -0.1, 1.1])).numpy()
    assert edge[0] == -np.inf and edge[1] == np.inf and np.isnan(edge[2:]).all()


@needs_mpmath
def test_special_known_values_and_errors():
    s = tg.special
    np.testing.assert_allclose(s.zeta(tg.tensor([2.0, 4.0]), 1.0).numpy(),
                               [math.pi ** 2 / 6, math.pi ** 4 / 90], rtol=1e-6)
    assert s.entr(tg.tensor([0.0, 1.0, -1.0])).tolist() == [0.0, -0.0, -math.inf]
    np.testing.assert_allclose(s.xlog1py(tg.tensor([0.0, 2.0]), tg.tensor([-1.0, 1.0])).numpy(),
                               [0.0, 2 * math.log(2)], rtol=1e-6)
    np.testing.assert_allclose(s.multigammaln(tg.tensor([2.5]), 3).numpy(),
                               [float(sum(mpmath.loggamma(2.5 - i / 2) for i in range(3))
                                      + 1.5 * math.log(math.pi))], rtol=1e-6)
    assert s.expit is tg.sigmoid and s.psi is s.digamma and s.gammaln is tg.ops_misc.lgamma
    assert s.round(tg.tensor([1.26, 2.5]), decimals=1).tolist() == pytest.approx([1.3, 2.5])
    np.testing.assert_allclose(s.ndtr(tg.tensor([0.0, -27.0], dtype=tg.float64)).numpy(),
                               [0.5, float(mpmath.ncdf(-27))], rtol=1e-13)
    with pytest.raises(ValueError, match=r"greater than \(p-1\)/2"):
        s.multigammaln(tg.tensor([0.4]), 2)
    with pytest.raises(RuntimeError, match="zeta: no derivative with respect to x"):
        s.zeta(tg.tensor([2.0], requires_grad=True), 1.0).sum().backward()


def test_special_names_of_engine_ops_are_the_tg_functions():
    # the same objects as tg.*, so a Python number or a list is taken alike by both paths
    s = tg.special
    for name in ("erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "xlogy", "sinc", "i0",
                 "logsumexp", "digamma", "logit", "polygamma"):
        assert getattr(s, name) is getattr(tg, name), name
    assert s.erf(0.5).item() == pytest.approx(math.erf(0.5))
    assert s.i0([0.0, 1.0]).numpy() == pytest.approx([1.0, 1.2660659], rel=1e-6)
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(s.logsumexp(x, 1, True).numpy(),
                               np.log(np.exp(x.numpy()).sum(1, keepdims=True)), rtol=1e-6)


@pytest.mark.parametrize("name", ["erfcx", "log_ndtr", "ndtri", "i0e", "i1e", "entr"])
def test_special_gradcheck(name):
    x = tg.tensor([0.1, 0.35, 0.7, 0.9], dtype=tg.float64, requires_grad=True)
    if name in ("erfcx", "log_ndtr", "i0e", "i1e"):
        x = tg.tensor([-3.0, -0.4, 0.6, 4.0], dtype=tg.float64, requires_grad=True)
    assert gradcheck(getattr(tg.special, name), [x])


def test_special_second_derivatives_by_gradcheck():
    x = tg.tensor([-3.0, -0.4, 0.6, 4.0], dtype=tg.float64, requires_grad=True)
    for fn in (tg.special.erfcx, tg.special.log_ndtr, tg.special.i1e):
        def slope(x, fn=fn):
            with tg.enable_grad():
                return tg.autograd.grad(fn(x).sum(), x, create_graph=True)[0]
        assert gradcheck(slope, [x])


# --- tg.random, tg.compile -----------------------------------------------------------------------


def test_fork_rng_restores_the_stream_even_after_an_error():
    tg.manual_seed(5)
    with tg.random.fork_rng():
        tg.randn(10)
    a = tg.randn(3).numpy()
    tg.manual_seed(5)
    np.testing.assert_array_equal(a, tg.randn(3).numpy())
    with pytest.raises(KeyError), tg.random.fork_rng():
        tg.randn(2)
        raise KeyError
    tg.manual_seed(5)
    state = tg.random.get_rng_state()
    with tg.random.fork_rng(enabled=False):
        tg.randn(1)
    assert tg.random.get_rng_state() != state
    assert tg.random.manual_seed is tg.manual_seed and tg.random.initial_seed() == 5


def test_compile_returns_the_model_itself():
    model = nn.Linear(2, 1)
    assert tg.compile(model) is model
    assert tg.compile(mode="max-autotune")(abs) is abs
    with pytest.raises(TypeError, match="Module or a function"):
        tg.compile(3)


# --- RReLU, FeatureAlphaDropout, gumbel_softmax --------------------------------------------------


def test_rrelu_training_slopes_are_random_in_the_range_and_are_the_gradient():
    tg.manual_seed(0)
    x = tg.tensor(-np.ones(2000), requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.04
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-6)
    layer = nn.RReLU(0.1, 0.3)
    assert np.all(layer(tg.ones(5)).numpy() == 1)
    assert layer.eval()(tg.tensor([-1.0])).item() == pytest.approx(-0.2)
    with pytest.raises(ValueError, match="lower bound"):
        F.rrelu(x, 0.5, 0.2, training=True)


def test_feature_alpha_dropout_drops_whole_channels():
    tg.manual_seed(0)
    y = F.feature_alpha_dropout(tg.ones(4, 6, 5), 0.5, training=True).numpy()
    assert np.all(y == y[:, :, :1])  # one value per (example, channel)
    assert len(np.unique(np.round(y, 5))) == 2
    assert nn.FeatureAlphaDropout(0.5).eval()(tg.ones(2, 3)).tolist() == [[1.0] * 3] * 2
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        F.feature_alpha_dropout(tg.ones(5), 0.5, training=True)
    with pytest.raises(ValueError):
        F.feature_alpha_dropout(tg.ones(2, 2), 1.5, training=True)


def test_gumbel_softmax_samples_and_straight_through_gradient():
    tg.manual_seed(0)
    logits = tg.tensor(np.log([[0.7, 0.2, 0.1]] * 4000), requires_grad=True)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    assert set(np.unique(hard.numpy())) == {0.0, 1.0} and np.all(hard.numpy().sum(1) == 1)
    np.testing.assert_allclose(hard.numpy().mean(0), [0.7, 0.2, 0.1], atol=0.03)
    (hard * tg.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert np.abs(logits.grad.numpy()).sum() > 0  # the soft sample's gradient passes
    soft = F.gumbel_softmax(logits, tau=1.0)
    np.testing.assert_allclose(soft.numpy().sum(1), 1, rtol=1e-6)
    with pytest.raises(ValueError, match="tau must be > 0"):
        F.gumbel_softmax(logits, tau=0)
