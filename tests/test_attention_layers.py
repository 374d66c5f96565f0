"""Focused tests of the attn group: transposed convolution, attention, the transformer
encoder, RMSNorm, Bilinear and the pixel shuffles. Known values, PyTorch's weights
loaded into ours (state dicts, float64), dropout in train and eval mode, starting
weights, gradchecks and the errors for wrong shapes.
(The op-by-op comparison on drawn inputs: ``test_differential_attn.py``.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
import nn.functional as F
import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck

torch = pytest.importorskip("torch")


def _t(a, grad=False):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _load(ours, theirs):
    """PyTorch's state dict, as numpy arrays, into our module (strict: same names, shapes)."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()},
                         strict=True)
    return ours


def _close(a, b, tol=1e-10):
    a = a.numpy() if hasattr(a, "numpy") and not hasattr(a, "detach") else a
    b = b.detach().numpy() if hasattr(b, "detach") else b
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


# --- transposed convolution ---------------------------------------------------------------


@pytest.mark.parametrize("options", [dict(stride=2), dict(stride=2, padding=1, output_padding=1),
                                     dict(stride=(1, 2), groups=2, dilation=(2, 1)),
                                     dict(kernel_size=4, stride=2, padding=1)])
def test_conv_transpose2d_module_matches_torch_with_its_weights(options):
    options = {"kernel_size": 3, **options}
    theirs = torch.nn.ConvTranspose2d(4, 6, dtype=torch.float64, **options)
    ours = _load(nn.ConvTranspose2d(4, 6, dtype=np.float64, **options), theirs)
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 3))
    tx, ox = torch.tensor(x, requires_grad=True), _t(x, True)
    t_out, o_out = theirs(tx), ours(ox)
    _close(o_out, t_out)
    g = np.random.default_rng(1).standard_normal(t_out.shape)
    t_out.backward(torch.tensor(g))
    o_out.backward(_t(g))
    _close(ox.grad, tx.grad)
    _close(ours.weight.grad, theirs.weight.grad)
    _close(ours.bias.grad, theirs.bias.grad)


def test_conv_transpose_undoes_the_size_of_a_strided_conv():
    down = nn.Conv2d(1, 4, 3, stride=2, padding=1)
    up = nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1)
    x = tg.randn(2, 1, 28, 28)
    assert down(x).shape == (2, 4, 14, 14)
    assert up(down(x)).shape == (2, 1, 28, 28)
    # output_size picks the output padding: 27 and 28 both shrink to 14
    assert up(down(x), output_size=(27, 27)).shape == (2, 1, 27, 27)
    with pytest.raises(ValueError, match="output_size"):
        up(down(x), output_size=(30, 30))


def test_conv_transpose_is_the_adjoint_of_conv():
    """<conv(x, w), y> = <x, conv_transpose(y, w)>: the transpose, exactly."""
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 8, 6)), rng.standard_normal((5, 3, 3, 2))
    y = rng.standard_normal(tuple(tg.conv2d(_t(x), _t(w), stride=2, padding=1).shape))
    left = float((tg.conv2d(_t(x), _t(w), stride=2, padding=1) * _t(y)).sum().item())
    back = tg.conv_transpose2d(_t(y), _t(w), stride=2, padding=1, output_padding=(1, 0))
    assert back.shape == x.shape
    assert math.isclose(left, float((_t(x) * back).sum().item()), rel_tol=1e-12)


def test_conv_transpose_gradcheck_with_groups_stride_and_bias():
    rng = np.random.default_rng(3)
    x, w, b = (_t(rng.standard_normal(s), True) for s in ((1, 4, 3, 2), (4, 1, 2, 3), (2,)))
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, groups=2,
                                                        output_padding=1), [x, w, b])
    x1, w1 = _t(rng.standard_normal((2, 3)), True), _t(rng.standard_normal((2, 1, 2)), True)
    assert gradcheck(lambda x, w: F.conv_transpose1d(x, w, stride=3, dilation=2), [x1, w1])


