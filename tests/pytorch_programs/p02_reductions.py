"""Reductions with dim/keepdim: standardising features, max with indices, norms, argmax."""
import torch

X = torch.tensor([[1.0, 10.0, 5.0],
                  [2.0, 20.0, 5.0],
                  [4.0, 30.0, 5.0],
                  [5.0, 60.0, 5.0]])

# column statistics, as when standardising a data set
mean = X.mean(dim=0, keepdim=True)
std = X.std(dim=0)
assert mean.shape == (1, 3) and std.shape == (3,)
assert torch.allclose(mean, torch.tensor([[3.0, 30.0, 5.0]]))
# std divides by n - 1 by default (unbiased), as PyTorch: var of [1, 2, 4, 5] is 10/3
assert abs(X.var(dim=0)[0].item() - 10.0 / 3.0) < 1e-5
assert abs(X.var(dim=0, unbiased=False)[0].item() - 2.5) < 1e-6
assert abs(X.var(dim=0, correction=0)[0].item() - 2.5) < 1e-6
assert abs(X[:, 0].std().item() - (10.0 / 3.0) ** 0.5) < 1e-5
Z = (X[:, :2] - mean[:, :2]) / std[:2]
assert torch.allclose(Z.mean(dim=0), torch.zeros(2), atol=1e-6)
assert torch.allclose(Z.std(dim=0), torch.ones(2), atol=1e-5)

# sums and means over several dims, with and without keepdim
assert X.sum().item() == 152.0
assert X.sum(dim=1).tolist() == [16.0, 27.0, 39.0, 70.0]
assert X.sum(1, keepdim=True).shape == (4, 1)
assert X.sum(dim=(0, 1)).item() == 152.0
assert torch.sum(X, dim=0).tolist() == [12.0, 120.0, 20.0]
assert torch.mean(X, 1).shape == (4,)

# max over a dim gives values and indices; over everything one number
probs = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6]])
values, indices = torch.max(probs, dim=1)
assert indices.tolist() == [1, 0, 2] and indices.dtype == torch.int64
assert torch.allclose(values, torch.tensor([0.7, 0.5, 0.6]))
result = probs.max(dim=1)
assert torch.equal(result.indices, indices) and torch.equal(result.values, values)
_, predicted = torch.max(probs, 1)
assert predicted.tolist() == [1, 0, 2]
assert probs.max().item() == probs.view(-1)[1].item()
low = probs.min(dim=0, keepdim=True)
assert low.values.shape == (1, 3) and low.indices.tolist() == [[0, 2, 0]]
assert torch.max(torch.tensor([1.0, 5.0]), torch.tensor([3.0, 2.0])).tolist() == [3.0, 5.0]
assert probs.amax(dim=1).tolist() == values.tolist()

# argmax, the accuracy idiom
y = torch.tensor([1, 0, 1])
assert probs.argmax(dim=1).tolist() == [1, 0, 2]
assert torch.argmax(probs, dim=1, keepdim=True).shape == (3, 1)
accuracy = (probs.argmax(dim=1) == y).float().mean().item()
assert abs(accuracy - 2 / 3) < 1e-6
assert probs.argmax().item() == 1  # over the flattened tensor

# norms
v = torch.tensor([[3.0, 4.0], [6.0, 8.0]])
assert abs(v.norm().item() - (9 + 16 + 36 + 64) ** 0.5) < 1e-5
assert v.norm(dim=1).tolist() == [5.0, 10.0]
assert v.norm(p=1, dim=1, keepdim=True).tolist() == [[7.0], [14.0]]
assert torch.norm(v, dim=0).shape == (2,)

# logical reductions and counts
mask = probs > 0.25
assert mask.dtype == torch.bool and mask.sum().item() == 4
assert mask.any() and not mask.all() and mask.any(dim=1).tolist() == [True, True, True]
print("reductions: ok")
