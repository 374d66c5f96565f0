"""Data augmentation with affine_grid + grid_sample: random rotations, shifts and zooms of
small synthetic images (a bar, vertical or horizontal: the class), checked against rot90
and the identity; a small CNN trained on augmented batches; a spatial transformer whose
theta learns to undo a shift; bicubic and area resizing with nn.Upsample."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)
SIZE = 12


def bars(n):
    """Images with one bar: vertical (class 0) or horizontal (class 1), anywhere."""
    x = torch.zeros(n, 1, SIZE, SIZE)
    y = torch.randint(0, 2, (n,))
    where = torch.randint(3, SIZE - 3, (n,))
    for i in range(n):
        k = int(where[i])
        if int(y[i]) == 0:
            x[i, 0, 2:SIZE - 2, k - 1:k + 1] = 1.0
        else:
            x[i, 0, k - 1:k + 1, 2:SIZE - 2] = 1.0
    return x, y


def augment(x, max_angle=0.3, max_shift=0.15, zoom=0.1):
    """A random small rotation, shift and zoom of every image (the class stays)."""
    n = x.shape[0]
    angle = (torch.rand(n) * 2 - 1) * max_angle
    scale = 1 + (torch.rand(n) * 2 - 1) * zoom
    shift = (torch.rand(n, 2) * 2 - 1) * max_shift
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], dim=1),
                         torch.stack([sin, cos, shift[:, 1]], dim=1)], dim=1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


x, y = bars(32)

# the identity transform gives back every image
identity = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]).repeat(32, 1, 1)
grid = F.affine_grid(identity, list(x.shape), align_corners=False)
assert tuple(grid.shape) == (32, SIZE, SIZE, 2)
assert torch.allclose(F.grid_sample(x, grid, align_corners=False), x, atol=1e-6)

# a quarter turn: pixel centres land on pixel centres, so it is exactly rot90
quarter = torch.tensor([[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]]).repeat(32, 1, 1)
turned = F.grid_sample(x, F.affine_grid(quarter, list(x.shape), align_corners=False),
                       align_corners=False)
assert torch.allclose(turned, torch.rot90(x, 1, (2, 3)), atol=1e-5)
# ... and it turns a vertical bar into a horizontal one: the bar's rows become columns
assert torch.allclose(turned.sum(dim=2)[y == 0], x.sum(dim=3)[y == 0].flip(-1), atol=1e-4)

# augmentation keeps the images' brightness roughly and changes them
a = augment(x)
assert a.shape == x.shape and not torch.allclose(a, x)
assert abs(a.sum().item() / x.sum().item() - 1) < 0.3

# a small CNN trained on freshly augmented batches
model = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                      nn.Flatten(), nn.Linear(8, 2))
opt = optim.Adam(model.parameters(), lr=0.03)
losses = []
for step in range(25):
    loss = F.cross_entropy(model(augment(x)), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
assert sum(losses[-5:]) / 5 < 0.7 * sum(losses[:5]) / 5, losses
with torch.no_grad():
    test_x, test_y = bars(32)
    accuracy = (model(augment(test_x)).argmax(dim=1) == test_y).float().mean().item()
assert accuracy > 0.7, accuracy

# a spatial transformer in miniature: learn the theta that undoes a known shift
shifted = F.grid_sample(x[:8], F.affine_grid(
    torch.tensor([[[1.0, 0.0, 0.25], [0.0, 1.0, -0.1]]]).repeat(8, 1, 1), [8, 1, SIZE, SIZE],
    align_corners=False), padding_mode="border", align_corners=False)
blurred = F.avg_pool2d(x[:8], 3, stride=1, padding=1)  # smooth targets: a smooth loss
theta = nn.Parameter(torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
opt = optim.Adam([theta], lr=0.02)
first = None
for step in range(60):
    grid = F.affine_grid(theta.unsqueeze(0).repeat(8, 1, 1), [8, 1, SIZE, SIZE],
                         align_corners=False)
    back = F.grid_sample(F.avg_pool2d(shifted, 3, stride=1, padding=1), grid,
                         padding_mode="border", align_corners=False)
    loss = F.mse_loss(back[..., 3:-3, 3:-3], blurred[..., 3:-3, 3:-3])
    opt.zero_grad()
    loss.backward()
    opt.step()
    first = loss.item() if first is None else first
assert loss.item() < 0.2 * first, (first, loss.item())
# reading at (x - 0.25, y + 0.1) undoes reading at (x + 0.25, y - 0.1)
assert abs(theta[0, 2].item() + 0.25) < 0.08 and abs(theta[1, 2].item() - 0.1) < 0.08, theta
assert math.isfinite(theta.grad.abs().sum().item())

# resizing: bicubic keeps a same-size image, area shrinks by block means
up = nn.Upsample(scale_factor=2, mode="bicubic", align_corners=False)(x[:2])
assert tuple(up.shape) == (2, 1, 2 * SIZE, 2 * SIZE)
same = F.interpolate(x[:2], size=(SIZE, SIZE), mode="bicubic", align_corners=True)
assert torch.allclose(same, x[:2], atol=1e-6)
small = nn.Upsample(size=(SIZE // 2, SIZE // 2), mode="area")(x[:2])
assert torch.allclose(small, F.avg_pool2d(x[:2], 2), atol=1e-6)
