"""The scalar engine by hand: worked examples, accumulation rules, IEEE edge cases.

The random-point gradient checks of every op are in test_value_gradcheck.py.
"""

import math

import numpy as np
import pytest

import tinygrad_dk as tg
from tinygrad_dk import Tensor, Value, zero_grad

# ------------------------------------------------------------------ worked examples


def test_one_neuron_by_hand():
    # z = w1*x1 + w2*x2 + b, out = tanh(z), with
    # x1 = 2, x2 = 0, w1 = -3, w2 = 1, b = 6.8813735870195432
    # z = -6 + 0 + 6.8813735870195432 = 0.8813735870195432, and tanh(z) = 1/sqrt(2)
    # (0.8813735870195432 = atanh(1/sqrt 2)).  dout/dz = 1 - tanh^2 = 1 - 1/2 = 0.5, so
    #   dout/dw1 = 0.5 * x1 = 1.0      dout/dx1 = 0.5 * w1 = -1.5
    #   dout/dw2 = 0.5 * x2 = 0.0      dout/dx2 = 0.5 * w2 =  0.5
    #   dout/db  = 0.5
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    z = w1 * x1 + w2 * x2 + b
    out = z.tanh()
    out.backward()
    assert out.data == pytest.approx(1 / math.sqrt(2), abs=1e-12)
    assert z.grad == pytest.approx(0.5, abs=1e-12)
    assert w1.grad == pytest.approx(1.0, abs=1e-12)
    assert x1.grad == pytest.approx(-1.5, abs=1e-12)
    assert w2.grad == pytest.approx(0.0, abs=1e-12)
    assert x2.grad == pytest.approx(0.5, abs=1e-12)
    assert b.grad == pytest.approx(0.5, abs=1e-12)


def test_one_neuron_weighted_sum_matches_the_expanded_form():
    # Same neuron as above, but z is one Σwx+b node.
    x1, x2 = Value(2.0), Value(0.0)
    w1, w2 = Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    z = Value.weighted_sum([w1, w2], [x1, x2], b)
    assert len(z.parents) == 5  # one node with 2n + 1 parents
    z.tanh().backward()
    grads = [w1.grad, w2.grad, x1.grad, x2.grad, b.grad]
    assert grads == pytest.approx([1.0, 0.0, -1.5, 0.5, 0.5], abs=1e-12)


def test_weighted_sum_accepts_plain_numbers_as_inputs():
    # z = 2*3 + (-1)*4 + 0.5 = 2.5; dz/dw = the inputs (3, 4), dz/db = 1
    w = [Value(2.0), Value(-1.0)]
    b = Value(0.5)
    z = Value.weighted_sum(w, [3, 4.0], b)
    z.backward()
    assert z.data == 2.5
    assert [wi.grad for wi in w] == [3.0, 4.0] and b.grad == 1.0


def test_weighted_sum_length_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="2 weights but 3 inputs"):
        Value.weighted_sum([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0], Value(0.0))


def test_small_expression_by_hand():
    # c = a*b + a with a = 2, b = -3: dc/da = b + 1 = -2, dc/db = a = 2
    a, b = Value(2.0), Value(-3.0)
    c = a * b + a
    c.backward()
    assert (c.data, a.grad, b.grad) == (-4.0, -2.0, 2.0)


# ------------------------------------------------------------------ shared nodes


def test_node_used_twice_gets_both_contributions():
    # b = a + a = 2a, so db/da = 2 (micrograd's famous bug overwrote it to 1)
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0


def test_node_multiplied_by_itself():
    # b = a * a, db/da = 2a = 6
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def test_diamond():
    # x -> (u = 3x, v = x^2) -> y = u * v = 3x^3; dy/dx = 9x^2 = 36 at x = 2
    x = Value(2.0)
    u, v = x * 3, x**2
    y = u * v
    y.backward()
    assert y.data == 24.0
    assert x.grad == 36.0
    # interior nodes: dy/du = v = 4, dy/dv = u = 6
    assert (u.grad, v.grad) == (4.0, 6.0)


def test_double_diamond_with_a_reused_interior_node():
    # h = x + 1 is used by two branches: y = h*h + 2h; dy/dh = 2h + 2, dy/dx = dy/dh
    x = Value(1.5)
    h = x + 1  # 2.5
    y = h * h + h * 2
    y.backward()
    assert h.grad == 2 * 2.5 + 2
    assert x.grad == 2 * 2.5 + 2


# ------------------------------------------------------------------ backward twice


def test_backward_twice_doubles_leaves_and_resets_interior_nodes():
    # y = (a * b).tanh(); second pass: leaves hold exactly twice, interior nodes once
    a, b = Value(0.3), Value(-0.7)
    m = a * b
    y = m.tanh()
    y.backward()
    first = (a.grad, b.grad, m.grad, y.grad)
    y.backward()
    assert a.grad == 2 * first[0]
    assert b.grad == 2 * first[1]
    assert m.grad == first[2]  # interior: gradient of the latest pass
    assert y.grad == first[3] == 1.0


def test_zero_grad_resets_values():
    a, b = Value(1.0), Value(2.0)
    (a * b).backward()
    zero_grad([a, b])
    assert (a.grad, b.grad) == (0.0, 0.0)
    (a * b).backward()
    assert (a.grad, b.grad) == (2.0, 1.0)


def test_backward_of_a_leaf_accumulates_one():
    a = Value(5.0)
    a.backward()
    a.backward()
    assert a.grad == 2.0


# ------------------------------------------------------------------ operators and numbers


