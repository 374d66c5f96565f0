"""A first torchvision pipeline: FakeData images through ToTensor and Normalize, batches
from a DataLoader, a look at a batch with make_grid (and save_image), a small CNN that
learns the (random) labels of a few images by heart, and make_grid's layout checked
pixel by pixel on a hand-made batch."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms, utils

torch.manual_seed(0)

to_input = transforms.Compose([
    transforms.ToTensor(),  # uint8 (H, W, C) image -> float (C, H, W) in [0, 1]
    transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),  # -> [-1, 1]
])
train_set = datasets.FakeData(size=32, image_size=(3, 16, 16), num_classes=4,
                              transform=to_input)
assert len(train_set) == 32

image, label = train_set[5]
again, label_again = train_set[5]
assert image.shape == (3, 16, 16) and image.dtype == torch.float32
assert torch.equal(image, again) and int(label) == int(label_again)  # the same every time
assert -1.0 <= float(image.min()) and float(image.max()) <= 1.0
assert 0 <= int(label) < 4

loader = DataLoader(train_set, batch_size=8, shuffle=True)
images, labels = next(iter(loader))
assert images.shape == (8, 3, 16, 16) and labels.shape == (8,)
assert labels.dtype == torch.int64

# a look at the batch: 4 images per row, 2 pixels of padding around each
grid = utils.make_grid(images, nrow=4, normalize=True)
assert grid.shape == (3, 2 * (16 + 2) + 2, 4 * (16 + 2) + 2)
assert float(grid.min()) == 0.0 and float(grid.max()) == 1.0
utils.save_image(images * 0.5 + 0.5, "batch.png", nrow=4)  # undo Normalize: values in [0, 1]


class SmallCNN(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Linear(16 * 4 * 4, classes)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


model = SmallCNN()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
loss_fn = nn.CrossEntropyLoss()
all_images = torch.stack([train_set[i][0] for i in range(len(train_set))])
all_labels = torch.stack([train_set[i][1] for i in range(len(train_set))])
with torch.no_grad():
    first_loss = loss_fn(model(all_images), all_labels).item()
for epoch in range(20):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
with torch.no_grad():
    last_loss = loss_fn(model(all_images), all_labels).item()
    accuracy = (model(all_images).argmax(dim=1) == all_labels).float().mean().item()
assert last_loss < 0.5 * first_loss, (first_loss, last_loss)  # noise learnt by heart
assert accuracy >= 0.75, accuracy

# make_grid's layout on a hand-made batch of four grey 2x2 images with values 0, 1/4, 2/4, 3/4
hand = torch.arange(4, dtype=torch.float32).div(4).view(4, 1, 1, 1).expand(4, 1, 2, 2)
grid = utils.make_grid(hand, nrow=2, padding=1, pad_value=1.0)
assert grid.shape == (3, 7, 7)  # grey is repeated to three channels
assert torch.equal(grid[0], grid[1]) and torch.equal(grid[0], grid[2])
assert grid[0, 1:3, 1:3].tolist() == [[0.0, 0.0], [0.0, 0.0]]  # image 0: top left
assert grid[0, 1:3, 4:6].tolist() == [[0.25, 0.25], [0.25, 0.25]]  # image 1: top right
assert grid[0, 4:6, 1:3].tolist() == [[0.5, 0.5], [0.5, 0.5]]  # image 2: bottom left
assert grid[0, 4:6, 4:6].tolist() == [[0.75, 0.75], [0.75, 0.75]]  # image 3: bottom right
assert grid[:, 0, :].eq(1).all() and grid[:, 3, :].eq(1).all() and grid[:, :, 6].eq(1).all()
single = utils.make_grid(hand[3])  # one image: no padding, three channels
assert single.shape == (3, 2, 2) and float(single.sum()) == 3 * 4 * 0.75
