"""The remaining common PyTorch names (``tinygrad_dk.ops_misc``, ``ops_misc_arrays``, the
0- and negative norms, ``F.pdist``): known values, the special functions at their poles
and extremes, gradients against central differences in float64 (first and second), and
the errors. The comparison with PyTorch itself is ``tests/test_differential_misc2.py``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn.functional as F
import tinygrad_dk as tg
from tinygrad_dk.gradcheck import gradcheck

T = tg.Tensor


def _f64(values, grad=True):
    return T(np.asarray(values, dtype=np.float64), requires_grad=grad)


def _second(fn, x):
    """d/dx of fn'(x), summed: the second derivative by create_graph."""
    (g,) = tg.autograd.grad(fn(x).sum(), [x], create_graph=True)
    (gg,) = tg.autograd.grad(g.sum(), [x])
    return gg.numpy()


# --- special functions: known values, poles, extremes ------------------------------------------


def test_lgamma_is_log_factorial_without_overflow():
    n = np.arange(1, 8, dtype=np.float64)
    assert np.allclose(tg.lgamma(T(n)).numpy(), [math.log(math.factorial(k - 1)) for k in
                                                  range(1, 8)])
    assert np.isclose(tg.lgamma(T([1000.0])).item(), math.lgamma(1000.0))  # 999! overflows
    assert np.isinf(tg.lgamma(T([0.0, -1.0, -2.0])).numpy()).all()  # the poles
    assert tg.lgamma(T([1, 2, 3])).dtype == np.float32  # integers become floats


def test_digamma_and_polygamma_known_values():
    euler = 0.5772156649015329
    assert np.isclose(tg.digamma(T([1.0], dtype=tg.float64)).item(), -euler, rtol=1e-14)
    assert np.isclose(tg.digamma(T([0.5], dtype=tg.float64)).item(), -euler - 2 * math.log(2),
                      rtol=1e-14)
    assert np.isclose(tg.polygamma(1, T([1.0], dtype=tg.float64)).item(), math.pi ** 2 / 6,
                      rtol=1e-14)
    # reflection for negative x: psi(-0.5) = psi(1.5) + pi cot(-pi/2)... = 0.03649...
    assert np.isclose(tg.digamma(T([-0.5], dtype=tg.float64)).item(), 0.03648997397857652,
                      rtol=1e-13)
    assert np.isclose(tg.polygamma(1, T([-0.5], dtype=tg.float64)).item(),
                      math.pi ** 2 / 2 + 4, rtol=1e-13)  # psi'(1/2) + 1/(1/2)^2
    poles = tg.digamma(T([0.0, -0.0, -1.0, -2.0], dtype=tg.float64)).numpy()
    assert poles[0] == -np.inf and poles[1] == np.inf and np.isnan(poles[2:]).all()
    assert tg.polygamma(1, T([-1.0, 0.0])).numpy().tolist() == [np.inf, np.inf]
    assert tg.polygamma(2, T([-3.0])).item() == -np.inf
    x = T([2.0])
    assert np.isclose(x.polygamma(2).item(), tg.polygamma(2, x).item())


def test_polygamma_refuses_a_negative_or_fractional_order():
    with pytest.raises(ValueError, match="whole number >= 0"):
        tg.polygamma(-1, T([1.0]))
    with pytest.raises(ValueError, match="whole number"):
        tg.polygamma(1.5, T([1.0]))


def test_erfinv_inverts_erf_to_float64_precision():
    y = np.concatenate([np.linspace(-0.999999, 0.999999, 201), [1 - 1e-15, -1 + 1e-12, 0.0]])
    x = tg.erfinv(T(y)).numpy()
    back = np.array([math.erf(v) for v in x])
    tail = np.abs(y) > 0.5  # there compare 1 - |y| (exact), not y
    assert np.allclose(back[~tail], y[~tail], rtol=1e-15, atol=1e-16)
    assert np.allclose(1 - np.abs(back[tail]), 1 - np.abs(y[tail]), rtol=1e-12)
    ends = tg.erfinv(T([1.0, -1.0, 1.5, np.nan])).numpy()
    assert ends[0] == np.inf and ends[1] == -np.inf and np.isnan(ends[2:]).all()


