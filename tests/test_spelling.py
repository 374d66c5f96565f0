"""Both spellings of the Tensor methods: numpy's (axis=, keepdims=) and PyTorch's (dim=,
keepdim=), the rules where they disagree (var/std, max/min, size, transpose, squeeze), and
the errors that name the spelling that exists."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck

try:
    import torch
except ImportError:  # the comparisons with PyTorch skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


@st.composite
def array_and_dims(draw, allow_tuple=True):
    """A float64 array of 1-3 axes, a dim argument for it (None, an int or a tuple, possibly
    negative) and a keepdim flag."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    x = np.random.default_rng(draw(st.integers(0, 1000))).standard_normal(shape)
    n = len(shape)
    one = st.integers(-n, n - 1)
    several = st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True).map(
        lambda axes: tuple(a - n if a % 2 else a for a in axes))
    dim = draw(st.one_of(st.none(), one, several) if allow_tuple else one)
    return x, dim, draw(st.booleans())


REDUCTIONS = {  # name -> numpy reference taking (x, axis, keepdims)
    "sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min,
    "logsumexp": lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis,
                                                         keepdims=keepdims)),
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
@given(case=array_and_dims())
def test_reductions_take_dim_and_axis_alike(name, case):
    x, dim, keep = case
    expected = REDUCTIONS[name](x, axis=dim, keepdims=keep)
    t = Tensor(x)
    for out in (getattr(t, name)(dim=dim, keepdim=keep), getattr(t, name)(axis=dim, keepdims=keep),
                getattr(t, name)(dim, keep), getattr(t, name)(dim=dim, keepdims=keep)):
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@given(case=array_and_dims(allow_tuple=False))
def test_argmax_argmin_with_dim_and_keepdim(case):
    x, dim, keep = case
    t = Tensor(x)
    np.testing.assert_array_equal(t.argmax(dim=dim, keepdim=keep).numpy(),
                                  np.argmax(x, axis=dim, keepdims=keep))
    np.testing.assert_array_equal(t.argmin(axis=dim, keepdims=keep).numpy(),
                                  np.argmin(x, axis=dim, keepdims=keep))
    assert t.argmax().item() == np.argmax(x) and t.argmax(dim=dim).dtype == np.int64


@given(case=array_and_dims(allow_tuple=False))
def test_max_with_a_dim_gives_values_and_indices_and_the_gradient_goes_to_the_index(case):
    x, dim, keep = case
    t = Tensor(x, requires_grad=True)
    values, indices = t.max(dim=dim, keepdim=keep)
    np.testing.assert_array_equal(values.numpy(), np.max(x, axis=dim, keepdims=keep))
    np.testing.assert_array_equal(indices.numpy(), np.argmax(x, axis=dim, keepdims=keep))
    assert gradcheck(lambda a: a.max(dim, keep).values * 1.5, [Tensor(x, requires_grad=True)])
    low = t.min(dim, keep)
    np.testing.assert_array_equal(low.indices.numpy(), np.argmin(x, axis=dim, keepdims=keep))


@needs_torch
@given(case=array_and_dims(allow_tuple=False))
def test_max_dim_matches_pytorch_including_ties(case):
    x, dim, keep = case
    x = np.round(x)  # many ties: the first position wins in both
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    a, b = ours.max(dim=dim, keepdim=keep), theirs.max(dim=dim, keepdim=keep)
    np.testing.assert_array_equal(a.indices.numpy(), b.indices.numpy())
    g = np.random.default_rng(0).standard_normal(a.values.shape)
    a.values.backward(g)
    b.values.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())


def test_max_and_min_by_spelling():
    x = Tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]]))
    assert x.max().item() == 7.0 and tg.max(x).item() == 7.0
    assert isinstance(x.max(axis=1), Tensor)  # numpy: the values
    np.testing.assert_array_equal(x.max(axis=1).numpy(), [5.0, 7.0])
    values, indices = x.max(1)  # PyTorch, also positional: the pair
    assert indices.tolist() == [1, 0] and values.tolist() == [5.0, 7.0]
    assert tg.max(x, dim=1).indices.tolist() == [1, 0]
    assert tg.min(x, 0).indices.tolist() == [0, 1, 0]
    both = tg.max(Tensor([1.0, 4.0]), Tensor([3.0, 2.0]))  # two tensors: elementwise
    assert both.tolist() == [3.0, 4.0]
    with pytest.raises(AttributeError, match=r"\(values, indices\).*\.values.*amax"):
        x.max(dim=1).sum()
    with pytest.raises(TypeError, match="one dim.*amax"):
        x.max(dim=(0, 1))


