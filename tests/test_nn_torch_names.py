"""nn under PyTorch's names: containers, Parameter registration, Module.to, layers with
PyTorch's arguments, NLLLoss, one_hot, gradient clipping, schedulers, and the data sets
and DataLoader of torch.utils.data."""

from collections import OrderedDict

import numpy as np
import pytest

import nn
import nn.functional as F
import tinygrad_dk as tg
from nn import optim
from nn.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split
from tinygrad_dk import Tensor, gradcheck

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


# --- containers and registration -------------------------------------------------------------


def test_module_list_registers_its_layers_by_position():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 1)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    net = Net()
    assert list(net.state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.1.weight",
                                      "layers.1.bias"]
    assert len(net.layers) == 2 and isinstance(net.layers[-1], nn.Linear)
    assert isinstance(net.layers[:1], nn.ModuleList) and net(tg.ones(4, 2)).shape == (4, 1)
    net.layers.insert(1, nn.ReLU())
    assert [type(m).__name__ for m in net.layers] == ["Linear", "ReLU", "Linear"]
    assert "layers.2.weight" in net.state_dict()
    net.layers.extend([nn.Tanh()])
    del net.layers[1]
    assert [type(m).__name__ for m in net.layers] == ["Linear", "Linear", "Tanh"]
    with pytest.raises(TypeError, match="nn.ReLU instead of nn.ReLU"):
        net.layers.append(nn.ReLU)
    with pytest.raises(NotImplementedError, match="loop over it"):
        net.layers(tg.ones(1, 2))
    with pytest.raises(IndexError, match="out of range"):
        net.layers[5] = nn.ReLU()


def test_parameter_list_and_frozen_parameters_are_registered():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([tg.randn(2), nn.Parameter(tg.zeros(3))])
            self.scale = nn.Parameter(tg.tensor(2.0), requires_grad=False)

    m = Model()
    assert [n for n, _ in m.named_parameters()] == ["ws.0", "ws.1", "scale"]
    assert all(isinstance(p, nn.Parameter) for p in m.ws) and m.ws[0].requires_grad


def test_sequential_setitem_delitem_insert_and_ordered_dict():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    model[2] = nn.Linear(4, 3)
    assert model[-1].out_features == 3 and model(tg.ones(5, 2)).shape == (5, 3)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    model.insert(2, nn.Dropout(0.1))
    assert list(model.state_dict())[2:] == ["3.weight", "3.bias"]
    del model[2]
    assert len(model) == 3 and isinstance(model[2], nn.Linear)
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named[0] is named.fc
    with pytest.raises(TypeError, match="nn.Module"):
        model[0] = "not a module"


