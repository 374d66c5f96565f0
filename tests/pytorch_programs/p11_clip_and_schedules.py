"""Gradient clipping (clip_grad_norm_, clip_grad_value_) and learning-rate schedules
(StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau)."""
import math

import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(6)
model = nn.Linear(3, 2)
x = 100 * torch.randn(8, 3)
loss = (model(x) ** 2).mean()
loss.backward()
grads = [p.grad.clone() for p in model.parameters()]
before = math.sqrt(sum((g ** 2).sum().item() for g in grads))
total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
assert abs(total.item() - before) < 1e-3 * before and before > 1.0
after = math.sqrt(sum((p.grad ** 2).sum().item() for p in model.parameters()))
assert abs(after - 1.0) < 1e-4
for g, p in zip(grads, model.parameters()):   # the same direction, only shorter
    assert torch.allclose(p.grad, g / before, rtol=1e-3, atol=1e-6)

small = nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)   # already short enough
assert abs(small.item() - 1.0) < 1e-4
assert abs(math.sqrt(sum((p.grad ** 2).sum().item() for p in model.parameters())) - 1.0) < 1e-4

nn.utils.clip_grad_value_(model.parameters(), clip_value=0.1)
assert all(p.grad.abs().max().item() <= 0.1 + 1e-7 for p in model.parameters())


def lrs(make, n=12):
    opt = optim.SGD(model.parameters(), lr=0.1)
    scheduler = make(opt)
    out = []
    for _ in range(n):
        opt.step()
        out.append(scheduler.get_last_lr()[0])
        scheduler.step()
    return out


step = lrs(lambda o: optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5))
assert all(abs(a - 0.1 * 0.5 ** (e // 4)) < 1e-12 for e, a in enumerate(step))
multi = lrs(lambda o: optim.lr_scheduler.MultiStepLR(o, milestones=[3, 8], gamma=0.1))
assert all(abs(a - b) < 1e-12 for a, b in zip(multi, [0.1] * 3 + [0.01] * 5 + [0.001] * 4))
expo = lrs(lambda o: optim.lr_scheduler.ExponentialLR(o, gamma=0.9))
assert all(abs(a - 0.1 * 0.9 ** e) < 1e-12 for e, a in enumerate(expo))
cosine = lrs(lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001))
for e, a in enumerate(cosine[:11]):
    assert abs(a - (0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * e / 10)) / 2)) < 1e-9

opt = optim.SGD(model.parameters(), lr=0.1)
plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2)
for val_loss in [1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7]:
    plateau.step(val_loss)
assert abs(opt.param_groups[0]["lr"] - 0.025) < 1e-12
print("clipping and schedules: ok")