def test_conv_transpose_starting_weights_follow_pytorch():
    layer = nn.ConvTranspose2d(8, 6, 3, groups=2)
    assert layer.weight.shape == (8, 3, 3, 3) and layer.bias.shape == (6,)
    bound = 1 / math.sqrt(3 * 3 * 3)  # fan_in: weight axis 1 times the taps, as PyTorch
    assert np.abs(layer.weight.numpy()).max() <= bound
    assert np.abs(layer.weight.numpy()).max() > 0.8 * bound
    assert np.abs(layer.bias.numpy()).max() <= bound
    assert list(layer.state_dict()) == list(torch.nn.ConvTranspose2d(8, 6, 3, groups=2)
                                            .state_dict())


def test_conv_transpose_errors_name_the_fix():
    w = tg.randn(4, 2, 3, 3)
    with pytest.raises(ValueError, match="4 input channel"):
        tg.conv_transpose2d(tg.randn(1, 3, 5, 5), w)
    with pytest.raises(ValueError, match="output_padding .* smaller than the stride"):
        tg.conv_transpose2d(tg.randn(1, 4, 5, 5), w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="empty"):
        tg.conv_transpose2d(tg.randn(1, 4, 1, 1), w, padding=2)
    with pytest.raises(ValueError, match="groups"):
        tg.conv_transpose2d(tg.randn(1, 4, 5, 5), w, groups=3)
    with pytest.raises(ValueError, match="ConvTranspose2d"):
        nn.ConvTranspose2d(4, 2, 3)(tg.randn(1, 2, 5, 5))


# --- scaled dot-product attention ---------------------------------------------------------


def test_attention_known_values():
    q, k, v = _t([[1.0, 0.0]]), _t([[1.0, 0.0], [0.0, 1.0]]), _t([[10.0], [20.0]])
    w = math.exp(1 / math.sqrt(2)) / (math.exp(1 / math.sqrt(2)) + 1)
    out = F.scaled_dot_product_attention(q, k, v)
    assert math.isclose(out.item(), 10 * w + 20 * (1 - w), rel_tol=1e-12)
    # one key only: the weights are 1, the output is the value
    assert F.scaled_dot_product_attention(q, k[:1], v[:1]).item() == 10.0
    # scale 0: the plain mean of the values
    assert F.scaled_dot_product_attention(q, k, v, scale=0.0).item() == 15.0


def test_attention_causal_is_the_lower_triangle_and_masks_agree():
    rng = np.random.default_rng(4)
    q, k, v = (_t(rng.standard_normal((2, 4, 3))) for _ in range(3))
    lower = Tensor(np.tril(np.ones((4, 4), dtype=bool)))
    causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    _close(causal, F.scaled_dot_product_attention(q, k, v, attn_mask=lower).numpy())
    additive = _t(np.where(np.tril(np.ones((4, 4))) > 0, 0.0, -np.inf))
    _close(causal, F.scaled_dot_product_attention(q, k, v, attn_mask=additive).numpy())
    # the first query sees only the first key: its output is the first value
    _close(causal[:, 0], v[:, 0].numpy())


def test_a_query_that_sees_no_key_gives_zero_not_nan():
    q = _t(np.ones((3, 2)), True)
    mask = Tensor(np.array([[True, True], [False, False], [True, False]]))
    out = F.scaled_dot_product_attention(q, _t(np.ones((2, 2))), _t([[1.0], [2.0]]),
                                         attn_mask=mask)
    assert out.numpy()[1, 0] == 0.0 and np.isfinite(out.numpy()).all()
    out.sum().backward()
    assert np.isfinite(q.grad.numpy()).all() and (q.grad.numpy()[1] == 0).all()


