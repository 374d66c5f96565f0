"""The package under PyTorch's names (``import tinygrad_dk as torch``): tensor() and its dtype
inference, dtypes, factories and generators, devices, conversions, Parameter, grad_fn,
autograd.grad, save/load, and the module-level functions."""

import io

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


# --- tensor() and dtypes ----------------------------------------------------------------------


@pytest.mark.parametrize("data, dtype", [
    ([1, 2, 3], np.int64), (3, np.int64), ([1.0, 2], np.float32), (0.5, np.float32),
    ([True, False], np.bool_), ([[1, 2], [3, 4]], np.int64), (np.zeros(2), np.float64),
    (np.arange(3, dtype=np.int32), np.int32), (np.float64(1.5), np.float64),
])
def test_tensor_infers_dtypes_as_pytorch(data, dtype):
    t = tg.tensor(data)
    assert t.dtype == dtype
    if torch is not None:
        assert str(torch.tensor(data).dtype) == f"torch.{np.dtype(dtype).name}".replace(
            "torch.bool", "torch.bool")


def test_tensor_copies_and_takes_options():
    arr = np.array([1.0, 2.0])
    t = tg.tensor(arr, dtype=tg.float32, requires_grad=True)
    arr[0] = 9.0
    assert t.tolist() == [1.0, 2.0] and t.dtype == np.float32 and t.requires_grad
    assert tg.tensor(t).dtype == np.float32 and tg.tensor(t) is not t
    assert Tensor([1, 2]).dtype == np.float32  # the numpy-style constructor: always float
    with pytest.raises(TypeError, match="floating"):
        tg.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match=r"requires_grad must be True or False.*zeros\(2, 3\)"):
        Tensor(2, 3)
    with pytest.raises(RuntimeError, match="no cuda device"):
        tg.tensor([1.0], device="cuda")


def test_dtype_names_are_numpy_dtypes():
    assert tg.float32 == np.float32 and tg.float == np.float32 and tg.double == np.float64
    assert tg.long == np.int64 and tg.int == np.int32 and tg.bool == np.bool_
    assert tg.zeros(2, dtype=tg.long).dtype == np.int64
    assert "float" not in tg.__all__ and "sum" not in tg.__all__  # star imports keep builtins


def test_from_numpy_shares_memory_and_as_tensor_shares_when_it_can():
    arr = np.zeros(3)
    t = tg.from_numpy(arr)
    arr[1] = 4.0
    assert t.tolist() == [0.0, 4.0, 0.0] and t.dtype == np.float64
    assert tg.as_tensor(t) is t and tg.as_tensor(arr).numpy() is arr
    with pytest.raises(TypeError, match="from_numpy: expected a numpy array"):
        tg.from_numpy([1, 2])


# --- factories and generators -------------------------------------------------------------------


