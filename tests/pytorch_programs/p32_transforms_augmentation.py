"""A student's augmentation pipeline with torchvision's transforms: small synthetic RGB
images (a red or a blue blob on a noisy background: the class), augmented per image with
Compose([RandomHorizontalFlip, RandomRotation, RandomResizedCrop, ColorJitter, Normalize]),
a small CNN trained on freshly augmented batches, evaluated with a deterministic
Resize + Normalize pipeline; plus the usual sanity checks of a pipeline (shapes, value
ranges, hflip undoes itself, ToTensor scales uint8 pictures)."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchvision.transforms as T
import torchvision.transforms.functional as TF

torch.manual_seed(0)
SIZE, CROP = 16, 12


def blobs(n):
    """n images (3, SIZE, SIZE) in [0, 1]: a red (class 0) or blue (class 1) blob."""
    x = torch.rand(n, 3, SIZE, SIZE) * 0.3
    y = torch.randint(0, 2, (n,))
    for i in range(n):
        r, c = [int(v) for v in torch.randint(3, SIZE - 7, (2,))]
        channel = 0 if int(y[i]) == 0 else 2
        x[i, channel, r:r + 5, c:c + 4] = 0.8 + 0.2 * torch.rand(5, 4)
    return x, y


MEAN, STD = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
train_tf = T.Compose([
    T.RandomHorizontalFlip(p=0.5),
    T.RandomRotation(degrees=15),
    T.RandomResizedCrop(CROP, scale=(0.6, 1.0), antialias=True),
    T.ColorJitter(brightness=0.3),
    T.Normalize(MEAN, STD),
])
eval_tf = T.Compose([T.Resize(CROP, antialias=True), T.Normalize(MEAN, STD)])
print(train_tf)

x, y = blobs(64)

# sanity checks of the pieces
img = x[0]
assert torch.allclose(TF.hflip(TF.hflip(img)), img)
assert torch.allclose(TF.hflip(img)[:, :, 0], img[:, :, -1])
bright = T.ColorJitter(brightness=0.5)(img)
assert bright.shape == img.shape and bright.min() >= 0 and bright.max() <= 1
out = train_tf(img)
assert tuple(out.shape) == (3, CROP, CROP)
assert out.min() >= -1 - 1e-6 and out.max() <= 1 + 1e-6  # Normalize(0.5, 0.5) of [0, 1]
assert tuple(eval_tf(img).shape) == (3, CROP, CROP)
picture = (np.random.default_rng(0).random((SIZE, SIZE, 3)) * 255).astype(np.uint8)
as_tensor = T.ToTensor()(picture)
assert tuple(as_tensor.shape) == (3, SIZE, SIZE) and as_tensor.dtype == torch.float32
assert 0 <= as_tensor.min() and as_tensor.max() <= 1
assert abs(as_tensor[1, 2, 3].item() - picture[2, 3, 1] / 255) < 1e-6
crop = T.RandomCrop(10, padding=2)(img)
assert tuple(crop.shape) == (3, 10, 10)


def augmented(batch):
    return torch.stack([train_tf(im) for im in batch])


model = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
    nn.Flatten(), nn.Linear(8, 2))
opt = optim.Adam(model.parameters(), lr=0.02)
losses = []
for epoch in range(12):
    for start in range(0, 64, 16):
        xb, yb = augmented(x[start:start + 16]), y[start:start + 16]
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
assert sum(losses[-4:]) / 4 < 0.5 * sum(losses[:4]) / 4, losses

with torch.no_grad():
    test_x, test_y = blobs(64)
    test_batch = torch.stack([eval_tf(im) for im in test_x])
    accuracy = (model(test_batch).argmax(dim=1) == test_y).float().mean().item()
print(f"test accuracy {accuracy:.2f}")
assert accuracy > 0.9, accuracy
