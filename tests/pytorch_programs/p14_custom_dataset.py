"""A Dataset of your own (__len__ and __getitem__), random_split with a seeded
torch.Generator, and DataLoader's batch_size, shuffle, drop_last and generator."""
import torch
from torch.utils.data import DataLoader, Dataset, random_split


class Squares(Dataset):
    """x in [0, 1), target x squared; one example at a time."""

    def __init__(self, n):
        self.x = torch.linspace(0, 1, n)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        value = self.x[idx]
        return value.unsqueeze(0), value ** 2


data = Squares(50)
x0, y0 = data[3]
assert x0.shape == (1,) and y0.shape == ()

train_set, val_set = random_split(data, [40, 10], generator=torch.Generator().manual_seed(42))
assert len(train_set) == 40 and len(val_set) == 10
again, _ = random_split(data, [40, 10], generator=torch.Generator().manual_seed(42))
assert [again[i][1].item() for i in range(40)] == [train_set[i][1].item() for i in range(40)]
parts = random_split(data, [0.8, 0.2], generator=torch.Generator().manual_seed(0))
assert [len(p) for p in parts] == [40, 10]

loader = DataLoader(train_set, batch_size=16, shuffle=True, drop_last=True,
                    generator=torch.Generator().manual_seed(0))
assert len(loader) == 2 and len(loader.dataset) == 40
for xb, yb in loader:
    assert xb.shape == (16, 1) and yb.shape == (16,)
    assert torch.allclose(xb.squeeze(1) ** 2, yb)

# the defaults are batch_size=1 and no shuffling
plain = DataLoader(val_set)
assert len(plain) == 10
first_x, first_y = next(iter(plain))
assert first_x.shape == (1, 1) and torch.allclose(first_y, val_set[0][1].unsqueeze(0))
in_order = [yb.item() for _, yb in plain]
assert in_order == [val_set[i][1].item() for i in range(10)]

# two shuffled epochs differ, and the same generator seed repeats them
def epochs(seed):
    dl = DataLoader(train_set, batch_size=8, shuffle=True,
                    generator=torch.Generator().manual_seed(seed))
    return [[round(v, 6) for _, yb in dl for v in yb.tolist()] for _ in range(2)]


e1, e2 = epochs(1)
assert e1 != e2 and sorted(e1) == sorted(e2)
assert epochs(1) == [e1, e2]

# dicts and plain numbers are batched too
class Pairs(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return {"index": i, "half": i / 2}


batch = next(iter(DataLoader(Pairs(), batch_size=4)))
assert batch["index"].tolist() == [0, 1, 2, 3] and batch["index"].dtype == torch.int64
assert batch["half"].dtype == torch.float64
print("custom dataset: ok")
