"""Elementwise math, comparisons and in-place variants with PyTorch's names against PyTorch,
by the differential harness (``tests/differential.py``).

Each row draws which spelling it calls (``x.log2()`` or ``tg.log2(x)``, and the aliases
``arcsin``, ``fix``, ...), so one row tests all of them; binary rows also draw a Python
number as the second operand. Rows of ``tinygrad_dk.ops_elementwise``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import (  # noqa: E402
    FINITE,
    MODERATE,
    POSITIVE,
    REAL,
    Case,
    Op,
    shape,
    smaller,
    values,
)

import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)


# --- unary functions -------------------------------------------------------------------------


def _spellings(names):
    """Draw one spelling: a method or a tg function, under any of the names."""
    return st.sampled_from([(where, n) for n in names for where in ("method", "function")])


def _call(x, spelling, *args, **kwargs):
    where, name = spelling
    if where == "method":
        return getattr(x, name)(*args, **kwargs)
    return getattr(tg, name)(x, *args, **kwargs)


def _torch_call(x, spelling, *args, **kwargs):
    return getattr(torch, spelling[1])(x, *args, **kwargs)


def _unary(name, *aliases, domain=REAL, module="ops_elementwise", **extra):
    names = (name, *aliases)

    def draw(data):
        return Case([values(data, shape(data), domain)], {"spelling": data.draw(_spellings(names))})

    covers = tuple(f"{kind}.{n}" for n in names for kind in ("Tensor", "tg"))
    if module:
        covers += (f"{module}.{name}",)
    return Op(", ".join(names), _call, _torch_call, draw, covers=covers, **extra)


SQUARE_OVERFLOW = ("PyTorch's derivative squares x (1 / (x^2 + 1)): in float32 that overflows "
                   "for |x| > 1.8e19 and PyTorch gives 0 where ours keeps the small number")

UNARY = [
    _unary("log1p", module=""),  # the op is ops.log1p (test_differential_ops.py)
    _unary("log2"), _unary("log10"), _unary("expm1"), _unary("exp2"),
    _unary("reciprocal"), _unary("rsqrt"),
    _unary("tan", domain=MODERATE), _unary("sinh"), _unary("cosh"),
    _unary("asin", "arcsin"), _unary("acos", "arccos"), _unary("atan", "arctan"),
    _unary("asinh", "arcsinh"), _unary("acosh", "arccosh"), _unary("atanh", "arctanh"),
    _unary("erf"), _unary("erfc"),
    _unary("trunc", "fix"), _unary("frac"),
    _unary("sgn", module=""), _unary("negative", module=""), _unary("absolute", module=""),
]

# --- binary functions -----------------------------------------------------------------------

NUMBER = 2.5  # the Python number a binary row may take as its second operand


def _binary_draw(names, domain_a=REAL, domain_b=REAL, number=True):
    def draw(data):
        shapes = D.broadcast_shapes(data, 2)
        return Case([values(data, shapes[0], domain_a), values(data, shapes[1], domain_b)],
                    {"spelling": data.draw(_spellings(names)),
                     "number": number and data.draw(st.booleans())})
    return draw


def _ours_binary(a, b, spelling, number):
    return _call(a, spelling, NUMBER if number else b)


def _binary(name, *aliases, theirs=None, domain_a=REAL, domain_b=REAL, number=True,
            module="ops_elementwise", **extra):
    names = (name, *aliases)
    theirs = theirs or (lambda a, b, spelling, number: getattr(torch, spelling[1])(
        a, NUMBER if number else b))
    covers = tuple(f"{kind}.{n}" for n in names for kind in ("Tensor", "tg"))
    if module:
        covers += (f"{module}.{name}",)
    return Op(", ".join(names), _ours_binary, theirs,
              _binary_draw(names, domain_a, domain_b, number), covers=covers, **extra)


def _scaled(fn):
    """PyTorch's ``fn(a / s, b / s)`` (times s for hypot), s = max(|a|, |b|) elementwise (a
    constant): the same function, whose derivative squares no tiny or huge number
    (PyTorch's derivatives of atan2 and hypot do, and under- or overflow at 1e-300 or
    1e200, where ours does not)."""
    def scaled(a, b, spelling, number):
        b = torch.tensor(NUMBER, dtype=a.dtype) if number else b
        s = torch.maximum(a.detach().abs(), b.detach().abs())
        s = torch.where((s > 0) & torch.isfinite(s), s, torch.ones_like(s))
        return fn(a / s, b / s, s)
    return scaled


def _torch_floor_divide(a, b, spelling, number):
    # PyTorch's floor_divide has no derivative at all; div(rounding_mode="floor") is the
    # same function with the derivative 0, as ours
    return torch.div(a, NUMBER if number else b, rounding_mode="floor")


def _divide_draw(data):
    shapes = D.broadcast_shapes(data, 2)
    return Case([values(data, shapes[0], REAL), values(data, shapes[1], REAL)],
                {"mode": data.draw(st.sampled_from([None, "trunc", "floor"])),
                 "form": data.draw(st.sampled_from(["method", "function", "div"]))})


def _ours_divide(a, b, mode, form):
    if form == "method":
        return a.divide(b, rounding_mode=mode)
    return (tg.divide if form == "function" else tg.div)(a, b, rounding_mode=mode)


def _lerp_draw(data):
    full = shape(data)
    arrays = [values(data, smaller(data, full), FINITE) for _ in range(2)]
    if data.draw(st.booleans()):  # a tensor weight, sometimes outside [0, 1]
        arrays.append(values(data, smaller(data, full), MODERATE))
        weight = None
    else:
        weight = data.draw(st.sampled_from([0.0, 0.3, 0.5, 0.75, 1.0, -1.5]))
    return Case(arrays, {"weight": weight, "spelling": data.draw(_spellings(["lerp"]))})


def _ours_lerp(start, end, *w, weight, spelling):
    return _call(start, spelling, end, w[0] if w else weight)


def _torch_lerp(start, end, *w, weight, spelling):
    return torch.lerp(start, end, w[0] if w else weight)


# addcdiv's denominators: no tiny kind and no zeros. With t1 = t2 = 1e-40 its second
# derivative is a difference of two terms of size 1/t2 = 1e40 that cancel: exactly in ours,
# to 1e23 (their rounding) in PyTorch's; at t2 = 0, a pole, the second derivatives are
# inf * 0 in both, nan or inf by the order of the products. Division by tiny numbers and
# by 0 is compared by the div rows.
DENOMINATOR = D.Domain(kinds=tuple(k for k in D.KINDS if k != "tiny"),
                       map=lambda a: a + (a == 0))


def _addc_draw(data):
    full = shape(data)
    return Case([values(data, smaller(data, full), d) for d in (REAL, REAL, DENOMINATOR)],
                {"name": data.draw(st.sampled_from(["addcmul", "addcdiv"])),
                 "value": data.draw(st.sampled_from([1, 0.5, -2.0])),
                 "form": data.draw(st.sampled_from(["method", "function"]))})


def _ours_addc(x, t1, t2, name, value, form):
    if form == "method":
        return getattr(x, name)(t1, t2, value=value)
    return getattr(tg, name)(x, t1, t2, value=value)


def _torch_addc(x, t1, t2, name, value, form):
    return getattr(torch, name)(x, t1, t2, value=value)


def _nan_to_num_draw(data):
    options = data.draw(st.sampled_from([{}, {"nan": 1.5}, {"nan": -1.0, "posinf": 9.0},
                                         {"neginf": -7.0, "posinf": 1e3}]))
    return Case([values(data, shape(data), REAL)],
                {"options": options, "form": data.draw(st.sampled_from(["method", "function"]))})


def _ours_nan_to_num(x, options, form):
    return x.nan_to_num(**options) if form == "method" else tg.nan_to_num(x, **options)


POW_NAN = "PyTorch's pow: see test_differential_ops.py (0 * log 0 in unselected branches)"
ZERO_CORNER = ("at a = b = 0 (the corner of a cone) PyTorch's derivative is 0/0 = nan; ours "
               "takes 0, as the norm's")
MASK_NAN = ("where the upstream gradient is inf at a replaced element PyTorch multiplies it "
            "by the mask (inf * 0 = nan); ours gives that constant element 0")

BINARY = [
    _binary("atan2", "arctan2", number=False, rtol=1e-6, divides_by_result=True, nan_ok=(
        "at y = x = 0 PyTorch's first derivative is 0 and its second nan; ours 0 too"),
            alt=_scaled(lambda a, b, s: torch.atan2(a, b)),
            alt_why="PyTorch's derivative squares the inputs (1e-300^2 = 0)"),
    _binary("hypot", number=False, nan_ok=ZERO_CORNER, divides_by_result=True,
            alt=_scaled(lambda a, b, s: torch.hypot(a, b) * s),
            alt_why="PyTorch's hypot derivative multiplies by the input first (overflow)"),
    _binary("fmod"), _binary("remainder"),
    _binary("floor_divide", theirs=_torch_floor_divide),
    # (float64 only: the harness compares a float32 example's result in float32, and
    # float_power's result is float64 whatever the inputs; test_elementwise_names checks it)
    _binary("float_power", domain_a=POSITIVE, float32=False, nan_ok=POW_NAN),
    _binary("logaddexp", number=False),
    _binary("xlogy", domain_b=REAL),
    _binary("maximum", module="", number=False), _binary("minimum", module="", number=False),
    _binary("clamp_min", module="", number=True), _binary("clamp_max", module="", number=True),
    _binary("multiply", "subtract", "true_divide", module=""),
    Op("divide, div (rounding_mode=)", _ours_divide,
       lambda a, b, mode, form: torch.div(a, b, rounding_mode=mode), _divide_draw,
       covers=("Tensor.divide", "tg.divide", "ops_elementwise.divide",
               "ops_elementwise.trunc_divide")),
    Op("lerp", _ours_lerp, _torch_lerp, _lerp_draw,
       covers=("Tensor.lerp", "tg.lerp", "ops_elementwise.lerp")),
    Op("addcmul, addcdiv", _ours_addc, _torch_addc, _addc_draw,
       alt=lambda x, t1, t2, name, value, form: x + value * t1 * t2 if name == "addcmul"
       else x + value * (t1 / t2),
       alt_why="PyTorch's addcdiv derivative divides by t2 * t2, which rounds (and under- or "
               "overflows) where its div's (t1 / t2) / t2, and ours, do not",
       sums=1, grad_sums=True,  # x + the product; a broadcast t2's gradient sums g t1 / t2^2
       covers=("Tensor.addcmul", "Tensor.addcdiv", "tg.addcmul", "tg.addcdiv",
               "ops_elementwise.addcmul", "ops_elementwise.addcdiv")),
    Op("nan_to_num", _ours_nan_to_num,
       lambda x, options, form: torch.nan_to_num(x, **options), _nan_to_num_draw,
       nan_ok=MASK_NAN, covers=("Tensor.nan_to_num", "tg.nan_to_num",
                                "ops_elementwise.nan_to_num")),
]

# --- comparisons and logic: bool results ---------------------------------------------------

COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal",
               "less_equal", "not_equal"]
LOGIC = ["logical_and", "logical_or", "logical_xor"]


def _pair(data, domain=REAL):
    shapes = D.broadcast_shapes(data, 2)
    a = values(data, shapes[0], domain)
    b = values(data, shapes[1], domain)
    if data.draw(st.booleans()) and shapes[0] == shapes[1]:
        b = np.where(np.arange(a.size).reshape(a.shape) % 2 == 0, a, b)  # some ties
    return a, b


def _question_draw(names):
    def draw(data):
        a, b = _pair(data, MODERATE)
        return Case([a, b], {"spelling": data.draw(_spellings(names)),
                             "number": data.draw(st.booleans())}, grads=(False, False))
    return draw


QUESTIONS = [
    Op(", ".join(COMPARISONS), _ours_binary,
       lambda a, b, spelling, number: getattr(torch, spelling[1])(a, NUMBER if number else b),
       _question_draw(COMPARISONS),
       covers=tuple(f"{k}.{n}" for n in COMPARISONS for k in ("Tensor", "tg"))),
    Op(", ".join(LOGIC), lambda a, b, spelling, number: _call(a > 0, spelling, b),
       lambda a, b, spelling, number: getattr(torch, spelling[1])(a > 0, b),
       _question_draw(LOGIC),
       covers=tuple(f"{k}.{n}" for n in LOGIC for k in ("Tensor", "tg", "ops_elementwise"))),
    Op("logical_not, signbit", lambda x, spelling: _call(x, spelling),
       lambda x, spelling: getattr(torch, spelling[1])(x),
       lambda data: Case([values(data, shape(data), REAL)],
                         {"spelling": data.draw(_spellings(["logical_not", "signbit"]))},
                         grads=(False,)),
       covers=("Tensor.logical_not", "tg.logical_not", "ops_elementwise.logical_not",
               "Tensor.signbit", "tg.signbit", "ops_elementwise.signbit")),
    Op("x.isclose, x.allclose, x.equal",
       lambda a, b, spelling, number: a.isclose(b) if a.shape != b.shape else tg.stack(
           [a.isclose(b), a.eq(b), tg.full(a.shape, a.allclose(b), dtype=tg.bool_),
            tg.full(a.shape, a.equal(b), dtype=tg.bool_)]),
       lambda a, b, spelling, number: a.isclose(b) if a.shape != b.shape else torch.stack(
           [a.isclose(b), a.eq(b), torch.full(a.shape, a.allclose(b)),
            torch.full(a.shape, a.equal(b))]),
       _question_draw(["eq"]), covers=("Tensor.isclose", "Tensor.allclose", "Tensor.equal")),
    Op("x.where(condition, y)", lambda a, b: a.where(a > b, b),
       lambda a, b: a.where(a > b, b), D.elementwise(2), covers=("Tensor.where",)),
]

# --- in place, on computed tensors (recorded, as in PyTorch) ----------------------------------

INPLACE_UNARY = ["exp_", "log_", "abs_", "neg_", "sqrt_", "square_", "reciprocal_", "relu_",
                 "sigmoid_", "tanh_", "floor_", "ceil_", "round_", "trunc_", "sign_"]
INPLACE_WITH = {  # name: how it is called with the second input b
    "clamp_min_": lambda y, b: y.clamp_min_(b),
    "clamp_max_": lambda y, b: y.clamp_max_(0.5), "lerp_": lambda y, b: y.lerp_(b, 0.25),
    "addcmul_": lambda y, b: y.addcmul_(b, b, value=0.5),
    "addcdiv_": lambda y, b: y.addcdiv_(b, b * b + 1, value=-2.0),
    "remainder_": lambda y, b: y.remainder_(b), "fmod_": lambda y, b: y.fmod_(b),
    # (PyTorch's floor_divide_ has no derivative; its div_ by floor is the same function)
    "floor_divide_": lambda y, b: y.div_(b, rounding_mode="floor") if isinstance(
        y, torch.Tensor) else y.floor_divide_(b),
}


def _inplace_draw(data, names=(*INPLACE_UNARY, *INPLACE_WITH)):
    full = shape(data)
    return Case([values(data, full, REAL), values(data, smaller(data, full), MODERATE)],
                {"name": data.draw(st.sampled_from(names))})


def _apply(x, b, name):
    """The same lines for ours and PyTorch: both spell these methods alike."""
    y = x * 1.0  # a computed tensor: in-place changes are recorded (a leaf would refuse)
    if name == "pow_":
        y.pow_(b)
    elif name in INPLACE_WITH:
        INPLACE_WITH[name](y, b)
    else:
        getattr(y, name)()
    return y


INPLACE = [
    Op("in-place math", _apply, _apply, _inplace_draw,
       covers=tuple(f"Tensor.{n}" for n in INPLACE_UNARY + list(INPLACE_WITH))),
    Op("pow_", lambda x, b, name: _apply(x, b, "pow_"), lambda x, b, name: _apply(x, b, "pow_"),
       lambda data: _inplace_draw(data, ["pow_"]), covers=("Tensor.pow_",),
       nan_ok=POW_NAN),
]



def _ours_operators(a, b):  # x % y is remainder, x // y floor division, numbers either side
    return tg.stack([a % b, a // b, 1.5 % b, 1.5 // b])


def _torch_operators(a, b):
    # (PyTorch's // has no derivative, nor 1.5 % b one for b: the same functions that have)
    n = torch.full_like(b, 1.5)
    return torch.stack([a % b, torch.div(a, b, rounding_mode="floor"), n % b,
                        torch.div(n, b, rounding_mode="floor")])


OPERATORS = [
    Op("% and //", _ours_operators, _torch_operators, D.elementwise(2),
       covers=("Tensor.__mod__", "Tensor.__rmod__", "Tensor.__floordiv__",
               "Tensor.__rfloordiv__")),
]

ELEMENTWISE_OPS = UNARY + BINARY + QUESTIONS + INPLACE + OPERATORS


@pytest.mark.parametrize("op", ELEMENTWISE_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_elementwise_op_matches_torch(op, data):
    D.check(op, data)
