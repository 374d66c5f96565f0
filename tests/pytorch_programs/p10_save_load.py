"""Saving and loading weights: torch.save(model.state_dict(), path), then
model.load_state_dict(torch.load(path)) into a fresh model."""
import os

import torch
from torch import nn

torch.manual_seed(5)


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 6)
        self.fc2 = nn.Linear(6, 2)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


model = TinyNet()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
X, y = torch.randn(16, 3), torch.randint(0, 2, (16,))
for _ in range(10):
    optimizer.zero_grad()
    nn.CrossEntropyLoss()(model(X), y).backward()
    optimizer.step()

PATH = "tiny_net.pt"
torch.save(model.state_dict(), PATH)
assert os.path.exists(PATH)

fresh = TinyNet()
assert not torch.equal(fresh(X), model(X))
state = torch.load(PATH, weights_only=True)
assert set(state.keys()) == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}
assert tuple(state["fc1.weight"].shape) == (6, 3)
result = fresh.load_state_dict(state)
assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
fresh.eval()
with torch.no_grad():
    assert torch.equal(fresh(X), model(X))
for key, value in model.state_dict().items():
    assert torch.equal(torch.as_tensor(value), torch.as_tensor(fresh.state_dict()[key]))

# a tensor dictionary of your own, with map_location as in GPU tutorials
torch.save({"mean": torch.tensor([1.0, 2.0]), "count": torch.tensor(7)}, "stats.pt")
stats = torch.load("stats.pt", map_location="cpu")
assert stats["count"].item() == 7 and stats["mean"].tolist() == [1.0, 2.0]

# a wrong key is reported, strict=False skips it
state["extra.weight"] = torch.zeros(1)
try:
    fresh.load_state_dict(state)
    raise AssertionError("an unexpected key must be refused")
except RuntimeError as err:
    assert "extra.weight" in str(err)
assert fresh.load_state_dict(state, strict=False).unexpected_keys == ["extra.weight"]
print("save and load: ok")
