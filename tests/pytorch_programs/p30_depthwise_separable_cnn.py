"""A MobileNet-style depthwise-separable CNN (a 3x3 depthwise Conv2d with groups=channels,
then a 1x1 Conv2d that mixes the channels; BatchNorm, ReLU) learns to tell horizontal from
vertical bars in noisy 12x12 images. The first convolution pads by reflection
(padding_mode='reflect'), a grouped convolution (groups=2) sits in the middle."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def bars(n, generator):
    """n noisy 12x12 images holding one bright bar: label 0 horizontal, 1 vertical."""
    labels = torch.randint(0, 2, (n,), generator=generator)
    where = torch.randint(2, 10, (n,), generator=generator)
    images = 0.3 * torch.randn(n, 1, 12, 12, generator=generator)
    for i in range(n):
        if labels[i] == 0:
            images[i, 0, where[i], :] += 1.0
        else:
            images[i, 0, :, where[i]] += 1.0
    return images, labels


def separable(cin, cout):
    """Depthwise 3x3 (each channel its own filter) then pointwise 1x1 (mixes channels)."""
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False), nn.BatchNorm2d(cin),
        nn.ReLU(), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class SeparableNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1, padding_mode="reflect")
        self.block1 = separable(8, 16)
        self.grouped = nn.Conv2d(16, 16, 3, padding=1, groups=2)
        self.block2 = separable(16, 16)
        self.head = nn.Linear(16, 2)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = F.max_pool2d(self.block1(x), 2)
        x = self.block2(F.relu(self.grouped(x)))
        return self.head(x.mean(dim=(2, 3)))


torch.manual_seed(0)
generator = torch.Generator().manual_seed(1)
train_x, train_y = bars(256, generator)
test_x, test_y = bars(128, generator)

model = SeparableNet()
depthwise = model.block1[0]
assert tuple(depthwise.weight.shape) == (8, 1, 3, 3)  # one 3x3 filter per channel
assert tuple(model.grouped.weight.shape) == (16, 8, 3, 3)  # each group sees 8 channels
params = sum(p.numel() for p in model.parameters())
full = 16 * 16 * 9  # one ordinary 3x3 convolution 16 -> 16 alone
assert params < 2 * full, params

optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(6):
    model.train()
    order = torch.randperm(256)
    for start in range(0, 256, 32):
        batch = order[start:start + 32]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(train_x[batch]), train_y[batch])
        loss.backward()
        optimizer.step()

model.eval()
with torch.no_grad():
    accuracy = (model(test_x).argmax(dim=1) == test_y).float().mean().item()
    assert model(test_x[:4]).shape == (4, 2)
assert accuracy > 0.9, accuracy
print(f"test accuracy {accuracy:.3f} with {params} parameters")