@given(case=array_and_dims())
def test_var_and_std_divisor_by_spelling(case):
    x, dim, keep = case
    t = Tensor(x)
    n = x.size if dim is None else np.prod([x.shape[d] for d in np.atleast_1d(dim)])
    if n > 1:  # PyTorch's spelling divides by n - 1
        np.testing.assert_allclose(t.var(dim=dim, keepdim=keep).numpy(),
                                   np.var(x, axis=dim, keepdims=keep, ddof=1), rtol=1e-12)
        np.testing.assert_allclose(t.std(dim, keepdim=keep).numpy(),
                                   np.std(x, axis=dim, keepdims=keep, ddof=1), rtol=1e-12)
    # numpy's spelling divides by n
    np.testing.assert_allclose(t.var(axis=dim, keepdims=keep).numpy(),
                               np.var(x, axis=dim, keepdims=keep), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(t.std(axis=dim, keepdims=keep).numpy(),
                               np.std(x, axis=dim, keepdims=keep), rtol=1e-12, atol=1e-15)
    # explicit choices win
    for kw in (dict(correction=0), dict(unbiased=False), dict(ddof=0)):
        np.testing.assert_allclose(t.var(dim=dim, keepdim=keep, **kw).numpy(),
                                   np.var(x, axis=dim, keepdims=keep), rtol=1e-12, atol=1e-15)


def test_var_and_std_rules_and_errors():
    x = Tensor(np.array([1.0, 2.0, 3.0, 6.0]))
    assert x.var().item() == pytest.approx(14 / 3)  # no dim at all: PyTorch's n - 1
    assert x.var(axis=None).item() == pytest.approx(3.5)  # numpy's keyword: n
    assert x.var(axis=0, ddof=1).item() == pytest.approx(14 / 3)
    assert tg.std(x).item() == pytest.approx(np.sqrt(14 / 3))
    with pytest.raises(ValueError, match="divide by 0.*correction=0"):
        Tensor([5.0]).std()
    with pytest.raises(TypeError, match="ddof= and correction="):
        x.var(ddof=0, correction=1)
    gradcheck(lambda a: a.std(dim=0) * 2.0, [Tensor(np.random.default_rng(1).standard_normal(
        (4, 3)), requires_grad=True)])


@needs_torch
def test_var_std_norm_match_pytorch():
    x = np.random.default_rng(2).standard_normal((3, 4))
    t = torch.tensor(x)
    np.testing.assert_allclose(Tensor(x).var(dim=1).numpy(), t.var(dim=1).numpy())
    np.testing.assert_allclose(Tensor(x).std().numpy(), t.std().numpy())
    np.testing.assert_allclose(Tensor(x).var(1, keepdim=True, unbiased=False).numpy(),
                               t.var(1, keepdim=True, unbiased=False).numpy())
    for p in (1, 2, 3, float("inf")):
        np.testing.assert_allclose(Tensor(x).norm(p=p, dim=0).numpy(),
                                   t.norm(p=p, dim=0).numpy(), rtol=1e-12)
    np.testing.assert_allclose(Tensor(x).norm().numpy(), t.norm().numpy())


def test_norm_gradient_and_extremes():
    rng = np.random.default_rng(3)
    for p in (1, 2, 3):
        assert gradcheck(lambda a, p=p: a.norm(p=p, dim=1), [Tensor(
            rng.uniform(0.5, 2.0, (3, 4)), requires_grad=True)])
    zero = Tensor(np.zeros(3), requires_grad=True)
    zero.norm().backward()
    np.testing.assert_array_equal(zero.grad.numpy(), [0.0, 0.0, 0.0])  # no 0/0
    big = Tensor(np.array([3e30, 4e30], dtype=np.float32))
    assert big.norm().item() == pytest.approx(5e30, rel=1e-6)  # no overflow in float32
    with pytest.raises(ValueError, match="norm: p="):
        big.norm(p="nuc")


def test_both_spellings_at_once_and_misspellings_name_the_right_one():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="dim=.*axis=.*same argument"):
        x.sum(dim=0, axis=1)
    with pytest.raises(TypeError, match="keepdim= and keepdims="):
        x.mean(keepdim=True, keepdims=True)
    with pytest.raises(TypeError, match=r"'dims' \(did you mean dim=\?\)"):
        x.sum(dims=1)
    with pytest.raises(TypeError, match=r"'keep_dims' \(did you mean keepdims=\?\)"):
        x.mean(0, keep_dims=True)
    with pytest.raises(TypeError, match=r"'correct' \(did you mean correction=\?\)"):
        x.var(correct=0)
    with pytest.raises(AttributeError):  # Python's traceback adds "Did you mean: 'unsqueeze'?"
        x.unsqeeze(0)
    with pytest.raises(TypeError, match="softmax.*'axes'"):
        x.softmax(axes=1)


