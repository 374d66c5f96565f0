"""nn.ModuleList for a model built in a loop, nn.Dropout in train() and eval() mode, and
weight initialisation with nn.init (kaiming_normal_, xavier_uniform_, zeros_, ...)."""
import math

import torch
import torch.nn as nn


class DeepNet(nn.Module):
    def __init__(self, sizes, p_drop=0.5):
        super().__init__()
        self.layers = nn.ModuleList(
            [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
        self.dropout = nn.Dropout(p_drop)
        for layer in self.layers:
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.dropout(torch.relu(layer(x)))
        return self.layers[-1](x)


torch.manual_seed(4)
net = DeepNet([20, 256, 256, 5])
assert len(net.layers) == 3 and isinstance(net.layers[1], nn.Linear)
keys = list(net.state_dict())
assert keys[:2] == ["layers.0.weight", "layers.0.bias"] and len(keys) == 6
assert sum(p.numel() for p in net.parameters()) == 20 * 256 + 256 + 256 * 256 + 256 + 256 * 5 + 5
assert all(torch.equal(layer.bias, torch.zeros(layer.out_features)) for layer in net.layers)
# He initialisation: std = sqrt(2 / fan_in)
w = net.layers[1].weight
assert abs(w.std().item() - math.sqrt(2 / 256)) < 0.01 and abs(w.mean().item()) < 0.01

net.layers.append(nn.Linear(5, 2))
assert len(net.layers) == 4 and "layers.3.weight" in net.state_dict()
del net.layers[3]
assert len(net.layers) == 3

# dropout: random while training (and rescaled by 1/(1-p)), the identity in eval mode
x = torch.ones(1000, 20)
drop = nn.Dropout(p=0.5)
drop.train()
out = drop(x)
zeros = (out == 0).float().mean().item()
assert 0.4 < zeros < 0.6 and set(out.unique().tolist()) == {0.0, 2.0}
drop.eval()
assert torch.equal(drop(x), x)
net.train()
assert net.training and net.dropout.training
a, b = net(x[:4]), net(x[:4])
assert not torch.equal(a, b)
net.eval()
assert not net.dropout.training
with torch.no_grad():
    assert torch.equal(net(x[:4]), net(x[:4]))

# other initialisers, applied with model.apply
def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.constant_(m.bias, 0.1)


seq = nn.Sequential(nn.Linear(10, 30), nn.Tanh(), nn.Linear(30, 10))
seq.apply(init_weights)
bound = math.sqrt(6 / (10 + 30))
assert seq[0].weight.abs().max().item() <= bound
assert torch.allclose(seq[0].bias, torch.full((30,), 0.1))
nn.init.ones_(seq[2].bias)
nn.init.normal_(seq[2].weight, mean=0.0, std=0.01)
nn.init.xavier_normal_(seq[0].weight, gain=nn.init.calculate_gain("tanh"))
assert seq[2].bias.sum().item() == 10 and seq[2].weight.std().item() < 0.02
print("modulelist, dropout, init: ok")