def test_attention_is_stable_for_huge_scores():
    q = _t([[1e150, 0.0]])
    k = _t([[1e150, 0.0], [-1e150, 0.0]])  # scores +-7e299: softmax exactly (1, 0)
    out = F.scaled_dot_product_attention(q, k, _t([[1.0], [2.0]]))
    assert out.item() == 1.0


def test_attention_dropout_only_when_asked():
    tg.manual_seed(0)
    q = k = v = tg.randn(1, 50, 8)
    plain = F.scaled_dot_product_attention(q, k, v)
    dropped = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert not np.allclose(plain.numpy(), dropped.numpy())
    # inverted dropout keeps the mean of the weights: the mean output stays near
    assert abs(float(dropped.mean().item()) - float(plain.mean().item())) < 0.2


def test_attention_errors_name_the_fix():
    q, k = tg.randn(2, 3, 4), tg.randn(2, 5, 4)
    with pytest.raises(ValueError, match="attn_mask of shape"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=Tensor(np.ones((3, 4), dtype=bool)))
    with pytest.raises(ValueError, match="the same E"):
        F.scaled_dot_product_attention(q, tg.randn(2, 5, 3), k)
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=Tensor(np.ones((3, 5), dtype=bool)),
                                       is_causal=True)
    with pytest.raises(TypeError, match="bool mask or float"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=Tensor(np.ones((3, 5), dtype=int)))


# --- MultiheadAttention ---------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Support for mismatched")  # PyTorch's, on mixed masks
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kdim", [None, 3])
def test_multihead_attention_matches_torch_with_its_weights(batch_first, kdim):
    theirs = torch.nn.MultiheadAttention(6, 3, kdim=kdim, vdim=kdim, batch_first=batch_first,
                                         dtype=torch.float64)
    ours = _load(nn.MultiheadAttention(6, 3, kdim=kdim, vdim=kdim, batch_first=batch_first,
                                       dtype=np.float64), theirs)
    rng = np.random.default_rng(5)
    n, lq, s = 2, 4, 5
    q = rng.standard_normal((n, lq, 6) if batch_first else (lq, n, 6))
    kv = rng.standard_normal((n, s, kdim or 6) if batch_first else (s, n, kdim or 6))
    pad = np.zeros((n, s), dtype=bool)
    pad[0, 3:] = True
    mask = rng.standard_normal((lq, s))
    tq = torch.tensor(q, requires_grad=True)
    t_out, t_w = theirs(tq, torch.tensor(kv), torch.tensor(kv), key_padding_mask=torch.tensor(pad),
                        attn_mask=torch.tensor(mask), average_attn_weights=False)
    oq = _t(q, True)
    o_out, o_w = ours(oq, _t(kv), _t(kv), key_padding_mask=Tensor(pad), attn_mask=_t(mask),
                      average_attn_weights=False)
    _close(o_out, t_out)
    _close(o_w, t_w)
    (t_out.sum() + t_w.square().sum()).backward()
    (o_out.sum() + (o_w * o_w).sum()).backward()
    _close(oq.grad, tq.grad)
    params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        _close(params[name].grad, p.grad)


def test_multihead_attention_outputs_shapes_and_starting_weights():
    mha = nn.MultiheadAttention(8, 2)
    x = tg.randn(5, 3, 8)
    out, w = mha(x, x, x)
    assert out.shape == (5, 3, 8) and w.shape == (3, 5, 5)
    assert mha(x, x, x, average_attn_weights=False)[1].shape == (3, 2, 5, 5)
    assert mha(x, x, x, need_weights=False)[1] is None
    assert mha(x[:, 0], x[:, 0], x[:, 0])[0].shape == (5, 8)  # one sequence, no batch
    bound = math.sqrt(6 / (8 + 24))  # Xavier-uniform on (3 E, E)
    assert np.abs(mha.in_proj_weight.numpy()).max() <= bound
    assert not mha.in_proj_bias.numpy().any() and not mha.out_proj.bias.numpy().any()
    assert list(mha.state_dict()) == list(torch.nn.MultiheadAttention(8, 2).state_dict())