@needs_torch
def test_state_dict_keys_of_containers_match_pytorch():
    ours = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("out", nn.Linear(2, 1))]))
    theirs = torch.nn.Sequential(OrderedDict([("fc", torch.nn.Linear(2, 2)),
                                              ("out", torch.nn.Linear(2, 1))]))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 2)).astype(np.float32)
    np.testing.assert_allclose(ours(Tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6)


def test_module_to_dtype_and_device():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    assert model.to("cpu") is model and model.cpu() is model
    model.double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert gradcheck(lambda x: model(x), [Tensor(np.random.default_rng(1).standard_normal(
        (4, 2)), requires_grad=True)])
    model.to(tg.float32)
    assert all(p.dtype == np.float32 for p in model.parameters())
    with pytest.raises(RuntimeError, match="computes on the CPU"):
        model.to(tg.device("cuda"))
    scalar = nn.MLP(2, [2, 1])
    assert scalar.to("cpu") is scalar and scalar.double() is scalar  # Values stay float64


def test_linear_computes_in_its_own_dtype():
    layer = nn.Linear(3, 2)
    for x in (np.ones((4, 3)), np.ones((4, 3), dtype=np.int64)):
        out = layer(Tensor(x))
        assert out.dtype == np.float32
    x64 = Tensor(np.ones((4, 3)), requires_grad=True)
    layer(x64).sum().backward()
    assert x64.grad.dtype == np.float64  # the input keeps its dtype, the gradient follows it


def test_layers_with_pytorchs_arguments():
    x = Tensor(np.random.default_rng(2).standard_normal((2, 3, 4)))
    assert nn.Flatten()(x).shape == (2, 12) and nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Flatten(start_dim=1, end_dim=1)(x).shape == (2, 3, 4)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    np.testing.assert_allclose(nn.Softmax(dim=1)(x).numpy().sum(axis=1), np.ones((2, 4)),
                               rtol=1e-6)
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)" and nn.Softmax(axis=0).dim == 0
    np.testing.assert_allclose(nn.LogSoftmax(dim=-1)(x).numpy(),
                               F.log_softmax(x, dim=-1).numpy())
    np.testing.assert_allclose(F.softmax(x, dim=0).numpy(), tg.softmax(x, 0).numpy())
    with pytest.raises(TypeError, match="dim= and axis="):
        nn.Softmax(dim=1, axis=1)
    assert nn.ReLU(inplace=True)(Tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
    assert nn.LeakyReLU(0.5, inplace=True)(Tensor([-2.0])).tolist() == [-1.0]
    assert nn.Dropout(0.5, inplace=True).eval()(Tensor([1.0])).tolist() == [1.0]
    assert F.relu(Tensor([-1.0]), inplace=True).tolist() == [0.0]


# --- losses and one_hot ---------------------------------------------------------------------


def test_nll_loss_is_cross_entropy_after_log_softmax():
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((5, 4)), requires_grad=True)
    y = tg.tensor([0, 3, 1, 1, 2])
    w = np.array([1.0, 2.0, 0.5, 1.0])
    for kw in ({}, {"weight": w}, {"reduction": "sum"}, {"reduction": "none"}):
        np.testing.assert_allclose(F.nll_loss(F.log_softmax(x, dim=1), y, **kw).numpy(),
                                   F.cross_entropy(x, y, **kw).numpy(), rtol=1e-12)
    assert gradcheck(lambda a: F.nll_loss(a, y, weight=w), [x])
    assert nn.NLLLoss().predict(np.array([[0.1, 0.9]])).tolist() == [1]
    from tinygrad_dk import Value
    rows = [[Value(-0.5), Value(-1.0)], [Value(-2.0), Value(-0.1)]]
    assert F.nll_loss(rows, [1, 0]).data == pytest.approx(1.5)  # the scalar engine too
    with pytest.raises(TypeError, match="integer class labels"):
        F.nll_loss(x, Tensor(np.ones((5, 4))))


@needs_torch
def test_nll_loss_matches_pytorch():
    x = np.random.default_rng(4).standard_normal((6, 3))
    y = np.array([0, 2, 1, 1, 0, 2])
    w = np.array([0.2, 1.0, 3.0])
    ours = Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    a = nn.NLLLoss(weight=w)(ours, Tensor(y))
    b = torch.nn.NLLLoss(weight=torch.tensor(w))(theirs, torch.tensor(y))
    a.backward()
    b.backward()
    np.testing.assert_allclose(a.numpy(), b.detach().numpy())
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())


def test_one_hot():
    out = F.one_hot(tg.tensor([2, 0, 1]))
    assert out.dtype == np.int64 and out.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    assert F.one_hot(tg.tensor([[1], [0]]), num_classes=4).shape == (2, 1, 4)
    with pytest.raises(ValueError, match="0 .. 1"):
        F.one_hot(tg.tensor([2]), num_classes=2)
    with pytest.raises(TypeError, match="integers"):
        F.one_hot(tg.tensor([1.0]))


