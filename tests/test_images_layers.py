"""The image and sequence layers as a student meets them (no PyTorch needed).

Shapes, state-dict keys and buffers, save/load, train/eval behaviour, gradients
(gradcheck in float64 through whole layers), embeddings adding up repeated indices,
and errors that name the layer, the axis and the fix.
"""

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck


def params64(module):
    """Make every parameter float64, so gradcheck is precise."""
    for p in module.parameters():
        p.data = p.numpy().astype(np.float64)
    return module


# --- shapes, keys, buffers -----------------------------------------------------------------


def test_digits_cnn_shapes_and_state_dict_keys():
    model = nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128, 10),
    )
    out = model(np.zeros((5, 64), dtype=np.float32))
    assert out.shape == (5, 10) and out.dtype == np.float32
    assert list(model.state_dict()) == [
        "1.weight", "1.bias", "4.weight", "4.bias", "5.weight", "5.bias", "5.running_mean",
        "5.running_var", "5.num_batches_tracked", "9.weight", "9.bias"]
    assert model[1].weight.shape == (16, 1, 3, 3)
    assert model.state_dict()["5.num_batches_tracked"].dtype == np.int64
    # buffers are saved but never trained
    assert len(model.parameters()) == 8
    assert [name for name, _ in model.named_buffers()] == [
        "5.running_mean", "5.running_var", "5.num_batches_tracked"]


@pytest.mark.parametrize("layer, x_shape, out_shape", [
    (nn.Conv1d(2, 5, 3), (4, 2, 10), (4, 5, 8)),
    (nn.Conv2d(3, 6, (3, 2), stride=2, padding=(1, 0)), (2, 3, 9, 8), (2, 6, 5, 4)),
    (nn.Conv2d(3, 6, 3, padding="same", dilation=2), (2, 3, 9, 8), (2, 6, 9, 8)),
    (nn.MaxPool2d(2), (2, 3, 9, 8), (2, 3, 4, 4)),
    (nn.AvgPool2d(3, stride=1, padding=1), (2, 3, 9, 8), (2, 3, 9, 8)),
    (nn.MaxPool1d(2), (2, 3, 9), (2, 3, 4)),
    (nn.AvgPool1d(3, 2), (2, 3, 9), (2, 3, 4)),
    (nn.BatchNorm1d(3), (4, 3), (4, 3)),
    (nn.Embedding(10, 4), (2, 7), (2, 7, 4)),
])
def test_output_shapes(layer, x_shape, out_shape):
    x = np.ones(x_shape, dtype=np.int64) if isinstance(layer, nn.Embedding) \
        else np.random.default_rng(0).standard_normal(x_shape)
    assert layer(x).shape == out_shape


@pytest.mark.parametrize("name, gates", [("RNN", 1), ("LSTM", 4), ("GRU", 3)])
def test_recurrent_shapes_and_parameter_names(name, gates):
    layer = getattr(nn, name)(3, 5, num_layers=2, batch_first=True, bidirectional=True)
    assert [n for n, _ in layer.named_parameters()] == [
        f"{kind}_l{k}{rev}" for k in range(2) for rev in ("", "_reverse")
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert layer.weight_ih_l0.shape == (gates * 5, 3)
    assert layer.weight_ih_l1.shape == (gates * 5, 10)  # both directions of layer 0 feed it
    out, state = layer(np.zeros((4, 7, 3), dtype=np.float32))  # (batch, time, features)
    assert out.shape == (4, 7, 10)
    for s in state if name == "LSTM" else (state,):
        assert s.shape == (4, 4, 5)  # (layers * directions, batch, hidden): never batch first


def test_save_and_load_keep_buffers(tmp_path, rng):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model(Tensor(rng.standard_normal((8, 3)).astype(np.float32)))  # moves the statistics
    nn.save(model, tmp_path / "bn.npz")
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    fresh.load_state_dict(nn.load(tmp_path / "bn.npz"))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key], value)
    assert fresh[1].num_batches_tracked.numpy() == 1
    assert not np.allclose(fresh[1].running_mean.numpy(), 0)


