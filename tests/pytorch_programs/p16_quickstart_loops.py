"""The quickstart's train and test loops (on a small synthetic data set): nn.Flatten,
len(dataloader.dataset), .type(torch.float), f-strings of tensors, nn.Softmax(dim=1)."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(9)
images = torch.rand(240, 4, 4)                 # 4x4 "images"
labels = (images[:, :2, :].mean(dim=(1, 2)) > images[:, 2:, :].mean(dim=(1, 2))).long()
training_data = TensorDataset(images[:200], labels[:200])
test_data = TensorDataset(images[200:], labels[200:])
batch_size = 20
train_dataloader = DataLoader(training_data, batch_size=batch_size, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=batch_size)
for X, y in test_dataloader:
    assert X.shape == (20, 4, 4) and y.shape == (20,) and y.dtype == torch.int64
    break

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() \
    else "cpu"


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(4 * 4, 32),
            nn.ReLU(),
            nn.Linear(32, 2),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 5 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            assert current <= size


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return correct, test_loss


for t in range(40):
    train(train_dataloader, model, loss_fn, optimizer)
correct, test_loss = test(test_dataloader, model, loss_fn)
assert correct >= 0.85, correct

with torch.no_grad():
    x, y = test_data[0][0], test_data[0][1]
    pred = model(x.unsqueeze(0))
    probabilities = nn.Softmax(dim=1)(pred)
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(1))
    classes = ["bottom brighter", "top brighter"]
    predicted, actual = classes[pred[0].argmax(0)], classes[y]
    assert predicted in classes and actual in classes
    print(f'Predicted: "{predicted}", Actual: "{actual}", loss {pred.sum():.3f}')
print("quickstart loops: ok")
