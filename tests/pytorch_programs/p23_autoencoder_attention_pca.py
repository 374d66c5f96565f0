"""Unsupervised learning and attention: a convolutional autoencoder (Conv2d down,
ConvTranspose2d up) learns to rebuild small images without labels; PCA of the same
images by torch.linalg.svd; a small transformer encoder classifies sequences by whether
a marker comes early or late, with a causal mask from scaled_dot_product_attention."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)

# --- images: a bright bar, horizontal or vertical, anywhere -------------------------------
def images(n):
    x = 0.05 * torch.randn(n, 1, 8, 8)
    for i in range(n):
        k = int(torch.randint(0, 8, (1,)))
        if i % 2:
            x[i, 0, k, :] += 1.0
        else:
            x[i, 0, :, k] += 1.0
    return x


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encode = nn.Sequential(nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),
                                    nn.Conv2d(8, 4, 3, stride=2, padding=1), nn.ReLU())
        self.decode = nn.Sequential(
            nn.ConvTranspose2d(4, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1))

    def forward(self, x):
        return self.decode(self.encode(x))


x = images(32)
model = AutoEncoder()
assert [k for k in model.state_dict() if k.startswith("decode.0")] == [
    "decode.0.weight", "decode.0.bias"]
assert tuple(model.decode[0].weight.shape) == (4, 8, 3, 3)  # (in, out, kH, kW), as PyTorch
assert tuple(model.encode(x).shape) == (32, 4, 2, 2)
opt = optim.Adam(model.parameters(), lr=0.01)
first = None
for step in range(60):
    loss = F.mse_loss(model(x), x)  # the target is the input: no labels
    opt.zero_grad()
    loss.backward()
    opt.step()
    first = loss.item() if first is None else first
assert tuple(model(x).shape) == (32, 1, 8, 8)
assert loss.item() < 0.6 * first, (first, loss.item())

# --- PCA of the same images: the directions of largest variance ---------------------------
flat = x.reshape(32, 64)
centred = flat - flat.mean(dim=0)
U, S, Vh = torch.linalg.svd(centred, full_matrices=False)
assert tuple(U.shape) == (32, 32) and tuple(S.shape) == (32,) and tuple(Vh.shape) == (32, 64)
assert torch.allclose(U @ torch.diag(S) @ Vh, centred, atol=1e-4)
assert bool((S[:-1] >= S[1:]).all())  # sorted, largest first
codes = centred @ Vh[:2].T  # two numbers per image
assert tuple(codes.shape) == (32, 2)
share = (S[:2] ** 2).sum() / (S ** 2).sum()
assert 0.0 < share.item() < 1.0

# --- a transformer encoder: does the marker come in the first half? -----------------------
def sequences(n, length=6):
    x = 0.1 * torch.randn(n, length, 4)
    y = torch.randint(0, 2, (n,))
    for i in range(n):
        t = int(torch.randint(0, length // 2, (1,))) + (length // 2) * int(y[i])
        x[i, t, 0] += 2.0
    return x + torch.arange(length).reshape(1, length, 1) * torch.tensor([0.0, 0.0, 0.0, 0.3]), y


layer = nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=16, dropout=0.0,
                                   batch_first=True)
encoder = nn.TransformerEncoder(layer, num_layers=1)
head = nn.Linear(4, 2)
params = list(encoder.parameters()) + list(head.parameters())
opt = optim.Adam(params, lr=0.02)
xs, ys = sequences(64)
first = None
for step in range(80):
    logits = head(encoder(xs).mean(dim=1))
    loss = F.cross_entropy(logits, ys)
    opt.zero_grad()
    loss.backward()
    opt.step()
    first = loss.item() if first is None else first
assert loss.item() < 0.7 * first, (first, loss.item())

# attention by hand and by the function agree; a causal mask hides the future
q = k = v = torch.randn(2, 5, 4)
weights = torch.softmax(q @ k.transpose(-2, -1) / 2.0, dim=-1)
assert torch.allclose(F.scaled_dot_product_attention(q, k, v), weights @ v, atol=1e-5)
causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
assert torch.allclose(causal[:, 0], v[:, 0], atol=1e-5)  # step 0 sees only itself
attn = nn.MultiheadAttention(4, 2, batch_first=True)
out, w = attn(q, k, v)
assert tuple(out.shape) == (2, 5, 4) and tuple(w.shape) == (2, 5, 5)
assert torch.allclose(w.sum(dim=-1), torch.ones(2, 5), atol=1e-5)
