"""Trained weights move between nn and torch.nn unchanged (skipped without torch)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
from nn import init
from tinygrad_dk import Tensor

torch = pytest.importorskip("torch")


def pair() -> tuple[nn.Sequential, object]:
    ours = nn.Sequential(nn.Linear(4, 8, dtype=np.float64), nn.Tanh(),
                         nn.Linear(8, 8, dtype=np.float64), nn.LeakyReLU(0.1),
                         nn.Linear(8, 3, dtype=np.float64), nn.Softmax(axis=-1))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(),
                                 torch.nn.Linear(8, 8), torch.nn.LeakyReLU(0.1),
                                 torch.nn.Linear(8, 3), torch.nn.Softmax(dim=-1)).double()
    return ours, theirs


X = np.random.default_rng(0).normal(size=(6, 4))


def test_same_state_dict_keys_and_shapes() -> None:
    ours, theirs = pair()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, arr in ours.state_dict().items():
        assert arr.shape == tuple(theirs.state_dict()[key].shape)


def test_ours_to_torch_same_outputs_and_gradients() -> None:
    tg.manual_seed(0)
    ours, theirs = pair()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    expected = theirs(torch.from_numpy(X))
    got = ours(Tensor(X))
    np.testing.assert_allclose(got.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(1).normal(size=(6, 3))
    (got * weights).sum().backward()
    (expected * torch.from_numpy(weights)).sum().backward()
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_torch_to_ours_same_outputs(tmp_path) -> None:  # noqa: ANN001
    torch.manual_seed(0)
    ours, theirs = pair()
    sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    nn.save(sd, tmp_path / "from_torch.npz")  # through a file, as a user would
    ours.load_state_dict(nn.load(tmp_path / "from_torch.npz"))
    expected = theirs(torch.from_numpy(X)).detach().numpy()
    np.testing.assert_allclose(ours(Tensor(X)).data, expected, rtol=1e-10, atol=1e-12)


def test_float32_round_trip_through_torch() -> None:
    ours = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = X.astype(np.float32)
    np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.from_numpy(x)).detach(),
                               rtol=1e-5, atol=1e-6)


def test_linear_init_range_as_torch() -> None:
    for fan_in in (3, 50):
        ours, theirs = nn.Linear(fan_in, 500), torch.nn.Linear(fan_in, 500).requires_grad_(False)
        bound = 1 / math.sqrt(fan_in)
        assert np.abs(ours.weight.data).max() <= bound
        assert float(theirs.weight.abs().max()) <= bound
        assert float(theirs.weight.abs().max()) == pytest.approx(
            np.abs(ours.weight.data).max(), rel=0.05)


@pytest.mark.parametrize("name", ["linear", "sigmoid", "tanh", "relu", "leaky_relu"])
def test_gain_as_torch(name: str) -> None:
    assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))


def test_kaiming_and_xavier_spread_as_torch() -> None:
    shape = (256, 128)
    for ours_fn, torch_fn in [(init.kaiming_normal_, torch.nn.init.kaiming_normal_),
                              (init.kaiming_uniform_, torch.nn.init.kaiming_uniform_),
                              (init.xavier_normal_, torch.nn.init.xavier_normal_),
                              (init.xavier_uniform_, torch.nn.init.xavier_uniform_)]:
        t = Tensor(np.zeros(shape), requires_grad=True)
        ours_std = ours_fn(t).data.std()
        theirs_std = float(torch_fn(torch.empty(shape, dtype=torch.float64)).std())
        assert ours_std == pytest.approx(theirs_std, rel=0.03), ours_fn.__name__


def test_dropout_eval_matches_torch_identity() -> None:
    ours, theirs = nn.Dropout(0.3).eval(), torch.nn.Dropout(0.3).eval()
    np.testing.assert_array_equal(ours(Tensor(X)).data, theirs(torch.from_numpy(X)).numpy())