def test_factories():
    assert tg.full((2, 2), 7).dtype == np.int64 and tg.full((2,), 1.5).dtype == np.float32
    assert tg.full((2,), True).dtype == np.bool_ and tg.empty(2, 3).shape == (2, 3)
    np.testing.assert_allclose(tg.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    assert tg.linspace(0, 1, 5).dtype == np.float32
    assert tg.zeros(size=(2, 3)).shape == (2, 3) and tg.ones((2,)).shape == (2,)
    assert tg.eye(2, requires_grad=True).requires_grad
    assert tg.zeros_like(tg.eye(2), dtype=tg.long).dtype == np.int64
    assert tg.rand_like(tg.tensor([1, 2])).dtype == np.float32
    assert tg.randn_like(tg.eye(2, dtype=tg.float64)).dtype == np.float64
    assert tg.empty_like(tg.eye(2)).shape == (2, 2)
    assert tg.FloatTensor([1, 2]).dtype == np.float32 and tg.LongTensor([1.7]).tolist() == [1]
    assert tg.FloatTensor(2, 3).shape == (2, 3)
    assert tg.normal(2.0, 0.0, (3,)).tolist() == [2.0, 2.0, 2.0]


def test_randint_and_randperm():
    tg.manual_seed(0)
    r = tg.randint(3, 7, (200,))
    assert r.dtype == np.int64 and r.min().item() == 3 and r.max().item() == 6
    assert tg.randint(5, (2, 3)).shape == (2, 3) and tg.randint(0, 2, size=(4,)).shape == (4,)
    p = tg.randperm(10)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype == np.int64
    with pytest.raises(TypeError, match="randint"):
        tg.randint(5)


def test_manual_seed_and_generators_repeat_their_streams():
    tg.manual_seed(3)
    a = (tg.rand(3).tolist(), tg.randn(2).tolist(), tg.randperm(5).tolist())
    tg.manual_seed(3)
    assert (tg.rand(3).tolist(), tg.randn(2).tolist(), tg.randperm(5).tolist()) == a
    g1, g2 = tg.Generator().manual_seed(7), tg.Generator().manual_seed(7)
    assert tg.rand(4, generator=g1).tolist() == tg.rand(4, generator=g2).tolist()
    assert g1.initial_seed() == 7
    with pytest.raises(TypeError, match="generator must be"):
        tg.rand(2, generator=7)


# --- devices and conversions ----------------------------------------------------------------


def test_only_the_cpu_exists_and_the_usual_idiom_chooses_it():
    device = tg.device("cuda" if tg.cuda.is_available() else "cpu")
    assert device == "cpu" and str(device) == "cpu" and device.type == "cpu"
    assert not tg.accelerator.is_available() and not tg.backends.mps.is_available()
    tg.backends.cudnn.deterministic = True  # seeding boilerplate works
    tg.cuda.manual_seed_all(0)
    tg.use_deterministic_algorithms(True)
    x = tg.ones(2)
    assert x.to(device) is x and x.cpu() is x and x.to("cpu:0") is x and x.device == "cpu"
    for call in (lambda: x.cuda(), lambda: x.to("cuda"), lambda: x.to(tg.device("mps"))):
        with pytest.raises(RuntimeError, match="computes on the CPU"):
            call()


def test_conversions_keep_the_gradient_path_for_floats():
    x = Tensor(np.array([1.5, -2.5]), requires_grad=True)
    assert x.float().dtype == np.float32 and x.double() is x and x.to(tg.float64) is x
    assert x.long().tolist() == [1, -2] and x.int().dtype == np.int32
    assert x.bool().tolist() == [True, True] and x.half().dtype == np.float16
    assert x.type(tg.float32).dtype == np.float32 and x.type() == "tinygrad_dk.float64"
    assert x.to(tg.zeros(1, dtype=tg.float32)).dtype == np.float32
    assert x.to("cpu", tg.float32).dtype == np.float32 and x.to(dtype=tg.long).dtype == np.int64
    (x.float() * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="'dtyp'"):
        x.to(dtyp=tg.float32)


def test_numbers_out():
    t = tg.tensor([[1, 2], [3, 4]])
    assert t.tolist() == [[1, 2], [3, 4]] and t.dim() == 2 and t.numel() == 4
    assert ["a", "b", "c"][tg.tensor(2)] == "c" and int(tg.tensor([3])) == 3
    assert f"{tg.tensor(3.14159):.3f}" == "3.142" and f"{t}" == str(t)
    with pytest.raises(TypeError, match="one-element integer tensor"):
        ["a", "b"][tg.tensor(1.0)]
    assert tg.tensor([1.0]).is_floating_point() and not t.is_floating_point()
    assert tg.is_tensor(t) and not tg.is_tensor([1]) and tg.numel(t) == 4


def test_logic_on_masks():
    a, b = tg.tensor([True, False, True]), tg.tensor([True, True, False])
    assert (a & b).tolist() == [True, False, False] and (a | b).tolist() == [True, True, True]
    assert (a ^ b).tolist() == [False, True, True] and (~a).tolist() == [False, True, False]
    assert a.any().item() and not a.all().item() and tg.all(a | b).item()


# --- the graph: Parameter, grad_fn, autograd.grad -------------------------------------------


def test_parameter_is_a_learnable_tensor_whose_results_are_plain_tensors():
    p = tg.Parameter(tg.randn(2, 3))
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf and nn.Parameter is tg.Parameter
    out = p * 2
    assert type(out) is Tensor and type(p.detach()) is Tensor
    out.sum().backward()
    assert type(p.grad) is Tensor and repr(p).startswith("Parameter containing:")
    frozen = tg.Parameter(tg.zeros(2), requires_grad=False)
    assert not frozen.requires_grad and tg.Parameter().shape == (0,)


def test_grad_fn_and_is_leaf():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * 3).exp().sum()
    assert x.grad_fn is None and x.is_leaf and not y.is_leaf
    assert repr(y.grad_fn) == "<SumBackward>" and y.grad_fn.name() == "SumBackward"
    (exp_fn, _), = y.grad_fn.next_functions
    assert repr(exp_fn) == "<ExpBackward>"
    assert exp_fn.next_functions[0][0].name() == "MulBackward"
    with tg.no_grad():
        assert (x * 3).grad_fn is None


