"""Transfer-learning habits: freeze parameters (p.requires_grad = False and
module.requires_grad_(False)), replace a layer (model[2] = nn.Linear(...)), and give the
optimizer only what is trainable (filter(lambda p: p.requires_grad, ...))."""
import torch
import torch.nn as nn
from torch import optim

torch.manual_seed(3)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
X = torch.randn(32, 4)
y = (X[:, 0] > 0).long()

# freeze the first layer's parameters one by one
for p in model[0].parameters():
    p.requires_grad = False
frozen_weight = model[0].weight.clone()

# replace the head: a fresh layer with three outputs, trainable
model[2] = nn.Linear(8, 3)
assert isinstance(model[2], nn.Linear) and model[2].out_features == 3
assert list(model.state_dict().keys()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
assert model(X).shape == (32, 3)

trainable = list(filter(lambda p: p.requires_grad, model.parameters()))
assert len(trainable) == 2 and trainable[0] is model[2].weight
n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
assert n_trainable == 8 * 3 + 3

optimizer = optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
head_before = model[2].weight.clone()
for _ in range(20):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(X), y)
    loss.backward()
    optimizer.step()
assert model[0].weight.grad is None            # no gradient reached the frozen layer
assert torch.equal(model[0].weight, frozen_weight)
assert not torch.equal(model[2].weight, head_before)

# freeze and unfreeze a whole module at once
model.requires_grad_(False)
assert all(not p.requires_grad for p in model.parameters())
model[2].requires_grad_(True)
assert [p.requires_grad for p in model.parameters()] == [False, False, True, True]

# a frozen nn.Parameter is still one of the model's parameters
class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(2.0), requires_grad=False)
        self.linear = nn.Linear(2, 1)

    def forward(self, x):
        return self.linear(x) * self.scale


m = Scaled()
assert [name for name, _ in m.named_parameters()] == ["scale", "linear.weight", "linear.bias"]
out = m(torch.ones(1, 2)).sum()
out.backward()
assert m.scale.grad is None and m.linear.weight.grad is not None
print("freezing: ok")
