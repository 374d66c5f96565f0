"""Weight norm, spectral norm and orthogonal weights with torch.nn.utils.parametrizations:
an MLP with weight-normalised layers learns a synthetic regression, a spectrally normalised
discriminator keeps its largest singular values at about 1, an orthogonal 4x4 layer stays
orthogonal under training, and removing a parametrization keeps the output unchanged."""

import torch
import torch.nn as nn
from torch.nn.utils import parametrizations, parametrize

torch.manual_seed(0)

# 1. weight-normalised MLP on y = sin(x0) + x1 * x2
x = torch.randn(256, 3)
y = (torch.sin(x[:, 0]) + x[:, 1] * x[:, 2]).unsqueeze(1)
mlp = nn.Sequential(
    parametrizations.weight_norm(nn.Linear(3, 32)),
    nn.Tanh(),
    parametrizations.weight_norm(nn.Linear(32, 1)),
)
keys = list(mlp.state_dict().keys())
assert keys[:3] == ["0.bias", "0.parametrizations.weight.original0",
                    "0.parametrizations.weight.original1"], keys
opt = torch.optim.Adam(mlp.parameters(), lr=0.02)
first = None
for step in range(120):
    loss = nn.functional.mse_loss(mlp(x), y)
    first = loss.item() if first is None else first
    opt.zero_grad()
    loss.backward()
    opt.step()
assert loss.item() < 0.3 * first, (first, loss.item())
g = mlp[0].parametrizations.weight.original0
w = mlp[0].weight
assert torch.allclose(w.norm(dim=1, keepdim=True), g.abs(), atol=1e-4)

# 2. a discriminator with spectral norm: each layer's largest singular value stays near 1
disc = nn.Sequential(
    parametrizations.spectral_norm(nn.Linear(2, 16)),
    nn.LeakyReLU(0.2),
    parametrizations.spectral_norm(nn.Linear(16, 1)),
)
d_opt = torch.optim.SGD(disc.parameters(), lr=0.05)
real = torch.randn(64, 2) + 2.0
fake = torch.randn(64, 2)
for step in range(30):
    d_loss = nn.functional.softplus(-disc(real)).mean() + nn.functional.softplus(disc(fake)).mean()
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()
with torch.no_grad():
    for _ in range(5):  # a few more training-mode reads refine u and v
        disc(real)
    for layer in (disc[0], disc[2]):
        sigma = torch.linalg.svdvals(layer.weight)[0].item()
        assert abs(sigma - 1.0) < 0.05, sigma
disc.eval()
u_before = disc[0].parametrizations.weight[0]._u.clone()
disc(real)
assert torch.equal(u_before, disc[0].parametrizations.weight[0]._u)  # frozen in eval

# 3. an orthogonal layer stays orthogonal while it learns a rotation
rot = nn.Linear(4, 4, bias=False)
with torch.no_grad():  # start at the identity: exp(A) can only reach rotations (det +1) from it
    rot.weight.copy_(torch.eye(4))
parametrizations.orthogonal(rot)
angle = torch.tensor(0.7)
c, s = torch.cos(angle), torch.sin(angle)
target = torch.eye(4)
target[0, 0], target[0, 1], target[1, 0], target[1, 1] = c, -s, s, c
o_opt = torch.optim.Adam(rot.parameters(), lr=0.05)
points = torch.randn(128, 4)
for step in range(60):
    o_loss = ((rot(points) - points @ target.T) ** 2).mean()
    o_opt.zero_grad()
    o_loss.backward()
    o_opt.step()
W = rot.weight.detach()
assert torch.allclose(W.T @ W, torch.eye(4), atol=1e-5)
assert o_loss.item() < 0.5, o_loss.item()

# 4. removing the parametrization keeps the function
probe = torch.randn(5, 4)
before = rot(probe).detach()
parametrize.remove_parametrizations(rot, "weight")
assert not parametrize.is_parametrized(rot)
assert list(rot.state_dict().keys()) == ["weight"]
assert torch.allclose(rot(probe), before, atol=1e-6)
print("ok", round(loss.item(), 4), round(o_loss.item(), 4))
