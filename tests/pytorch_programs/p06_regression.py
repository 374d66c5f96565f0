"""Regression: standardise with mean/std over dim 0, y.view(-1, 1), MSELoss, Adam with
weight decay, unsqueeze, evaluation under no_grad."""
import torch
from torch import nn

torch.manual_seed(1)
n = 200
x = torch.rand(n) * 10                     # one feature in [0, 10)
noise = 0.1 * torch.randn(n)
y = 3.0 * x - 2.0 + noise                   # y = 3x - 2
X = torch.stack([x, x ** 2 / 10], dim=1)    # two features, different scales

mean = X.mean(dim=0, keepdim=True)
std = X.std(dim=0, keepdim=True)
Xs = (X - mean) / std
assert torch.allclose(Xs.mean(dim=0), torch.zeros(2), atol=1e-5)
y_mean, y_std = y.mean(), y.std()
ys = ((y - y_mean) / y_std).view(-1, 1)
assert ys.shape == (n, 1) and y.unsqueeze(1).shape == (n, 1)

model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
loss_fn = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.02, weight_decay=1e-4)
for step in range(300):
    optimizer.zero_grad()
    loss = loss_fn(model(Xs), ys)
    loss.backward()
    optimizer.step()
assert loss.item() < 0.01, loss.item()

# predict for new inputs, in the original units
model.eval()
with torch.no_grad():
    x_new = torch.tensor([2.0, 5.0, 8.0])
    X_new = (torch.stack([x_new, x_new ** 2 / 10], dim=1) - mean) / std
    pred = model(X_new).squeeze(1) * y_std + y_mean
assert pred.requires_grad is False and pred.shape == (3,)
assert torch.allclose(pred, 3.0 * x_new - 2.0, atol=0.5), pred
mse = ((pred - (3.0 * x_new - 2.0)) ** 2).mean()
print("regression: ok", mse.item())
