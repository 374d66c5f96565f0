"""The nnlayers group: known values, extremes, state dicts that load into PyTorch, the
random layers (channel dropout), the containers by name, float64 gradient checks and
the errors for wrong input. (The comparison with PyTorch on drawn inputs is the table
in ``test_differential_nn_extra.py``.)"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
import nn.functional as F
import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _t(a):
    return torch.tensor(np.asarray(a))


# --- activations ----------------------------------------------------------------------------

ELEMENTWISE = ["hardtanh", "relu6", "selu", "celu", "mish", "logsigmoid", "softsign",
               "hardswish", "hardsigmoid", "tanhshrink", "softshrink", "hardshrink"]


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_at_extremes_match_torch_and_stay_finite(name, dtype):
    x = np.array([-1e30, -1e3, -3.0, -0.5, 0.0, 0.5, 3.0, 1e3, 1e30], dtype=dtype)
    ours = Tensor(x, requires_grad=True)
    y = getattr(F, name)(ours)
    y.sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    ty = getattr(TF, name)(theirs)
    ty.sum().backward()
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)
    assert np.all(np.isfinite(ours.grad.numpy()))
    assert y.dtype == dtype and ours.grad.dtype == dtype


def test_logsigmoid_is_stable_where_the_naive_formula_is_not():
    x = Tensor(np.array([-1e30, -1000.0, 1000.0]), requires_grad=True)
    y = F.logsigmoid(x)
    np.testing.assert_array_equal(y.numpy(), [-1e30, -1000.0, 0.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 0.0])


def test_selu_constants_and_known_values():
    y = nn.SELU()(Tensor([1.0, 0.0, -1.0], dtype=np.float64)).numpy()
    np.testing.assert_allclose(y, [1.0507009873554805, 0.0,
                                   1.0507009873554805 * 1.6732632423543772 * (np.exp(-1) - 1)])
    np.testing.assert_array_equal(nn.ReLU6()(Tensor([-1.0, 3.0, 7.0])).numpy(), [0, 3, 6])
    np.testing.assert_array_equal(nn.Threshold(0.1, 20)(Tensor([0.05, 0.2])).numpy(),
                                  np.array([20, 0.2], np.float32))
    np.testing.assert_array_equal(nn.Hardshrink(0.5)(Tensor([-0.6, 0.5, 0.1])).numpy(),
                                  np.array([-0.6, 0, 0], np.float32))
    np.testing.assert_allclose(nn.Softshrink(0.5)(Tensor([-2.0, 0.3, 2.0])).numpy(),
                               [-1.5, 0, 1.5])


def test_kinks_follow_pytorch():
    """At the kinks the slope is a choice; PyTorch's is taken (checked against it)."""
    x = np.array([-3.0, 3.0, -1.0, 1.0, 0.0, 6.0])
    for fn, tfn in [(F.hardswish, TF.hardswish), (F.hardsigmoid, TF.hardsigmoid),
                    (F.hardtanh, TF.hardtanh), (F.relu6, TF.relu6),
                    (lambda v: F.hardshrink(v, 1.0), lambda v: TF.hardshrink(v, 1.0)),
                    (lambda v: F.softshrink(v, 1.0), lambda v: TF.softshrink(v, 1.0)),
                    (lambda v: F.threshold(v, 1.0, 2.0), lambda v: TF.threshold(v, 1.0, 2.0))]:
        ours = Tensor(x.copy(), requires_grad=True)
        fn(ours).sum().backward()
        theirs = torch.tensor(x, requires_grad=True)
        tfn(theirs).sum().backward()
        # (PyTorch's hardsigmoid slope is float32's 1/6 even in float64)
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-7, atol=0)


def test_prelu_learns_one_slope_per_channel_with_pytorchs_state_dict():
    layer = nn.PReLU(3)
    assert list(layer.state_dict()) == ["weight"] and layer.weight.shape == (3,)
    np.testing.assert_array_equal(layer.weight.numpy(), [0.25] * 3)
    x = Tensor(np.array([[-1.0, 2.0, -4.0]], np.float32))
    np.testing.assert_array_equal(layer(x).numpy(), [[-0.25, 2.0, -1.0]])
    layer(x).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy(), [-1.0, 0.0, -4.0])
    theirs = torch.nn.PReLU(3)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    with pytest.raises(ValueError, match="one per channel"):
        nn.PReLU(2)(x)


def test_glu_halves_and_refuses_an_odd_axis():
    x = Tensor(np.arange(8.0).reshape(2, 4))
    np.testing.assert_allclose(nn.GLU()(x).numpy(),
                               TF.glu(torch.arange(8.0, dtype=torch.float64).reshape(2, 4))
                               .numpy())
    assert F.glu(x, dim=0).shape == (1, 4)
    with pytest.raises(ValueError, match="odd length 3"):
        F.glu(Tensor(np.zeros((2, 3))))


