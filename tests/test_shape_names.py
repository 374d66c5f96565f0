"""PyTorch's shape, splitting/joining, diagonal and gather/scatter names: known values,
the shapes of the pieces, gradients where an index repeats or a value is overwritten,
in-place rules, and the errors for wrong indices and shapes.

(The differential table ``test_differential_layout.py`` compares every op with PyTorch
on random inputs; these tests pin down what a reader should see.)
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck

torch = pytest.importorskip("torch")


def f64(shape, seed=0, grad=True):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=grad)


# --- known values ----------------------------------------------------------------------------


def test_repeat_is_numpys_tile_and_tile_fills_in_ones():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(x.repeat(2, 3).numpy(), np.tile(x.numpy(), (2, 3)))
    assert x.repeat(2, 1, 1).shape == (2, 2, 2)  # extra counts add leading axes
    assert x.tile((2,)).shape == (2, 4) and tg.tile(x, (2, 1, 1)).shape == (2, 2, 2)


def test_repeat_interleave_with_one_count_counts_per_element_and_counts_alone():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.repeat_interleave(2).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert x.repeat_interleave(tg.tensor([1, 2]), dim=0).tolist() == [[1, 2], [3, 4], [3, 4]]
    assert tg.repeat_interleave(tg.tensor([1, 0, 2])).tolist() == [0, 2, 2]


def test_flip_roll_rot90_agree_with_numpy():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(a)
    np.testing.assert_array_equal(x.flip(0, 2).numpy(), np.flip(a, (0, 2)))
    np.testing.assert_array_equal(tg.flip(x, [1]).numpy(), np.flip(a, 1))
    np.testing.assert_array_equal(x.fliplr().numpy(), np.fliplr(a))
    np.testing.assert_array_equal(x.flipud().numpy(), np.flipud(a))
    np.testing.assert_array_equal(x.roll(5).numpy(), np.roll(a, 5))
    np.testing.assert_array_equal(x.roll((1, -2), (0, 2)).numpy(), np.roll(a, (1, -2), (0, 2)))
    for k in range(-5, 6):
        np.testing.assert_array_equal(x.rot90(k, (1, 2)).numpy(), np.rot90(a, k, (1, 2)))


def test_moving_axes():
    x = tg.zeros(2, 3, 4)
    assert x.movedim(0, -1).shape == (3, 4, 2) == tg.moveaxis(x, 0, 2).shape
    assert x.movedim((0, 1), (2, 0)).shape == (3, 4, 2)
    assert tg.swapdims(x, 0, 2).shape == (4, 3, 2) == tg.swapaxes(x, 0, 2).shape
    assert x.mT.shape == (2, 4, 3)
    assert x.narrow(2, -3, 2).shape == (2, 3, 2) and x.select(1, -1).shape == (2, 4)
    assert x.unflatten(2, (2, -1)).shape == (2, 3, 2, 2) and x.ravel().shape == (24,)
    assert [t.shape for t in tg.atleast_3d(tg.tensor(1.0), tg.ones(3), tg.ones(2, 3))] == [
        (1, 1, 1), (1, 3, 1), (2, 3, 1)]
    assert tg.atleast_2d(tg.ones(3)).shape == (1, 3) and tg.atleast_1d(tg.tensor(2.0)).shape == (1,)


CUTS = [("split", (2,)), ("split", ([1, 0, 4],)), ("chunk", (3,)), ("chunk", (7,)),
        ("tensor_split", (3,)), ("tensor_split", ([1, -2, 9],)), ("unbind", ())]


@pytest.mark.parametrize("name, args", CUTS)
@pytest.mark.parametrize("n", [0, 1, 5])
def test_pieces_have_pytorchs_shapes(name, args, n):
    a = np.arange(n * 2.0).reshape(n, 2)
    if name == "split" and isinstance(args[0], list) and n != 5:
        return  # the sizes must add up to the length
    ours = getattr(Tensor(a), name)(*args, 0)
    theirs = getattr(torch.tensor(a), name)(*args, 0)
    assert isinstance(ours, tuple)
    assert [t.shape for t in ours] == [tuple(t.shape) for t in theirs]
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_h_v_d_split_and_the_stacks():
    x = tg.arange(24.0).reshape(2, 4, 3)
    assert [t.shape for t in x.hsplit(2)] == [(2, 2, 3)] * 2
    assert [t.shape for t in tg.vsplit(x, [1])] == [(1, 4, 3), (1, 4, 3)]
    assert [t.shape for t in x.dsplit(3)] == [(2, 4, 1)] * 3
    a, b = tg.ones(3), tg.zeros(3)
    assert tg.hstack([a, b]).shape == (6,) and tg.vstack([a, b]).shape == (2, 3)
    assert tg.row_stack((a, b)).shape == (2, 3) and tg.dstack([a, b]).shape == (1, 3, 2)
    assert tg.column_stack([a, tg.ones(3, 2)]).shape == (3, 3)
    assert tg.hstack([[1.0, 2.0], np.array([3.0])]).tolist() == [1, 2, 3]  # lists, arrays


def test_meshgrid_indexing_and_its_warning():
    x, y = tg.arange(3.0), tg.arange(2.0)
    gx, gy = tg.meshgrid(x, y, indexing="xy")
    assert gx.shape == gy.shape == (2, 3) and gx[1].tolist() == [0, 1, 2]
    with pytest.warns(UserWarning, match="indexing='ij'"):
        gi, gj = tg.meshgrid(x, y)  # PyTorch's default 'ij', with PyTorch's warning
    assert gi.shape == (3, 2) and gi[:, 0].tolist() == [0, 1, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.meshgrid([x, y], indexing="ij")
    assert tg.cartesian_prod(x, y).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1]]


def test_broadcast_tensors_and_block_diag():
    a, b = tg.broadcast_tensors(tg.ones(3, 1), tg.zeros(4))
    assert a.shape == b.shape == (3, 4) and tg.broadcast_to(tg.ones(1), (2, 2)).shape == (2, 2)
    m = tg.block_diag(tg.ones(2, 2), tg.tensor(5.0), tg.tensor([7.0, 8.0]))
    np.testing.assert_array_equal(m.numpy(), [[1, 1, 0, 0, 0], [1, 1, 0, 0, 0], [0, 0, 5, 0, 0],
                                              [0, 0, 0, 7, 8]])
    assert tg.block_diag().shape == (1, 0)
    mixed = tg.block_diag(tg.tensor([[1, 2]]), tg.tensor([[0.5]]))  # PyTorch's promotion
    assert mixed.dtype == np.float32 == torch.block_diag(torch.tensor([[1, 2]]),
                                                         torch.tensor([[0.5]])).numpy().dtype


def test_diagonals_and_triangles():
    m = tg.arange(12.0).reshape(3, 4)
    assert m.diag().tolist() == [0, 5, 10] and m.diag(1).tolist() == [1, 6, 11]
    assert m.diag(-2).tolist() == [8] and tg.diag(tg.tensor([1.0, 2.0]), -1).tolist() == [
        [0, 0, 0], [1, 0, 0], [0, 2, 0]]
    assert tg.zeros(2, 3, 4).diagonal(0, 0, 2).shape == (3, 2)
    assert tg.ones(5, 3).diag_embed().shape == (5, 3, 3)
    np.testing.assert_array_equal(m.tril(-1).numpy(), np.tril(m.numpy(), -1))
    np.testing.assert_array_equal(tg.triu(m, 1).numpy(), np.triu(m.numpy(), 1))
    inf = tg.full((2, 2), float("inf"))
    assert inf.tril().tolist() == [[float("inf"), 0], [float("inf"), float("inf")]]  # not nan
    assert tg.tril_indices(3, 3).tolist() == [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    assert tg.triu_indices(2, 3, 1).dtype == np.int64


def test_unfold_makes_sliding_windows_of_a_series():
    series = tg.arange(7.0)
    windows = series.unfold(0, 3, 2)
    assert windows.tolist() == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    assert tg.zeros(2, 10, 3).unfold(1, 4, 1).shape == (2, 7, 3, 4)


def test_gather_take_and_index_select_values():
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.gather(1, [[2, 0], [1, 1]]).tolist() == [[3, 1], [5, 5]]
    assert tg.take(x, np.array([[0, -1]])).tolist() == [[1, 6]]
    assert x.index_select(1, tg.tensor([2, 2])).tolist() == [[3, 3], [6, 6]]
    assert x.take_along_dim(tg.tensor([[0], [2]]), 1).tolist() == [[1], [6]]
    assert x.masked_select(x > 3).tolist() == [4, 5, 6]
    assert x.masked_fill(x > 3, 0.0).tolist() == [[1, 2, 3], [0, 0, 0]]
    assert x.index_fill(1, [0], -1.0).tolist() == [[-1, 2, 3], [-1, 5, 6]]


def test_scatter_scatter_add_and_index_add_values():
    zeros = tg.zeros(2, 4)
    index = tg.tensor([[1, 3], [0, 0]])
    src = Tensor([[1.0, 2.0, 9.0], [3.0, 4.0, 9.0]])  # larger than the index: corner used
    assert zeros.scatter(1, index[:, :1], src).tolist() == [[0, 1, 0, 0], [3, 0, 0, 0]]
    assert zeros.scatter(1, index, 7.0).tolist() == [[0, 7, 0, 7], [7, 0, 0, 0]]
    assert zeros.scatter_add(1, index, src).tolist() == [[0, 1, 0, 2], [7, 0, 0, 0]]
    assert zeros.scatter(1, index, src, reduce="add").tolist() == [[0, 1, 0, 2], [7, 0, 0, 0]]
    counts = tg.zeros(3).scatter_add(0, tg.tensor([0, 2, 2, 2]), tg.ones(4))  # a histogram
    assert counts.tolist() == [1, 0, 3]
    added = tg.ones(3, 2).index_add(0, [2, 2], Tensor([[1.0, 1.0], [2.0, 2.0]]), alpha=10)
    assert added.tolist() == [[1, 1], [1, 1], [31, 31]]


# --- gradients ------------------------------------------------------------------------------


def test_gather_gradient_adds_up_where_an_index_repeats():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.gather(0, [0, 0, 2, 0]).sum().backward()
    assert x.grad.tolist() == [3, 0, 1]


def test_scatter_gradient_is_zero_at_overwritten_positions():
    x = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    src = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    y = x.scatter(0, [3, 1], src)
    (y * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [1, 0, 3, 0]  # positions 1 and 3 were overwritten
    assert src.grad.tolist() == [4, 2, 0]  # the gradient at where each went; 30 unused


def test_masked_fill_value_tensor_gets_the_sum_of_the_filled_gradients():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = Tensor(0.5, requires_grad=True)
    (x.masked_fill(tg.tensor([True, False, True]), v) * Tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [0, 2, 0] and v.grad.item() == 4


GRADCHECKS = [
    ("gather", lambda x: x.gather(1, [[0, 0, 2], [1, 2, 2]]), (2, 3)),
    ("take_along_dim", lambda x: x.take_along_dim(tg.tensor([[2], [0]]), 1), (2, 3)),
    ("index_select", lambda x: x.index_select(0, [1, 1, 0]), (2, 3)),
    ("take", lambda x: x.take([[5, -1], [0, 0]]), (2, 3)),
    ("unfold", lambda x: x.unfold(1, 2, 1) ** 2, (2, 3)),
    ("repeat", lambda x: x.repeat(2, 1, 2) ** 2, (2, 3)),
    ("repeat_interleave", lambda x: x.repeat_interleave([2, 0, 1], dim=1) ** 2, (2, 3)),
    ("diag_embed", lambda x: x.diag_embed(1) ** 2, (2, 3)),
    ("diagonal", lambda x: x.diagonal(-1) ** 2, (3, 3)),
    ("tril", lambda x: x.tril() ** 2, (3, 3)),
    ("roll", lambda x: x.roll(1, 1) ** 2, (2, 3)),
    ("masked_select", lambda x: x.masked_select(tg.tensor([True, False, True])) ** 2, (2, 3)),
]


@pytest.mark.parametrize("name, fn, shape", GRADCHECKS, ids=[g[0] for g in GRADCHECKS])
def test_gradcheck(name, fn, shape):
    assert gradcheck(fn, [f64(shape)])


def test_gradcheck_of_the_writing_ops_in_both_arguments():
    index = tg.tensor([[2, 0], [1, 1]])
    assert gradcheck(lambda x, s: x.scatter_add(1, index, s) ** 2, [f64((2, 3)), f64((2, 2), 1)])
    assert gradcheck(lambda x, s: x.scatter(1, tg.tensor([[2, 0], [1, 0]]), s) ** 2,
                     [f64((2, 3)), f64((2, 2), 1)])
    assert gradcheck(lambda x, s: x.index_add(0, [1, 1], s, alpha=0.5) ** 2,
                     [f64((2, 3)), f64((2, 3), 1)])
    assert gradcheck(lambda x, v: x.index_fill(1, [0, 2], v) ** 2, [f64((2, 3)), f64((), 1)])


def test_second_derivative_through_gather():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    (g,) = tg.autograd.grad((x.gather(0, [1, 1, 2]) ** 3).sum(), [x], create_graph=True)
    assert g.tolist() == [0, 2 * 3 * 2.0**2, 3 * 3.0**2]  # n * 3 x^2, n = times picked
    (h,) = tg.autograd.grad(g.sum(), [x])
    assert h.tolist() == [0, 2 * 6 * 2.0, 6 * 3.0]  # n * 6 x


# --- in place --------------------------------------------------------------------------------


def test_in_place_versions_follow_pytorchs_rules():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w.masked_fill_(tg.tensor([True, False, False]), 0.0)
    with tg.no_grad():
        w.index_fill_(0, [1], 0.0)
    assert w.tolist() == [1, 0, 3]
    y = w * 2
    z = y * y
    y.scatter_(0, tg.tensor([0]), tg.tensor([5.0]))  # y changed after z used it
    with pytest.raises(RuntimeError, match="modified"):
        z.sum().backward()


def test_in_place_on_a_computed_tensor_records_the_graph():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    s = Tensor([10.0], requires_grad=True)
    y = x * 1.0
    y.index_add_(0, [2], s, alpha=2)
    y.scatter_add_(0, tg.tensor([0]), s)
    assert y.tolist() == [11, 2, 23]
    y.sum().backward()
    assert x.grad.tolist() == [1, 1, 1] and s.grad.tolist() == [3]


# --- errors that say what to do ------------------------------------------------------------------

ERRORS = [
    (lambda x: x.gather(1, [[0.0]]), TypeError, r"integers \(int64\).*\.long\(\)"),
    (lambda x: x.gather(1, [[3]]), IndexError, "index 3 is out of bounds for dimension 1 with "
     "size 3"),
    (lambda x: x.gather(1, [0]), RuntimeError, "same number"),
    (lambda x: x.index_select(0, [[0]]), IndexError, "must be a vector"),
    (lambda x: x.take([6]), IndexError, "-6..5"),
    (lambda x: x.masked_fill(tg.tensor([1, 0, 1]), 0.0), TypeError, r"bool tensor.*\.bool\(\)"),
    (lambda x: x.masked_fill(x > 0, tg.ones(2)), RuntimeError, "0-dimensional"),
    (lambda x: x.scatter(0, [[0]], tg.ones(1, 1, dtype=tg.float32)), RuntimeError,
     r"\.to\(x\.dtype\)"),
    (lambda x: x.scatter(0, [[0]]), TypeError, "either src"),
    (lambda x: x.index_add(0, [0], tg.ones(2, 3, dtype=tg.float64)), RuntimeError,
     r"needs \(1, 3\)"),
    (lambda x: x.split([1, 2]), RuntimeError, "add up to 2"),
    (lambda x: x.chunk(0), RuntimeError, "positive"),
    (lambda x: x.repeat(2), RuntimeError, "tile"),
    (lambda x: x.hsplit(2), RuntimeError, "tensor_split"),
    (lambda x: x.narrow(1, 2, 2), RuntimeError, "exceeds"),
    (lambda x: x.select(0, 2), IndexError, "-2..1"),
    (lambda x: x.unfold(1, 4, 1), RuntimeError, "0..3"),
    (lambda x: x.flip(0, -2), RuntimeError, "twice"),
    (lambda x: x.rot90(1, (0,)), RuntimeError, "two dimensions"),
    (lambda x: x.unflatten(1, (2, 2)), RuntimeError, "multiply"),
    (lambda x: x.diag_embed().diag(), RuntimeError, "diag_embed"),
    (lambda x: x.roll((1, 2), 0), RuntimeError, "one shift per dim"),
    (lambda x: tg.broadcast_tensors(x, tg.ones(4)), RuntimeError, "do not broadcast"),
    (lambda x: tg.meshgrid(x, indexing="ji"), ValueError, "'ij' or 'xy'"),
    (lambda x: x.tril().ravel().tril(), RuntimeError, "matrix"),
]


@pytest.mark.parametrize("fn, kind, message", ERRORS)
def test_bad_arguments_get_clear_errors(fn, kind, message):
    x = Tensor(np.arange(6.0).reshape(2, 3))
    with pytest.raises(kind, match=message):
        fn(x)


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 6), m=st.integers(1, 3), shift=st.integers(-8, 8),
       size=st.integers(1, 4), seed=st.integers(0, 99))
def test_moves_undo_and_pieces_join_back(n, m, shift, size, seed):
    a = np.random.default_rng(seed).standard_normal((n, m))
    x = Tensor(a)
    np.testing.assert_array_equal(x.roll(shift, 0).roll(-shift, 0).numpy(), a)
    np.testing.assert_array_equal(x.flip(0, 1).flip(1, 0).numpy(), a)
    np.testing.assert_array_equal(x.rot90(1, (0, 1)).rot90(-1, (0, 1)).numpy(), a)
    np.testing.assert_array_equal(tg.cat(x.split(size), 0).numpy(), a)
    np.testing.assert_array_equal(tg.cat(x.tensor_split(size, 1), 1).numpy(), a)
    if n:
        np.testing.assert_array_equal(tg.stack(x.unbind(0)).numpy(), a)
    index = np.random.default_rng(seed).integers(0, m, size=(n, m))
    np.testing.assert_array_equal(x.gather(1, index).numpy(), np.take_along_axis(a, index, 1))


KEYWORD_FORMS = {  # PyTorch's keyword spellings of the shape functions: (call, expected shape)
    "flip(dims=)": (lambda lib, x: lib.flip(x, dims=[1]), (2, 3)),
    "x.flip(dims=)": (lambda lib, x: x.flip(dims=(0, 1)), (2, 3)),
    "x.permute(dims=)": (lambda lib, x: x.permute(dims=(1, 0)), (3, 2)),
    "permute(x, dims=)": (lambda lib, x: lib.permute(x, dims=[1, 0]), (3, 2)),
    "tile(dims=)": (lambda lib, x: lib.tile(x, dims=(2,)), (2, 6)),
    "x.reshape(shape=)": (lambda lib, x: x.reshape(shape=(3, 2)), (3, 2)),
    "reshape(x, shape=)": (lambda lib, x: lib.reshape(x, shape=(6,)), (6,)),
    "x.view(size=)": (lambda lib, x: x.view(size=(3, 2)), (3, 2)),
    "x.expand(size=)": (lambda lib, x: x[:1].expand(size=(4, 3)), (4, 3)),
    "x.transpose(dim0=, dim1=)": (lambda lib, x: x.transpose(dim0=0, dim1=1), (3, 2)),
    "transpose(x, dim0=, dim1=)": (lambda lib, x: lib.transpose(x, dim0=1, dim1=0), (3, 2)),
    "full(size=, fill_value=)": (lambda lib, x: lib.full(size=(2, 2), fill_value=3.0), (2, 2)),
    "zeros(size=)": (lambda lib, x: lib.zeros(size=(1, 2)), (1, 2)),
    "ones_like(input=)": (lambda lib, x: lib.ones_like(input=x), (2, 3)),
}


@pytest.mark.parametrize("name", KEYWORD_FORMS)
def test_shape_functions_take_pytorchs_keywords(name):
    call, shape = KEYWORD_FORMS[name]
    ours = call(tg, tg.tensor(np.arange(6.0).reshape(2, 3)))
    assert tuple(ours.shape) == shape
    theirs = call(torch, torch.tensor(np.arange(6.0).reshape(2, 3)))
    assert np.array_equal(ours.numpy(), theirs.numpy())


def test_sizes_given_twice_are_refused_clearly():
    with pytest.raises(TypeError, match="one way"):
        tg.zeros(2, 3).reshape(3, 2, shape=(3, 2))