def test_autograd_grad_first_and_second_derivatives():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal(4), requires_grad=True)
    y = Tensor(rng.standard_normal(4), requires_grad=True)
    f = (x ** 3 * y).sum()
    gx, gy = tg.autograd.grad(f, [x, y], create_graph=True)
    np.testing.assert_allclose(gx.numpy(), 3 * x.numpy() ** 2 * y.numpy())
    np.testing.assert_allclose(gy.numpy(), x.numpy() ** 3)
    (hx,) = tg.autograd.grad(gx.sum(), x)
    np.testing.assert_allclose(hx.numpy(), 6 * x.numpy() * y.numpy())
    assert x.grad is None and y.grad is None  # nothing was accumulated
    # a vector output with grad_outputs, and several outputs at once
    v = x * 2
    (g,) = tg.autograd.grad(v, x, grad_outputs=tg.ones_like(v))
    np.testing.assert_allclose(g.numpy(), 2 * np.ones(4))
    (g2,) = tg.autograd.grad([x.sum(), (x * x).sum()], x)
    np.testing.assert_allclose(g2.numpy(), 1 + 2 * x.numpy())
    unused = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        tg.autograd.grad(x.sum(), [x, unused])
    assert tg.autograd.grad(x.sum(), [x, unused], allow_unused=True)[1] is None
    assert tg.autograd.grad(x.sum(), [unused], materialize_grads=True)[0].tolist() == [0, 0]
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.autograd.grad(Tensor(np.ones(2)).sum(), x)
    assert tg.autograd.Function is tg.Function and tg.autograd.gradcheck is tg.gradcheck


@needs_torch
def test_autograd_grad_matches_pytorch():
    data = np.random.default_rng(1).standard_normal((3, 2))
    ours, theirs = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (g1,) = tg.autograd.grad((ours.sin() * ours).sum(), ours, create_graph=True)
    (h1,) = tg.autograd.grad(g1.sum(), ours)
    (g2,) = torch.autograd.grad((theirs.sin() * theirs).sum(), theirs, create_graph=True)
    (h2,) = torch.autograd.grad(g2.sum(), theirs)
    np.testing.assert_allclose(g1.numpy(), g2.detach().numpy())
    np.testing.assert_allclose(h1.numpy(), h2.numpy())


def test_backward_takes_retain_graph_and_autograd_backward():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * x
    y.backward(tg.ones_like(y), retain_graph=True)
    y.backward(tg.ones_like(y), retain_graph=False)
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])
    tg.autograd.backward(y.sum())
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 12.0])


