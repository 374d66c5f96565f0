"""Pooling indices and unpooling: a tiny SegNet-style encoder-decoder (MaxPool2d with
return_indices=True, MaxUnpool2d with the encoder's indices) learns to reconstruct noisy
images of bright squares; then a GoogLeNet-style ceil_mode pooling keeps the last row and
column, and AvgPool2d(ceil_mode=True) divides the hanging windows by what they cover."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)


def squares(n, size=8):
    """(n, 1, size, size): a clean image with one bright 2x2 square, and a noisy copy."""
    clean = torch.zeros(n, 1, size, size)
    for i in range(n):
        r, c = (int(v) for v in torch.randint(0, size - 1, (2,)))
        clean[i, 0, r:r + 2, c:c + 2] = 1.0
    return clean + 0.2 * torch.randn(n, 1, size, size), clean


class SegNetTiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU())
        self.pool = nn.MaxPool2d(2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2)
        self.dec = nn.Conv2d(8, 1, 3, padding=1)

    def forward(self, x):
        h = self.enc(x)
        small, where = self.pool(h)
        return self.dec(self.unpool(small, where, output_size=h.shape))


model = SegNetTiny()
opt = optim.Adam(model.parameters(), lr=0.03)
noisy, clean = squares(64)
first = None
for step in range(60):
    opt.zero_grad()
    loss = F.mse_loss(model(noisy), clean)
    loss.backward()
    opt.step()
    first = loss.item() if first is None else first
assert loss.item() < 0.4 * first, (first, loss.item())

# the indices: int64, flat positions in each (height, width) plane; unpooling puts every
# maximum back where it was and zeros elsewhere
x = torch.tensor([[[[1.0, 5.0, 2.0], [3.0, 4.0, 9.0], [0.0, 7.0, 6.0]]]])
values, where = F.max_pool2d(x, 2, stride=1, return_indices=True)
assert where.dtype == torch.int64
assert where.tolist() == [[[[1, 5], [7, 5]]]]
back = F.max_unpool2d(values, where, 2, stride=1, output_size=x.shape[-2:])
assert back.tolist() == [[[[0.0, 5.0, 0.0], [0.0, 0.0, 9.0], [0.0, 7.0, 0.0]]]]
with torch.no_grad():
    h = model.enc(noisy[:4])
    small, where = model.pool(h)
    kept = model.unpool(small, where, output_size=h.shape)
assert (kept != 0).sum().item() <= small.numel()  # one place per pooled value at most
assert torch.allclose(F.max_pool2d(kept, 2), small)

# ceil_mode: an 8x8 map pooled by 3 with stride 2 gives 3x3 (floor: the last column is
# never looked at) or 4x4 (ceil: a last, partial window covers it)
maps = torch.randn(2, 4, 8, 8)
assert nn.MaxPool2d(3, stride=2)(maps).shape == (2, 4, 3, 3)
assert nn.MaxPool2d(3, stride=2, ceil_mode=True)(maps).shape == (2, 4, 4, 4)
ones = torch.ones(1, 1, 5, 5)
avg = nn.AvgPool2d(2, ceil_mode=True)(ones)
assert avg.shape == (1, 1, 3, 3) and torch.allclose(avg, torch.ones(1, 1, 3, 3))
summed = F.avg_pool2d(ones, 2, ceil_mode=True, divisor_override=1)
assert summed.tolist() == [[[[4.0, 4.0, 2.0], [4.0, 4.0, 2.0], [2.0, 2.0, 1.0]]]]
top, at = nn.AdaptiveMaxPool2d(1, return_indices=True)(maps)
assert torch.equal(at.flatten(2).squeeze(-1), maps.flatten(2).argmax(dim=-1))
assert torch.allclose(top.flatten(), maps.flatten(2).max(dim=-1).values.flatten())
print("reconstruction loss", round(first, 4), "->", round(loss.item(), 4))