# --- batch normalisation: training versus evaluation --------------------------------------


def test_batch_norm_running_statistics_by_hand(rng):
    bn = nn.BatchNorm1d(2, momentum=0.5, dtype=np.float64)
    x = rng.standard_normal((6, 2)) * 3 + 1
    out = bn(x)
    np.testing.assert_allclose(out.numpy().mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.numpy().std(axis=0), 1, atol=1e-4)  # eps = 1e-5
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.5 * x.mean(axis=0))
    np.testing.assert_allclose(bn.running_var.numpy(), 0.5 + 0.5 * x.var(axis=0, ddof=1))


def test_eval_mode_uses_running_statistics_so_examples_do_not_depend_on_each_other(rng):
    bn = nn.BatchNorm2d(3, dtype=np.float64)
    for _ in range(20):
        bn(rng.standard_normal((8, 3, 4, 4)) * 2 + 5)
    bn.eval()
    x = rng.standard_normal((8, 3, 4, 4)) * 2 + 5
    alone = bn(x[:1]).numpy()
    np.testing.assert_allclose(bn(x).numpy()[:1], alone)  # same answer in any batch
    scale = 1 / np.sqrt(bn.running_var.numpy() + 1e-5)
    want = (x[:1] - bn.running_mean.numpy().reshape(1, 3, 1, 1)) * scale.reshape(1, 3, 1, 1)
    np.testing.assert_allclose(alone, want)
    assert bn.num_batches_tracked.numpy() == 20  # evaluation does not count batches


def test_momentum_none_is_the_plain_average(rng):
    bn = nn.BatchNorm1d(2, momentum=None, dtype=np.float64)
    batches = [rng.standard_normal((5, 2)) + k for k in range(4)]
    for b in batches:
        bn(b)
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([b.mean(0) for b in batches], 0))


def test_batch_norm_layers_gradcheck(rng):
    bn = nn.BatchNorm2d(2, dtype=np.float64)
    bn.weight.copy_(rng.standard_normal(2))
    x = Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    assert gradcheck(lambda x, w, b: bn(x), [x, bn.weight, bn.bias])
    bn.eval()
    assert gradcheck(lambda x, w, b: bn(x), [x, bn.weight, bn.bias])


def test_batch_of_one_in_training_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="model.eval"):
        nn.BatchNorm1d(3)(np.zeros((1, 3)))


# --- gradients through whole layers ---------------------------------------------------------


def test_cnn_gradcheck(rng):
    tg.manual_seed(0)
    model = params64(nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(2, 2, 2), nn.Flatten(), nn.Linear(2, 1)))
    x = Tensor(rng.standard_normal((2, 1, 5, 4)), requires_grad=True)
    assert gradcheck(lambda x, *ps: model(x), [x, *model.parameters()])


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_recurrent_gradcheck(rng, name):
    tg.manual_seed(1)
    layer = getattr(nn, name)(2, 3, num_layers=2, bidirectional=(name == "GRU"),
                              dtype=np.float64)
    x = Tensor(rng.standard_normal((3, 3, 2)), requires_grad=True)  # (time, batch, features)

    def run(x, *params):
        out, state = layer(x)
        h = state[0] if name == "LSTM" else state
        return out.sum() + (h * h).sum()

    assert gradcheck(run, [x, *layer.parameters()])


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_let_a_student_write_the_loop(rng, name):
    """The loop over time written by hand with a cell equals the sequence layer."""
    cell = getattr(nn, name)(2, 3, dtype=np.float64)
    layer = getattr(nn, name.replace("Cell", ""))(2, 3, dtype=np.float64)
    layer.load_state_dict({f"{k}_l0": v for k, v in cell.state_dict().items()})
    x = rng.standard_normal((4, 5, 2))  # (time, batch, features)
    state = None
    for t in range(4):
        state = cell(x[t], state)
    h = state[0] if name == "LSTMCell" else state
    out, final = layer(x)
    np.testing.assert_allclose(h.numpy(), out.numpy()[-1], atol=1e-12)
    x_t = Tensor(x[0], requires_grad=True)
    assert gradcheck(lambda x_t, *p: cell(x_t)[0].sum() if name == "LSTMCell"
                     else cell(x_t).sum(), [x_t, *cell.parameters()])