@pytest.mark.parametrize(
    "left",
    [2, 2.0, np.float64(2.0), np.float32(2.0), np.int64(2)],
    ids=["int", "float", "np.float64", "np.float32", "np.int64"],
)
def test_reflected_operators_with_numbers_on_the_left(left):
    # With x = 4: 2 + x = 6, 2 - x = -2, 2 * x = 8, 2 / x = 0.5, 2 ** x = 16.
    # Derivatives: 1, -1, 2, -2/x^2 = -0.125, 2^x ln 2 = 16 ln 2.
    cases = [
        (lambda x: left + x, 6.0, 1.0),
        (lambda x: left - x, -2.0, -1.0),
        (lambda x: left * x, 8.0, 2.0),
        (lambda x: left / x, 0.5, -0.125),
        (lambda x: left**x, 16.0, 16.0 * math.log(2.0)),
    ]
    for fn, value, derivative in cases:
        x = Value(4.0)
        y = fn(x)
        assert isinstance(y, Value), type(y)
        y.backward()
        assert y.data == pytest.approx(value, rel=1e-12)
        assert x.grad == pytest.approx(derivative, rel=1e-12)


def test_numpy_scalar_on_the_right():
    x = Value(3.0)
    y = x * np.float64(2.0) + np.int32(1)
    y.backward()
    assert (y.data, x.grad) == (7.0, 2.0)


def test_value_power_value_by_hand():
    # y = x^e at x = 2, e = 3: dy/dx = e x^(e-1) = 12, dy/de = x^e ln x = 8 ln 2
    x, e = Value(2.0), Value(3.0)
    y = x**e
    y.backward()
    assert y.data == 8.0
    assert x.grad == pytest.approx(12.0)
    assert e.grad == pytest.approx(8 * math.log(2.0))


def test_power_of_zero_base_with_value_exponent_has_zero_exponent_gradient():
    # d/de 0^e = 0^e ln 0 is taken as 0 for e > 0 (as PyTorch), not nan
    x, e = Value(0.0), Value(2.0)
    (x**e).backward()
    assert e.grad == 0.0 and x.grad == 0.0


def test_unary_minus():
    x = Value(2.5)
    y = -x
    y.backward()
    assert (y.data, x.grad) == (-2.5, -1.0)


def test_ops_record_op_names_and_parents():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    assert c.op == "*" and len(c.parents) == 2
    assert c.parents[0] is a and c.parents[1] is b
    assert a.op == "" and a.parents == ()
    assert (a + b).op == "+"
    assert a.tanh().op == "tanh"


def test_repr_shows_label_data_and_grad():
    a = Value(2.0, label="w")
    text = repr(a)
    assert "w" in text and "2" in text and "grad" in text


def test_float_conversion():
    assert float(Value(1.25)) == 1.25


def test_relu_and_leaky_relu_values():
    assert Value(-2.0).relu().data == 0.0
    assert Value(3.0).relu().data == 3.0
    assert Value(-2.0).leaky_relu().data == pytest.approx(-0.02)
    assert Value(-2.0).leaky_relu(alpha=0.2).data == pytest.approx(-0.4)


def test_abs_gradient_is_the_sign():
    for x, sign in [(-2.0, -1.0), (3.0, 1.0)]:
        v = Value(x)
        v.abs().backward()
        assert v.grad == sign


# ------------------------------------------------------------------ IEEE behaviour


def test_exp_overflows_to_inf():
    assert Value(1000.0).exp().data == math.inf


def test_log_of_zero_is_minus_inf_and_of_negative_is_nan():
    assert Value(0.0).log().data == -math.inf
    assert math.isnan(Value(-1.0).log().data)


def test_negative_base_with_fractional_exponent_is_nan():
    assert math.isnan((Value(-8.0) ** 0.5).data)


def test_division_by_zero_follows_ieee():
    assert (Value(1.0) / 0.0).data == math.inf
    assert (Value(-1.0) / 0.0).data == -math.inf
    assert math.isnan((Value(0.0) / 0.0).data)


def test_large_powers_overflow_to_inf():
    assert (Value(10.0) ** 400).data == math.inf
    assert (Value(-10.0) ** 401).data == -math.inf


@pytest.mark.parametrize("x", [1000.0, -1000.0])
@pytest.mark.parametrize("op", ["tanh", "sigmoid"])
def test_saturating_functions_are_finite_at_extremes(op, x):
    v = Value(x)
    y = getattr(v, op)()
    y.backward()
    assert math.isfinite(y.data) and math.isfinite(v.grad)
    expected = {"tanh": math.copysign(1.0, x), "sigmoid": 1.0 if x > 0 else 0.0}[op]
    assert y.data == expected
    assert v.grad == 0.0  # fully saturated: the slope underflows to exactly 0


def test_sigmoid_moderately_large_negative_has_correct_tiny_value():
    # sigmoid(-700) = e^-700 / (1 + e^-700) ~ e^-700: must not underflow to 0 or overflow
    assert Value(-700.0).sigmoid().data == pytest.approx(math.exp(-700.0), rel=1e-12)


# ------------------------------------------------------------------ type errors


def test_value_mixed_with_tensor_raises_type_error():
    v = Value(1.0)
    t = Tensor([1.0, 2.0])
    with pytest.raises(TypeError):
        v + t
    with pytest.raises(TypeError):
        t + v
    with pytest.raises(TypeError):
        v * t
    with pytest.raises(TypeError):
        Value(t)
    with pytest.raises(TypeError):
        Tensor([v, v])


def test_value_rejects_non_numbers():
    with pytest.raises(TypeError):
        Value("3")
    with pytest.raises(TypeError):
        Value(np.array([1.0, 2.0]))
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        Value(Value(1.0))


def test_value_and_tensor_zero_grad_helper():
    t = tg.ones(2, requires_grad=True)
    t.sum().backward()
    v = Value(1.0)
    v.backward()
    zero_grad([t, v])
    assert t.grad is None and v.grad == 0.0