def test_size_is_numpys_int_and_pytorchs_method():
    x = Tensor(np.zeros((2, 3)))
    assert x.size == 6 and x.size + 1 == 7 and np.zeros(x.size).shape == (6,)
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2 and x.size(dim=0) == 2
    assert x.size().numel() == 6 and tg.Size([2, 3]) == x.shape
    with pytest.raises(IndexError, match="size\\(2\\): dimension out of range"):
        x.size(2)


@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4), data=st.data())
def test_transpose_two_dims_swaps_as_pytorch_and_a_tuple_permutes_as_numpy(shape, data):
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    n = len(shape)
    d0, d1 = data.draw(st.integers(-n, n - 1)), data.draw(st.integers(-n, n - 1))
    np.testing.assert_array_equal(Tensor(x).transpose(d0, d1).numpy(), np.swapaxes(x, d0, d1))
    perm = tuple(data.draw(st.permutations(range(n))))
    np.testing.assert_array_equal(Tensor(x).transpose(perm).numpy(), np.transpose(x, perm))
    np.testing.assert_array_equal(Tensor(x).permute(*perm).numpy(), np.transpose(x, perm))
    assert gradcheck(lambda a: a.transpose(d0, d1) * 2.0, [Tensor(x, requires_grad=True)])


def test_shape_methods_in_pytorchs_spelling():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.view(6, 4).shape == (6, 4) and x.view(-1).shape == (24,)
    assert x.view_as(np.zeros((4, 6))).shape == (4, 6)
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
    assert x.flatten(0, 1).shape == (6, 4) and x.flatten(start_dim=-2).shape == (2, 12)
    assert x.flatten(start_axis=1).shape == (2, 12)  # the older name still works
    with pytest.raises(ValueError, match="start_dim=2 and end_dim=0"):
        x.flatten(2, 0)
    col = Tensor(np.zeros((3, 1)))
    assert col.squeeze(0).shape == (3, 1)  # PyTorch: a dim longer than 1 stays
    assert col.squeeze(1).shape == (3,) and col.squeeze(-1).shape == (3,)
    with pytest.raises(ValueError, match="only length-1 axes"):
        col.squeeze(axis=0)  # numpy's spelling refuses
    assert Tensor(np.zeros(3)).unsqueeze(0).shape == (1, 3)
    assert Tensor(np.zeros(3)).unsqueeze(-1).shape == (3, 1)
    assert Tensor(np.zeros((3, 1))).expand(3, 4).shape == (3, 4)
    assert Tensor(np.zeros((3, 1))).expand(-1, 5).shape == (3, 5)
    assert Tensor(np.zeros((1, 3))).expand_as(np.zeros((2, 3))).shape == (2, 3)
    assert Tensor(np.zeros((2, 3))).t().shape == (3, 2) and Tensor(np.zeros(3)).t().shape == (3,)
    assert gradcheck(lambda a: a.view(2, -1).unsqueeze(0).expand(2, 2, 3) * 1.0,
                     [Tensor(np.arange(6.0), requires_grad=True)])


def test_softmax_family_and_joins_take_dim():
    x = Tensor(np.array([[1.0, 2.0], [3.0, 5.0]]))
    np.testing.assert_allclose(x.softmax(dim=0).numpy().sum(axis=0), [1.0, 1.0])
    np.testing.assert_allclose(tg.softmax(x, dim=1).numpy(), tg.softmax(x, axis=1).numpy())
    np.testing.assert_allclose(x.log_softmax(1).numpy(), tg.log_softmax(x, -1).numpy())
    assert tg.cat([x, x], dim=1).shape == (2, 4) and tg.cat([x, x]).shape == (4, 2)
    assert tg.concatenate([x, x], axis=1).shape == (2, 4) and tg.stack([x, x], dim=2).shape \
        == (2, 2, 2)
    with pytest.raises(TypeError, match="same argument"):
        tg.cat([x, x], dim=0, axis=0)
