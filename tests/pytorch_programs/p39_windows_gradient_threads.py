"""Signals and training settings: a finite-difference derivative (torch.gradient) against
autograd's, a Hann-windowed spectrum computed with cosine and sine bases (no FFT), a
tiny regression trained under bfloat16 autocast with a GradScaler loop, and a
classifier trained with Adafactor (sparse initialisation, one thread)."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)  # small matrices: one thread is fastest
assert torch.get_num_threads() >= 1
torch.manual_seed(0)

# --- 1. the derivative of a sampled function: finite differences vs autograd -------------
x = torch.linspace(0.0, 2 * math.pi, 200, dtype=torch.float64, requires_grad=True)
y = torch.sin(x) * torch.exp(-0.3 * x)
(dy_autograd,) = torch.autograd.grad(y.sum(), x)

(dy_coords,) = torch.gradient(y.detach(), spacing=(x.detach(),), edge_order=2)
h = (x[1] - x[0]).item()
(dy_uniform,) = torch.gradient(y.detach(), spacing=h)  # edge_order=1: cruder at the ends
error_coords = (dy_coords - dy_autograd).abs().max().item()
error_inside = (dy_uniform - dy_autograd)[1:-1].abs().max().item()
error_ends = (dy_uniform - dy_autograd)[[0, -1]].abs().max().item()
assert error_coords < 1e-3, error_coords
assert error_inside < 1e-3, error_inside
assert error_ends > error_inside  # one-sided differences are first order only

# on a grid: d/dx and d/dy of f(x, y) = x^2 y, one tensor per axis
grid = torch.arange(5.0).reshape(5, 1) ** 2 * torch.arange(4.0).reshape(1, 4)
d_rows, d_cols = torch.gradient(grid, spacing=[1.0, 1.0])
assert torch.allclose(d_cols[:, 1:-1], (torch.arange(5.0) ** 2).reshape(5, 1).expand(5, 2))
assert d_rows.shape == grid.shape

# --- 2. a windowed signal's spectrum: energy per frequency bin with matmul ----------------
N = 64
n = torch.arange(N, dtype=torch.float32)
signal = torch.sin(2 * math.pi * 5 * n / N) + 0.5 * torch.sin(2 * math.pi * 12.5 * n / N)
k = torch.arange(N // 2 + 1, dtype=torch.float32).reshape(-1, 1)
angles = 2 * math.pi * k * n.reshape(1, -1) / N
cos_basis, sin_basis = torch.cos(angles), torch.sin(angles)


def energy(samples):
    return (cos_basis @ samples) ** 2 + (sin_basis @ samples) ** 2


window = torch.hann_window(N)  # periodic, the spectral-analysis window
assert window.shape == (N,) and window[0].item() == 0.0 and abs(window[N // 2].item() - 1) < 1e-6
hann = energy(signal * window)
rect = energy(signal)
assert hann.argmax().item() == 5 and rect.argmax().item() == 5
# 12.5 cycles leak into every bin; the Hann window keeps the far bins much quieter
far = slice(25, None)
assert hann[far].sum().item() < 0.05 * rect[far].sum().item()
for make in (torch.hamming_window, torch.blackman_window, torch.bartlett_window,
             torch.kaiser_window):
    symmetric = make(9, periodic=False)
    assert torch.allclose(symmetric, symmetric.flip(0), atol=1e-6)
    assert abs(symmetric.max().item() - 1.0) < 1e-6

# --- 3. a tiny regression under autocast, with a GradScaler loop --------------------------
X = torch.randn(128, 3)
Y = X @ torch.tensor([[1.5], [-2.0], [0.5]]) + 0.1
model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
assert isinstance(model[0], nn.Module) and not isinstance(model[0], nn.RNNBase)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
scaler = torch.amp.GradScaler("cpu", enabled=False)  # a loop ready for float16 on a GPU
losses = []
for step in range(150):
    opt.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(X)  # PyTorch: bfloat16 matmuls here; full precision elsewhere
    loss = F.mse_loss(out.float(), Y)
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    losses.append(loss.item())
assert scaler.get_scale() == 1.0 and scaler.state_dict() == {}
assert losses[-1] < 0.1 * losses[0], (losses[0], losses[-1])  # bfloat16 is coarse: 10x is safe

# an enabled scaler on the CPU: the loss is scaled, the step sees the true gradients
w = torch.zeros(3, requires_grad=True)
opt_w = torch.optim.SGD([w], lr=0.1)
scaled = torch.amp.GradScaler("cpu", init_scale=1024.0)
loss_w = ((X @ w - Y.flatten()) ** 2).mean()
scaled.scale(loss_w).backward()
assert abs(w.grad.abs().max().item() / 1024.0 - 2 * Y.abs().mean().item()) < 10.0
scaled.step(opt_w)
scaled.update()
assert scaled.get_scale() == 1024.0  # a good step keeps the scale (it grows every 2000)

# --- 4. Adafactor on a two-blob classifier --------------------------------------------------
centres = torch.tensor([[2.0, 2.0], [-2.0, -2.0]])
labels = torch.cat([torch.zeros(100, dtype=torch.long), torch.ones(100, dtype=torch.long)])
points = centres[labels] + torch.randn(200, 2)
clf = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
with torch.no_grad():
    nn.init.sparse_(clf[0].weight, sparsity=0.25, std=0.5)  # a quarter of each column 0
assert ((clf[0].weight == 0).sum(0) == 4).all()
opt_af = torch.optim.Adafactor(clf.parameters(), lr=0.05)
for epoch in range(60):
    opt_af.zero_grad()
    loss = F.cross_entropy(clf(points), labels)
    loss.backward()
    opt_af.step()
accuracy = (clf(points).argmax(1) == labels).float().mean().item()
assert accuracy > 0.95, accuracy
assert isinstance(nn.GRU(2, 3), nn.RNNBase) and isinstance(nn.LSTMCell(2, 3), nn.RNNCellBase)
assert torch.get_default_device() == torch.device("cpu")
