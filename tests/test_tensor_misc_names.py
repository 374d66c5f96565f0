"""The misc group's PyTorch names: Tensor housekeeping (``new_zeros``, ``stride``,
``squeeze_``, ``apply_``, ...), random numbers in place and the sampling functions, the
generator's seed and state, the default dtype, ``finfo``/``iinfo``, ``set_printoptions``
and ``tinygrad_dk.dropout``; compared with PyTorch where PyTorch gives the same answer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
import nn.functional as F
import tinygrad_dk as tg
from tinygrad_dk import Tensor, no_grad

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _restore_settings():
    yield
    tg.set_default_dtype(tg.float32)
    tg.set_printoptions(profile="default")


# --- new tensors like this one --------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_new_factories_take_self_dtype_unless_given(dtype):
    x = tg.tensor(np.zeros(2, dtype))
    t = torch.tensor(np.zeros(2, dtype))
    for k, (ours, theirs) in enumerate([(x.new_zeros(2, 3), t.new_zeros(2, 3)),
                         (x.new_ones((2,)), t.new_ones((2,))),
                         (x.new_empty(4), t.new_empty(4)),
                         (x.new_full((2, 2), 3), t.new_full((2, 2), 3)),
                         (x.new_tensor([1, 2]), t.new_tensor([1, 2])),
                         (x.new_tensor([1.5]), t.new_tensor([1.5])),
                         (x.new_zeros(2, dtype=tg.int32), t.new_zeros(2, dtype=torch.int32))]):
        assert ours.shape == tuple(theirs.shape)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        assert not ours.requires_grad and ours.is_leaf
        if k != 2:  # (PyTorch's new_empty holds whatever was in memory)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_new_factories_copy_and_give_plain_tensors():
    w = nn.Parameter(tg.zeros(3))
    made = w.new_ones(3, requires_grad=True)
    assert type(made) is Tensor and made.requires_grad
    data = np.arange(3.0, dtype=np.float32)
    copy = w.new_tensor(data)
    data[0] = 9
    assert copy.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(RuntimeError, match="no cuda device"):
        w.new_zeros(2, device="cuda")


def test_type_as_and_sizes_as_pytorch():
    x = tg.tensor([[1, 2, 3]])
    assert x.type_as(tg.zeros(1)).dtype == np.float32
    assert x.type_as(x) is x
    t = torch.tensor([[1, 2, 3]])
    for name in ("nelement", "ndimension", "element_size"):
        assert getattr(x, name)() == getattr(t, name)()
    assert (x.nbytes, x.itemsize) == (t.nbytes, t.itemsize)


# --- memory layout ------------------------------------------------------------------------


VIEWS = {
    "plain": lambda a: a,
    "transpose": lambda a: a.transpose(0, 1),
    "rows 1:": lambda a: a[1:],
    "every other column": lambda a: a[:, ::2],
    "column 2": lambda a: a[:, 2],
    "expand": lambda a: a[:, :1].expand(3, 4),
    "unsqueeze": lambda a: a.unsqueeze(1),
}


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_stride_offset_and_contiguity_match_pytorch(view):
    ours = VIEWS[view](tg.arange(12).reshape(3, 4))
    theirs = VIEWS[view](torch.arange(12).reshape(3, 4))
    assert ours.stride() == theirs.stride()
    assert ours.storage_offset() == theirs.storage_offset()
    assert ours.is_contiguous() == theirs.is_contiguous()
    if ours.ndim:
        assert ours.stride(-1) == theirs.stride(-1)
    assert ours.contiguous().is_contiguous()


def test_contiguous_keeps_the_gradient_and_data_ptr_tells_shared_memory():
    x = tg.randn(3, 4, requires_grad=True)
    y = x.t()
    assert y.data_ptr() == x.data_ptr() and not y.is_contiguous()
    z = y.contiguous()
    assert z.data_ptr() != x.data_ptr() and z.is_contiguous() and z.op == "contiguous"
    (z * tg.arange(12.0).reshape(4, 3)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(12.0).reshape(4, 3).T)
    with pytest.raises(IndexError, match="out of range"):
        x.stride(2)


# --- in place: detach_, shape changes, apply_ -----------------------------------------------


def test_detach_in_place_leaves_the_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = y * y
    assert y.detach_() is y
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None
    assert y.tolist() == [3.0, 6.0]
    (x * 1 + y).sum().backward()  # y is a constant now
    assert x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="modified after the operation used it"):
        z.sum().backward()  # recorded through y: refused, not a silently missing gradient


@pytest.mark.parametrize("how", ["squeeze_", "unsqueeze_", "t_", "transpose_"])
def test_shape_changes_in_place_follow_pytorch_rules(how):
    args = {"squeeze_": (), "unsqueeze_": (0,), "t_": (), "transpose_": (0, 1)}[how]
    ours, theirs = tg.zeros(3, 1), torch.zeros(3, 1)
    version = ours._version
    assert getattr(ours, how)(*args) is ours
    getattr(theirs, how)(*args)
    assert ours.shape == tuple(theirs.shape) and ours._version == version + 1
    w = tg.zeros(3, 1, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        getattr(w, how)(*args)
    with no_grad():
        getattr(w, how)(*args)
    assert w.shape == tuple(theirs.shape)


def test_transpose_in_place_of_a_computed_tensor_carries_the_gradient():
    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x * 1
    y.t_()
    assert y.shape == (3, 2) and y.op == "transpose"
    (y * tg.tensor(np.arange(6.0).reshape(3, 2))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(6.0).reshape(3, 2).T)
    with pytest.raises(RuntimeError, match="<= 2 dimensions"):
        tg.zeros(2, 2, 2).t_()


def test_is_nonzero_and_bfloat16():
    assert tg.tensor([2.0]).is_nonzero() and not tg.is_nonzero(tg.tensor(0))
    with pytest.raises(RuntimeError, match="more than one value"):
        tg.tensor([1.0, 2.0]).is_nonzero()
    with pytest.raises(RuntimeError, match="no values"):
        tg.zeros(0).is_nonzero()
    with pytest.raises(TypeError, match="no bfloat16.*half"):
        tg.zeros(2).bfloat16()


def test_apply_in_place_without_gradient():
    x = tg.tensor([[1.0, -2.0], [3.0, 0.5]])
    assert x.apply_(lambda v: v * v + 1) is x
    assert x.tolist() == [[2.0, 5.0], [10.0, 1.25]] and x.dtype == np.float32
    with pytest.raises(RuntimeError, match="apply_.*requires grad.*detach"):
        tg.zeros(2, requires_grad=True).apply_(abs)
    assert tg.zeros(0).apply_(abs).shape == (0,)


# --- random numbers in place ------------------------------------------------------------------


FILLS = {
    "normal_": ((2.0, 0.5), lambda a: abs(a.mean() - 2.0) < 0.05 and abs(a.std() - 0.5) < 0.05),
    "uniform_": ((-3.0, -1.0), lambda a: a.min() >= -3 and a.max() < -1
                 and abs(a.mean() + 2) < 0.05),
    "bernoulli_": ((0.3,), lambda a: set(np.unique(a)) <= {0, 1} and abs(a.mean() - 0.3) < 0.03),
    "random_": ((2, 5), lambda a: set(np.unique(a)) == {2, 3, 4}),
    "exponential_": ((4.0,), lambda a: a.min() >= 0 and abs(a.mean() - 0.25) < 0.02),
    "geometric_": ((0.5,), lambda a: a.min() >= 1 and abs(a.mean() - 2.0) < 0.1),
    "log_normal_": ((0.0, 0.25), lambda a: a.min() > 0 and abs(np.log(a).std() - 0.25) < 0.02),
    "cauchy_": ((1.0, 2.0), lambda a: abs(np.median(a) - 1.0) < 0.15),
}


@pytest.mark.parametrize("name", FILLS)
def test_random_fill_is_seeded_in_place_and_has_its_distribution(name):
    args, looks_right = FILLS[name]
    tg.manual_seed(3)
    x = tg.zeros(4000, dtype=tg.float64)
    data = x.data
    assert getattr(x, name)(*args) is x and x.data is data  # the tensor's own memory
    assert looks_right(x.numpy())
    tg.manual_seed(3)
    np.testing.assert_array_equal(getattr(tg.zeros(4000, dtype=tg.float64), name)(*args).numpy(),
                                  x.numpy())
    g = tg.Generator().manual_seed(1)
    a = getattr(tg.zeros(5, dtype=tg.float64), name)(*args, generator=g).numpy()
    g.manual_seed(1)
    np.testing.assert_array_equal(getattr(tg.zeros(5, dtype=tg.float64), name)(
        *args, generator=g).numpy(), a)


@pytest.mark.parametrize("name", FILLS)
def test_random_fill_refuses_a_parameter_while_recording(name):
    args = FILLS[name][0]
    w = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        getattr(w, name)(*args)
    with no_grad():
        getattr(w, name)(*args)
    x = tg.ones(3, requires_grad=True)
    y = x * 2
    getattr(y, name)(*args)  # a computed tensor: the new numbers do not depend on x
    (y * 1).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_random_fill_arguments_and_dtypes_as_pytorch():
    for name, args, match in [("normal_", (0, -1), "std >= 0"),
                              ("uniform_", (2, 1), "from <= to"),
                              ("bernoulli_", (1.5,), r"p in \[0, 1\]"),
                              ("random_", (5, 2), "from < to"),
                              ("exponential_", (0,), "lambd > 0"),
                              ("geometric_", (1.0,), r"p in \(0, 1\)"),
                              ("log_normal_", (0, 0), "std > 0"),
                              ("cauchy_", (0, -1), "sigma > 0")]:
        with pytest.raises(ValueError, match=match):
            getattr(tg.zeros(2), name)(*args)
    with pytest.raises(TypeError, match="floating-point"):
        tg.zeros(3, dtype=tg.int64).normal_()
    ints = tg.zeros(1000, dtype=tg.int64)
    assert set(ints.random_(3).tolist()) == {0, 1, 2} and ints.dtype == np.int64
    assert set(ints.bernoulli_(0.5).tolist()) == {0, 1}
    assert tg.zeros(3, dtype=tg.int64).geometric_(0.5).dtype == np.int64
    big = tg.zeros(2000).random_()  # every integer float32 holds exactly, as PyTorch
    assert big.max().item() <= 2 ** 24 and big.max().item() > 2 ** 20
    assert tg.zeros(200, dtype=tg.bool_).random_().numpy().any()
    assert tg.zeros(5).uniform_(**{"from": 2, "to": 3}).min().item() >= 2
    probs = tg.tensor([0.0, 1.0, 0.0])
    assert tg.zeros(3).bernoulli_(probs).tolist() == [0.0, 1.0, 0.0]


# --- sampling functions ------------------------------------------------------------------------


def test_bernoulli_poisson_randint_like():
    tg.manual_seed(0)
    probs = tg.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=tg.float64)
    assert tg.bernoulli(probs).tolist() == [[0.0, 1.0], [1.0, 0.0]]
    assert tg.bernoulli(probs).dtype == np.float64
    assert set(tg.bernoulli(tg.zeros(500), 0.5).tolist()) == {0.0, 1.0}
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        tg.bernoulli(tg.tensor([0.5, 2.0]))
    rates = tg.full((4000,), 3.0)
    counts = tg.poisson(rates)
    assert counts.dtype == np.float32 and abs(counts.mean().item() - 3.0) < 0.1
    assert (counts.numpy() == np.round(counts.numpy())).all()
    with pytest.raises(ValueError, match="rates >= 0"):
        tg.poisson(tg.tensor([-1.0]))
    r = tg.randint_like(tg.zeros(2, 300), 4)
    assert r.shape == (2, 300) and r.dtype == np.float32 and set(r.numpy().ravel()) == {0, 1, 2, 3}
    r = tg.randint_like(tg.zeros(300, dtype=tg.int64), 5, 7)
    assert r.dtype == np.int64 and set(r.tolist()) == {5, 6}
    assert tg.randint_like(tg.zeros(3), 2, dtype=tg.int32).dtype == np.int32
    with pytest.raises(ValueError, match="low < high"):
        tg.randint_like(tg.zeros(3), 3, 3)


def test_multinomial_draws_rows_of_weights():
    tg.manual_seed(0)
    w = tg.tensor([[0.0, 5.0, 0.0, 5.0], [1.0, 1.0, 1.0, 1.0]])
    idx = tg.multinomial(w, 2)
    assert idx.shape == (2, 2) and idx.dtype == np.int64
    assert sorted(idx[0].tolist()) == [1, 3]  # without replacement: both positive ones
    assert len(set(idx[1].tolist())) == 2
    many = tg.multinomial(tg.tensor([1.0, 3.0]), 4000, replacement=True)
    assert many.shape == (4000,) and abs(many.float().mean().item() - 0.75) < 0.03
    for bad, match in [([1.0, -1.0], "negative"), ([0.0, 0.0], "sums to 0"),
                       ([1.0, np.nan], "nan")]:
        with pytest.raises(ValueError, match=match):
            tg.multinomial(tg.tensor(bad), 1)
    with pytest.raises(ValueError, match="without replacement.*replacement=True"):
        tg.multinomial(tg.tensor([1.0, 1.0, 0.0]), 3)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        tg.multinomial(tg.ones(2, 2, 2), 1)


# --- seeds and the generator's state -------------------------------------------------------------


def test_seeds_and_rng_state_round_trip_exactly():
    tg.manual_seed(123)
    assert tg.initial_seed() == 123
    s = tg.seed()
    assert isinstance(s, int) and tg.initial_seed() == s
    a = tg.randn(5).numpy()
    b = tg.zeros(3).uniform_().numpy()
    tg.manual_seed(s)
    copy = tg.get_rng_state()
    copy["state"]["state"] = 0  # the caller's copy: changing it changes nothing
    np.testing.assert_array_equal(tg.randn(5).numpy(), a)
    np.testing.assert_array_equal(tg.zeros(3).uniform_().numpy(), b)
    tg.manual_seed(7)
    saved = tg.get_rng_state()
    first = tg.rand(4).numpy()
    tg.set_rng_state(saved)
    np.testing.assert_array_equal(tg.rand(4).numpy(), first)
    with pytest.raises(TypeError, match="get_rng_state"):
        tg.set_rng_state([1, 2])


# --- dtypes ------------------------------------------------------------------------------------


def test_default_dtype_is_one_switch():
    assert tg.get_default_dtype() == tg.float32
    tg.set_default_dtype(tg.float64)
    try:  # (the default goes back even when an assertion fails: later tests rely on it)
        assert tg.get_default_dtype() == tg.float64
        made = [tg.tensor(0.5), tg.tensor([1.0]), Tensor([1, 2]), tg.zeros(2), tg.ones(1),
                tg.empty(1), tg.randn(2), tg.rand(2), tg.full((2,), 1.5), tg.arange(0.0, 2.0),
                tg.linspace(0, 1, 3), tg.eye(2), tg.normal(0, 1, (2,)),
                tg.randn_like(tg.zeros(2, dtype=tg.int64))]
        assert all(t.dtype == np.float64 for t in made)
        assert repr(tg.zeros(1)) == "Tensor([0.])" and "float32" in repr(tg.zeros(1).float())
        assert tg.tensor([1]).dtype == np.int64 and tg.arange(3).dtype == np.int64
        assert tg.tensor(np.zeros(2, np.float32)).dtype == np.float32  # numpy keeps its dtype
        assert tg.finfo().eps == np.finfo(np.float64).eps
    finally:
        tg.set_default_dtype(tg.float32)
    assert tg.zeros(1).dtype == np.float32 and tg.tensor(0.5).dtype == np.float32
    for bad in (tg.int64, tg.float16, "text", None):
        with pytest.raises(TypeError, match="only float32 and float64"):
            tg.set_default_dtype(bad)


def test_finfo_iinfo_dtype_is_complex():
    for dtype, theirs in [(tg.float32, torch.float32), (tg.float64, torch.float64),
                          (tg.float16, torch.float16)]:
        ours, ref = tg.finfo(dtype), torch.finfo(theirs)
        for field in ("eps", "max", "min", "tiny", "bits", "resolution", "smallest_normal"):
            assert float(getattr(ours, field)) == pytest.approx(float(getattr(ref, field)),
                                                                rel=1e-3)
    for dtype, theirs in [(tg.int64, torch.int64), (tg.uint8, torch.uint8),
                          (tg.int16, torch.int16)]:
        assert (tg.iinfo(dtype).min, tg.iinfo(dtype).max, tg.iinfo(dtype).bits) == (
            torch.iinfo(theirs).min, torch.iinfo(theirs).max, torch.iinfo(theirs).bits)
    assert tg.finfo().eps == np.finfo(np.float32).eps
    with pytest.raises(TypeError, match="not a floating-point dtype; use iinfo"):
        tg.finfo(tg.int32)
    with pytest.raises(TypeError, match="not an integer dtype; use finfo"):
        tg.iinfo(tg.float32)
    with pytest.raises(TypeError, match="expected a dtype"):
        tg.finfo(object())
    assert isinstance(tg.zeros(1).dtype, tg.dtype) and isinstance(tg.long, tg.dtype)
    assert not tg.is_complex(tg.zeros(2)) and tg.is_complex(np.zeros(1, complex))


# --- printing ----------------------------------------------------------------------------------


def test_printoptions_change_tensor_repr_only():
    x = tg.tensor([[1.23456789, 100.5], [3.0, 4.0]])
    before, numpy_before = repr(x), np.get_printoptions()
    tg.set_printoptions(precision=2)
    assert repr(x) == "Tensor([[  1.23, 100.5 ],\n        [  3.  ,   4.  ]])"
    assert np.get_printoptions() == numpy_before
    tg.set_printoptions(sci_mode=True)
    assert "1.23e+00" in repr(x)
    tg.set_printoptions(sci_mode=False, precision=4)
    assert repr(tg.tensor([1e-6, 1e6])) == "Tensor([0.0000, 1000000.0000])"
    tg.set_printoptions(threshold=5, edgeitems=1)
    assert repr(tg.arange(10)) == "Tensor([0, ..., 9], dtype=int64)"
    tg.set_printoptions(profile="full")
    assert "..." not in repr(tg.arange(2000))
    tg.set_printoptions(profile="default")
    assert repr(x) == before and "..." in repr(tg.arange(2000))
    tg.set_printoptions(linewidth=20)
    assert max(len(line) for line in repr(tg.arange(10.0)).splitlines()) <= 20
    with pytest.raises(ValueError, match="profile"):
        tg.set_printoptions(profile="long")
    with pytest.raises(ValueError, match="whole number"):
        tg.set_printoptions(precision=-1)
    with pytest.raises(TypeError, match="sci_mode"):
        tg.set_printoptions(sci_mode="yes")


# --- dropout in the engine ---------------------------------------------------------------


def test_dropout_in_the_engine_and_in_nn_agree():
    x = tg.ones(2000)
    tg.manual_seed(0)
    ours = tg.dropout(x, 0.25, True)
    tg.manual_seed(0)
    np.testing.assert_array_equal(F.dropout(x, 0.25).numpy(), ours.numpy())
    kept = ours.numpy() != 0
    assert abs(kept.mean() - 0.75) < 0.04
    np.testing.assert_allclose(ours.numpy()[kept], 1 / 0.75, rtol=1e-6)
    assert tg.dropout(x, 0.5, False) is x and tg.dropout(x, 1.0).sum().item() == 0
    assert tg.dropout([1.0, 2.0], 0.5).dtype == np.float32  # a list becomes a Tensor
    with pytest.raises(ValueError, match=r"probability in \[0, 1\]"):
        tg.dropout(x, 1.5)
    w = tg.ones(4, requires_grad=True)
    tg.dropout(w, 0.5).sum().backward()
    assert set(w.grad.tolist()) <= {0.0, 2.0}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1,
                max_size=6))
def test_new_tensor_and_apply_keep_the_numbers(values):
    x = tg.tensor(np.array(values, np.float32))
    assert x.new_tensor(values).tolist() == x.tolist()
    assert x.new_tensor(values).apply_(lambda v: -v).tolist() == (-x).tolist()
