"""XOR with the device idiom of PyTorch tutorials: pick "cuda" when available, else the
CPU, and move the model and the data there with .to(device)."""
import torch
from torch import nn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
assert device == torch.device("cpu") and device.type == "cpu"
if torch.backends.mps.is_available():
    device = torch.device("mps")
device = "cpu"

torch.manual_seed(8)
X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]).to(device)
y = torch.tensor([[0.0], [1.0], [1.0], [0.0]], device=device)


class XorNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))

    def forward(self, x):
        return self.net(x)


model = XorNet().to(device)
assert next(iter(model.parameters())).device.type == "cpu"
loss_fn = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for epoch in range(300):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    if epoch % 100 == 0:
        print(f"epoch {epoch:3d}  loss {loss.item():.4f}")

with torch.no_grad():
    probs = torch.sigmoid(model(X)).cpu()
print(probs.squeeze().numpy().round(2))
assert torch.equal((probs > 0.5).float(), y.cpu())
assert loss.item() < 0.05
print("xor: ok")