def test_activation_argument_errors():
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(ValueError, match="lambd"):
        nn.Softshrink(-1.0)
    with pytest.raises(ValueError, match="Hardshrink: lambd"):  # the module's own name
        nn.Hardshrink(-1.0)
    with pytest.raises(ValueError, match="alpha"):
        nn.CELU(0.0)


def test_softmin_is_softmax_of_minus_x():
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1e30]])
    np.testing.assert_allclose(nn.Softmin(dim=1)(Tensor(x)).numpy(),
                               TF.softmin(_t(x), dim=1).numpy())


# --- normalisation ---------------------------------------------------------------------------


def test_layer_norm_state_dict_and_output_match_torch():
    ours, theirs = nn.LayerNorm((3, 4)), torch.nn.LayerNorm((3, 4))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    rng = np.random.default_rng(0)
    state = {"weight": rng.normal(size=(3, 4)), "bias": rng.normal(size=(3, 4))}
    ours.load_state_dict(state)
    theirs.load_state_dict({k: torch.tensor(v, dtype=torch.float32) for k, v in state.items()})
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(Tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert nn.LayerNorm(4, bias=False).bias is None
    assert nn.LayerNorm(4, elementwise_affine=False).parameters() == []
    assert repr(nn.LayerNorm(4)) == repr(torch.nn.LayerNorm(4))


def test_layer_norm_refuses_a_shape_that_is_not_the_last_axes():
    with pytest.raises(ValueError, match=r"normalized_shape \(5,\) must be the last axes"):
        nn.LayerNorm(5)(Tensor(np.zeros((2, 4))))


def test_normalisations_are_stable_for_huge_float32_inputs():
    x = Tensor(np.array([[1e30, -1e30, 3e30, 0.0]], np.float32), requires_grad=True)
    y = F.layer_norm(x, (4,))
    expected = TF.layer_norm(torch.tensor([[1e30, -1e30, 3e30, 0.0]], dtype=torch.float64), (4,))
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-5)
    y.backward(Tensor(np.array([[1.0, 2.0, 3.0, 4.0]], np.float32)))
    assert np.all(np.isfinite(x.grad.numpy()))


def test_layer_and_group_norm_pass_float64_gradcheck():
    rng = np.random.default_rng(1)
    x = Tensor(rng.normal(size=(2, 4, 3)), requires_grad=True)
    w = Tensor(rng.normal(size=4), requires_grad=True)
    b = Tensor(rng.normal(size=4), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), [x, w, b])
    w3 = Tensor(rng.normal(size=3), requires_grad=True)
    assert gradcheck(lambda x, w: F.layer_norm(x, (3,), w), [x, w3])