def test_i0_and_its_derivative_i1():
    from tinygrad_dk.ops_misc import i1
    x = np.array([0.0, 1e-5, 0.5, 3.0, 29.9, 30.0, 31.0, 100.0, 700.0])
    assert np.allclose(tg.i0(T(x)).numpy(), np.i0(x), rtol=1e-14)
    # I1 = I0' by central differences, on both sides of the switch at 30
    h = 1e-6
    numeric = (np.i0(x + h) - np.i0(x - h)) / (2 * h)
    assert np.allclose(i1(T(x)).numpy(), numeric, rtol=1e-6, atol=1e-9)
    assert np.isclose(i1(T([1.0])).item(), 0.5651591039924850, rtol=1e-7)
    assert i1(T([-2.0])).item() == -i1(T([2.0])).item()  # odd
    assert i1(T([800.0])).item() == np.inf  # only where the result itself overflows
    # at +-inf both are infinite (I0 even, I1 odd; PyTorch 2.13 says nan there), and in
    # float32 I0(0) is exactly 1 (np.i0 in float32 gave 0.99999994)
    inf = T([np.inf, -np.inf])
    np.testing.assert_array_equal(tg.i0(inf).numpy(), [np.inf, np.inf])
    np.testing.assert_array_equal(i1(inf).numpy(), [np.inf, -np.inf])
    assert tg.i0(T([0.0], dtype=tg.float32)).item() == 1.0


def test_logit_sinc_and_friends_known_values():
    p = T([0.5, 0.25, 0.0, 1.0], dtype=tg.float64)
    assert np.allclose(p.logit().numpy(), [0.0, -math.log(3), -np.inf, np.inf])
    assert np.allclose(p.logit(eps=0.1).numpy()[2:], [math.log(0.1 / 0.9), math.log(0.9 / 0.1)])
    assert np.allclose(tg.sinc(T([0.0, 0.5, 1.0])).numpy(), [1.0, 2 / math.pi, 0.0], atol=1e-7)
    assert tg.copysign(T([2.0, -3.0]), T([-1.0, 1.0])).numpy().tolist() == [-2.0, 3.0]
    assert tg.fmax(T([np.nan, 1.0, np.nan]), T([2.0, np.nan, np.nan])).numpy()[:2].tolist() == [
        2.0, 1.0]
    assert np.isnan(tg.fmin(T([np.nan]), T([np.nan])).item())
    assert np.isclose(tg.logaddexp2(T([3.0]), T([3.0])).item(), 4.0)
    assert np.isclose(tg.logaddexp2(T([1e30]), T([0.0])).item(), 1e30)  # no overflow
    assert tg.ldexp(T([3.0]), T([4])).item() == 48.0
    mantissa, exponent = T([8.0, 0.0, -3.0]).frexp()
    assert mantissa.numpy().tolist() == [0.5, 0.0, -0.75]
    assert exponent.dtype == np.int32 and exponent.numpy().tolist() == [4, 0, 2]
    assert tg.nextafter(T([1.0], dtype=tg.float64), T([2.0], dtype=tg.float64)).item() == (
        1 + 2 ** -52)
    x = T([1.0, -1.0])
    assert tg.positive(x) is x
    assert tg.rsub(x, 10, alpha=2).numpy().tolist() == [8.0, 12.0]
    inf = T([np.inf, -np.inf, 1.0])
    assert inf.isposinf().numpy().tolist() == [True, False, False]
    assert tg.isneginf(inf).numpy().tolist() == [False, True, False]
    assert tg.isreal(inf).numpy().all()
    assert tg.gcd(T(np.array([12, 7])), T(np.array([18, 0]))).numpy().tolist() == [6, 7]
    assert T(np.array([4, 6])).lcm(T(np.array([6, 4]))).numpy().tolist() == [12, 12]


