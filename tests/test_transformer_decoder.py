"""Focused tests of the transformer decoder and ``nn.Transformer`` (the dec group): PyTorch's
state-dict keys, outputs and gradients with PyTorch's weights (float64), causality, the
mask helper, errors, and a small sequence-to-sequence model that learns.
(Random shapes and masks: ``test_differential_dec.py``.)"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

# PyTorch's own advice while it builds and runs the reference modules (its nested-tensor
# fast path, its mask types), not about the code under test
pytestmark = [
    pytest.mark.filterwarnings("ignore:enable_nested_tensor is True:UserWarning"),
    pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask:UserWarning"),
]

import nn  # noqa: E402
import tinygrad_dk as tg  # noqa: E402
from nn import optim  # noqa: E402
from tinygrad_dk import Tensor  # noqa: E402


def _load(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()},
                         strict=True)
    return ours


def test_state_dict_keys_and_shapes_are_pytorchs():
    theirs = torch.nn.Transformer(8, 2, 2, 3, 16)
    ours = nn.Transformer(8, 2, 2, 3, 16)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    layer = torch.nn.TransformerDecoderLayer(4, 2, 8, bias=False)
    assert list(nn.TransformerDecoderLayer(4, 2, 8, bias=False).state_dict()) == \
        list(layer.state_dict())
    # the submodules (dropouts too) in PyTorch's order, in both kinds of layer
    for name in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        assert [n for n, _ in getattr(nn, name)(4, 2, 8).named_modules()] == \
            [n for n, _ in getattr(torch.nn, name)(4, 2, 8).named_modules()]


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch_outputs_and_gradients(norm_first, batch_first):
    torch.manual_seed(0)
    theirs = torch.nn.Transformer(8, 2, 2, 2, 16, dropout=0.1, batch_first=batch_first,
                                  norm_first=norm_first, activation="gelu",
                                  dtype=torch.float64).eval()
    ours = _load(nn.Transformer(8, 2, 2, 2, 16, dropout=0.1, batch_first=batch_first,
                                norm_first=norm_first, activation="gelu", dtype=np.float64),
                 theirs).eval()
    rng = np.random.default_rng(1)
    src, tgt = rng.standard_normal((5, 3, 8)), rng.standard_normal((4, 3, 8))
    if batch_first:
        src, tgt = src.transpose(1, 0, 2).copy(), tgt.transpose(1, 0, 2).copy()
    pad = rng.random((3, 5)) < 0.3
    pad[:, 0] = False
    tgt_pad = np.zeros((3, 4), dtype=bool)
    tgt_pad[1, 3] = True
    masks = {"tgt_mask": nn.Transformer.generate_square_subsequent_mask(4, dtype=np.float64),
             "src_key_padding_mask": Tensor(pad), "memory_key_padding_mask": Tensor(pad),
             "tgt_key_padding_mask": Tensor(tgt_pad)}
    tmasks = {"tgt_mask": torch.nn.Transformer.generate_square_subsequent_mask(
        4, dtype=torch.float64), "src_key_padding_mask": torch.tensor(pad),
        "memory_key_padding_mask": torch.tensor(pad), "tgt_key_padding_mask": torch.tensor(tgt_pad)}
    s, t = Tensor(src, requires_grad=True), Tensor(tgt, requires_grad=True)
    ts, tt = torch.tensor(src, requires_grad=True), torch.tensor(tgt, requires_grad=True)
    out = ours(s, t, tgt_is_causal=True, **masks)
    tout = theirs(ts, tt, tgt_is_causal=True, **tmasks)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    weight = rng.standard_normal(out.shape)
    (out * Tensor(weight)).sum().backward()
    (tout * torch.tensor(weight)).sum().backward()
    np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-9, atol=1e-12)
    theirs_grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_grads[name].grad.numpy(),
                                   rtol=1e-8, atol=1e-12, err_msg=name)


def test_a_causal_decoder_does_not_look_ahead():
    """With the square subsequent mask, output i depends on targets 0..i only."""
    tg.manual_seed(0)
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0), 2)
    rng = np.random.default_rng(2)
    tgt, memory = rng.standard_normal((5, 1, 4)), rng.standard_normal((3, 1, 4))
    mask = nn.Transformer.generate_square_subsequent_mask(5)
    before = decoder(Tensor(tgt), Tensor(memory), tgt_mask=mask).numpy()
    tgt[3:] += 10.0  # change the future (positions 3 and 4)
    after = decoder(Tensor(tgt), Tensor(memory), tgt_mask=mask).numpy()
    np.testing.assert_allclose(after[:3], before[:3], rtol=1e-5)
    assert not np.allclose(after[3:], before[3:])


def test_generate_square_subsequent_mask_is_pytorchs():
    for sz in (0, 1, 4):
        ours = nn.Transformer.generate_square_subsequent_mask(sz)
        theirs = torch.nn.Transformer.generate_square_subsequent_mask(sz)
        assert ours.dtype == np.float32
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match="sz must be a whole number"):
        nn.Transformer.generate_square_subsequent_mask(-1)


def test_decoder_layers_are_independent_copies_and_errors_are_clear():
    layer = nn.TransformerDecoderLayer(4, 2, 8)
    stack = nn.TransformerDecoder(layer, 3, norm=nn.LayerNorm(4))
    assert len(stack.layers) == 3 and stack.num_layers == 3
    assert stack.layers[0].linear1.weight is not stack.layers[1].linear1.weight
    np.testing.assert_array_equal(stack.layers[2].linear1.weight.numpy(),
                                  layer.linear1.weight.numpy())
    with pytest.raises(ValueError, match="num_layers must be >= 1"):
        nn.TransformerDecoder(layer, 0)
    with pytest.raises(ValueError, match="activation must be 'relu', 'gelu'"):
        nn.TransformerDecoderLayer(4, 2, activation="tanh")
    model = nn.Transformer(4, 2, 1, 1, 8)
    with pytest.raises(ValueError, match="same batch size"):
        model(np.zeros((3, 2, 4)), np.zeros((3, 1, 4)))
    with pytest.raises(ValueError, match="d_model = 4"):
        model(np.zeros((3, 2, 5)), np.zeros((3, 2, 5)))
    with pytest.raises(ValueError, match="is_causal=True is a hint"):
        layer(Tensor(np.zeros((3, 1, 4))), Tensor(np.zeros((2, 1, 4))), tgt_is_causal=True)


def test_a_custom_encoder_and_decoder_are_used():
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 1, 8), 1)
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 1, 8), 1)
    model = nn.Transformer(4, 1, custom_encoder=encoder, custom_decoder=decoder)
    assert model.encoder is encoder and model.decoder is decoder
    out = model(np.zeros((2, 1, 4), np.float32), np.zeros((3, 1, 4), np.float32))
    assert out.shape == (3, 1, 4)


def test_a_pytorch_style_sequence_to_sequence_model_learns():
    """Copy a short sequence of symbols (teacher forcing), written as in PyTorch."""
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    vocab, d = 5, 16
    embed = nn.Embedding(vocab, d)
    model = nn.Transformer(d, 2, 1, 1, 32, dropout=0.0, batch_first=True)
    head = nn.Linear(d, vocab)
    params = [*embed.parameters(), *model.parameters(), *head.parameters()]
    opt = optim.Adam(params, lr=3e-3)
    src = rng.integers(1, vocab, (16, 4))
    tgt_in = np.concatenate([np.zeros((16, 1), int), src[:, :-1]], axis=1)  # 0: start
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        logits = head(model(embed(Tensor(src)), embed(Tensor(tgt_in)), tgt_mask=mask))
        loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), Tensor(src.reshape(-1)))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("bad", [2.5, None, float("nan"), float("inf"), "3"])
def test_counts_that_are_not_whole_numbers_are_clear_errors(bad):
    """(2.5 layers were 2, silently; None, nan and inf failed inside int())"""
    with pytest.raises(ValueError, match="num_layers must be >= 1"):
        nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8), bad)
    with pytest.raises(ValueError, match="num_layers must be >= 1"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), bad)
    with pytest.raises(ValueError, match="sz must be a whole number"):
        nn.Transformer.generate_square_subsequent_mask(bad)
