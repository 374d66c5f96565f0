"""A small CNN whose classifier is nn.LazyLinear (nobody computes the flattened size), the
optimizer built after a dry run; trained on bars in 8x8 images (horizontal, vertical,
diagonal); checked with torch.testing.assert_close (eval twice, a saved and loaded model) and
a hand-written binary loss made of torch.special's expit, logit and xlogy."""
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F


def bars(n, generator):
    """n noisy 8x8 images with one bar each: label 0 horizontal, 1 vertical, 2 diagonal."""
    labels = torch.randint(0, 3, (n,), generator=generator)
    images = 0.3 * torch.rand(n, 1, 8, 8, generator=generator)
    where = torch.randint(1, 7, (n,), generator=generator)
    for i in range(n):
        k, j = int(labels[i]), int(where[i])
        if k == 0:
            images[i, 0, j, :] += 1.0
        elif k == 1:
            images[i, 0, :, j] += 1.0
        else:
            images[i, 0] += torch.eye(8)
    return images, labels


def make_model():
    return nn.Sequential(
        nn.LazyConv2d(8, 3, padding=1), nn.LazyBatchNorm2d(), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.LazyLinear(16), nn.ReLU(), nn.LazyLinear(3))


torch.manual_seed(0)
gen = torch.Generator().manual_seed(1)
x_train, y_train = bars(240, gen)
x_test, y_test = bars(90, gen)

model = make_model()
assert isinstance(model[5].weight, nn.parameter.UninitializedParameter)
model(x_train[:2])  # the dry run: every lazy layer learns its input size
assert isinstance(model[5], nn.Linear) and model[5].in_features == 8 * 4 * 4
assert model[0].in_channels == 1 and model[1].num_features == 8
n_params = sum(p.numel() for p in model.parameters())
assert n_params == (8 * 9 + 8) + (8 + 8) + (128 * 16 + 16) + (16 * 3 + 3)

optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(6):
    order = torch.randperm(len(x_train))
    for start in range(0, len(x_train), 30):
        idx = order[start:start + 30]
        loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

model.eval()
with torch.no_grad():
    logits = model(x_test)
    accuracy = (logits.argmax(dim=1) == y_test).float().mean().item()
    torch.testing.assert_close(model(x_test), logits)  # eval mode: the same output twice
assert accuracy > 0.9, accuracy

# saved, then loaded into a fresh lazy model: no dry run needed, the same predictions
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "bars.pt")
    torch.save(model.state_dict(), path)
    loaded = make_model()
    loaded.load_state_dict(torch.load(path))
loaded.eval()
with torch.no_grad():
    torch.testing.assert_close(loaded(x_test), logits)

# a hand-written "is it horizontal?" loss: binary cross-entropy from torch.special's pieces
with torch.no_grad():
    # log-odds of class 0, kept in [-8, 8] (float32 holds 1 - expit(8) to 4 digits)
    z = (logits[:, 0] - torch.logsumexp(logits[:, 1:], dim=1)).clamp(-8, 8)
    target = (y_test == 0).float()
    p = torch.special.expit(z)
    by_hand = -(torch.special.xlogy(target, p) + torch.special.xlogy(1 - target, 1 - p)).mean()
    library = F.binary_cross_entropy_with_logits(z, target)
    torch.testing.assert_close(by_hand, library, rtol=1e-3, atol=1e-4)
    torch.testing.assert_close(torch.special.logit(p), z, rtol=1e-3, atol=1e-3)
    assert by_hand.item() < 0.3, by_hand.item()

try:
    torch.testing.assert_close(logits, logits + 0.5)
    raise RuntimeError("assert_close should have failed")
except AssertionError as err:
    assert "Mismatched elements: 270 / 270 (100.0%)" in str(err)