def test_elementwise_errors_name_the_problem():
    with pytest.raises(TypeError, match="integers only"):
        tg.gcd(T([1.5]), T([2.0]))
    with pytest.raises(TypeError, match="floating-point"):
        tg.frexp(T(np.array([1, 2])))
    with pytest.raises(TypeError, match="bool"):
        tg.positive(T([True]))
    with pytest.raises(TypeError, match="nextafter: the next float needs floats"):
        tg.nextafter(T(np.array([1])), T(np.array([2])))
    x = T([0.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="nextafter has no derivative"):
        tg.nextafter(x, T([1.0])).sum().backward()


# --- derivatives -----------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [
    tg.lgamma, tg.digamma, lambda x: tg.polygamma(2, x), tg.erfinv, tg.i0, tg.sinc,
    tg.logit, lambda x: tg.logit(x, eps=0.2),
], ids=["lgamma", "digamma", "polygamma2", "erfinv", "i0", "sinc", "logit", "logit_eps"])
def test_first_and_second_derivatives_match_differences(fn):
    x = _f64([0.15, 0.45, 0.7])
    assert gradcheck(fn, [x])
    # second derivative: the first derivative's central difference
    h = 1e-5
    grads = []
    for shift in (h, -h):
        xs = _f64(x.numpy() + shift)
        fn(xs).sum().backward()
        grads.append(xs.grad.numpy())
    assert np.allclose(_second(fn, x), (grads[0] - grads[1]) / (2 * h), rtol=1e-4, atol=1e-6)


def test_sinc_derivatives_near_zero_are_exact():
    # the Taylor branch: sinc'(x) ~ -pi^2 x / 3, sinc''(0) = -pi^2 / 3 (no cancellation)
    x = _f64([1e-8, 0.0, -1e-4])
    tg.sinc(x).sum().backward()
    assert np.allclose(x.grad.numpy(), -math.pi ** 2 / 3 * x.numpy(), rtol=1e-6, atol=0)
    x = _f64([1e-8, 1e-5])
    assert np.allclose(_second(tg.sinc, x), -math.pi ** 2 / 3, rtol=1e-6)
    # at 0 itself the slope is exactly 0 (so an infinite upstream gradient gives 0, not nan),
    # and the second derivative 0 as PyTorch's
    assert _second(tg.sinc, _f64([0.0])).tolist() == [0.0]


def test_fmax_gives_the_gradient_to_the_chosen_element():
    a, b = _f64([1.0, 3.0, np.nan, 2.0]), _f64([2.0, 1.0, 5.0, 2.0])
    tg.fmax(a, b).sum().backward()
    assert a.grad.numpy().tolist() == [0.0, 1.0, 0.0, 1.0]  # a tie goes to the first
    assert b.grad.numpy().tolist() == [1.0, 0.0, 1.0, 0.0]


def test_copysign_and_frexp_have_the_slopes_of_a_flip_and_a_scale():
    x = _f64([2.0, -3.0, 0.0])
    assert gradcheck(lambda v: tg.copysign(v, T([-1.0, -1.0, 1.0])), [_f64([2.0, -3.0, 0.5])])
    assert _second(lambda v: tg.copysign(v, T([-1.0, -1.0, 1.0])), x).tolist() == [0.0] * 3
    assert gradcheck(lambda v: v.frexp().mantissa, [_f64([3.0, -0.3, 100.0])])


# --- norms and distances ----------------------------------------------------------------------