def test_group_norm_layer_and_errors():
    layer = nn.GroupNorm(2, 4)
    assert list(layer.state_dict()) == ["weight", "bias"] and layer.weight.shape == (4,)
    x = np.random.default_rng(2).normal(size=(3, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(layer(Tensor(x)).numpy(),
                               torch.nn.GroupNorm(2, 4)(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, 4"):
        layer(Tensor(np.zeros((3, 5, 2))))


def test_instance_norm_running_statistics_match_torch():
    rng = np.random.default_rng(3)
    ours = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)
    theirs = torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for _ in range(2):
        x = rng.normal(2.0, 3.0, size=(4, 3, 5, 5)).astype(np.float32)
        np.testing.assert_allclose(ours(Tensor(x)).numpy(),
                                   theirs(torch.tensor(x)).detach().numpy(), rtol=1e-4,
                                   atol=1e-5)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-5)
    x = rng.normal(size=(3, 5, 5)).astype(np.float32)  # unbatched, evaluation
    np.testing.assert_allclose(ours.eval()(Tensor(x)).numpy(),
                               theirs.eval()(torch.tensor(x)).detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    assert repr(nn.InstanceNorm1d(3)) == repr(torch.nn.InstanceNorm1d(3))
    assert repr(nn.GroupNorm(2, 4, bias=False)) == repr(torch.nn.GroupNorm(2, 4, bias=False))
    assert list(nn.InstanceNorm1d(3, affine=True, bias=False).state_dict()) == ["weight"]


# --- channel dropout ---------------------------------------------------------------------------


@pytest.mark.parametrize("layer, shape", [(nn.Dropout2d, (8, 16, 3, 3)), (nn.Dropout1d, (8, 16, 5)),
                                          (nn.Dropout1d, (16, 5))])
def test_channel_dropout_zeroes_whole_channels_and_is_reproducible(layer, shape):
    x = Tensor(np.ones(shape, np.float32))
    tg.manual_seed(0)
    y = layer(0.5)(x).numpy()
    lead = 2 if len(shape) > 2 else 1
    per_channel = y.reshape(shape[:lead] + (-1,))
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0.2 < (per_channel == 0).all(-1).mean() < 0.8
    tg.manual_seed(0)
    np.testing.assert_array_equal(layer(0.5)(x).numpy(), y)
    np.testing.assert_array_equal(layer(0.5).eval()(x).numpy(), x.numpy())


def test_channel_dropout_errors():
    with pytest.raises(ValueError, match="4 or 3 axes"):
        F.dropout2d(Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match="probability"):
        F.dropout1d(Tensor(np.ones((2, 3))), p=1.5)


def test_alpha_dropout_keeps_mean_and_variance():
    tg.manual_seed(1)
    x = Tensor(np.random.default_rng(4).normal(size=200_000).astype(np.float32))
    y = nn.AlphaDropout(0.2)(x).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    np.testing.assert_array_equal(nn.AlphaDropout(0.2).eval()(x).numpy(), x.numpy())


# --- pooling, resizing, padding ----------------------------------------------------------------


def test_global_average_pooling_lets_a_network_take_any_image_size():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(4, 2))
    for size in (8, 11):
        assert model(Tensor(np.zeros((2, 1, size, size), np.float32))).shape == (2, 2)
    x = np.arange(2 * 3 * 5 * 7, dtype=np.float32).reshape(2, 3, 5, 7)
    for size in [(2, None), (None, 3), 4]:
        np.testing.assert_allclose(F.adaptive_avg_pool2d(Tensor(x), size).numpy(),
                                   TF.adaptive_avg_pool2d(torch.tensor(x), size).numpy(),
                                   rtol=1e-6)
        np.testing.assert_array_equal(F.adaptive_max_pool2d(Tensor(x), size).numpy(),
                                      TF.adaptive_max_pool2d(torch.tensor(x), size).numpy())


def test_adaptive_pool_errors():
    with pytest.raises(ValueError, match="2 spatial axes"):
        F.adaptive_avg_pool2d(Tensor(np.zeros(3)), 1)
    with pytest.raises(ValueError, match="must be positive"):
        F.adaptive_max_pool2d(Tensor(np.zeros((1, 1, 0, 2))), 1)


@pytest.mark.parametrize("mode, align", [("nearest", None), ("bilinear", False),
                                         ("bilinear", True), ("nearest-exact", None)])
@pytest.mark.parametrize("scale", [2, 1.5, 0.7])
def test_interpolate_matches_torch_for_odd_scale_factors(mode, align, scale):
    x = np.random.default_rng(5).normal(size=(1, 2, 5, 7))
    ours = F.interpolate(Tensor(x), scale_factor=scale, mode=mode, align_corners=align)
    theirs = TF.interpolate(_t(x), scale_factor=scale, mode=mode, align_corners=align)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_interpolate_recompute_scale_factor_and_sizes_match_torch(mode):
    x = np.random.default_rng(9).normal(size=(2, 1, 4, 6))
    for kwargs in ({"scale_factor": 1.7, "recompute_scale_factor": True},
                   {"scale_factor": (0.5, 2.5)}, {"size": (7, 3)}):
        np.testing.assert_allclose(F.interpolate(Tensor(x), mode=mode, **kwargs).numpy(),
                                   TF.interpolate(_t(x), mode=mode, **kwargs).numpy(),
                                   rtol=1e-12, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.lists(st.integers(0, 3), min_size=4, max_size=4),
       st.sampled_from(["constant", "reflect", "replicate", "circular"]))
def test_cropping_a_padded_input_gives_it_back(n, pads, mode):
    x = np.random.default_rng(n).normal(size=(1, 2, n + 3, n))
    pads[0], pads[1] = min(pads[0], n - 1), min(pads[1], n - 1)  # reflection's limit
    y = F.pad(Tensor(x), tuple(pads), mode).numpy()
    left, right, top, bottom = pads
    np.testing.assert_array_equal(y[..., top:y.shape[-2] - bottom, left:y.shape[-1] - right], x)
    back = F.pad(Tensor(y), tuple(-p for p in pads))  # negative pads crop
    np.testing.assert_array_equal(back.numpy(), x)


def test_interpolate_errors():
    x = Tensor(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="exactly one"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="needs an input with 3 axes"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(NotImplementedError, match="not supported"):
        nn.Upsample(scale_factor=2, mode="lanczos")(x)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_of_three_axes_and_its_gradient_match_torch(mode):
    x = np.random.default_rng(6).normal(size=(1, 2, 3, 4, 5))
    pads = (1, 2, 0, 2, 2, 1)
    ours = Tensor(x, requires_grad=True)
    y = F.pad(ours, pads, mode)
    theirs = torch.tensor(x, requires_grad=True)
    ty = TF.pad(theirs, pads, mode)
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    g = np.random.default_rng(7).normal(size=y.shape)
    y.backward(Tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_pad_modules_and_errors():
    x = Tensor(np.arange(6.0, dtype=np.float32).reshape(1, 2, 3))
    np.testing.assert_array_equal(nn.ReflectionPad1d(2)(x).numpy()[0, 0], [2, 1, 0, 1, 2, 1, 0])
    np.testing.assert_array_equal(nn.ConstantPad1d((1, 0), 9.0)(x).numpy()[0, 1], [9, 3, 4, 5])
    assert nn.ZeroPad2d((1, 1, 2, 0))(x).shape == (1, 4, 5)
    with pytest.raises(ValueError, match="reflection cannot repeat the edge"):
        nn.ReflectionPad1d(3)(x)
    with pytest.raises(ValueError, match="pairs"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="takes no value"):
        F.pad(x, (1, 1), "reflect", value=2.0)
    with pytest.raises(ValueError, match="mode must be one of"):
        F.pad(x, (1, 1), "mirror")


# --- similarity ----------------------------------------------------------------------------------


def test_similarity_of_zero_vectors_is_finite():
    a = Tensor(np.zeros((2, 3)), requires_grad=True)
    b = Tensor(np.ones((2, 3)), requires_grad=True)
    y = F.cosine_similarity(a, b)
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.0])
    y.sum().backward()
    assert np.all(np.isfinite(a.grad.numpy()))
    np.testing.assert_array_equal(F.normalize(Tensor(np.zeros((1, 2)))).numpy(), [[0.0, 0.0]])


def test_similarity_gradcheck_and_modules():
    rng = np.random.default_rng(8)
    a = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    b = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    assert gradcheck(lambda a, b: F.cosine_similarity(a, b, dim=1), [a, b])
    assert gradcheck(lambda a, b: F.pairwise_distance(a, b), [a, b])
    assert gradcheck(lambda a: F.normalize(a, p=2.0, dim=0), [a])
    np.testing.assert_allclose(nn.PairwiseDistance(p=1.0)(a, b).numpy(),
                               torch.nn.PairwiseDistance(p=1.0)(_t(a.numpy()), _t(b.numpy()))
                               .numpy())
    with pytest.raises(ValueError, match="do not broadcast"):
        nn.CosineSimilarity()(Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4))))


