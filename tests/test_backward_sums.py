"""How a backward pass sums a node's gradient contributions (``TensorBase._add_grad``).

A computed node adds its second and later contributions in place into an array it
allocated itself, and a slice's gradient (``x[2:5]``) goes straight into its place
(``SliceGradient``). Both are only safe while no other node shares that array: these
tests pin the cases where sharing happens and check every ``.grad`` against the
gradient written out by hand, in float64.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_dk as tg
from tinygrad_dk import Tensor


def _leaf(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_a_node_used_three_times_sums_in_place_without_touching_its_consumers():
    x = _leaf([1.0, 2.0, 3.0])
    y = x * 1.0
    z = y + y + y  # y gets three contributions; the second sum is y's own array
    w = z * 2.0
    w.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(z.grad.numpy(), [2.0, 2.0, 2.0])  # not changed by y's sums
    np.testing.assert_array_equal(y.grad.numpy(), [6.0, 6.0, 6.0])
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0, 6.0])


def test_a_slice_gradient_never_writes_into_an_array_another_node_holds():
    # z = y + 0 hands y the very array z received. When y then also receives the
    # gradient of its slice y[0:2], that must go into a copy, not into z's gradient.
    # (Backward walks the terms last to first: z's share reaches y before the slice's.)
    x = _leaf([1.0, 2.0, 3.0, 4.0])
    y = x * 1.0
    z = y + 0.0
    loss = (y[0:2] * 5.0).sum() + (z * 3.0).sum()
    loss.backward()
    np.testing.assert_array_equal(z.grad.numpy(), [3.0, 3.0, 3.0, 3.0])
    np.testing.assert_array_equal(y.grad.numpy(), [8.0, 8.0, 3.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [8.0, 8.0, 3.0, 3.0])


def test_a_slice_gradient_never_writes_into_the_callers_seed():
    x = _leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * 1.0
    seed = np.ones((2, 2))
    out = y + y[0]  # y gets the seed's array itself, then its row 0's share
    out.backward(seed)
    np.testing.assert_array_equal(seed, np.ones((2, 2)))
    np.testing.assert_array_equal(y.grad.numpy(), [[3.0, 3.0], [1.0, 1.0]])


def test_slices_that_overlap_and_repeat_add_up():
    x = _leaf(np.arange(6.0))
    s = x * 1.0
    loss = s[1:4].sum() + s[2:].sum() * 2 + s[2] * 10 + s[..., None][0, 0] * 100
    loss.backward()
    expected = np.array([100.0, 1.0, 13.0, 3.0, 2.0, 2.0])
    np.testing.assert_array_equal(s.grad.numpy(), expected)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_gradients_stay_right_when_backward_runs_twice():
    x = _leaf([1.0, 2.0, 3.0])
    y = x * 2.0
    loss = (y[:2] * y[1:]).sum() + y.sum()
    loss.backward()
    first = y.grad.numpy().copy()
    loss.backward()
    np.testing.assert_array_equal(y.grad.numpy(), first)  # computed nodes: the last pass
    np.testing.assert_array_equal(x.grad.numpy(), 4 * first)  # leaves: both passes, times 2


def test_float32_slices_into_a_float64_node_keep_its_dtype():
    x = _leaf([1.0, 2.0, 3.0])
    y = x * 1.0
    loss = (y[1:] * Tensor(np.float32(2.0))).sum()
    loss.backward()
    assert y.grad.numpy().dtype == np.float64
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 2.0, 2.0])


def test_second_derivatives_through_slices_still_record():
    x = _leaf([1.0, 2.0, 3.0])
    y = x * x
    (g,) = tg.autograd.grad((y[1:] * y[:2]).sum(), [x], create_graph=True)
    (gg,) = tg.autograd.grad(g.sum(), [x])
    # f = x1^2 x0^2 + x2^2 x1^2; df/dx = (2 x0 x1^2, 2 x1 (x0^2 + x2^2), 2 x2 x1^2)
    x0, x1, x2 = 1.0, 2.0, 3.0
    np.testing.assert_allclose(g.numpy(), [2 * x0 * x1**2, 2 * x1 * (x0**2 + x2**2),
                                           2 * x2 * x1**2])
    np.testing.assert_allclose(gg.numpy(), [2 * x1**2 + 4 * x0 * x1,
                                            4 * x0 * x1 + 2 * (x0**2 + x2**2) + 4 * x1 * x2,
                                            4 * x1 * x2 + 2 * x1**2])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.integers(2, 6), st.lists(st.tuples(st.integers(0, 5), st.integers(1, 6),
                                             st.floats(-3, 3)), min_size=1, max_size=6),
       st.integers(1, 3))
def test_any_mix_of_slices_and_uses_matches_the_dense_gradient(n, parts, uses):
    """Each part is a slice [a:b] of a computed node weighted by w; the node is also
    used whole ``uses`` times. The gradient of the node is the sum of the pieces."""
    rng = np.random.default_rng(n)
    x = _leaf(rng.normal(size=(n, 3)))
    y = x * 1.0
    loss = (y * 0.5).sum() * uses
    expected = np.full((n, 3), 0.5 * uses)
    for a, b, w in parts:
        a, b = min(a, n - 1), min(max(b, a + 1), n)
        loss = loss + (y[a:b] * w).sum()
        expected[a:b] += w
    loss.backward()
    np.testing.assert_allclose(y.grad.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("shape, index", [((3,), 1), ((2, 2), (1, 0)), ((), ()),
                                          ((2, 3), (1, slice(None))), ((2, 3), (..., 2)),
                                          ((2, 3), (0, None, 1))])
def test_one_element_and_other_basic_indexes_reach_their_place(shape, index):
    # x[1] of a vector is one number: numpy gives it as a scalar, not a view to add into
    x = _leaf(np.arange(1.0, 1.0 + np.prod(shape, dtype=int)).reshape(shape))
    y = x * 1.0
    part = y[index]
    part.backward(np.full(part.shape, 3.0))  # a 0-d seed array for one element
    want = np.zeros(shape)
    want[index] = 3.0
    np.testing.assert_array_equal(y.grad.numpy(), want)
    np.testing.assert_array_equal(x.grad.numpy(), want)
    y2 = x * 1.0  # and the same slice twice, besides a use of the whole
    (y2[index] * 2.0 + y2[index]).sum().backward()
    want2 = np.zeros(shape)
    want2[index] = 3.0
    np.testing.assert_array_equal(y2.grad.numpy(), want2)


@pytest.mark.parametrize("index", [np.array([0, 0, 2]), np.array([True, False, True])])
def test_advanced_indexes_keep_the_dense_path(index):
    x = _leaf([1.0, 2.0, 3.0])
    y = x * 1.0
    y[index].sum().backward()
    want = np.zeros(3)
    np.add.at(want, np.nonzero(index)[0] if index.dtype == bool else index, 1.0)
    np.testing.assert_array_equal(y.grad.numpy(), want)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.data())
def test_any_basic_index_sends_its_gradient_to_the_right_place(data):
    """hypothesis' basic indexes (ints, slices with steps, ..., None) on shapes up to 3-D:
    the gradient of y[index] reaches y, and x through y, exactly where numpy puts it,
    whether it is the only gradient y gets or is summed with others."""
    from hypothesis.extra import numpy as hnp

    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    upstream_value = data.draw(st.floats(-4, 4, allow_nan=False))
    x = _leaf(np.arange(1.0, 1.0 + np.prod(shape, dtype=int)).reshape(shape))
    dense = np.zeros(shape)  # the gradient of y[index] with upstream_value everywhere
    view = dense[index]
    if isinstance(view, np.ndarray):
        view += upstream_value  # (basic indexes give views, each element at most once)
    else:
        dense[index] = upstream_value  # one element comes out as a number

    y = x * 1.0  # alone: the seed itself is the upstream gradient (0-d for one element)
    part = y[index]
    part.backward(np.full(part.shape, upstream_value))
    np.testing.assert_array_equal(y.grad.numpy(), dense)
    np.testing.assert_array_equal(x.grad.numpy(), dense)

    x.grad = None
    y = x * 1.0  # summed: the slice twice and the whole once
    ((y[index] * upstream_value).sum() * 2 + y.sum()).backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * dense + 1, rtol=1e-15)
    np.testing.assert_allclose(x.grad.numpy(), 2 * dense + 1, rtol=1e-15)