# --- gradient clipping ---------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_matches_pytorch(norm_type):
    rng = np.random.default_rng(5)
    grads = [rng.standard_normal((3, 2)) * 5, rng.standard_normal(2)]
    ours = [Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = Tensor(g.copy()), torch.tensor(g)
    a = nn.utils.clip_grad_norm_(ours, 1.0, norm_type=norm_type)
    b = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type=norm_type)
    assert a.item() == pytest.approx(b.item(), rel=1e-6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)
    nn.utils.clip_grad_value_(ours, 0.05)
    torch.nn.utils.clip_grad_value_(theirs, 0.05)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)


def test_clip_grad_skips_missing_grads_works_on_values_and_checks():
    from tinygrad_dk import Value
    a, b = Value(1.0), Value(2.0)
    a.grad, b.grad = 3.0, 4.0
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx(5.0) and a.grad == pytest.approx(0.6, rel=1e-5)
    nn.utils.clip_grad_value_([a, b], 0.1)
    assert (a.grad, b.grad) == (pytest.approx(0.1), pytest.approx(0.1))
    p = Tensor(np.ones(2), requires_grad=True)  # no grad yet: skipped
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == 0.0 and p.grad is None
    p.grad = Tensor(np.array([np.inf, 1.0]))
    with pytest.raises(RuntimeError, match="not finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="max_norm"):
        nn.utils.clip_grad_norm_([p], -1.0)


# --- learning-rate schedulers -------------------------------------------------------------------


SCHEDULERS = {
    "StepLR": dict(step_size=3, gamma=0.5),
    "MultiStepLR": dict(milestones=[2, 5, 9], gamma=0.3),
    "ExponentialLR": dict(gamma=0.8),
    "CosineAnnealingLR": dict(T_max=7, eta_min=0.01),
}


@needs_torch
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_schedulers_match_pytorch(name):
    ours_opt = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.2)
    theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    ours = getattr(optim.lr_scheduler, name)(ours_opt, **SCHEDULERS[name])
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **SCHEDULERS[name])
    for _ in range(20):
        assert ours.get_last_lr()[0] == pytest.approx(theirs.get_last_lr()[0], rel=1e-9,
                                                      abs=1e-12)
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()


@needs_torch
@pytest.mark.parametrize("options", [dict(), dict(mode="max", patience=1, cooldown=2),
                                     dict(threshold_mode="abs", threshold=0.1, factor=0.5,
                                          min_lr=0.01)])
def test_reduce_lr_on_plateau_matches_pytorch(options):
    ours_opt = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=1.0)
    theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    ours = optim.lr_scheduler.ReduceLROnPlateau(ours_opt, **{"patience": 2, **options})
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **{"patience": 2, **options})
    metrics = np.random.default_rng(6).uniform(0, 1, 40).round(1)
    for m in metrics:
        ours.step(float(m))
        theirs.step(float(m))
        assert ours_opt.param_groups[0]["lr"] == pytest.approx(theirs_opt.param_groups[0]["lr"])


def test_scheduler_arguments_are_checked():
    opt = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="T_max"):
        optim.lr_scheduler.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="factor"):
        optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    opt.zero_grad(set_to_none=True)


# --- torch.utils.data ---------------------------------------------------------------------------


def test_tensor_dataset_and_subset():
    X, y = tg.arange(10.0).view(5, 2), tg.tensor([0, 1, 0, 1, 1])
    ds = TensorDataset(X, y)
    xb, yb = ds[1:3]
    assert len(ds) == 5 and xb.tolist() == [[2.0, 3.0], [4.0, 5.0]] and yb.tolist() == [1, 0]
    sub = Subset(ds, [4, 0])
    assert len(sub) == 2 and sub[0][1].item() == 1
    with pytest.raises(ValueError, match="same number of samples"):
        TensorDataset(X, tg.zeros(3))
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]


