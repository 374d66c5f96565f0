"""In-place operations follow PyTorch's rules (tinygrad_dk.inplace): refused on a leaf that
requires grad while recording, written in place (same object, new version) inside no_grad
or when nothing needs a gradient, and recorded in the graph otherwise."""

import numpy as np
import pytest

import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck

try:
    import torch
except ImportError:
    torch = None

OPS = {  # name -> (ours, PyTorch's), each changing `t` in place with `o`
    "+=": (lambda t, o: t.__iadd__(o)), "-=": (lambda t, o: t.__isub__(o)),
    "*=": (lambda t, o: t.__imul__(o)), "/=": (lambda t, o: t.__itruediv__(o)),
    "add_": (lambda t, o: t.add_(o, alpha=2)), "sub_": (lambda t, o: t.sub_(o)),
    "mul_": (lambda t, o: t.mul_(o)), "div_": (lambda t, o: t.div_(o)),
    "clamp_": (lambda t, o: t.clamp_(-0.5, 0.5)), "fill_": (lambda t, o: t.fill_(2.0)),
    "zero_": (lambda t, o: t.zero_()), "setitem": (lambda t, o: t.__setitem__(0, 3.0)),
}


@pytest.mark.parametrize("name", list(OPS))
def test_a_leaf_that_requires_grad_is_refused_while_recording(name):
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*no_grad"):
        OPS[name](w, Tensor(np.array([0.5, 4.0])))
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])


@pytest.mark.parametrize("name", list(OPS))
def test_inside_no_grad_the_same_leaf_changes_in_place(name):
    data = np.array([1.0, -2.0])
    w = Tensor(data, requires_grad=True)
    view = w.numpy()  # numpy's view of the tensor's own memory
    version = w._version
    with tg.no_grad():
        out = OPS[name](w, Tensor(np.array([0.5, 4.0])))
    assert (out is w or out is None) and w.is_leaf and w.requires_grad and w.grad_fn is None
    assert w._version > version and view is w.numpy()
    if torch is not None:  # the same numbers as PyTorch
        theirs = torch.tensor(data, requires_grad=True)
        with torch.no_grad():
            OPS[name](theirs, torch.tensor([0.5, 4.0], dtype=torch.float64))
        np.testing.assert_allclose(w.numpy(), theirs.detach().numpy())


def test_numpy_and_from_numpy_views_see_the_change():
    arr = np.zeros(3)
    t = tg.from_numpy(arr)
    t.add_(1.0)
    t[1] = 5.0
    np.testing.assert_array_equal(arr, [1.0, 5.0, 1.0])


def test_a_graph_that_used_the_old_values_refuses_backward():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = a * 1.0
    out = (b * b).sum()
    with tg.no_grad():
        b.mul_(3)
    with pytest.raises(RuntimeError, match="modified"):
        out.backward()
    # a computed tensor changed in place refuses its own backward too (exp saves its output)
    c = Tensor(np.array([0.5]), requires_grad=True)
    e = c.exp()
    with tg.no_grad():
        e += 1
    with pytest.raises(RuntimeError, match="modified"):
        e.backward()


def test_recorded_in_place_ops_give_the_right_gradients():
    rng = np.random.default_rng(0)

    def fn(x, y):
        h = x * 1.0
        h += y
        h *= x
        h -= 2.0 * y
        h /= 3.0
        h.add_(y, alpha=0.5)
        h.clamp_(-1.0, 1.0)
        return h

    assert gradcheck(fn, [Tensor(rng.uniform(-0.5, 0.5, 4), requires_grad=True),
                          Tensor(rng.uniform(-0.5, 0.5, 4), requires_grad=True)])


def test_accumulating_a_loss_with_plus_equals():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    total = tg.zeros(())
    first = total
    for k in range(1, 4):
        total += (x * k).sum()
    assert total is first and total.grad_fn is not None and not total.is_leaf
    total.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


def test_setitem_and_fill_while_recording():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    v = Tensor(np.array(5.0), requires_grad=True)

    def put(x, v):
        h = x * 2.0
        h[1] = v * v
        h[2:] = 0.0
        return h

    out = put(x, v)
    np.testing.assert_array_equal(out.numpy(), [2.0, 25.0, 0.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, 0.0])
    assert v.grad.item() == 10.0
    assert gradcheck(put, [Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True),
                           Tensor(np.array(0.7), requires_grad=True)])
    y = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = y * 3.0
    h.fill_(7.0)
    (h * y).sum().backward()  # the filled values carry no gradient back to y through h
    np.testing.assert_array_equal(y.grad.numpy(), [7.0, 7.0])


def test_masks_and_integer_tensors_change_freely():
    counts = tg.zeros(3, dtype=tg.long)
    counts += tg.tensor([1, 0, 2])
    counts[counts > 1] = 9
    assert counts.tolist() == [1, 0, 9] and counts.dtype == np.int64
    m = tg.ones(2, 2)
    m[:, 0].fill_(0.0)  # a basic slice is a view, as in PyTorch
    assert m.tolist() == [[0.0, 1.0], [0.0, 1.0]]


def test_results_that_do_not_fit_in_place_are_refused():
    with pytest.raises(RuntimeError, match="cannot be stored in this int64 tensor"):
        tg.tensor([1, 2]).add_(0.5)
    with pytest.raises(RuntimeError, match="cannot change the shape"):
        tg.zeros(3).add_(tg.zeros(2, 3))
    t = tg.tensor([1, 2])
    t.fill_(1.7)  # a number is converted to the tensor's dtype, as PyTorch
    assert t.tolist() == [1, 1]
    with pytest.raises(RuntimeError, match="one-element"):
        tg.zeros(2).fill_(tg.ones(2))


def test_gradients_are_zeroed_in_place():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (w * w).sum().backward()
    g = w.grad
    g.zero_()
    assert w.grad is g and g.tolist() == [0.0, 0.0]
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])