# --- containers by name ----------------------------------------------------------------------


def test_module_dict_has_pytorchs_names_and_dict_behaviour():
    ours = nn.ModuleDict({"price": nn.Linear(2, 1), "kind": nn.Linear(2, 3)})
    ours["act"] = nn.ReLU()
    theirs = torch.nn.ModuleDict({"price": torch.nn.Linear(2, 1), "kind": torch.nn.Linear(2, 3)})
    theirs["act"] = torch.nn.ReLU()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert list(ours) == ours.keys() == ["price", "kind", "act"] and len(ours) == 3
    assert "kind" in ours and isinstance(ours.pop("kind"), nn.Linear) and "kind" not in ours
    theirs.pop("kind")
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(ours["price"].weight.numpy(),
                                  theirs["price"].weight.detach().numpy())
    ours.update([("extra", nn.Identity())])
    assert [k for k, _ in ours.items()] == ["price", "act", "extra"]
    ours.clear()
    assert len(ours) == 0 and ours.parameters() == []


def test_parameter_dict_registers_parameters():
    model = nn.Module()
    model.params = nn.ParameterDict({"a": Tensor(np.ones(2)), "b": tg.Parameter(np.zeros(3))})
    assert list(model.state_dict()) == ["params.a", "params.b"]
    assert all(p.requires_grad for p in model.parameters()) and len(model.parameters()) == 2
    del model.params["a"]
    assert list(model.state_dict()) == ["params.b"]


def test_container_key_errors():
    d = nn.ModuleDict()
    with pytest.raises(KeyError, match="contain '.'"):
        d["a.b"] = nn.ReLU()
    with pytest.raises(KeyError, match="attribute or method"):
        d["train"] = nn.ReLU()
    with pytest.raises(TypeError, match="nn.Module"):
        d["x"] = nn.ReLU
    with pytest.raises(KeyError, match="has no key 'missing'"):
        d["missing"]  # noqa: B018
    with pytest.raises(NotImplementedError, match="no forward"):
        d(1)