def test_dataloader_defaults_are_pytorchs():
    ds = TensorDataset(tg.arange(6.0).view(6, 1), tg.arange(6))
    loader = DataLoader(ds)
    assert len(loader) == 6 and loader.batch_size == 1 and not loader.shuffle
    assert [yb.tolist() for _, yb in loader] == [[i] for i in range(6)]
    assert len(DataLoader(ds, 4)) == 2 and len(DataLoader(ds, 4, drop_last=True)) == 1
    batch = next(iter(DataLoader(ds, 4, True)))
    assert isinstance(batch, list) and batch[0].shape == (4, 1)
    with pytest.raises(ValueError, match="seed would do nothing.*shuffle=True"):
        DataLoader(ds, batch_size=2, seed=1)
    with pytest.raises(ValueError, match="seed= or generator="):
        DataLoader(ds, shuffle=True, seed=1, generator=tg.Generator())
    with pytest.raises(TypeError, match="by name"):
        DataLoader(ds, 2, True, None, 0)


def test_shuffling_follows_manual_seed_and_generators():
    ds = TensorDataset(tg.arange(20))

    def orders(loader):
        return [[int(v) for (b,) in loader for v in b.tolist()] for _ in range(2)]

    tg.manual_seed(0)
    first = orders(DataLoader(ds, batch_size=5, shuffle=True))
    tg.manual_seed(0)
    assert orders(DataLoader(ds, batch_size=5, shuffle=True)) == first  # a seeded script repeats
    assert first[0] != first[1] and sorted(first[0]) == list(range(20))  # epochs differ
    by_gen = orders(DataLoader(ds, 5, shuffle=True, generator=tg.Generator().manual_seed(3)))
    assert orders(DataLoader(ds, 5, shuffle=True, generator=tg.Generator().manual_seed(3))) \
        == by_gen
    assert orders(DataLoader(ds, 5, shuffle=True, seed=3)) == by_gen  # seed= is the same stream
    assert orders(DataLoader(ds, 5, shuffle=True, generator=np.random.default_rng(1)))[0] != \
        list(range(20))


def test_a_seeded_training_script_gives_the_same_numbers_every_run():
    def run():
        tg.manual_seed(11)
        X = tg.randn(60, 3)
        y = (X[:, 0] > 0).long()
        model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 2))
        opt = optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for xb, yb in DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True):
            opt.zero_grad()
            loss = nn.CrossEntropyLoss()(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    assert run() == run()


def test_default_collate_and_custom_datasets():
    assert default_collate([tg.ones(2), tg.zeros(2)]).shape == (2, 2)
    assert default_collate([np.ones(2), np.zeros(2)]).dtype == np.float64
    assert default_collate([1, 2]).dtype == np.int64 and default_collate([0.5, 1]).dtype \
        == np.float64
    assert default_collate([(1, "a"), (2, "b")])[1] == ["a", "b"]
    with pytest.raises(TypeError, match="cannot batch"):
        default_collate([object(), object()])

    class Squares(Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return tg.tensor([float(i)]), i * i

    loader = DataLoader(Squares(), batch_size=3)
    xb, yb = list(loader)[-1]
    assert xb.shape == (1, 1) and yb.tolist() == [36] and len(loader) == 3
    joined = DataLoader(Squares(), batch_size=7, collate_fn=lambda items: len(items))
    assert list(joined) == [7]


def test_random_split_counts_fractions_and_repeats_with_a_generator():
    ds = TensorDataset(tg.arange(10))
    a, b = random_split(ds, [7, 3], generator=tg.Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3
    assert sorted([int(a[i][0]) for i in range(7)] + [int(b[i][0]) for i in range(3)]) == list(
        range(10))
    c, _ = random_split(ds, [0.7, 0.3], generator=tg.Generator().manual_seed(0))
    assert [int(c[i][0]) for i in range(7)] == [int(a[i][0]) for i in range(7)]
    assert [len(p) for p in random_split(range(11), [0.5, 0.3, 0.2])] == [6, 3, 2]
    with pytest.raises(ValueError, match="do not add up"):
        random_split(ds, [5, 3])
    batches = list(DataLoader(a, batch_size=4))  # a Subset of a TensorDataset: fast path
    assert [len(x) for (x,) in batches] == [4, 3]


@needs_torch
def test_random_split_fraction_counts_match_pytorch():
    for n in (10, 11, 17):
        for fractions in ([0.5, 0.3, 0.2], [0.8, 0.2], [1 / 3, 1 / 3, 1 / 3]):
            ours = [len(p) for p in random_split(range(n), fractions)]
            theirs = [len(p) for p in torch.utils.data.random_split(range(n), fractions)]
            assert ours == theirs


@needs_torch
@pytest.mark.parametrize("name, options", [
    ("RMSprop", dict(lr=0.01)), ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, alpha=0.9)),
    ("Adagrad", dict(lr=0.1)), ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1,
                                                initial_accumulator_value=0.5)),
])
def test_rmsprop_and_adagrad_match_pytorch(name, options):
    rng = np.random.default_rng(7)
    start = rng.standard_normal((3, 2))
    ours = Tensor(start.copy(), requires_grad=True)
    theirs = torch.tensor(start.copy(), requires_grad=True)
    opt_ours = getattr(optim, name)([ours], **options)
    opt_theirs = getattr(torch.optim, name)([theirs], **options)
    for _ in range(5):
        g = rng.standard_normal((3, 2))
        ours.grad, theirs.grad = Tensor(g), torch.tensor(g)
        opt_ours.step()
        opt_theirs.step()
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


