""""What is torch.nn really?", on three Gaussian blobs: from hand-made weights updated in
place under no_grad to nn.Module, optim, TensorDataset and DataLoader."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
centres = torch.tensor([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.5]])
y_train = torch.cat([torch.full((100,), k) for k in range(3)])
x_train = centres[y_train] + 0.6 * torch.randn(300, 2)
y_valid = torch.cat([torch.full((40,), k) for k in range(3)])
x_valid = centres[y_valid] + 0.6 * torch.randn(120, 2)
n, c = x_train.shape
assert y_train.dtype == torch.int64 and y_train.min() == 0 and y_train.max() == 2

# --- neural net from scratch ------------------------------------------------------------
weights = torch.randn(2, 3) / math.sqrt(2)
weights.requires_grad_()
bias = torch.zeros(3, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


loss_func = nll


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


bs, lr, epochs = 30, 0.5, 3
same_weights = weights
start_loss = loss_func(model(x_train), y_train).item()
for epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        pred = model(xb)
        loss = loss_func(pred, yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
assert weights is same_weights and weights.is_leaf and weights.requires_grad
assert loss_func(model(x_train), y_train).item() < start_loss / 3
assert accuracy(model(x_valid), y_valid).item() > 0.9

# --- refactor with nn.Module and nn.Parameter -------------------------------------------
loss_func = F.cross_entropy


class Blobs_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(2, 3) / math.sqrt(2))
        self.bias = nn.Parameter(torch.zeros(3))

    def forward(self, xb):
        return xb @ self.weights + self.bias


model = Blobs_Logistic()
assert [name for name, _ in model.named_parameters()] == ["weights", "bias"]
before = loss_func(model(x_train), y_train).item()
for epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        xb, yb = x_train[i * bs:i * bs + bs], y_train[i * bs:i * bs + bs]
        loss = loss_func(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= p.grad * lr
            model.zero_grad()
assert loss_func(model(x_train), y_train).item() < before / 3

# --- nn.Linear, optim, Dataset and DataLoader -------------------------------------------
train_ds = TensorDataset(x_train, y_train)
xb, yb = train_ds[0:bs]
assert xb.shape == (bs, 2) and yb.shape == (bs,)
train_dl = DataLoader(train_ds, batch_size=bs, shuffle=True)
valid_dl = DataLoader(TensorDataset(x_valid, y_valid), batch_size=bs * 2)
assert len(train_dl) == 10 and len(valid_dl) == 2


def get_model():
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    return model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = sum(l * m for l, m in zip(losses, nums)) / sum(nums)
    return val_loss


model, opt = get_model()
val_loss = fit(5, model, loss_func, opt, train_dl, valid_dl)
with torch.no_grad():
    valid_loss = sum(loss_func(model(xb), yb) for xb, yb in valid_dl) / len(valid_dl)
assert abs(valid_loss.item() - val_loss) < 1e-4
assert val_loss < 0.3 and accuracy(model(x_valid), y_valid).item() > 0.9
print("torch.nn really: ok")