def test_multihead_attention_dropout_train_and_eval():
    tg.manual_seed(1)
    mha = nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True)
    x = tg.randn(2, 6, 8)
    mha.eval()
    a, b = mha(x, x, x)[0], mha(x, x, x)[0]
    np.testing.assert_array_equal(a.numpy(), b.numpy())  # eval: no dropout
    mha.train()
    c = mha(x, x, x)[0]
    assert not np.allclose(a.numpy(), c.numpy())


def test_multihead_attention_errors_name_the_fix():
    with pytest.raises(ValueError, match="divisible by num_heads .* num_heads in"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(4, 2)
    x = tg.randn(5, 2, 4)
    with pytest.raises(ValueError, match=r"attn_mask has shape \(4, 4\); it must be \(L, S\)"):
        mha(x, x, x, attn_mask=Tensor(np.zeros((4, 4), dtype=bool)))
    with pytest.raises(ValueError, match=r"key_padding_mask has shape \(5, 2\); .* \(N, S\)"):
        mha(x, x, x, key_padding_mask=Tensor(np.zeros((5, 2), dtype=bool)))
    with pytest.raises(ValueError, match="batch_first"):
        mha(x, tg.randn(5, 3, 4), tg.randn(5, 3, 4))
    with pytest.raises(ValueError, match="is_causal"):
        mha(x, x, x, is_causal=True)


# --- the transformer encoder ----------------------------------------------------------------


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_matches_torch_with_its_weights(norm_first):
    layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True,
                                             norm_first=norm_first, dtype=torch.float64)
    theirs = torch.nn.TransformerEncoder(layer, 2, norm=torch.nn.LayerNorm(8, dtype=torch.float64),
                                         enable_nested_tensor=False)
    ours_layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True,
                                            norm_first=norm_first, dtype=np.float64)
    ours = _load(nn.TransformerEncoder(ours_layer, 2, norm=nn.LayerNorm(8, dtype=np.float64)),
                 theirs)
    theirs.eval()
    ours.eval()
    x = np.random.default_rng(6).standard_normal((3, 5, 8))
    pad = np.zeros((3, 5), dtype=bool)
    pad[1, 2:] = True
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)
    tx, ox = torch.tensor(x, requires_grad=True), _t(x, True)
    t_out = theirs(tx, mask=torch.tensor(causal), src_key_padding_mask=torch.tensor(pad))
    o_out = ours(ox, mask=Tensor(causal), src_key_padding_mask=Tensor(pad))
    _close(o_out, t_out)
    t_out.square().sum().backward()
    (o_out * o_out).sum().backward()
    _close(ox.grad, tx.grad, 1e-9)
    # training mode: dropout 0.1 changes the output
    ours.train()
    assert not np.allclose(ours(ox).numpy(), o_out.numpy())