# --- more activations ---------------------------------------------------------------------------

ACTIVATIONS = {  # name -> (our module, PyTorch's module)
    "ELU": (lambda: nn.ELU(), lambda: torch.nn.ELU()),
    "ELU(0.5)": (lambda: nn.ELU(alpha=0.5), lambda: torch.nn.ELU(alpha=0.5)),
    "SiLU": (lambda: nn.SiLU(), lambda: torch.nn.SiLU()),
    "GELU": (lambda: nn.GELU(), lambda: torch.nn.GELU()),
    "GELU(tanh)": (lambda: nn.GELU(approximate="tanh"),
                   lambda: torch.nn.GELU(approximate="tanh")),
    "Softplus(2)": (lambda: nn.Softplus(beta=2.0), lambda: torch.nn.Softplus(beta=2.0)),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_more_activations_gradcheck_and_second_derivatives(name):
    layer = ACTIVATIONS[name][0]()
    x = Tensor(np.linspace(-3, 3, 8) + 0.05, requires_grad=True)
    assert gradcheck(layer, [x])
    (g,) = tg.autograd.grad(layer(x).sum(), x, create_graph=True)
    assert g.requires_grad and g.shape == x.shape  # the derivative is differentiable again
    assert gradcheck(tg.grad(lambda a: layer(a).sum()),
                     [Tensor(np.linspace(-2, 2, 5) + 0.05, requires_grad=True)])


@needs_torch
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_more_activations_match_pytorch(name):
    ours, theirs = ACTIVATIONS[name][0](), ACTIVATIONS[name][1]()
    x = np.linspace(-30, 30, 61)
    a, b = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_a, out_b = ours(a), theirs(b)
    out_a.sum().backward()
    out_b.sum().backward()
    # (PyTorch's softplus turns exactly linear above beta x = threshold; ours stays the exact
    # curve, which differs from x by log(1 + e^(-beta x)) / beta < 1e-9 there)
    np.testing.assert_allclose(out_a.numpy(), out_b.detach().numpy(), rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-14)
    assert ours(Tensor(np.ones(2, dtype=np.float32))).dtype == np.float32


def test_activations_on_values_and_errors():
    from tinygrad_dk import Value
    assert F.silu(Value(1.0)).data == pytest.approx(1 / (1 + np.exp(-1)))
    assert F.softplus(Value(0.0), beta=2.0).data == pytest.approx(np.log(2) / 2)
    with pytest.raises(TypeError, match="Value engine has no elu"):
        F.elu(Value(1.0))
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU(approximate="fast")(Tensor([1.0]))
    assert repr(nn.ELU(0.5)) == "ELU(alpha=0.5)"
