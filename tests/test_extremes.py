"""Numerical extremes: every Tensor op, every loss and every Value op at inputs of
+-1e3 and +-1e30 (and near float32's maximum, 3.4e38) in float32 and float64.

Each result and gradient is either finite or exactly the IEEE answer PyTorch gives
(torch is the reference where installed), and no numpy RuntimeWarning reaches the
user: every case runs with warnings turned into errors.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import nn.functional as F
from tinygrad_dk import Tensor, Value

SCALES = [1e3, 1e30]
DTYPES = [np.float32, np.float64]


def _torch():
    return pytest.importorskip("torch")


def _inputs(scale, dtype):
    """Huge of both signs, a moderately large one, and an ordinary number (no ties)."""
    return np.array([scale, -scale, 0.5 * scale, 2.0], dtype=dtype)


# name -> (tinygrad_dk function of a Tensor, torch function of a torch tensor)
TENSOR_OPS = {
    "neg": (lambda x: -x, lambda x: -x),
    "add": (lambda x: x + x, lambda x: x + x),
    "sub": (lambda x: x - 0.5 * x, lambda x: x - 0.5 * x),
    "mul": (lambda x: x * x, lambda x: x * x),
    "div": (lambda x: 1.0 / x, lambda x: 1.0 / x),
    "pow": (lambda x: x ** 2, lambda x: x ** 2),
    "exp": (lambda x: x.exp(), lambda x: x.exp()),
    "log": (lambda x: x.log(), lambda x: x.log()),
    "sqrt": (lambda x: x.sqrt(), lambda x: x.sqrt()),
    "abs": (lambda x: x.abs(), lambda x: x.abs()),
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh()),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid()),
    "relu": (lambda x: x.relu(), lambda x: x.relu()),
    "leaky_relu": (lambda x: x.leaky_relu(0.01), lambda x: _torch().nn.functional.leaky_relu(x)),
    "clip": (lambda x: x.clip(-1.0, 1.0), lambda x: x.clamp(-1.0, 1.0)),
    "sum": (lambda x: x.sum(), lambda x: x.sum()),
    "mean": (lambda x: x.mean(), lambda x: x.mean()),
    "max": (lambda x: x.max(), lambda x: x.max()),
    "min": (lambda x: x.min(), lambda x: x.min()),
    "var": (lambda x: x.var(ddof=0), lambda x: x.var(unbiased=False)),
    "softmax": (lambda x: x.softmax(), lambda x: x.softmax(-1)),
    "log_softmax": (lambda x: x.log_softmax(), lambda x: x.log_softmax(-1)),
    "logsumexp": (lambda x: x.logsumexp(), lambda x: x.logsumexp(0)),
    "matmul": (lambda x: x @ x, lambda x: x @ x),
    "getitem": (lambda x: x[1:], lambda x: x[1:]),
}

# ops whose value and gradient stay finite at any finite input (stable formulations)
ALWAYS_FINITE = ["tanh", "sigmoid", "relu", "abs", "clip", "softmax", "log_softmax",
                 "logsumexp", "max", "min", "neg", "getitem"]


def _run_ours(fn, data):
    """Forward and backward (upstream gradient of ones) with numpy warnings as errors."""
    x = Tensor(data.copy(), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(x)
        out.backward(np.ones_like(out.data))
    return out.data, x.grad.data


def _run_torch(fn, data):
    torch = _torch()
    x = torch.tensor(data, requires_grad=True)
    out = fn(x)
    out.backward(torch.ones_like(out))
    return out.detach().numpy(), x.grad.numpy()


def _assert_ieee_equal(ours, ref, dtype, what):
    ours, ref = np.asarray(ours), np.asarray(ref)
    # the same inf/nan pattern exactly, finite numbers to rounding of the dtype
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref), err_msg=f"{what}: nan pattern")
    np.testing.assert_array_equal(np.isposinf(ours), np.isposinf(ref), err_msg=f"{what}: +inf")
    np.testing.assert_array_equal(np.isneginf(ours), np.isneginf(ref), err_msg=f"{what}: -inf")
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    finite = np.isfinite(ref)
    atol = 8 * np.finfo(dtype).eps  # sums that cancel to 0 (softmax's gradient) round
    np.testing.assert_allclose(ours[finite], ref[finite], rtol=rtol, atol=atol, err_msg=what)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("name", sorted(TENSOR_OPS))
def test_tensor_op_at_extremes_matches_torch_without_warnings(name, scale, dtype):
    ours_fn, torch_fn = TENSOR_OPS[name]
    data = _inputs(scale, dtype)
    value, grad = _run_ours(ours_fn, data)
    ref_value, ref_grad = _run_torch(torch_fn, data)
    assert value.dtype == dtype and grad.dtype == dtype
    _assert_ieee_equal(value, ref_value, dtype, f"{name} value")
    _assert_ieee_equal(grad, ref_grad, dtype, f"{name} gradient")


@pytest.mark.parametrize("name", ["add", "sub", "mul", "sum", "mean", "matmul", "pow", "var"])
def test_float32_overflow_near_its_maximum_is_quiet_inf(name):
    # 3e38 + 3e38 is beyond float32's 3.4e38: IEEE says inf, and numpy would warn.
    ours_fn, torch_fn = TENSOR_OPS[name]
    if name == "sub":  # x - (-x): 3e38 - (-3e38)
        ours_fn = torch_fn = lambda x: x - (-1.0 * x)
    data = np.array([3e38, 3e38, 2e38, 1.0], dtype=np.float32)
    value, grad = _run_ours(ours_fn, data)
    assert not np.isfinite(value).all()
    ref_value, ref_grad = _run_torch(torch_fn, data)
    _assert_ieee_equal(value, ref_value, np.float32, f"{name} value")
    if name == "var":
        # The value overflows (squares of 1e38), but the gradient 2 (x - mean) / n does
        # not: the mean is summed in float64, so ours is the exact gradient, where torch's
        # float32 kernel overflows while summing (docs/errors.md).
        _, exact = _run_torch(torch_fn, data.astype(np.float64))
        assert not np.isfinite(ref_grad).all()
        assert np.isfinite(grad).all()  # to float32's rounding of the largest term, 1e38:
        np.testing.assert_allclose(grad, exact, rtol=1e-5, atol=1e-6 * np.abs(exact).max())
        return
    _assert_ieee_equal(grad, ref_grad, np.float32, f"{name} gradient")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("name", ALWAYS_FINITE)
def test_stable_ops_stay_finite_at_extremes(name, scale, dtype):
    # no torch needed: these must be finite however large the input
    value, grad = _run_ours(TENSOR_OPS[name][0], _inputs(scale, dtype))
    assert np.isfinite(value).all() and np.isfinite(grad).all()


def test_known_extreme_values_without_torch():
    value, grad = _run_ours(lambda x: x.sigmoid(), np.array([-1e30, 1e30, 1e3]))
    np.testing.assert_array_equal(value, [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(grad, [0.0, 0.0, 0.0])
    # below the smallest normal float32 the sigmoid is 0, as PyTorch's 1 / (1 + e^-x)
    value, grad = _run_ours(lambda x: x.sigmoid(), np.array([-88.0, -100.0, -3e38, 88.0],
                                                            dtype=np.float32))
    assert value.dtype == np.float32 and 5e-39 < value[0] < 7e-39
    np.testing.assert_array_equal(value[1:], [0.0, 0.0, 1.0])
    assert np.isfinite(grad).all() and (grad >= 0).all()
    value, grad = _run_ours(lambda x: x.exp(), np.array([1e3, -1e3], dtype=np.float32))
    np.testing.assert_array_equal(value, [np.inf, 0.0])
    np.testing.assert_array_equal(grad, [np.inf, 0.0])
    value, grad = _run_ours(lambda x: x.logsumexp(), np.array([1e30, 1e30]))
    assert value == 1e30 and np.array_equal(grad, [0.5, 0.5])
    value, grad = _run_ours(lambda x: x.log(), np.array([0.0, -1.0]))
    assert value[0] == -np.inf and np.isnan(value[1]) and grad[0] == np.inf


# --- losses ----------------------------------------------------------------------------

# name -> (ours, torch name in torch.nn.functional, target kind)
LOSSES = {
    "mse_loss": (F.mse_loss, "mse_loss", "regression"),
    "l1_loss": (F.l1_loss, "l1_loss", "regression"),
    "huber_loss": (F.huber_loss, "huber_loss", "regression"),
    "bce_with_logits": (F.binary_cross_entropy_with_logits,
                        "binary_cross_entropy_with_logits", "binary"),
    "bce_of_sigmoid": (lambda x, t: F.binary_cross_entropy(x.sigmoid(), t), None, "binary"),
    "cross_entropy": (F.cross_entropy, "cross_entropy", "classes"),
}


def _loss_case(kind, scale, dtype):
    x = np.array([[scale, -scale, 0.5], [-scale, 2.0, scale]], dtype=dtype)
    if kind == "regression":
        return x, np.array([[1.0, -scale, 0.0], [scale, 0.0, -1.0]], dtype=dtype)
    if kind == "binary":
        return x, np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]], dtype=dtype)
    return x, np.array([0, 1])


def _torch_loss(name, torch_name, x, t):
    torch = _torch()
    tx, tt = torch.tensor(x, requires_grad=True), torch.tensor(t)
    if torch_name is None:  # bce of sigmoid
        out = torch.nn.functional.binary_cross_entropy(tx.sigmoid(), tt)
    else:
        out = getattr(torch.nn.functional, torch_name)(tx, tt)
    out.backward()
    return out.detach().numpy(), tx.grad.numpy()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", SCALES + [3e38])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_at_extremes_matches_torch_without_warnings(name, scale, dtype):
    ours_fn, torch_name, kind = LOSSES[name]
    x, t = _loss_case(kind, scale, dtype)
    target = t if kind == "classes" else Tensor(t)
    value, grad = _run_ours(lambda xx: ours_fn(xx, target), x)
    ref_value, ref_grad = _torch_loss(name, torch_name, x, t)
    _assert_ieee_equal(value, ref_value, dtype, f"{name} value")
    _assert_ieee_equal(grad, ref_grad, dtype, f"{name} gradient")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("name", ["bce_with_logits", "bce_of_sigmoid", "cross_entropy",
                                  "huber_loss", "l1_loss"])
def test_classification_and_robust_losses_stay_finite(name, scale, dtype):
    ours_fn, _, kind = LOSSES[name]
    x, t = _loss_case(kind, scale, dtype)
    if kind == "regression":
        t = np.zeros_like(x)  # errors of size scale: finite for the linear losses
    target = t if kind == "classes" else Tensor(t)
    value, grad = _run_ours(lambda xx: ours_fn(xx, target), x)
    assert np.isfinite(value).all() and np.isfinite(grad).all()


# --- the scalar Value engine -----------------------------------------------------------

VALUE_OPS = {
    "add": (lambda v: v + v, lambda v: v + v),
    "sub": (lambda v: v - 2 * v, lambda v: v - 2 * v),
    "mul": (lambda v: v * v, lambda v: v * v),
    "div": (lambda v: 1 / v, lambda v: 1 / v),
    "pow2": (lambda v: v ** 2, lambda v: v ** 2),
    "pow3": (lambda v: v ** 3, lambda v: v ** 3),
    "pow_value": (lambda v: v ** Value(2.0), lambda v: v ** 2.0),
    "rpow": (lambda v: 2.0 ** v, lambda v: 2.0 ** v),
    "exp": (lambda v: v.exp(), lambda v: v.exp()),
    "log": (lambda v: v.log(), lambda v: v.log()),
    "sqrt": (lambda v: v.sqrt(), lambda v: v.sqrt()),
    "abs": (lambda v: v.abs(), lambda v: v.abs()),
    "tanh": (lambda v: v.tanh(), lambda v: v.tanh()),
    "sigmoid": (lambda v: v.sigmoid(), lambda v: v.sigmoid()),
    "relu": (lambda v: v.relu(), lambda v: v.relu()),
    "leaky_relu": (lambda v: v.leaky_relu(), lambda v: _torch().nn.functional.leaky_relu(v)),
}


def _value_ours(fn, x0):
    v = Value(x0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(v)
        out.backward()
    return out.data, v.grad


def _value_torch(fn, x0):
    torch = _torch()
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    out = fn(x)
    out.backward()
    return out.item(), x.grad.item()


def _same_float(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b or math.isclose(a, b, rel_tol=1e-12)


@pytest.mark.parametrize("x0", [1e3, -1e3, 1e30, -1e30, 1e300, -1e300])
@pytest.mark.parametrize("name", sorted(VALUE_OPS))
def test_value_op_at_extremes_matches_torch(name, x0):
    ours_fn, torch_fn = VALUE_OPS[name]
    value, grad = _value_ours(ours_fn, x0)
    ref_value, ref_grad = _value_torch(torch_fn, x0)
    assert _same_float(value, ref_value), (value, ref_value)
    assert _same_float(grad, ref_grad), (grad, ref_grad)


@pytest.mark.parametrize("x0", [1e3, -1e3, 1e30, -1e30, 1e300])
@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu", "abs", "leaky_relu"])
def test_stable_value_ops_stay_finite(name, x0):
    value, grad = _value_ours(VALUE_OPS[name][0], x0)
    assert math.isfinite(value) and math.isfinite(grad)


# --- property: random extreme inputs through random ops ------------------------------

_magnitudes = st.sampled_from([1e-30, 1e-3, 1.0, 1e3, 1e15, 1e30, 1e38, 3e38, 1e300])
_extreme = st.builds(lambda m, s, f: s * m * f, _magnitudes, st.sampled_from([-1.0, 1.0]),
                     st.floats(0.5, 1.0))


@given(name=st.sampled_from(sorted(set(TENSOR_OPS) - {"var"})), dtype=st.sampled_from(DTYPES),
       values=st.lists(_extreme, min_size=2, max_size=5, unique=True))
def test_property_random_extreme_inputs_match_torch_and_never_warn(name, dtype, values):
    with np.errstate(over="ignore"):
        data = np.array(values).astype(dtype)
    assume(np.isfinite(data).all())  # 1e300 is inf in float32: inputs here are finite
    if name in ("max", "min") and len(np.unique(data)) < len(data):
        data = data[np.unique(data, return_index=True)[1]]  # ties split differently
    ours_fn, torch_fn = TENSOR_OPS[name]
    value, grad = _run_ours(ours_fn, data)
    ref_value, ref_grad = _run_torch(torch_fn, data)
    _assert_ieee_equal(value, ref_value, dtype, f"{name} value")
    _assert_ieee_equal(grad, ref_grad, dtype, f"{name} gradient")
