"""A small image network with the layers of the nnlayers group: padding, GroupNorm,
Hardswish, Dropout2d, AdaptiveAvgPool2d(1) (any image size), a LayerNorm and two heads in
an nn.ModuleDict; F.interpolate to make the images larger; trained a few Adam steps."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class SmallCNN(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.features = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(1, 8, 3), nn.GroupNorm(2, 8), nn.Hardswish(),
            nn.Dropout2d(0.1), nn.ZeroPad2d(1), nn.Conv2d(8, 8, 3), nn.PReLU(8),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.LayerNorm(8))
        self.heads = nn.ModuleDict({"kind": nn.Linear(8, classes), "size": nn.Linear(8, 1)})

    def forward(self, x):
        h = self.features(x)
        return {name: head(h) for name, head in self.heads.items()}


torch.manual_seed(0)
model = SmallCNN()
keys = list(model.state_dict())
assert keys[:2] == ["features.1.weight", "features.1.bias"]
assert "features.2.weight" in keys and "features.7.weight" in keys
assert "features.10.weight" in keys and keys[-2:] == ["heads.size.weight", "heads.size.bias"]

# images: a bright square in one of three places (the class), of size 8 or 12
def batch(n, size):
    x = torch.zeros(n, 1, size, size)
    y = torch.randint(0, 3, (n,))
    for i in range(n):
        k = int(y[i])
        x[i, 0, k * size // 3:(k + 1) * size // 3, 2:size - 2] = 1.0
    return x + 0.1 * torch.randn(n, 1, size, size), y


opt = optim.Adam(model.parameters(), lr=0.02)
x, y = batch(16, 8)
first = None
for step in range(20):
    out = model(x)
    loss = F.cross_entropy(out["kind"], y) + F.mse_loss(out["size"].squeeze(1),
                                                         torch.ones(16))
    opt.zero_grad()
    loss.backward()
    opt.step()
    first = loss.item() if first is None else first
assert loss.item() < 0.5 * first, (first, loss.item())

model.eval()
big = F.interpolate(x[:4], scale_factor=1.5, mode="bilinear", align_corners=False)
assert tuple(big.shape) == (4, 1, 12, 12)
assert tuple(model(big)["kind"].shape) == (4, 3)  # any image size, thanks to the pooling
assert torch.allclose(F.normalize(torch.tensor([[3.0, 4.0]])), torch.tensor([[0.6, 0.8]]))
