"""Parity with PyTorch (float64) for the image and sequence layers, weights copied over.

Forward values, the input's gradient, every parameter's gradient and the running
statistics must agree; state dicts must load into the equivalent torch model and
back. Skipped when torch is not installed.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
import nn.functional as F
import tinygrad_dk as tg
from tinygrad_dk import Tensor

torch = pytest.importorskip("torch")
TF = torch.nn.functional
TOL = dict(rtol=1e-10, atol=1e-12)


def copy_weights(ours, theirs):
    """Load our state dict into the torch module (it must fit exactly)."""
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})


def both(x):
    return Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def compare_module(ours, theirs, x, rng, outputs=lambda out: [out]):
    """Same forward, same input gradient, same parameter gradients (random upstream g)."""
    tx, X = both(x)
    mine, yours = outputs(ours(tx)), outputs(theirs(X))
    gs = [rng.standard_normal(m.shape) for m in mine]
    sum((m * Tensor(g)).sum() for m, g in zip(mine, gs)).backward()
    sum((y * torch.tensor(g)).sum() for y, g in zip(yours, gs)).backward()
    for m, y in zip(mine, yours):
        np.testing.assert_allclose(m.numpy(), y.detach().numpy(), **TOL)
    np.testing.assert_allclose(tx.grad.numpy(), X.grad.numpy(), **TOL)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(),
                                   err_msg=name, **TOL)


# --- convolution and pooling -------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note about its own copy
@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, padding=1), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)),
    dict(kernel_size=2, dilation=2, bias=False), dict(kernel_size=3, padding="same"),
    dict(kernel_size=4, padding="same", dilation=(1, 2)),
])
def test_conv2d_layer(rng, kwargs):
    ours = nn.Conv2d(3, 4, dtype=np.float64, **kwargs)
    theirs = torch.nn.Conv2d(3, 4, dtype=torch.float64, **kwargs)
    copy_weights(ours, theirs)
    compare_module(ours, theirs, rng.standard_normal((2, 3, 7, 6)), rng)


def test_conv1d_layer(rng):
    ours = nn.Conv1d(2, 3, 3, stride=2, padding=1, dtype=np.float64)
    theirs = torch.nn.Conv1d(2, 3, 3, stride=2, padding=1, dtype=torch.float64)
    copy_weights(ours, theirs)
    compare_module(ours, theirs, rng.standard_normal((4, 2, 9)), rng)


@settings(max_examples=15)
@given(c=st.integers(1, 3), o=st.integers(1, 3), h=st.integers(3, 7), k=st.integers(1, 3),
       s=st.integers(1, 3), p=st.integers(0, 2), dl=st.integers(1, 2), seed=st.integers(0, 999))
def test_conv2d_functional_property(c, o, h, k, s, p, dl, seed):
    if h + 2 * p < dl * (k - 1) + 1:
        return
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((2, c, h, h + 1)), rng.standard_normal((o, c, k, k)), \
        rng.standard_normal(o)
    (tx, X), (tw, W), (tb, B) = both(x), both(w), both(b)
    out = F.conv2d(tx, tw, tb, s, p, dl)
    ref = TF.conv2d(X, W, B, s, p, dl)
    g = rng.standard_normal(out.shape)
    (out * Tensor(g)).sum().backward()
    (ref * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **TOL)
    for mine, yours in ((tx, X), (tw, W), (tb, B)):
        np.testing.assert_allclose(mine.grad.numpy(), yours.grad.numpy(), **TOL)


@pytest.mark.parametrize("ours, theirs", [
    (nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
    (nn.MaxPool2d(3, stride=1, padding=1), torch.nn.MaxPool2d(3, stride=1, padding=1)),
    (nn.MaxPool2d((3, 2), stride=(2, 1), padding=1, dilation=(1, 2)),
     torch.nn.MaxPool2d((3, 2), stride=(2, 1), padding=1, dilation=(1, 2))),
    (nn.AvgPool2d(2), torch.nn.AvgPool2d(2)),
    (nn.AvgPool2d(3, stride=2, padding=1), torch.nn.AvgPool2d(3, stride=2, padding=1)),
    (nn.AvgPool2d(3, 2, 1, count_include_pad=False),
     torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False)),
])
def test_pooling_layers(rng, ours, theirs):
    # relu-like data with many ties: PyTorch sends a tie's gradient to the first maximum
    x = np.maximum(np.round(rng.standard_normal((2, 3, 7, 6)), 1), 0)
    compare_module(ours, theirs, x, rng)


def test_pooling_1d(rng):
    x = rng.standard_normal((2, 3, 9))
    compare_module(nn.MaxPool1d(3, 2, 1), torch.nn.MaxPool1d(3, 2, 1), x, rng)
    compare_module(nn.AvgPool1d(2), torch.nn.AvgPool1d(2), x, rng)


# --- batch normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize("ours_cls, theirs_cls, shape", [
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (8, 3)),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (6, 3, 5)),
    (nn.BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 5, 4)),
])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_training_eval_and_running_statistics(rng, ours_cls, theirs_cls, shape,
                                                         momentum):
    ours = ours_cls(3, momentum=momentum, dtype=np.float64)
    theirs = theirs_cls(3, momentum=momentum, dtype=torch.float64)
    ours.weight.copy_(rng.standard_normal(3))
    ours.bias.copy_(rng.standard_normal(3))
    copy_weights(ours, theirs)
    for _ in range(3):  # a few training steps move the running statistics
        compare_module(ours, theirs, rng.standard_normal(shape) * 2 + 1, rng)
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), err_msg=key, **TOL)
    assert ours.state_dict()["num_batches_tracked"] == 3
    ours.eval()
    theirs.eval()
    compare_module(ours, theirs, rng.standard_normal(shape), rng)


def test_batch_norm_without_affine_or_running_stats(rng):
    for kwargs in (dict(affine=False), dict(track_running_stats=False)):
        ours, theirs = nn.BatchNorm2d(2, dtype=np.float64, **kwargs), \
            torch.nn.BatchNorm2d(2, dtype=torch.float64, **kwargs)
        copy_weights(ours, theirs)
        compare_module(ours, theirs, rng.standard_normal((3, 2, 4, 4)), rng)
        ours.eval()
        theirs.eval()
        compare_module(ours, theirs, rng.standard_normal((3, 2, 4, 4)), rng)


def test_functional_batch_norm(rng):
    x = rng.standard_normal((5, 3, 4))
    ours_rm, ours_rv = Tensor(np.zeros(3)), Tensor(np.ones(3))
    theirs_rm, theirs_rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    out = F.batch_norm(Tensor(x), ours_rm, ours_rv, training=True, momentum=0.3)
    ref = TF.batch_norm(torch.tensor(x), theirs_rm, theirs_rv, training=True, momentum=0.3)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), **TOL)
    np.testing.assert_allclose(ours_rm.numpy(), theirs_rm.numpy(), **TOL)
    np.testing.assert_allclose(ours_rv.numpy(), theirs_rv.numpy(), **TOL)


# --- embedding ---------------------------------------------------------------------------------


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding(rng, padding_idx):
    ours = nn.Embedding(6, 3, padding_idx=padding_idx, dtype=np.float64)
    theirs = torch.nn.Embedding(6, 3, padding_idx=padding_idx, dtype=torch.float64)
    copy_weights(ours, theirs)
    idx = np.array([[1, 2, 1], [5, 2, 1]])  # repeated indices: gradients add up
    out, ref = ours(idx), theirs(torch.tensor(idx))
    g = rng.standard_normal(out.shape)
    (out * Tensor(g)).sum().backward()
    (ref * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **TOL)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), **TOL)


# --- recurrent layers ---------------------------------------------------------------------------

RECURRENT = [("RNN", {}), ("RNN", dict(nonlinearity="relu", num_layers=2)), ("LSTM", {}),
             ("GRU", {})]
VARIANTS = [dict(), dict(num_layers=2), dict(bidirectional=True),
            dict(num_layers=2, bidirectional=True, batch_first=True), dict(bias=False)]


def recurrent_outputs(out):
    """output, h_n (and c_n) as one list."""
    output, state = out
    return [output, *(state if isinstance(state, tuple) else (state,))]


@pytest.mark.parametrize("name, base", RECURRENT)
@pytest.mark.parametrize("variant", range(len(VARIANTS)))
def test_recurrent_layers(rng, name, base, variant):
    kwargs = {**VARIANTS[variant], **base}
    if "num_layers" in base and "num_layers" in VARIANTS[variant]:
        kwargs["num_layers"] = 2
    ours = getattr(nn, name)(2, 4, dtype=np.float64, **kwargs)
    theirs = getattr(torch.nn, name)(2, 4, dtype=torch.float64, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    copy_weights(ours, theirs)
    compare_module(ours, theirs, rng.standard_normal((4, 5, 2)), rng, recurrent_outputs)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_recurrent_initial_state_and_unbatched(rng, name):
    ours = getattr(nn, name)(2, 4, num_layers=2, dtype=np.float64)
    theirs = getattr(torch.nn, name)(2, 4, num_layers=2, dtype=torch.float64)
    copy_weights(ours, theirs)
    x = rng.standard_normal((3, 5, 2))  # (time, batch, features)
    states = [rng.standard_normal((2, 5, 4)) for _ in range(2 if name == "LSTM" else 1)]
    pairs = [both(s) for s in states]
    mine = [p[0] for p in pairs]
    yours = [p[1] for p in pairs]
    hx_ours = tuple(mine) if name == "LSTM" else mine[0]
    hx_theirs = tuple(yours) if name == "LSTM" else yours[0]
    out = recurrent_outputs(ours(Tensor(x), hx_ours))
    ref = recurrent_outputs(theirs(torch.tensor(x), hx_theirs))
    sum(o.sum() for o in out).backward()
    sum(r.sum() for r in ref).backward()
    for o, r in zip(out, ref):
        np.testing.assert_allclose(o.numpy(), r.detach().numpy(), **TOL)
    for m, y in zip(mine, yours):  # the initial state gets its gradient too
        np.testing.assert_allclose(m.grad.numpy(), y.grad.numpy(), **TOL)
    # one sequence without the batch axis: (time, features) -> (time, hidden)
    compare_module(ours, theirs, rng.standard_normal((5, 2)), rng, recurrent_outputs)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells(rng, name):
    ours = getattr(nn, name)(3, 4, dtype=np.float64)
    theirs = getattr(torch.nn, name)(3, 4, dtype=torch.float64)
    copy_weights(ours, theirs)

    def outputs(out):
        return list(out) if isinstance(out, tuple) else [out]

    compare_module(ours, theirs, rng.standard_normal((5, 3)), rng, outputs)
    compare_module(ours, theirs, rng.standard_normal(3), rng, outputs)  # one example
    h = [rng.standard_normal((5, 4)) for _ in range(2 if name == "LSTMCell" else 1)]
    state_ours = tuple(Tensor(a) for a in h) if name == "LSTMCell" else Tensor(h[0])
    state_theirs = tuple(torch.tensor(a) for a in h) if name == "LSTMCell" else torch.tensor(h[0])
    x = rng.standard_normal((5, 3))
    for o, r in zip(outputs(ours(Tensor(x), state_ours)),
                    outputs(theirs(torch.tensor(x), state_theirs))):
        np.testing.assert_allclose(o.numpy(), r.detach().numpy(), **TOL)


# --- state dicts both ways ------------------------------------------------------------------


def small_cnn(lib, dtype):
    return lib.Sequential(
        lib.Conv2d(1, 4, 3, padding=1, dtype=dtype), lib.BatchNorm2d(4, dtype=dtype), lib.ReLU(),
        lib.MaxPool2d(2), lib.Flatten(), lib.Linear(4 * 4 * 4, 3, dtype=dtype),
    )


def test_state_dicts_load_both_ways(rng):
    ours, theirs = small_cnn(nn, np.float64), small_cnn(torch.nn, torch.float64)
    x = rng.standard_normal((6, 1, 8, 8))
    ours(Tensor(x))  # a training step moves the running statistics
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(Tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               **TOL)
    # and back: a torch state dict (trained there) loads here unchanged
    theirs.train()
    theirs(torch.tensor(rng.standard_normal((6, 1, 8, 8))))
    fresh = small_cnn(nn, np.float64)
    fresh.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    fresh.eval()
    theirs.eval()
    np.testing.assert_allclose(fresh(Tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               **TOL)
    assert int(fresh.state_dict()["1.num_batches_tracked"]) == 2


def test_lstm_state_dict_from_torch(rng):
    theirs = torch.nn.LSTM(1, 5, num_layers=2, batch_first=True, dtype=torch.float64)
    ours = nn.LSTM(1, 5, num_layers=2, batch_first=True, dtype=np.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((3, 7, 1))
    np.testing.assert_allclose(ours(Tensor(x))[0].numpy(),
                               theirs(torch.tensor(x))[0].detach().numpy(), **TOL)


def test_initialisation_follows_pytorch_bounds():
    """Same distributions as PyTorch: kaiming_uniform(a=sqrt(5)) for conv, U(+-1/sqrt(H)) for
    recurrent layers, N(0, 1) for an embedding (the draws differ, the bounds do not)."""
    tg.manual_seed(0)
    conv = nn.Conv2d(16, 32, 3)
    bound = 1 / np.sqrt(16 * 9)
    for p in (conv.weight, conv.bias):
        assert np.abs(p.numpy()).max() <= bound and np.abs(p.numpy()).max() > 0.9 * bound
    lstm = nn.LSTM(3, 20, num_layers=2)
    values = np.concatenate([p.numpy().ravel() for p in lstm.parameters()])
    assert np.abs(values).max() <= 1 / np.sqrt(20) and values.std() > 0.1
    emb = nn.Embedding(1000, 8)
    assert abs(emb.weight.numpy().std() - 1) < 0.05
