"""A first classifier: Module subclass, TensorDataset + shuffled DataLoader, CrossEntropyLoss,
SGD with Nesterov momentum, StepLR, accuracy; a seeded run gives the same numbers twice."""
import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


def make_data(n_per_class):
    centres = torch.tensor([[1.0, 1.0, 0.0, 0.0], [-1.0, 1.0, 1.0, 0.0],
                            [0.0, -1.0, 0.0, 1.0]])
    labels = torch.cat([torch.full((n_per_class,), k, dtype=torch.long) for k in range(3)])
    features = centres[labels] + 0.5 * torch.randn(3 * n_per_class, 4)
    return features, labels


class Net(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)
        self.act = nn.ReLU()
        self.out = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        return self.out(self.act(self.hidden(x)))


def run(seed):
    torch.manual_seed(seed)
    X_train, y_train = make_data(60)
    X_test, y_test = make_data(30)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=16, shuffle=True)
    model = Net(4, 16, 3)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
    losses = []
    for epoch in range(15):
        model.train()
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        losses.append(total / len(loader.dataset))
        scheduler.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(X_test).argmax(dim=1) == y_test).float().mean().item()
    return accuracy, losses, scheduler.get_last_lr()[0]


accuracy, losses, last_lr = run(seed=0)
assert accuracy > 0.9, accuracy
assert losses[-1] < losses[0] / 3
assert abs(last_lr - 0.05 * 0.5 ** 3) < 1e-12
again = run(seed=0)
assert again == (accuracy, losses, last_lr)  # seeded: the same numbers on every run
other = run(seed=1)
assert other[1] != losses
print("classifier: ok", accuracy)
