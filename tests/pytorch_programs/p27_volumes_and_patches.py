"""Volumes and patches, with the layers of the layers3d group: a tiny 3-D convolutional net
(Conv3d, BatchNorm3d, MaxPool3d, AdaptiveAvgPool3d, Dropout3d, ReplicationPad3d) learns
whether a bright cube sits in the upper or the lower half of a noisy volume; then a
ViT-style patch embedding made with nn.Unfold equals a Conv2d with stride = kernel, and
F.fold puts the patches back."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)


def volumes(n):
    """(n, 1, 6, 6, 6) noisy volumes; label 1 when the 2x2x2 bright cube is in the upper half."""
    x = 0.3 * torch.randn(n, 1, 6, 6, 6)
    y = torch.randint(0, 2, (n,))
    for i in range(n):
        d = int(torch.randint(0, 2, (1,))) + (3 if int(y[i]) == 1 else 0)
        h, w = (int(v) for v in torch.randint(0, 5, (2,)))
        x[i, 0, d:d + 2, h:h + 2, w:w + 2] += 2.0
    return x, y


class VolumeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.ReplicationPad3d(1), nn.Conv3d(1, 6, 3), nn.BatchNorm3d(6), nn.ReLU(),
            nn.Dropout3d(0.1), nn.MaxPool3d((3, 1, 1)))
        self.pool = nn.AdaptiveAvgPool3d((2, 1, 1))  # keeps "upper or lower half"
        self.head = nn.Linear(12, 2)

    def forward(self, x):
        return self.head(self.pool(self.features(x)).flatten(1))


model = VolumeNet()
assert model.features[1].weight.shape == (6, 1, 3, 3, 3)
assert "features.2.running_var" in model.state_dict()
opt = optim.Adam(model.parameters(), lr=0.02)
x_train, y_train = volumes(48)
first = None
for epoch in range(30):
    opt.zero_grad()
    loss = F.cross_entropy(model(x_train), y_train)
    loss.backward()
    opt.step()
    first = loss.item() if first is None else first
assert loss.item() < 0.5 * first, (first, loss.item())

model.eval()
x_test, y_test = volumes(32)
with torch.no_grad():
    accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
assert accuracy >= 0.8, accuracy

# --- patches: Unfold as a ViT patch embedding ----------------------------------------------
images = torch.randn(3, 2, 8, 8)
patch, dim = 4, 5
embed = nn.Conv2d(2, dim, kernel_size=patch, stride=patch)
cols = nn.Unfold(kernel_size=patch, stride=patch)(images)          # (3, 2 * 16, 4 patches)
assert cols.shape == (3, 32, 4)
tokens = cols.transpose(1, 2) @ embed.weight.reshape(dim, -1).T + embed.bias
reference = embed(images).flatten(2).transpose(1, 2)               # (3, 4 patches, dim)
assert tokens.shape == reference.shape == (3, 4, dim)
assert torch.allclose(tokens, reference, atol=1e-5)

# fold puts non-overlapping patches back exactly; overlapping ones are summed
back = F.fold(cols, output_size=(8, 8), kernel_size=patch, stride=patch)
assert torch.allclose(back, images)
ones = torch.ones(1, 1, 5, 5)
counts = F.fold(F.unfold(ones, kernel_size=3), output_size=(5, 5), kernel_size=3)
assert counts[0, 0, 2, 2].item() == 9 and counts[0, 0, 0, 0].item() == 1

# gradients flow through unfold: the patch embedding trains like the convolution
tokens.pow(2).mean().backward()
assert embed.weight.grad is not None and embed.weight.grad.shape == (dim, 2, patch, patch)
