"""The misc group's operations against PyTorch, by the differential harness: the in-place
shape changes on computed tensors (``squeeze_``, ``unsqueeze_``, ``t_``, ``transpose_``),
``type_as``, ``contiguous`` of a transposed tensor, ``new_tensor`` (a constant: no
gradient), and ``tinygrad_dk.dropout`` where it is deterministic (``p=0`` or
``train=False``). The random fills and the housekeeping names are not operations: they
are listed in ``NOT_OPS`` of ``test_differential_coverage.py`` and tested in
``test_tensor_misc_names.py``.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import REAL, Case, Op, shape, values  # noqa: E402

import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)


def _reshape_in_place(data):
    s = shape(data)
    hows = ["squeeze_", "squeeze_ dim", "unsqueeze_"] + (["t_"] if len(s) <= 2 else []) \
        + (["transpose_"] if s else [])
    return Case([values(data, s, REAL)], {"how": data.draw(st.sampled_from(hows), label="how")})


def _apply_reshape(x, how):
    """The same lines for ours and PyTorch: both spell these methods alike."""
    y = x * 1.0  # a computed tensor: the in-place change is recorded (a leaf would refuse)
    if how == "squeeze_":
        y.squeeze_()
    elif how == "squeeze_ dim":
        y.squeeze_(0)
    elif how == "unsqueeze_":
        y.unsqueeze_(-1)
    elif how == "t_":
        y.t_()
    else:
        y.transpose_(0, -1)
    return y * 2.0  # the result is used on: its gradient must reach x through the new shape


def _layout(x):
    """type_as (to x's own dtype and to float64 and back) and contiguous of a transpose."""
    reverse = list(range(x.ndim))[::-1]
    wide = x.type_as(x.new_zeros((), dtype=tg.float64 if hasattr(x, "_data")
                                 else torch.float64))
    return wide.type_as(x).permute(reverse).contiguous() * x.new_tensor(2.0)


def _dropout_case(data):
    return Case([values(data, shape(data), REAL)],
                {"how": data.draw(st.sampled_from(["p=0", "eval"]), label="how")})


MISC_OPS = [
    Op("squeeze_, unsqueeze_, t_, transpose_", _apply_reshape, _apply_reshape,
       _reshape_in_place, covers=("Tensor.squeeze_", "Tensor.unsqueeze_", "Tensor.t_",
                                  "Tensor.transpose_")),
    Op("type_as, contiguous, new_tensor", _layout, _layout, lambda data: Case(
       [values(data, shape(data), REAL)]), covers=("Tensor.type_as", "Tensor.contiguous",
                                                   "Tensor.new_tensor")),
    Op("dropout (deterministic cases)",
       lambda x, how: tg.dropout(x, 0.0, True) if how == "p=0" else tg.dropout(x, 0.7, False),
       lambda x, how: torch.dropout(x, 0.0, True) if how == "p=0"
       else torch.dropout(x, 0.7, False), _dropout_case, covers=("tg.dropout",)),
]


@pytest.mark.parametrize("op", MISC_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_misc_op_matches_torch(op, data):
    D.check(op, data)