def test_lstm_learns_to_remember_the_first_number():
    """A task only memory solves: output the first value of a sequence after 6 more."""
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (256, 7, 1)).astype(np.float32)
    y = x[:, 0]
    lstm, head = nn.LSTM(1, 8, batch_first=True), nn.Linear(8, 1)
    opt = nn.optim.Adam(lstm.parameters() + head.parameters(), lr=0.03)
    for _ in range(150):
        out, _ = lstm(x)
        loss = nn.functional.mse_loss(head(out[:, -1]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05 * y.var()


# --- embedding --------------------------------------------------------------------------


def test_embedding_adds_gradients_of_repeated_indices():
    emb = nn.Embedding(4, 2, dtype=np.float64)
    out = emb(np.array([1, 3, 1, 1]))
    np.testing.assert_array_equal(out.numpy()[0], emb.weight.numpy()[1])
    (out * Tensor(np.arange(8.0).reshape(4, 2))).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy(),
                                  [[0, 0], [0 + 4 + 6, 1 + 5 + 7], [0, 0], [2, 3]])


def test_embedding_padding_row_starts_at_zero_and_is_never_trained():
    emb = nn.Embedding(5, 3, padding_idx=0)
    np.testing.assert_array_equal(emb.weight.numpy()[0], 0)
    emb(Tensor([[0, 2, 0]])).sum().backward()  # float indices that are whole numbers are fine
    np.testing.assert_array_equal(emb.weight.grad.numpy()[0], 0)
    np.testing.assert_array_equal(emb.weight.grad.numpy()[2], 1)


@pytest.mark.parametrize("indices, error, message", [
    (np.array([0, 5]), IndexError, r"index 5 is out of range.*0 \.\. 4"),
    (np.array([-1]), IndexError, "out of range"),
    (np.array([0.5]), TypeError, "whole numbers"),
])
def test_embedding_bad_indices(indices, error, message):
    with pytest.raises(error, match=message):
        nn.Embedding(5, 3)(indices)


# --- errors that teach, at the layer ----------------------------------------------------------


def test_one_channel_images_into_a_three_channel_conv():
    with pytest.raises(ValueError, match=r"Conv2d\(3, 16.*axis 1.*expects 3 input"):
        nn.Conv2d(3, 16, 3)(np.zeros((4, 1, 8, 8), dtype=np.float32))


def test_images_without_the_channel_axis_get_the_reshape():
    with pytest.raises(ValueError, match=r"x\.reshape\(64, 1, 8, 8\)"):
        nn.Conv2d(1, 16, 3)(np.zeros((64, 8, 8), dtype=np.float32))


def test_flat_pixels_into_a_conv_get_a_clear_error():
    with pytest.raises(ValueError, match=r"\(batch, channels, height, width\)"):
        nn.Conv2d(1, 16, 3)(np.zeros((64, 64), dtype=np.float32))


def test_sequence_of_numbers_without_feature_axis_gets_the_reshape():
    with pytest.raises(ValueError, match=r"x\.reshape\(238, 12, 1\)"):
        nn.LSTM(1, 16, batch_first=True)(np.zeros((238, 12), dtype=np.float32))


def test_batch_first_mismatch_gets_a_hint():
    lstm = nn.LSTM(1, 16)  # batch_first=False: (time, batch, features)
    x = np.zeros((238, 12, 1), dtype=np.float32)  # but this is (batch, time, features)
    h0 = np.zeros((1, 238, 16), dtype=np.float32)
    with pytest.warns(UserWarning, match=r"as \(time=238, batch=12.*batch_first=True"):
        lstm(x)  # fits as (time, batch, features) too: only a warning can tell
    with pytest.raises(ValueError, match="batch_first=True"):
        lstm(x, (h0, h0))  # with the initial state the batch sizes disagree: an error
    with pytest.raises(ValueError, match=r"\(time, batch, input_size\)"):
        lstm(np.zeros((12, 238, 3), dtype=np.float32))


def test_batch_norm_wrong_axes_get_hints():
    with pytest.raises(ValueError, match="use BatchNorm2d"):
        nn.BatchNorm1d(3)(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"transpose\(0, 2, 1\)"):
        nn.BatchNorm1d(3)(np.zeros((2, 5, 3)))


def test_unflatten_checks_the_size():
    assert nn.Unflatten(1, (2, 3))(np.zeros((4, 6))).shape == (4, 2, 3)
    with pytest.raises(ValueError, match="holds 8"):
        nn.Unflatten(1, (2, 4))(np.zeros((4, 6)))
    with pytest.raises(ValueError, match="a multiple of 4"):
        nn.Unflatten(1, (4, -1))(np.zeros((4, 6)))


def test_unflatten_infers_minus_one_from_its_axis():
    """-1 is the axis length over the other sizes (as PyTorch), also when another axis is
    empty: (1, 0) unflattened at axis 0 into (-1, 1) is (1, 1, 0). It was left to reshape,
    which cannot infer -1 from 0 elements (a ValueError)."""
    assert nn.Unflatten(0, (-1, 1))(np.zeros((1, 0))).shape == (1, 1, 0)
    assert nn.Unflatten(1, (2, -1))(np.zeros((4, 6))).shape == (4, 2, 3)


def test_reprs_read_like_pytorch():
    assert repr(nn.Conv2d(1, 16, 3, padding=1)) == \
        "Conv2d(1, 16, kernel_size=(3, 3), padding=(1, 1))"
    assert repr(nn.LSTM(1, 16, batch_first=True)) == "LSTM(1, 16, batch_first=True)"
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0)"