def test_transformer_encoder_layers_are_independent_copies():
    layer = nn.TransformerEncoderLayer(4, 2, 8)
    stack = nn.TransformerEncoder(layer, 3)
    first, second = stack.layers[0], stack.layers[1]
    assert first.linear1.weight is not second.linear1.weight
    np.testing.assert_array_equal(first.linear1.weight.numpy(), layer.linear1.weight.numpy())
    assert list(stack.state_dict()) == list(
        torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(4, 2, 8), 3,
                                    enable_nested_tensor=False).state_dict())
    with pytest.raises(ValueError, match="activation"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")


# --- RMSNorm, Bilinear, pixel shuffles ------------------------------------------------------


def test_rms_norm_known_values_and_stability():
    out = F.rms_norm(_t([3.0, 4.0]), (2,), eps=0.0)
    _close(out, np.array([3.0, 4.0]) / math.sqrt(12.5))
    # float32: 1e30 squared overflows; the scaled formula does not
    big = F.rms_norm(Tensor(np.float32([1e30, 2e30])), 2)
    np.testing.assert_allclose(big.numpy(), [1 / math.sqrt(2.5), 2 / math.sqrt(2.5)], rtol=1e-6)
    assert np.isfinite(F.rms_norm(Tensor(np.float32([3e38, -3e38])), 2).numpy()).all()
    x, w = _t(np.random.default_rng(7).standard_normal((3, 4)), True), _t(np.ones(4) * 2, True)
    assert gradcheck(lambda x, w: F.rms_norm(x, (4,), w, 1e-3), [x, w])
    with pytest.raises(ValueError, match="normalized_shape"):
        F.rms_norm(x, (3,))
    with pytest.raises(TypeError, match=r"int64.*\.float\(\)"):
        F.rms_norm(tg.tensor([1, 2]), (2,))


def test_rms_norm_module_matches_torch():
    theirs = torch.nn.RMSNorm([2, 3], dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.uniform_()
    ours = _load(nn.RMSNorm([2, 3], dtype=np.float64), theirs)
    x = np.random.default_rng(8).standard_normal((4, 2, 3)) * 1e3
    _close(ours(_t(x)), theirs(torch.tensor(x)))


def test_bilinear_matches_torch_and_its_starting_weights():
    theirs = torch.nn.Bilinear(3, 4, 5, dtype=torch.float64)
    ours = _load(nn.Bilinear(3, 4, 5, dtype=np.float64), theirs)
    rng = np.random.default_rng(9)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    _close(ours(_t(a), _t(b)), theirs(torch.tensor(a), torch.tensor(b)))
    fresh = nn.Bilinear(3, 4, 5)
    assert np.abs(fresh.weight.numpy()).max() <= 1 / math.sqrt(3)
    with pytest.raises(ValueError, match="in1"):
        F.bilinear(_t(a), _t(b), _t(np.ones((5, 4, 3))))


@settings(max_examples=20, deadline=None)
@given(r=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(1, 3), w=st.integers(1, 3))
def test_pixel_unshuffle_undoes_pixel_shuffle(r, c, h, w):
    x = Tensor(np.arange(2 * c * r * r * h * w, dtype=np.float64).reshape(2, c * r * r, h, w))
    up = nn.PixelShuffle(r)(x)
    assert up.shape == (2, c, h * r, w * r)
    np.testing.assert_array_equal(nn.PixelUnshuffle(r)(up).numpy(), x.numpy())
    np.testing.assert_array_equal(up.numpy(), torch.nn.functional.pixel_shuffle(
        torch.tensor(x.numpy()), r).numpy())


def test_pixel_shuffle_errors_name_the_fix():
    with pytest.raises(ValueError, match="divisible by 4"):
        F.pixel_shuffle(tg.randn(1, 3, 2, 2), 2)
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pixel_unshuffle(tg.randn(1, 3, 3, 2), 2)
    with pytest.raises(ValueError, match="factor"):
        nn.PixelShuffle(0)


def test_a_pytorch_style_autoencoder_and_transformer_train():
    """The programs this group is for: a convolutional autoencoder (ConvTranspose2d decodes)
    and a small transformer classifier, written as in PyTorch; the loss must fall."""
    from nn import optim
    tg.manual_seed(0)
    images = tg.rand(16, 1, 8, 8)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(),
                          nn.ConvTranspose2d(4, 1, 4, stride=2, padding=1), nn.Sigmoid())
    opt = optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = F.mse_loss(model(images), images)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.75 * losses[0]

    tokens = tg.randn(32, 5, 8)
    labels = Tensor((tokens.numpy()[:, :, 0].sum(1) > 0).astype(np.int64))
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0,
                                                               batch_first=True), 1)
    head = nn.Linear(8, 2)
    opt = optim.Adam(list(encoder.parameters()) + list(head.parameters()), lr=0.01)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = F.cross_entropy(head(encoder(tokens).mean(1)), labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
