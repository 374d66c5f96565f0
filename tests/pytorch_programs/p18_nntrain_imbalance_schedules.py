"""Imbalanced classes by resampling (WeightedRandomSampler), warm-up then cosine
(SequentialLR), NAdam, more losses (SmoothL1Loss, KLDivLoss, MultiMarginLoss,
TripletMarginLoss), OneCycleLR's momentum cycle, trunc_normal_ and parameters_to_vector."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

torch.manual_seed(0)
# 95 of class 0, 5 of class 1: weights 1 / class size make both classes equally likely
y = torch.cat([torch.zeros(95, dtype=torch.long), torch.ones(5, dtype=torch.long)])
x = torch.randn(100, 2) + 3.0 * y.unsqueeze(1).float()
weights = 1.0 / torch.tensor([95.0, 5.0])[y]
sampler = WeightedRandomSampler(weights, num_samples=400, replacement=True)
loader = DataLoader(TensorDataset(x, y), batch_size=40, sampler=sampler)
seen = torch.cat([yb for _, yb in loader])
assert len(seen) == 400 and 0.35 < seen.float().mean().item() < 0.65   # balanced batches

model = nn.Linear(2, 2)
nn.init.trunc_normal_(model.weight, std=0.02)
assert model.weight.abs().max().item() <= 2.0
opt = optim.NAdam(model.parameters(), lr=0.1)
warmup = optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=3)
decay = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=12)
scheduler = optim.lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[3])
loss_fn = nn.MultiMarginLoss()
for epoch in range(15):
    for xb, yb in loader:
        opt.zero_grad()
        loss_fn(model(xb), yb).backward()
        opt.step()
    scheduler.step()
pred = model(x).argmax(dim=1)
assert (pred[y == 1] == 1).float().mean().item() >= 0.8   # the rare class is found
assert scheduler.get_last_lr()[0] < 0.01

vec = nn.utils.parameters_to_vector(model.parameters())
assert vec.shape == (6,)
assert torch.equal(vec, torch.cat([model.weight.detach().flatten(), model.bias.detach()]))
nn.utils.vector_to_parameters(torch.zeros(6), model.parameters())
assert model.weight.abs().sum().item() == 0.0

a, b = torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0])
assert abs(nn.SmoothL1Loss(beta=1.0)(a, b).item() - (0.125 + 2.5) / 2) < 1e-6
logp = F.log_softmax(torch.tensor([[1.0, 2.0, 3.0]]), dim=1)
assert abs(nn.KLDivLoss(reduction="batchmean")(logp, logp.exp()).item()) < 1e-6
log_uniform = torch.full((1, 3), 1 / 3).log()   # KL(p || uniform) = sum p (log p - log 1/3)
kl = nn.KLDivLoss(reduction="batchmean")(log_uniform, logp.exp()).item()
assert kl > 0.1 and abs(kl - (logp.exp() * (logp - log_uniform)).sum().item()) < 1e-6
anchor = torch.tensor([[0.0, 0.0]])
near, far = torch.tensor([[0.1, 0.0]]), torch.tensor([[5.0, 0.0]])
assert nn.TripletMarginLoss(margin=1.0)(anchor, near, far).item() == 0.0
assert nn.TripletMarginLoss(margin=1.0)(anchor, far, near).item() > 4.0

sgd = optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)
cycle = optim.lr_scheduler.OneCycleLR(sgd, max_lr=1.0, total_steps=10)
lrs, momenta = [], []
for _ in range(9):
    sgd.step()
    cycle.step()
    lrs.append(sgd.param_groups[0]["lr"])
    momenta.append(sgd.param_groups[0]["momentum"])
top = lrs.index(max(lrs))
assert math.isclose(max(lrs), 1.0) and momenta[top] == min(momenta)   # momentum moves against lr

# trunc_normal_ cuts at a and b: with std=1 and a=-0.5, b=0.5 the bounds really bite
t = torch.empty(1000)
nn.init.trunc_normal_(t, std=1.0, a=-0.5, b=0.5)
assert t.min().item() >= -0.5 and t.max().item() <= 0.5 and t.std().item() > 0.2