def test_layers_compute_in_their_weights_dtype():
    """As nn.Linear: numpy's float64 batches (and states) into float32 layers are converted."""
    x64 = np.random.default_rng(0).random((3, 1, 5, 5))
    assert nn.Conv2d(1, 2, 3)(x64).dtype == np.float32
    assert nn.BatchNorm2d(1)(x64).dtype == np.float32
    out, (h, c) = nn.LSTM(5, 2)(x64[:, 0], (np.zeros((1, 5, 2)), np.zeros((1, 5, 2))))
    assert out.dtype == h.dtype == c.dtype == np.float32
    assert nn.GRUCell(5, 2)(x64[:, 0, 0], np.zeros((3, 2))).dtype == np.float32
    assert nn.Conv1d(1, 2, 3, dtype=np.float64)(x64[:, :, 0].astype(np.float32)).dtype \
        == np.float64


def test_more_layers_gradcheck(rng):
    """The layers not covered above: BatchNorm1d (both modes), Embedding, Conv1d, pooling."""
    bn = nn.BatchNorm1d(3, dtype=np.float64)
    x = Tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)
    assert gradcheck(lambda x, w, b: bn(x), [x, bn.weight, bn.bias])
    emb = nn.Embedding(5, 2, padding_idx=4, dtype=np.float64)
    assert gradcheck(lambda w: emb(np.array([[0, 4, 0], [3, 2, 4]])) ** 2, [emb.weight])
    tg.manual_seed(2)
    model = params64(nn.Sequential(nn.Conv1d(2, 3, 3, padding=1), nn.MaxPool1d(2),
                                   nn.Conv1d(3, 2, 2, stride=2), nn.AvgPool1d(1)))
    x1 = Tensor(rng.standard_normal((2, 2, 8)), requires_grad=True)
    assert gradcheck(lambda x, *p: model(x), [x1, *model.parameters()])
