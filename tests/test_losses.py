"""Losses: hand-worked values, gradchecks, stability, reductions, errors, scalar engine."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
import nn.functional as F
from tinygrad_dk import Tensor, Value, gradcheck

LN2 = math.log(2)


def f64(a, grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ------------------------------------------------------------- values worked by hand


def test_mse_by_hand():
    # d = [1-1, 2-0, 3-5] = [0, 2, -2]; d^2 = [0, 4, 4]; sum 8, mean 8/3
    x, y = f64([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0])
    assert F.mse_loss(x, y).item() == pytest.approx(8 / 3)
    assert F.mse_loss(x, y, reduction="sum").item() == pytest.approx(8)
    np.testing.assert_allclose(F.mse_loss(x, y, reduction="none").data, [0, 4, 4])
    F.mse_loss(x, y).backward()  # 2 d / N = [0, 4/3, -4/3]
    np.testing.assert_allclose(x.grad.data, [0, 4 / 3, -4 / 3])


def test_l1_by_hand():
    # |d| = [0, 2, 2]: mean 4/3; gradient sign(d) / N = [0, 1/3, -1/3]
    x = f64([1.0, 2.0, 3.0])
    loss = F.l1_loss(x, [1.0, 0.0, 5.0])
    assert loss.item() == pytest.approx(4 / 3)
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [0, 1 / 3, -1 / 3])


def test_huber_by_hand():
    # delta = 1, d = [0.5, 2, -3]: 0.5 * 0.25 = 0.125; 1 * (2 - 0.5) = 1.5; 1 * (3 - 0.5) = 2.5
    # sum 4.125, mean 1.375; gradient [d, delta sign d, delta sign d] / 3 = [0.5, 1, -1] / 3
    x = f64([0.5, 2.0, -3.0])
    assert F.huber_loss(x, np.zeros(3), reduction="sum").item() == pytest.approx(4.125)
    loss = F.huber_loss(x, np.zeros(3))
    assert loss.item() == pytest.approx(1.375)
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [0.5 / 3, 1 / 3, -1 / 3])
    # delta = 2, d = 3: 2 * (3 - 1) = 4;  d = 1: 0.5
    assert F.huber_loss(f64([3.0, 1.0]), np.zeros(2), delta=2.0, reduction="sum").item() == 4.5


def test_bce_by_hand():
    # p = [0.8, 0.25], y = [1, 0]: -ln 0.8 and -ln(1 - 0.25) = -ln 0.75
    p = f64([0.8, 0.25])
    loss = F.binary_cross_entropy(p, np.array([1.0, 0.0]))
    assert loss.item() == pytest.approx((-math.log(0.8) - math.log(0.75)) / 2)
    loss.backward()  # (p - y) / (p (1 - p)) / N = [-0.2/0.16, 0.25/0.1875] / 2
    np.testing.assert_allclose(p.grad.data, [-0.2 / 0.16 / 2, 0.25 / 0.1875 / 2])
    # weight rescales each element: 2 * -ln 0.8 + 0.5 * -ln 0.75
    weighted = F.binary_cross_entropy(p, [1.0, 0.0], weight=np.array([2.0, 0.5]), reduction="sum")
    assert weighted.item() == pytest.approx(-2 * math.log(0.8) - 0.5 * math.log(0.75))


def test_bce_with_logits_by_hand():
    # x = 0, y = 1: -ln sigmoid(0) = ln 2;  x = 2, y = 0: -ln(1 - sigmoid(2)) = ln(1 + e^2)
    x = f64([0.0, 2.0])
    loss = F.binary_cross_entropy_with_logits(x, [1.0, 0.0], reduction="none")
    np.testing.assert_allclose(loss.data, [LN2, math.log(1 + math.exp(2))])
    loss.sum().backward()  # sigmoid(x) - y = [0.5 - 1, sigmoid(2)]
    np.testing.assert_allclose(x.grad.data, [-0.5, 1 / (1 + math.exp(-2))])
    # pos_weight 3 triples the positive term: 3 ln 2; the negative example is unchanged
    pw = F.binary_cross_entropy_with_logits(f64([0.0, 2.0]), [1.0, 0.0], pos_weight=3.0,
                                            reduction="none")
    np.testing.assert_allclose(pw.data, [3 * LN2, math.log(1 + math.exp(2))])


def test_cross_entropy_by_hand():
    # logits [0, 0, ln 2] give softmax [1/4, 1/4, 1/2]
    row = [0.0, 0.0, LN2]
    x = f64([row, row])
    # targets [2, 0]: -ln(1/2) = ln 2 and -ln(1/4) = 2 ln 2, mean 1.5 ln 2
    assert F.cross_entropy(x, np.array([2, 0])).item() == pytest.approx(1.5 * LN2)
    # class weights [1, 1, 3]: (3 ln 2 + 1 * 2 ln 2) / (3 + 1) = 1.25 ln 2
    w = np.array([1.0, 1.0, 3.0])
    assert F.cross_entropy(x, np.array([2, 0]), weight=w).item() == pytest.approx(1.25 * LN2)
    # label smoothing 0.3, target 2: 0.7 * ln 2 + 0.3 / 3 * (2 ln 2 + 2 ln 2 + ln 2) = 1.2 ln 2
    one = f64([row])
    assert F.cross_entropy(one, np.array([2]), label_smoothing=0.3).item() == pytest.approx(
        1.2 * LN2)
    # probability target [0.5, 0, 0.5]: 0.5 * 2 ln 2 + 0.5 * ln 2 = 1.5 ln 2
    assert F.cross_entropy(one, np.array([[0.5, 0.0, 0.5]])).item() == pytest.approx(1.5 * LN2)
    # gradient of the mean: (softmax - one_hot) / N
    F.cross_entropy(x, np.array([2, 0])).backward()
    np.testing.assert_allclose(x.grad.data, [[0.125, 0.125, -0.25], [-0.375, 0.125, 0.25]])


def test_cross_entropy_accepts_tensor_targets_and_single_example():
    row = [0.0, 0.0, LN2]
    y = Tensor(np.array([2, 0]), dtype=np.int64)
    assert F.cross_entropy(f64([row, row]), y).item() == pytest.approx(1.5 * LN2)
    assert F.cross_entropy(f64(row), np.array(2)).item() == pytest.approx(LN2)


def test_hinge_by_hand():
    # scores [2, 0.5, -1, -1], y [1, 1, 1, -1]: relu(1 - y s) = [0, 0.5, 2, 0], mean 2.5 / 4
    s = f64([2.0, 0.5, -1.0, -1.0])
    loss = F.hinge_loss(s, [1.0, 1.0, 1.0, -1.0])
    assert loss.item() == pytest.approx(2.5 / 4)
    loss.backward()  # -y / N where the margin is violated
    np.testing.assert_allclose(s.grad.data, [0, -0.25, -0.25, 0])


# -------------------------------------------------------------------------- gradchecks


@pytest.mark.parametrize("name", ["mse", "l1", "huber", "bce", "bcel", "bcel_pw", "ce", "ce_w",
                                  "ce_ls", "ce_prob", "hinge"])
def test_gradcheck_every_loss(rng, name):
    n, c = 4, 3
    logits = f64(rng.standard_normal((n, c)))
    labels = np.array([0, 2, 1, 2])
    x = f64(rng.standard_normal(n) * 2)
    y = rng.standard_normal(n) * 2
    p = f64(rng.uniform(0.05, 0.95, n))
    y01 = rng.uniform(0, 1, n)
    q = rng.dirichlet(np.ones(c), size=n)
    w = rng.uniform(0.5, 2, c)
    cases = {
        "mse": (lambda a: F.mse_loss(a, y), x),
        "l1": (lambda a: F.l1_loss(a, y), x),
        "huber": (lambda a: F.huber_loss(a, y, delta=1.5), x),
        "bce": (lambda a: F.binary_cross_entropy(a, y01, weight=np.arange(1, n + 1)), p),
        "bcel": (lambda a: F.binary_cross_entropy_with_logits(a, y01), x),
        "bcel_pw": (lambda a: F.binary_cross_entropy_with_logits(
            a, y01, weight=2.0, pos_weight=np.array(3.0), reduction="sum"), x),
        "ce": (lambda a: F.cross_entropy(a, labels), logits),
        "ce_w": (lambda a: F.cross_entropy(a, labels, weight=w), logits),
        "ce_ls": (lambda a: F.cross_entropy(a, labels, weight=w, label_smoothing=0.2), logits),
        "ce_prob": (lambda a: F.cross_entropy(a, q, weight=w, label_smoothing=0.1), logits),
        "hinge": (lambda a: F.hinge_loss(a, np.sign(y)), x),
    }
    fn, inp = cases[name]
    assert gradcheck(fn, [inp])


def test_gradcheck_with_respect_to_targets(rng):
    x, y = f64(rng.standard_normal(3)), f64(rng.standard_normal(3))
    assert gradcheck(lambda a, b: F.mse_loss(a, b), [x, y])
    p, t = f64(rng.uniform(0.1, 0.9, 3)), f64(rng.uniform(0.1, 0.9, 3))
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b), [p, t])
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=2.0),
                     [x, t])


def test_bce_with_logits_second_derivative():
    # d/dx = sigmoid(x) - y, d2/dx2 = sigmoid(x) (1 - sigmoid(x)) = 0.25 at x = 0
    x = f64([0.0])
    loss = F.binary_cross_entropy_with_logits(x, [1.0], reduction="sum")
    loss.backward(create_graph=True)
    g = x.grad
    x.grad = None
    g.sum().backward()
    assert x.grad.item() == pytest.approx(0.25)


# -------------------------------------------------------------------------- stability


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_at_plus_minus_1000(dtype):
    x = Tensor(np.array([-1000.0, 1000.0, -1000.0, 1000.0], dtype), requires_grad=True)
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none", pos_weight=2.0)
    # wrong and confident: 2 * 1000 and 1000; right and confident: 0
    np.testing.assert_allclose(loss.data, [2000.0, 1000.0, 0.0, 0.0])
    loss.sum().backward()  # pos_weight * (sigmoid - 1) for y = 1, sigmoid for y = 0
    np.testing.assert_allclose(x.grad.data, [-2.0, 1.0, 0.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_at_plus_minus_1000(dtype):
    x = Tensor(np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]], dtype),
               requires_grad=True)
    loss = F.cross_entropy(x, np.array([1, 1]), label_smoothing=0.1)
    assert np.isfinite(loss.item())
    loss.backward()
    assert np.all(np.isfinite(x.grad.data))
    np.testing.assert_allclose(F.cross_entropy(x, np.array([0, 1]), reduction="none").data,
                               [0, 0], atol=1e-6)


def test_bce_at_probabilities_0_and_1_is_finite():
    # the logs are clamped at -100: a confident mistake costs 100, a confident hit 0
    p = f64([0.0, 1.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, [1.0, 0.0, 0.0, 1.0], reduction="none")
    np.testing.assert_allclose(loss.data, [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()  # PyTorch's slope (p - y) / max(p (1 - p), 1e-12)
    np.testing.assert_allclose(p.grad.data, [-1e12, 1e12, 0.0, 0.0])


@given(st.floats(-1e4, 1e4), st.sampled_from([0.0, 1.0, 0.3]))
def test_bce_with_logits_gradient_is_sigmoid_minus_target(x, y):
    t = f64([x])
    loss = F.binary_cross_entropy_with_logits(t, [y])
    loss.backward()
    sig = 0.5 * (1 + math.tanh(x / 2))
    assert math.isfinite(loss.item())
    assert t.grad.item() == pytest.approx(sig - y, abs=1e-12)


# -------------------------------------------------------------------------- reductions


@pytest.mark.parametrize("fn,target", [
    (F.mse_loss, [0.5, -1.0, 2.0]), (F.l1_loss, [0.5, -1.0, 2.0]),
    (F.huber_loss, [0.5, -1.0, 2.0]), (F.binary_cross_entropy_with_logits, [1.0, 0.0, 1.0]),
    (F.hinge_loss, [1.0, -1.0, 1.0]),
])
def test_reductions_agree(fn, target):
    x = f64([0.2, 0.4, -3.0])
    none = fn(x, target, reduction="none")
    assert none.shape == (3,)
    assert fn(x, target, reduction="sum").item() == pytest.approx(none.data.sum())
    assert fn(x, target).item() == pytest.approx(none.data.mean())


def test_cross_entropy_reductions(rng):
    x, y = f64(rng.standard_normal((5, 4))), np.array([0, 1, 3, 3, 2])
    none = F.cross_entropy(x, y, reduction="none")
    assert none.shape == (5,)
    assert F.cross_entropy(x, y, reduction="sum").item() == pytest.approx(none.data.sum())
    assert F.cross_entropy(x, y).item() == pytest.approx(none.data.mean())


# ------------------------------------------------------------------------------ errors


def test_shape_mismatch_never_broadcasts():
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\).*reshape"):
        F.mse_loss(Tensor(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        F.l1_loss(Tensor(np.zeros(3)), Tensor(np.zeros(2)))
    with pytest.raises(ValueError, match="shape"):
        F.binary_cross_entropy_with_logits(Tensor(np.zeros(3)), np.zeros((3, 1)))


def test_class_label_out_of_range_names_label_and_c():
    with pytest.raises(ValueError, match=r"label 3 .*C = 3"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"label -1 "):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([-1, 0]))


def test_float_class_targets_of_wrong_shape():
    with pytest.raises(ValueError, match=r"\(N, C\) = \(2, 3\).*integers"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"shape \(N,\)"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.zeros((2, 3), dtype=int))


def test_empty_batch():
    with pytest.raises(ValueError, match="empty"):
        F.mse_loss(Tensor(np.zeros(0)), np.zeros(0))
    with pytest.raises(ValueError, match="empty"):
        F.cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="empty"):
        F.mse_loss([], [])


def test_integer_dtype_where_probabilities_are_expected():
    with pytest.raises(TypeError, match="int64.*probabilities"):
        F.binary_cross_entropy(Tensor(np.array([0, 1])), np.array([0, 1]))
    with pytest.raises(TypeError, match="floating-point"):
        F.cross_entropy(Tensor(np.array([[1, 2]])), np.array([0]))


def test_bce_rejects_logits_and_bad_targets():
    with pytest.raises(ValueError, match="with_logits"):
        F.binary_cross_entropy(Tensor([0.5, 2.0]), [1.0, 0.0])
    with pytest.raises(ValueError, match="targets"):
        F.binary_cross_entropy(Tensor([0.5, 0.5]), [1.0, 2.0])
    with pytest.raises(ValueError, match="with_logits"):
        F.binary_cross_entropy([Value(1.5)], [1.0])


def test_other_argument_errors():
    x = Tensor(np.zeros(2))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(x, np.zeros(2), reduction="avg")
    with pytest.raises(ValueError, match="delta"):
        F.huber_loss(x, np.zeros(2), delta=0)
    with pytest.raises(ValueError, match=r"-1 or \+1.*2 \* y - 1"):
        F.hinge_loss(x, [0.0, 1.0])
    with pytest.raises(ValueError, match="weight"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]), weight=np.ones(2))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]), label_smoothing=1.5)


# -------------------------------------------------------------------- scalar engine


def _tensor_vs_scalar(fn, xs, ys, **kw):
    t = f64(xs)
    tl = fn(t, np.array(ys, dtype=float), **kw)
    tl.backward()
    vs = [Value(v) for v in xs]
    vl = fn(vs, ys, **kw)
    assert isinstance(vl, Value)
    vl.backward()
    assert vl.data == pytest.approx(tl.item(), rel=1e-12)
    np.testing.assert_allclose([v.grad for v in vs], t.grad.data, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("fn,xs,ys,kw", [
    (F.mse_loss, [0.5, -1.0, 2.0], [1.0, 0.0, 2.5], {}),
    (F.l1_loss, [0.5, -1.0, 2.0], [1.0, 0.0, 2.5], {"reduction": "sum"}),
    (F.huber_loss, [0.5, -1.0, 4.0], [1.0, 0.0, 2.5], {"delta": 0.8}),
    (F.binary_cross_entropy, [0.2, 0.7, 0.999], [0.0, 1.0, 1.0], {}),
    (F.binary_cross_entropy, [0.2, 0.7], [0.0, 1.0], {"weight": [2.0, 0.5]}),
    (F.binary_cross_entropy_with_logits, [-3.0, 0.0, 1000.0, -1000.0], [1.0, 1.0, 0.0, 0.0],
     {}),
    (F.binary_cross_entropy_with_logits, [-3.0, 0.0, 2.0], [1.0, 0.3, 0.0],
     {"pos_weight": 2.5, "weight": 0.5}),
    (F.hinge_loss, [2.0, 0.5, -1.0], [1.0, -1.0, 1.0], {}),
])
def test_scalar_engine_equals_tensor_engine(fn, xs, ys, kw):
    _tensor_vs_scalar(fn, xs, ys, **kw)


def test_scalar_losses_take_value_targets_and_reduction_none():
    a, t = Value(2.0), Value(0.5)
    loss = F.mse_loss([a], [t])  # (2 - 0.5)^2 = 2.25; d/dt = -2 (2 - 0.5) = -3
    loss.backward()
    assert loss.data == 2.25 and t.grad == -3.0
    parts = F.l1_loss([Value(1.0), Value(-1.0)], [0.0, 0.0], reduction="none")
    assert [p.data for p in parts] == [1.0, 1.0]
    assert F.mse_loss(Value(3.0), 1.0).data == 4.0


def test_scalar_bce_is_finite_at_0_and_1():
    loss = F.binary_cross_entropy([Value(0.0), Value(1.0)], [1.0, 0.0], reduction="sum")
    assert loss.data == 200.0


def test_scalar_errors():
    with pytest.raises(ValueError, match=r"2 prediction\(s\) but 3"):
        F.mse_loss([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss([Value(1.0)], [1.0], reduction="max")
    with pytest.raises(ValueError, match=r"-1 or \+1"):
        F.hinge_loss([Value(1.0)], [0.0])


def test_scalar_gradcheck():
    xs = [Value(0.3), Value(-1.2), Value(2.0)]
    assert gradcheck(lambda *v: F.binary_cross_entropy_with_logits(
        list(v), [1.0, 0.0, 0.4], pos_weight=2.0), xs)
    assert gradcheck(lambda *v: F.huber_loss(list(v), [0.0, 0.0, 0.0]), xs)


# ---------------------------------------------------------------------- loss modules


@pytest.mark.parametrize("module,fn,target,kw", [
    (nn.MSELoss, F.mse_loss, [1.0, 0.0, 1.0], {}),
    (nn.L1Loss, F.l1_loss, [1.0, 0.0, 1.0], {"reduction": "sum"}),
    (nn.HuberLoss, F.huber_loss, [1.0, 0.0, 1.0], {"delta": 0.5}),
    (nn.BCELoss, F.binary_cross_entropy, [1.0, 0.0, 1.0], {"weight": np.array([1.0, 2, 3])}),
    (nn.BCEWithLogitsLoss, F.binary_cross_entropy_with_logits, [1.0, 0.0, 1.0],
     {"pos_weight": 2.0, "reduction": "none"}),
    (nn.HingeLoss, F.hinge_loss, [1.0, -1.0, 1.0], {}),
])
def test_loss_modules_call_the_functions(module, fn, target, kw):
    x = f64([0.2, 0.6, 0.9])
    crit = module(**kw)
    assert isinstance(crit, nn.Module)
    np.testing.assert_allclose(crit(x, target).data, fn(x, target, **kw).data)
    assert crit.parameters() == []


def test_cross_entropy_module(rng):
    x, y = f64(rng.standard_normal((4, 3))), np.array([0, 1, 2, 2])
    crit = nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5]), label_smoothing=0.1)
    expected = F.cross_entropy(x, y, weight=np.array([1.0, 2.0, 0.5]), label_smoothing=0.1)
    assert crit(x, y).item() == pytest.approx(expected.item())
    assert "label_smoothing=0.1" in repr(crit)


def test_loss_modules_validate_at_construction():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="mena")
    with pytest.raises(ValueError, match="delta"):
        nn.HuberLoss(delta=-1)
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=2)
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


def test_loss_module_works_on_values():
    loss = nn.MSELoss()([Value(1.0), Value(3.0)], [0.0, 0.0])  # (1 + 9) / 2
    assert loss.data == 5.0


@pytest.mark.parametrize("kw", [{}, {"weight": [1.0, 2.0, 0.5]}, {"label_smoothing": 0.2},
                                {"weight": [1.0, 2.0, 0.5], "label_smoothing": 0.1,
                                 "reduction": "sum"}])
def test_scalar_cross_entropy_equals_tensor(kw):
    rows, y = [[0.3, -1.2, 2.0], [1000.0, -1000.0, 0.0], [0.0, 0.0, 0.0]], np.array([2, 1, 0])
    t = f64(rows)
    tl = F.cross_entropy(t, y, **kw)
    tl.backward()
    vs = [[Value(a) for a in r] for r in rows]
    vl = F.cross_entropy(vs, y, **kw)
    vl.backward()
    assert vl.data == pytest.approx(tl.item(), rel=1e-12)
    np.testing.assert_allclose([[v.grad for v in r] for r in vs], t.grad.data, atol=1e-12)


def test_scalar_cross_entropy_single_row_and_errors():
    # scores [0, 0, ln 2], label 2: -ln(1/2)
    assert F.cross_entropy([Value(0.0), Value(0.0), Value(LN2)], 2).data == pytest.approx(LN2)
    with pytest.raises(ValueError, match=r"label 3 is out of range.*C = 3"):
        F.cross_entropy([[Value(0.0), Value(1.0), Value(2.0)]], [3])


@given(st.integers(1, 5), st.integers(2, 5), st.integers(0, 2**32 - 1))
def test_cross_entropy_gradcheck_random_shapes(n, c, seed):
    rng = np.random.default_rng(seed)
    x = f64(rng.standard_normal((n, c)) * 3)
    y = rng.integers(0, c, n)
    w = rng.uniform(0.1, 2, c)
    assert gradcheck(lambda a: F.cross_entropy(a, y, weight=w, label_smoothing=0.1), [x])


def test_fused_cross_entropy_has_correct_second_derivatives():
    # Integer labels without weights take the fused path; its derivative
    # softmax - one_hot is itself differentiable: check grad(ce) numerically, and
    # two second-order quantities against closed forms worked out below.
    from tinygrad_dk import grad

    rng = np.random.default_rng(3)
    x = f64(rng.normal(size=(4, 5)))
    labels = np.array([0, 4, 2, 2])
    assert gradcheck(lambda t: (grad(lambda u: F.cross_entropy(u, labels))(t) ** 2).sum(), [x])
    row_sums = grad(lambda u: (grad(lambda v: F.cross_entropy(v, labels))(u)).sum())(x)
    p = np.exp(x.data) / np.exp(x.data).sum(axis=1, keepdims=True)
    # d/dx_ij of sum_k dL/dx_ik = d/dx_ij [ (sum_k p_ik - 1) / N ] = 0 for every row
    np.testing.assert_allclose(row_sums.data, 0.0, atol=1e-12)
    second = grad(lambda u: (grad(lambda v: F.cross_entropy(v, labels))(u) * u).sum())(x)
    # d/dx_ij sum_k x_ik (p_ik - y_ik)/N = (p_ij - y_ij)/N + sum_k x_ik dp_ik/dx_ij / N
    #                                    = (p_ij - y_ij + p_ij (x_ij - sum_k p_ik x_ik)) / N
    one_hot = np.eye(5)[labels]
    mean_x = (p * x.data).sum(axis=1, keepdims=True)
    expected = (p - one_hot + p * (x.data - mean_x)) / 4
    np.testing.assert_allclose(second.data, expected, rtol=1e-10, atol=1e-12)