# --- new elementwise and index functions -----------------------------------------------------


@pytest.mark.parametrize("fn", [lambda a: a.sin(), lambda a: a.cos(), lambda a: a.square(),
                                lambda a: a.clone() * a, lambda a: tg.sin(a) * tg.cos(a)])
def test_gradchecks_of_the_new_elementwise_ops(fn):
    x = Tensor(np.random.default_rng(4).standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(fn, [x])


def test_rounding_has_zero_gradient_and_tests_are_masks():
    x = Tensor(np.array([0.4, 1.5, -2.5, np.nan]), requires_grad=True)
    assert x.round().tolist()[:3] == [0.0, 2.0, -2.0]
    assert x.floor().tolist()[:3] == [0.0, 1.0, -3.0] and x.ceil().tolist()[:3] == [1.0, 2.0, -2.0]
    assert x.sign().tolist()[:3] == [1.0, 1.0, -1.0]
    assert x.isnan().tolist() == [False, False, False, True] and x.isfinite().sum().item() == 3
    assert tg.isinf(tg.tensor([np.inf, 1.0])).tolist() == [True, False]
    (x.round() + x.floor() + x.ceil() + x.sign()).sum().backward()
    assert np.all(np.nan_to_num(x.grad.numpy()) == 0.0)


def test_topk_sort_unique_nonzero():
    x = Tensor(np.array([[3.0, 1.0, 2.0, 3.0], [0.0, 5.0, 4.0, 1.0]]), requires_grad=True)
    values, indices = x.topk(2, dim=1)
    assert values.tolist() == [[3.0, 3.0], [5.0, 4.0]] and indices.tolist() == [[0, 3], [1, 2]]
    values.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]]
    s = x.sort(dim=1, descending=True)
    assert s.values.tolist()[1] == [5.0, 4.0, 1.0, 0.0] and s.indices.tolist()[1] == [1, 2, 3, 0]
    assert x.sort(dim=1).values.tolist()[0] == [1.0, 2.0, 3.0, 3.0]
    u, inverse, counts = tg.tensor([3, 1, 3, 2]).unique(return_inverse=True, return_counts=True)
    assert u.tolist() == [1, 2, 3] and inverse.tolist() == [2, 0, 2, 1]
    assert counts.tolist() == [1, 1, 2]
    assert tg.nonzero(tg.tensor([[0, 2], [3, 0]])).tolist() == [[0, 1], [1, 0]]
    rows, cols = tg.where(tg.tensor([[0, 2], [3, 0]]) > 0)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]


@needs_torch
def test_topk_and_sort_match_pytorch():
    x = np.round(np.random.default_rng(5).standard_normal((3, 6)))
    for k in (1, 3, 6):
        a, b = Tensor(x).topk(k, dim=1), torch.tensor(x).topk(k, dim=1)
        np.testing.assert_array_equal(a.values.numpy(), b.values.numpy())
    a, b = Tensor(x).sort(dim=0), torch.tensor(x).sort(dim=0, stable=True)
    np.testing.assert_array_equal(a.values.numpy(), b.values.numpy())
    np.testing.assert_array_equal(a.indices.numpy(), b.indices.numpy())


