"""nn.utils.parametrize, nn.utils.parametrizations and the legacy weight_norm/spectral_norm,
against PyTorch: same starting weights (and u, v buffers), then outputs, weights, gradients
of the originals, power-iteration buffers after training steps, state-dict keys both ways;
plus the mechanism (chains, right_inverse, cached, remove) and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
from nn.utils import parametrizations as P
from nn.utils import parametrize
from tinygrad_dk import Tensor, gradcheck

torch = pytest.importorskip("torch")
tnn = torch.nn


def _load_into_ours(ours: nn.Module, theirs: object) -> None:
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def _close(a: object, b: object, tol: float = 1e-5) -> None:
    a = a.numpy() if hasattr(a, "numpy") and not isinstance(a, np.ndarray) else a
    b = b.detach().numpy() if hasattr(b, "detach") else b
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def _train_both(ours: nn.Module, theirs: object, x: np.ndarray, steps: int = 3,
                lr: float = 0.1) -> None:
    """SGD steps on sum(out^2) on both; outputs and all parameter gradients compared."""
    opt_o = nn.optim.SGD(ours.parameters(), lr=lr)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=lr)
    for _ in range(steps):
        out_o, out_t = ours(Tensor(x)), theirs(torch.tensor(x))
        _close(out_o, out_t)
        opt_o.zero_grad()
        opt_t.zero_grad()
        (out_o ** 2).sum().backward()
        (out_t ** 2).sum().backward()
        grads_t = {n: p.grad for n, p in theirs.named_parameters()}
        for n, p in ours.named_parameters():
            _close(p.grad, grads_t[n], 1e-4)
        opt_o.step()
        opt_t.step()
    _close(ours.weight, theirs.weight, 1e-4)
    for k, v in theirs.state_dict().items():
        _close(ours.state_dict()[k], v, 1e-4)


def _pair(make_ours, make_theirs, wrap_ours, wrap_theirs):  # noqa: ANN001, ANN202
    torch.manual_seed(0)
    theirs = wrap_theirs(make_theirs())
    ours = wrap_ours(make_ours())
    assert list(ours.state_dict()) == list(theirs.state_dict())  # same keys, same order
    _load_into_ours(ours, theirs)
    return ours, theirs


X = np.random.default_rng(0).normal(size=(6, 5)).astype(np.float32)
XC = np.random.default_rng(1).normal(size=(2, 3, 6, 6)).astype(np.float32)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization_matches_pytorch(dim: int | None) -> None:
    ours, theirs = _pair(lambda: nn.Linear(5, 4), lambda: tnn.Linear(5, 4),
                         lambda m: P.weight_norm(m, dim=dim),
                         lambda m: tnn.utils.parametrizations.weight_norm(m, dim=dim))
    assert type(ours).__name__ == type(theirs).__name__ == "ParametrizedLinear"
    assert ours.parametrizations.weight.original0.shape == tuple(
        theirs.parametrizations.weight.original0.shape)
    _train_both(ours, theirs, X)


def test_weight_norm_on_conv_and_legacy_form_match_pytorch() -> None:
    ours, theirs = _pair(lambda: nn.Conv2d(3, 4, 3), lambda: tnn.Conv2d(3, 4, 3),
                         P.weight_norm, tnn.utils.parametrizations.weight_norm)
    _train_both(ours, theirs, XC)
    ours, theirs = _pair(lambda: nn.Linear(5, 4), lambda: tnn.Linear(5, 4),
                         nn.utils.weight_norm, tnn.utils.weight_norm)
    assert list(ours.state_dict()) == ["bias", "weight_g", "weight_v"]
    _train_both(ours, theirs, X)
    nn.utils.remove_weight_norm(ours)
    tnn.utils.remove_weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    _close(ours.weight, theirs.weight, 1e-4)


@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
def test_spectral_norm_parametrization_matches_pytorch(kind: str) -> None:
    make = {"linear": (lambda: nn.Linear(5, 4), lambda: tnn.Linear(5, 4), X),
            "conv": (lambda: nn.Conv2d(3, 4, 3), lambda: tnn.Conv2d(3, 4, 3), XC),
            "convT": (lambda: nn.ConvTranspose2d(3, 2, 3), lambda: tnn.ConvTranspose2d(3, 2, 3),
                      XC)}
    mo, mt, x = make[kind]
    ours, theirs = _pair(mo, mt, lambda m: P.spectral_norm(m, n_power_iterations=2),
                         lambda m: tnn.utils.parametrizations.spectral_norm(
                             m, n_power_iterations=2))
    _train_both(ours, theirs, x)  # u, v buffers compared after each run via state_dict
    ours.eval()
    theirs.eval()
    u = ours.parametrizations.weight[0]._u.numpy().copy()
    _close(ours(Tensor(x)), theirs(torch.tensor(x)), 1e-4)
    np.testing.assert_array_equal(ours.parametrizations.weight[0]._u.numpy(), u)  # frozen


def test_spectral_norm_legacy_matches_pytorch_and_freezes_in_eval() -> None:
    ours, theirs = _pair(lambda: nn.Linear(5, 4), lambda: tnn.Linear(5, 4),
                         nn.utils.spectral_norm, tnn.utils.spectral_norm)
    assert list(ours.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    _train_both(ours, theirs, X)
    ours.eval()
    u = ours.weight_u.numpy().copy()
    ours(Tensor(X))
    np.testing.assert_array_equal(ours.weight_u.numpy(), u)
    nn.utils.remove_spectral_norm(ours)
    tnn.utils.remove_spectral_norm(theirs.eval())
    _close(ours.weight, theirs.weight, 1e-4)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_spectral_norm_starts_with_fifteen_power_iterations_as_pytorch() -> None:
    torch.manual_seed(3)
    weight = torch.randn(4, 6)
    layer = tnn.Linear(6, 4)
    with torch.no_grad():
        layer.weight.copy_(weight)
    torch.manual_seed(7)
    tnn.utils.parametrizations.spectral_norm(layer)
    torch.manual_seed(7)  # the same two random start vectors, normalised
    u0 = torch.nn.functional.normalize(torch.empty(4).normal_(0, 1), dim=0)
    v0 = torch.nn.functional.normalize(torch.empty(6).normal_(0, 1), dim=0)
    from nn.utils.spectral_norm import power_iteration, unit_random
    u, v = power_iteration(weight.numpy(), u0.numpy(), v0.numpy(), 15, 1e-12, v_first=False)
    _close(u, layer.parametrizations.weight[0]._u)
    _close(v, layer.parametrizations.weight[0]._v)
    # That matrix converges too fast to tell 15 steps from 16. With close singular values
    # (3, 2.9, ...) each step counts: both run 15 steps, then one more when
    # register_parametrization checks the new weight's shape (a training-mode forward).
    rng = np.random.default_rng(0)
    left, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    right, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    slow = (left @ np.diag([3.0, 2.9, 1.0, 0.5]) @ right[:4]).astype(np.float32)
    for steps in (15, 17):
        assert not np.allclose(power_iteration(slow, u0.numpy(), v0.numpy(), steps, 1e-12,
                                               v_first=False)[0],
                               power_iteration(slow, u0.numpy(), v0.numpy(), 16, 1e-12,
                                               v_first=False)[0], atol=1e-5)
    theirs = tnn.Linear(6, 4)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(slow))
    torch.manual_seed(7)
    tnn.utils.parametrizations.spectral_norm(theirs)
    u, v = power_iteration(slow, u0.numpy(), v0.numpy(), 16, 1e-12, v_first=False)
    _close(u, theirs.parametrizations.weight[0]._u, 1e-6)
    _close(v, theirs.parametrizations.weight[0]._v, 1e-6)
    ours = nn.Linear(6, 4)  # ours: the same 16 steps from its own two start vectors
    with tg.no_grad():
        ours.weight.copy_(slow)
    tg.manual_seed(7)
    u0, v0 = unit_random(4, np.float32, 1e-12), unit_random(6, np.float32, 1e-12)
    tg.manual_seed(7)
    P.spectral_norm(ours)
    u, v = power_iteration(slow, u0, v0, 16, 1e-12, v_first=False)
    _close(ours.parametrizations.weight[0]._u, u, 1e-6)
    _close(ours.parametrizations.weight[0]._v, v, 1e-6)


def test_spectral_norm_largest_singular_value_is_one() -> None:
    tg.manual_seed(0)
    layer = P.spectral_norm(nn.Linear(8, 6), n_power_iterations=3)
    for _ in range(10):
        layer(tg.randn(2, 8))
    assert abs(np.linalg.svd(layer.weight.numpy(), compute_uv=False)[0] - 1) < 1e-3


@pytest.mark.parametrize("orth_map,shape", [("matrix_exp", (4, 4)), ("cayley", (4, 4)),
                                            ("householder", (3, 5)), ("matrix_exp", (5, 3)),
                                            ("cayley", (3, 5))])
def test_orthogonal_matches_pytorch_and_stays_orthogonal(orth_map: str, shape: tuple) -> None:
    ours, theirs = _pair(lambda: nn.Linear(shape[1], shape[0]),
                         lambda: tnn.Linear(shape[1], shape[0]),
                         lambda m: P.orthogonal(m, orthogonal_map=orth_map),
                         lambda m: tnn.utils.parametrizations.orthogonal(
                             m, orthogonal_map=orth_map))
    _train_both(ours, theirs, X[:, :shape[1]].copy(), steps=3, lr=0.05)
    w = ours.weight.numpy().astype(np.float64)
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-5)


def test_orthogonal_stays_orthogonal_under_adam() -> None:
    tg.manual_seed(1)
    layer = P.orthogonal(nn.Linear(4, 4))
    opt = nn.optim.Adam(layer.parameters(), lr=0.05)
    target = tg.randn(16, 4)
    for _ in range(20):
        x = tg.randn(16, 4)
        loss = ((layer(x) - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    w = layer.weight.numpy()
    np.testing.assert_allclose(w.T @ w, np.eye(4), atol=1e-5)


def test_second_derivatives_and_float64_gradcheck() -> None:
    rng = np.random.default_rng(2)
    for mod in (P.weight_norm(nn.Linear(3, 3, dtype=np.float64)),
                P.orthogonal(nn.Linear(3, 3, dtype=np.float64)),
                P.orthogonal(nn.Linear(3, 3, dtype=np.float64), orthogonal_map="cayley")):
        originals = mod.parametrizations.weight.originals()
        fresh = [Tensor(rng.normal(size=o.shape), requires_grad=True) for o in originals]

        def f(*ts, mod=mod):  # noqa: ANN001, ANN202
            return mod.parametrizations.weight[0](*ts)

        assert gradcheck(f, fresh)
        (f(*fresh) ** 3).sum().backward(create_graph=True)
        g = fresh[-1].grad
        assert g.requires_grad  # the derivative is itself differentiable
        fresh[-1].grad = None
        g.sum().backward()
        assert np.isfinite(fresh[-1].grad.numpy()).all()


# --- the mechanism ------------------------------------------------------------------------


class Symmetric(nn.Module):
    def forward(self, x):  # noqa: ANN001, ANN201
        return x.triu() + x.triu(1).mT

    def right_inverse(self, a):  # noqa: ANN001, ANN201
        return a.triu()


class Double(nn.Module):
    def forward(self, x):  # noqa: ANN001, ANN201
        return 2 * x

    def right_inverse(self, x):  # noqa: ANN001, ANN201
        return x / 2


class Plus(nn.Module):  # no right_inverse
    def forward(self, x):  # noqa: ANN001, ANN201
        return x + 1


class RankOne(nn.Module):
    def forward(self, x, y):  # noqa: ANN001, ANN201
        return x.unsqueeze(-1) @ y.unsqueeze(-2)

    def right_inverse(self, z):  # noqa: ANN001, ANN201
        return z[:, 0], z[0, :] / z[0, 0]


def test_register_chain_parameters_and_optimizer() -> None:
    layer = nn.Linear(3, 3)
    original = layer.weight
    parametrize.register_parametrization(layer, "weight", Symmetric())
    parametrize.register_parametrization(layer, "weight", Double())
    assert layer.parametrizations.weight.original is original  # same object, optimizer ok
    w = layer.weight.numpy()
    np.testing.assert_allclose(w, w.T)
    o = original.numpy()  # Double's right_inverse halved the weight at registration
    np.testing.assert_allclose(w, 2 * (np.triu(o) + np.triu(o, 1).T))
    assert [n for n, _ in layer.named_parameters()] == ["bias", "parametrizations.weight.original"]
    assert len(layer.parametrizations.weight) == 2
    assert parametrize.is_parametrized(layer) and parametrize.is_parametrized(layer, "weight")
    assert not parametrize.is_parametrized(layer, "bias")
    assert parametrize.type_before_parametrizations(layer) is nn.Linear
    before = original.numpy().copy()
    opt = nn.optim.SGD(layer.parameters(), lr=0.1)
    layer(tg.randn(2, 3)).sum().backward()
    opt.step()
    assert not np.array_equal(before, original.numpy())
    target = np.array([[1.0, 2, 3], [2, 4, 5], [3, 5, 6]], np.float32)
    layer.weight = Tensor(target)  # assignment goes through both right_inverses
    assert not isinstance(layer.__dict__.get("weight"), Tensor)
    np.testing.assert_allclose(layer.weight.numpy(), target, rtol=1e-6)


def test_insert_and_delete_in_the_list_keep_the_original() -> None:
    layer = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Plus())
    plist = layer.parametrizations.weight
    original = plist.original
    plist.insert(0, Double())  # weight = 2 * original + 1
    assert plist.original is original and len(plist) == 2
    assert list(layer.state_dict()) == ["bias", "parametrizations.weight.original"]
    np.testing.assert_allclose(layer.weight.numpy(), 2 * original.numpy() + 1)
    del plist[1]
    assert plist.original is original and isinstance(plist[0], Double)
    np.testing.assert_allclose(layer.weight.numpy(), 2 * original.numpy())


def test_right_inverse_with_several_tensors_and_remove() -> None:
    layer = nn.Linear(3, 4)
    with tg.no_grad():
        layer.weight.copy_(np.outer([1.0, 2, 3, 4], [2.0, 1, -1]).astype(np.float32))
    parametrize.register_parametrization(layer, "weight", RankOne())
    keys = list(layer.state_dict())
    assert keys == ["bias", "parametrizations.weight.original0",
                    "parametrizations.weight.original1"]
    np.testing.assert_allclose(layer.weight.numpy(), np.outer([2.0, 4, 6, 8], [1.0, 0.5, -0.5]))
    with pytest.raises(ValueError, match="leave_parametrized=True"):
        parametrize.remove_parametrizations(layer, "weight", leave_parametrized=False)
    w = layer.weight.numpy().copy()
    parametrize.remove_parametrizations(layer, "weight")
    assert type(layer) is nn.Linear and "parametrizations" not in layer.__dict__
    np.testing.assert_allclose(layer.weight.numpy(), w)
    assert [n for n, _ in layer.named_parameters()] == ["bias", "weight"]


def test_remove_keeps_output_or_gives_back_the_original() -> None:
    layer = P.orthogonal(nn.Linear(4, 4))
    x = tg.randn(3, 4)
    out = layer(x).numpy()
    original = layer.parametrizations.weight.original.numpy().copy()
    other = P.orthogonal(nn.Linear(4, 4))
    other_original = other.parametrizations.weight.original.numpy().copy()
    parametrize.remove_parametrizations(layer, "weight")
    np.testing.assert_allclose(layer(x).numpy(), out, atol=1e-6)
    assert not np.allclose(layer.weight.numpy(), original)
    parametrize.remove_parametrizations(other, "weight", leave_parametrized=False)
    np.testing.assert_array_equal(other.weight.numpy(), other_original)


def test_cached_computes_once() -> None:
    calls = []

    class Count(nn.Module):
        def forward(self, x):  # noqa: ANN001, ANN201
            calls.append(1)
            return x

    layer = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Count())
    calls.clear()
    with parametrize.cached():
        a, b = layer.weight, layer.weight
        assert a is b
    layer.weight  # noqa: B018
    assert len(calls) == 2


def test_lstm_weight_and_buffer_and_save_load(tmp_path) -> None:  # noqa: ANN001
    lstm = nn.LSTM(3, 4)
    P.weight_norm(lstm, "weight_hh_l0")
    out, _ = lstm(tg.randn(5, 2, 3))
    out.sum().backward()
    g = lstm.parametrizations.weight_hh_l0.original1.grad
    assert g is not None and g.shape == (16, 4)
    path = tmp_path / "m.npz"
    nn.save(lstm, str(path))
    fresh = P.weight_norm(nn.LSTM(3, 4), "weight_hh_l0")
    fresh.load_state_dict(nn.load(str(path)))
    np.testing.assert_allclose(fresh.weight_hh_l0.numpy(), lstm.weight_hh_l0.numpy())
    bn = nn.BatchNorm1d(3)  # a buffer can be parametrized too
    parametrize.register_parametrization(bn, "running_var", Plus())
    np.testing.assert_allclose(bn.running_var.numpy(), 2 * np.ones(3))
    assert "parametrizations.running_var.original" in bn.state_dict()


def test_state_dict_loads_both_ways() -> None:
    ours = P.spectral_norm(P.weight_norm(nn.Linear(5, 4)), "bias")
    theirs = tnn.utils.parametrizations.spectral_norm(
        tnn.utils.parametrizations.weight_norm(tnn.Linear(5, 4)), "bias")
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    _load_into_ours(ours, theirs)
    ours.eval()
    theirs.eval()
    _close(ours(Tensor(X)), theirs(torch.tensor(X)))


def test_transfer_parametrizations() -> None:
    src = P.weight_norm(nn.Linear(3, 2))
    dst = parametrize.transfer_parametrizations_and_params(src, nn.Linear(3, 2))
    np.testing.assert_allclose(dst.weight.numpy(), src.weight.numpy())
    assert list(dst.state_dict()) == list(src.state_dict())


def test_deepcopy_works_though_pickling_does_not() -> None:
    """As PyTorch: a parametrized module cannot be pickled, but it can be deep-copied (e.g.
    nn.TransformerEncoder copies its layer); the copy is independent of the original."""
    import copy
    layer = P.weight_norm(nn.Linear(3, 2))
    twin = copy.deepcopy(layer)
    assert type(twin).__name__ == "ParametrizedLinear" and isinstance(twin, nn.Linear)
    np.testing.assert_array_equal(twin.weight.numpy(), layer.weight.numpy())
    assert twin.parametrizations.weight.original1 is not layer.parametrizations.weight.original1
    with tg.no_grad():
        twin.parametrizations.weight.original0.copy_(np.zeros((2, 1), np.float32))
    assert not np.allclose(layer.weight.numpy(), 0) and np.allclose(twin.weight.numpy(), 0)
    parametrize.remove_parametrizations(twin, "weight")  # the original keeps its class
    assert type(twin) is nn.Linear and type(layer).__name__ == "ParametrizedLinear"
    import pickle
    with pytest.raises(RuntimeError, match="state_dict"):
        pickle.dumps(layer)


# --- errors -------------------------------------------------------------------------------


class Grow(nn.Module):
    def forward(self, x):  # noqa: ANN001, ANN201
        return tg.cat([x, x])


def test_errors_name_the_problem_and_the_fix() -> None:
    with pytest.raises(ValueError, match="no parameter, buffer or parametrized tensor named"):
        parametrize.register_parametrization(nn.Linear(2, 2), "wieght", Double())
    with pytest.raises(ValueError, match="may not change the shape.*unsafe=True"):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", Grow())
    layer = parametrize.register_parametrization(nn.Linear(2, 3), "weight", Grow(), unsafe=True)
    assert layer.weight.shape == (6, 2)
    with pytest.raises(RuntimeError, match="weight_norm already.*remove_weight_norm"):
        nn.utils.weight_norm(nn.utils.weight_norm(nn.Linear(2, 2)))
    with pytest.raises(RuntimeError, match="spectral_norm already"):
        nn.utils.spectral_norm(nn.utils.spectral_norm(nn.Linear(2, 2)))
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="no parametrization on 'weight'"):
        parametrize.remove_parametrizations(nn.Linear(2, 2), "weight")
    with pytest.raises(ValueError, match="orthogonal_map must be one of"):
        P.orthogonal(nn.Linear(2, 2), orthogonal_map="qr")
    with pytest.raises(ValueError, match="matrix"):
        P.orthogonal(nn.Linear(2, 2), "bias")
    with pytest.raises(ValueError, match="no parameter or buffer named 'w'"):
        P.spectral_norm(nn.Linear(2, 2), "w")
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", Plus()).weight = \
            Tensor(np.eye(2, dtype=np.float32))
    import pickle
    with pytest.raises(RuntimeError, match="state_dict"):
        pickle.dumps(P.weight_norm(nn.Linear(2, 2)))


def test_empty_weights_as_pytorch() -> None:
    class Holder(nn.Module):
        def __init__(self, shape: tuple) -> None:
            super().__init__()
            self.weight = tg.Parameter(np.ones(shape, np.float32))

        def forward(self) -> Tensor:  # type: ignore[override]
            return self.weight

    for shape in ((0, 3), (2, 0)):
        for wrap in (P.spectral_norm, P.orthogonal):
            assert wrap(Holder(shape))().shape == shape


def test_extreme_weights_stay_finite() -> None:
    for scale in (1e-30, 1e3, 1e30):
        layer = nn.Linear(3, 3)
        with tg.no_grad():
            layer.weight.copy_(layer.weight.numpy() * np.float32(scale))
        P.weight_norm(layer)
        assert np.isfinite(layer.weight.numpy()).all()
        if scale < 1e-12:  # below eps=1e-12 u and v cannot be normalised (as PyTorch)
            continue
        sn = nn.Linear(3, 3)
        with tg.no_grad():
            sn.weight.copy_(sn.weight.numpy() * np.float32(scale))
        P.spectral_norm(sn)
        s = np.linalg.svd(sn.weight.numpy().astype(np.float64), compute_uv=False)[0]
        assert abs(s - 1) < 1e-3
