"""An imbalanced classifier: a WeightedRandomSampler draws the rare class as often as the
common one, LayerNorm and Dropout in the model, OneCycleLR for the learning rate."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

torch.manual_seed(0)
n_common, n_rare = 180, 20
X = torch.cat([torch.randn(n_common, 2) - 1.0, torch.randn(n_rare, 2) + 1.5])
y = torch.cat([torch.zeros(n_common, dtype=torch.long), torch.ones(n_rare, dtype=torch.long)])

counts = torch.bincount(y)
weights = (1.0 / counts.float())[y]
sampler = WeightedRandomSampler(weights, num_samples=len(y), replacement=True)
loader = DataLoader(TensorDataset(X, y), batch_size=20, sampler=sampler)
drawn = torch.cat([yb for _, yb in loader])
assert len(drawn) == 200 and 0.35 < drawn.float().mean().item() < 0.65  # about half rare

model = nn.Sequential(nn.Linear(2, 16), nn.LayerNorm(16), nn.ReLU(), nn.Dropout(0.1),
                      nn.Linear(16, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
epochs = 15
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=epochs * len(loader))
lrs = []
for _ in range(epochs):
    model.train()
    for xb, yb in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(xb), yb).backward()
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
assert max(lrs) > 0.45 and lrs[-1] < 0.01  # up to max_lr, then annealed down

model.eval()
with torch.no_grad():
    pred = model(X).argmax(dim=1)
recall_rare = (pred[y == 1] == 1).float().mean().item()
assert recall_rare >= 0.8, recall_rare