def test_module_level_functions():
    a = tg.tensor([[1.0, -2.0], [3.0, 4.0]])
    assert tg.equal(a, a.clone()) and not tg.equal(a, a[:1]) and tg.equal([1, 2], np.array([1, 2]))
    assert tg.allclose(a, a + 1e-9) and not tg.allclose(a, a + 1)
    assert tg.isclose(a, a + 1e-9).all().item()
    assert tg.clamp(a, min=0).tolist() == [[1.0, 0.0], [3.0, 4.0]]
    assert tg.where(a > 0, a, tg.zeros_like(a)).tolist() == [[1.0, 0.0], [3.0, 4.0]]
    assert tg.sum(a, dim=1).tolist() == [-1.0, 7.0] and tg.mean(a).item() == 1.5
    assert tg.argmax(a, dim=1).tolist() == [0, 1] and tg.transpose(a, 0, 1).tolist()[0] == [1, 3]
    assert tg.flatten(a).shape == (4,) and tg.unsqueeze(a, 0).shape == (1, 2, 2)
    assert tg.mm(a, a).tolist() == [[-5.0, -10.0], [15.0, 10.0]] and tg.t(a).shape == (2, 2)
    assert tg.pow(a, 2).tolist() == [[1.0, 4.0], [9.0, 16.0]]
    assert tg.max(a.numpy(), 1).indices.tolist() == [0, 1]  # a numpy array is accepted
    assert tg.pi == np.pi and tg.inf == np.inf
    with tg.inference_mode():
        assert not (Tensor(np.ones(1), requires_grad=True) * 2).requires_grad


# --- save and load: one file format, no pickle ------------------------------------------------


def test_save_and_load_state_dicts_without_pickle(tmp_path):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    path = tmp_path / "model.pt"
    tg.save(model.state_dict(), path)
    state = tg.load(path, weights_only=True, map_location="cpu")
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(isinstance(v, Tensor) for v in state.values())
    np.testing.assert_array_equal(state["0.weight"].numpy(), model[0].weight.numpy())
    assert list(np.load(path, allow_pickle=False).files) == list(state)  # a plain .npz
    np.testing.assert_array_equal(nn.load(path)["2.bias"], model[2].bias.numpy())  # shared
    nn.save(model, tmp_path / "m.npz")
    np.testing.assert_array_equal(tg.load(tmp_path / "m.npz")["0.bias"].numpy(),
                                  model[0].bias.numpy())
    buffer = io.BytesIO()  # a file object works too
    tg.save({"x": tg.arange(3)}, buffer)
    buffer.seek(0)
    assert tg.load(buffer)["x"].tolist() == [0, 1, 2]


def test_save_refuses_what_would_need_pickle(tmp_path):
    model = nn.Linear(2, 1)
    with pytest.raises(TypeError, match=r"whole model.*model\.state_dict\(\)"):
        tg.save(model, tmp_path / "m.pt")
    with pytest.raises(TypeError, match="holds a dict"):
        tg.save({"model": model.state_dict()}, tmp_path / "m.pt")
    with pytest.raises(TypeError, match="numeric"):
        tg.save({"names": np.array(["a"])}, tmp_path / "m.pt")
    with pytest.raises(FileNotFoundError, match="load: no such file"):
        tg.load(tmp_path / "missing.pt")
    (tmp_path / "pickle.pt").write_bytes(b"\x80\x04\x95 a pickle")
    with pytest.raises(ValueError, match="not an .npz file.*pickle, never read"):
        tg.load(tmp_path / "pickle.pt")


def test_pytorchs_sub_packages_point_to_where_they_live():
    for name, where in (("optim", "nn.optim"), ("nn", "import nn"), ("utils", "nn.data")):
        with pytest.raises(AttributeError, match=f"torch.{name} is .*{where}.*09-pytorch"):
            getattr(tg, name)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        tg.nothing  # noqa: B018


@pytest.mark.parametrize("call", [
    lambda: tg.sum([1.0, 2.0]),
    lambda: tg.cov([[1.0, 2.0, 4.0]]),
    lambda: tg.trapezoid([1.0, 2.0, 4.0]),
    lambda: tg.mean([[0.0, 1.0]], dim=1),
])
def test_a_list_given_to_a_function_is_read_as_tg_tensor_reads_it(call):
    # a list of Python floats is float32, the default, as tg.tensor([...]) makes it (not
    # numpy's float64); a numpy array keeps its dtype
    assert call().dtype == np.float32
    assert tg.sum(np.array([1.0, 2.0])).dtype == np.float64