def test_norm_zero_counts_and_negative_p_as_pytorch():
    x = _f64([[1.0, 0.0, -3.0], [0.0, 0.0, 2.0]])
    assert x.norm(p=0).item() == 3.0
    assert x.norm(p=0, dim=1).numpy().tolist() == [2.0, 1.0]
    x.norm(p=0).backward()
    assert x.grad.numpy().tolist() == [[0.0] * 3] * 2  # a count: no slope
    v = _f64([1.0, 2.0, 4.0])
    assert np.isclose(v.norm(p=-1).item(), 1 / (1 + 1 / 2 + 1 / 4))
    assert _f64([1.0, 0.0]).norm(p=-2).item() == 0.0
    # no overflow although |x|^-2 of 1e-200 is 1e400
    assert np.isclose(_f64([1e-200, 1.0]).norm(p=-2).item(), 1e-200)
    assert gradcheck(lambda t: t.norm(p=-1.5), [_f64([0.5, -2.0, 3.0])])
    with pytest.raises(RuntimeError, match="empty tensor"):
        T(np.zeros(0)).norm(p=-1)


def test_pdist_and_its_f_name():
    x = _f64([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    assert np.allclose(tg.pdist(x).numpy(), [5.0, 1.0, math.sqrt(18)])
    assert np.allclose(F.pdist(x, 1).numpy(), [7.0, 1.0, 6.0])
    assert np.allclose(tg.pdist(x, math.inf).numpy(), [4.0, 1.0, 3.0])
    assert tg.pdist(T(np.zeros((1, 3)))).shape == (0,)
    assert tg.pdist(T(np.zeros((0, 3)))).shape == (0,)  # (PyTorch's backward crashes here)
    assert gradcheck(lambda t: tg.pdist(t), [x])
    same = _f64([[1.0, 2.0], [1.0, 2.0]])
    tg.pdist(same).backward(T([math.inf]))
    assert same.grad.numpy().tolist() == [[0.0, 0.0], [0.0, 0.0]]  # not inf * 0 = nan
    with pytest.raises(ValueError, match="matrix"):
        tg.pdist(T([1.0, 2.0]))


def test_cosine_similarity_and_pairwise_distance_are_one_implementation():
    a, b = T([[1.0, 0.0], [1.0, 1.0]]), T([[0.0, 2.0], [2.0, 2.0]])
    assert np.allclose(tg.cosine_similarity(a, b).numpy(), [0.0, 1.0], atol=1e-7)
    assert np.allclose(F.cosine_similarity(a, b).numpy(), tg.cosine_similarity(a, b).numpy())
    assert np.allclose(F.pairwise_distance(a, b).numpy(), tg.pairwise_distance(a, b).numpy())
    # |a - b + eps| per row: |(1, -2)| and |(-1, -1)|
    assert np.allclose(tg.pairwise_distance(a, b).numpy(), [math.sqrt(5), math.sqrt(2)],
                       atol=1e-5)
    with pytest.raises(ValueError, match="do not broadcast"):
        tg.cosine_similarity(T(np.ones((2, 3))), T(np.ones((2, 4))))


# --- writing one tensor into another --------------------------------------------------------


def test_scatters_known_values_and_gradients():
    x = _f64(np.zeros((3, 2)))
    src = _f64([[1.0, 2.0], [3.0, 4.0]])
    out = x.index_copy(0, T(np.array([2, 0])), src)
    assert out.numpy().tolist() == [[3.0, 4.0], [0.0, 0.0], [1.0, 2.0]]
    out.backward(T(np.arange(6.0).reshape(3, 2)))
    assert x.grad.numpy().tolist() == [[0.0, 0.0], [2.0, 3.0], [0.0, 0.0]]
    assert src.grad.numpy().tolist() == [[4.0, 5.0], [0.0, 1.0]]
    y = T(np.zeros((2, 3)))
    assert tg.select_scatter(y, T([7.0, 8.0]), 1, -1).numpy().tolist() == [
        [0.0, 0.0, 7.0], [0.0, 0.0, 8.0]]
    assert tg.slice_scatter(y, T(np.ones((2, 2))), dim=1, start=0, step=2).numpy().tolist() == [
        [1.0, 0.0, 1.0], [1.0, 0.0, 1.0]]
    m = T([[True, False, True], [False, True, False]])
    assert y.masked_scatter(m, T([1.0, 2.0, 3.0, 4.0])).numpy().tolist() == [
        [1.0, 0.0, 2.0], [0.0, 3.0, 0.0]]
    assert gradcheck(lambda a, s: a.masked_scatter(m, s), [_f64(np.ones((2, 3))),
                                                          _f64([1.0, 2.0, 3.0, 4.0])])


def test_index_copy_with_a_repeated_index_keeps_the_last_slice():
    # numpy's assignment and PyTorch's CPU kernel: the last slice for an index wins; the
    # slices it overwrote get no gradient
    src = _f64([[1.0], [2.0], [3.0]])
    out = _f64(np.zeros((2, 1))).index_copy(0, T(np.array([0, -2, 1])), src)
    assert out.numpy().tolist() == [[2.0], [3.0]]
    out.backward(T(np.array([[10.0], [20.0]])))
    assert src.grad.numpy().tolist() == [[0.0], [10.0], [20.0]]
    try:
        import torch
    except ImportError:
        return
    theirs = torch.zeros(2, 1, dtype=torch.float64).index_copy(
        0, torch.tensor([0, 0, 1]), torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64))
    assert theirs.tolist() == [[2.0], [3.0]]


def test_index_copy_in_place_follows_the_rules():
    w = T(np.zeros(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w.index_copy_(0, T(np.array([1])), T([5.0]))
    with tg.no_grad():
        w.index_copy_(0, T(np.array([1])), T([5.0]))
    assert w.numpy().tolist() == [0.0, 5.0, 0.0]


def test_scatter_errors_name_the_problem():
    y = T(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="masked_scatter: the mask selects 6"):
        y.masked_scatter(T(np.ones((2, 3), bool)), T([1.0]))
    with pytest.raises(TypeError, match="bool tensor"):
        y.masked_scatter(T(np.ones((2, 3))), T([1.0] * 6))
    with pytest.raises(ValueError, match="src has shape"):
        tg.select_scatter(y, T([1.0, 2.0]), 0, 0)
    with pytest.raises(IndexError, match="out of range"):
        tg.select_scatter(y, T([1.0, 2.0, 3.0]), 0, 5)
    with pytest.raises(IndexError, match="vector of integers"):
        y.index_copy(0, T([0.5]), T(np.zeros((1, 3))))


# --- products, renorm, vander, combinations ------------------------------------------------


def test_products_and_renorm():
    c = _f64(np.ones((2, 2)))
    v1, v2 = _f64([1.0, 2.0]), _f64([3.0, 4.0])
    assert c.addr(v1, v2, beta=2, alpha=0.5).numpy().tolist() == [[3.5, 4.0], [5.0, 6.0]]
    b1, b2 = _f64(np.ones((3, 2, 4))), _f64(np.ones((3, 4, 2)))
    assert tg.addbmm(c, b1, b2).numpy().tolist() == [[13.0, 13.0], [13.0, 13.0]]
    assert gradcheck(lambda a, b, d: tg.chain_matmul(a, b, d),
                     [_f64(np.eye(2) + 0.5), _f64(np.ones((2, 3))), _f64(np.ones((3, 1)))])
    x = _f64([[3.0, 4.0], [0.3, 0.4]])
    r = x.renorm(2, 0, 1.0).numpy()
    assert np.allclose(r[0], [0.6, 0.8], rtol=1e-6) and np.allclose(r[1], [0.3, 0.4])
    assert gradcheck(lambda t: t.renorm(2, 0, 1.0), [x])
    with pytest.raises(ValueError, match="batches of matrices"):
        tg.addbmm(c, _f64(np.ones((2, 2))), _f64(np.ones((2, 2))))
    with pytest.raises(ValueError, match="matrix"):
        tg.chain_matmul(_f64([1.0]), _f64(np.ones((1, 1))))


def test_vander_diagflat_combinations():
    assert tg.vander(T([1, 2, 3])).numpy().tolist() == [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
    assert tg.vander(T([2.0]), N=3, increasing=True).numpy().tolist() == [[1.0, 2.0, 4.0]]
    # PyTorch's own vander backward fails; ours is checked here, at 0 too (no 0^-1)
    assert gradcheck(lambda t: tg.vander(t, N=4), [_f64([0.0, 1.5, -2.0])])
    assert T([[1.0, 2.0]]).diagflat(1).numpy().tolist() == [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
    c = tg.combinations(T([1.0, 2.0, 3.0]))
    assert c.numpy().tolist() == [[1, 2], [1, 3], [2, 3]]
    assert tg.combinations(T([1.0, 2.0]), 2, with_replacement=True).shape == (3, 2)
    assert tg.combinations(T([1.0, 2.0]), 2, with_replacement=True).numpy().tolist() == [
        [1, 1], [1, 2], [2, 2]]
    assert tg.combinations(T([1.0, 2.0]), 3).shape == (0, 3)
    assert tg.combinations(T([1.0, 2.0]), 0).shape == (0,)
    assert gradcheck(lambda t: tg.combinations(t, 2), [_f64([1.0, 2.0, 3.0])])
    assert np.isclose(tg.trapz(T([1.0, 2.0, 3.0])).item(), 4.0)


# --- positions and counts ------------------------------------------------------------------


def test_positions_and_counts():
    x = T([[0.0, 1.0], [2.0, 0.0]])
    assert x.argwhere().numpy().tolist() == [[0, 1], [1, 0]]
    rows, cols = tg.unravel_index(T(np.array([5, -1, 0])), (2, 3))
    assert rows.numpy().tolist() == [1, 1, 0] and cols.numpy().tolist() == [2, 2, 0]
    with pytest.raises(IndexError, match="out of range"):
        tg.unravel_index(T(np.array([6])), (2, 3))
    with pytest.raises(TypeError, match="integers"):
        tg.unravel_index(T([1.0]), (2, 3))
    values, inverse, counts = T(np.array([1, 1, 2, 2, 1])).unique_consecutive(
        return_inverse=True, return_counts=True)
    assert values.numpy().tolist() == [1, 2, 1]
    assert inverse.numpy().tolist() == [0, 0, 1, 1, 2] and counts.numpy().tolist() == [2, 2, 1]
    v, c = tg.unique_consecutive(T(np.array([[1, 1], [1, 1], [2, 3]])), return_counts=True,
                                 dim=0)
    assert v.numpy().tolist() == [[1, 1], [2, 3]] and c.numpy().tolist() == [2, 1]
    hist, edges = T([1.0, 2.0, 1.0, 4.0]).histogram(bins=3)
    assert hist.numpy().tolist() == [2.0, 1.0, 1.0] and edges.numpy().tolist() == [1, 2, 3, 4]
    assert tg.histogram(T([1.0, 2.0]), T([0.0, 1.5, 3.0]), density=True).hist.sum().item() > 0
    with pytest.raises(TypeError, match="floating-point"):
        tg.histogram(T(np.array([1, 2])), 2)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-2, 2), max_size=12))
def test_unique_consecutive_runs_rebuild_the_input(items):
    x = T(np.asarray(items, dtype=np.int64))
    values, inverse, counts = x.unique_consecutive(return_inverse=True, return_counts=True)
    assert np.repeat(values.numpy(), counts.numpy()).tolist() == items
    assert values.numpy()[inverse.numpy()].tolist() == items
    assert all(a != b for a, b in zip(values.numpy()[:-1], values.numpy()[1:]))
