"""Shapes and joins: view, reshape, unsqueeze, squeeze, permute, transpose, flatten, cat,
stack, nonzero, where, randperm for hand-made mini-batches, equal and allclose."""
import torch

x = torch.arange(24).view(2, 3, 4)
assert x.shape == (2, 3, 4) and x.dtype == torch.int64
assert x.view(-1).shape == (24,) and x.reshape(6, -1).shape == (6, 4)
assert x.view(2, 12).size() == torch.Size([2, 12])
assert x.permute(2, 0, 1).shape == (4, 2, 3)
assert x.transpose(0, 2).shape == (4, 3, 2) and torch.transpose(x, 1, 2).shape == (2, 4, 3)
assert x.transpose(0, 1).contiguous().view(-1)[:4].tolist() == [0, 1, 2, 3]
assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
assert torch.flatten(x, start_dim=0, end_dim=1).shape == (6, 4)
assert x[0].t().shape == (4, 3) and x[0].T.shape == (4, 3)

v = torch.tensor([1.0, 2.0, 3.0])
assert v.unsqueeze(0).shape == (1, 3) and v.unsqueeze(1).shape == (3, 1)
assert v.unsqueeze(-1).squeeze().shape == (3,)
col = v.view(-1, 1)
assert col.shape == (3, 1) and col.squeeze(1).shape == (3,)
assert col.squeeze(0).shape == (3, 1)   # squeezing a dim that is not 1 changes nothing
assert torch.unsqueeze(v, dim=0).shape == (1, 3)
assert (col * v).shape == (3, 3)        # broadcasting
assert v.expand(2, 3).tolist() == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]

a, b = torch.ones(2, 3), torch.zeros(2, 3)
assert torch.cat([a, b]).shape == (4, 3) and torch.cat((a, b), dim=1).shape == (2, 6)
assert torch.stack([a, b], dim=1).shape == (2, 2, 3)
assert torch.stack([v, v, v]).sum(dim=0).tolist() == [3.0, 6.0, 9.0]

m = torch.tensor([[0, 1, 0], [2, 0, 3]])
idx = torch.nonzero(m)
assert idx.tolist() == [[0, 1], [1, 0], [1, 2]] and idx.shape == (3, 2)
rows, cols = torch.nonzero(m, as_tuple=True)
assert rows.tolist() == [0, 1, 1] and cols.tolist() == [1, 0, 2]
assert torch.where(m > 0, m, torch.full_like(m, -1)).tolist() == [[-1, 1, -1], [2, -1, 3]]
assert m[m > 0].tolist() == [1, 2, 3]
assert torch.clamp(torch.tensor([-2.0, 0.5, 3.0]), min=0.0, max=1.0).tolist() == [0.0, 0.5, 1.0]

# elementwise functions
z = torch.tensor([0.0, 1.0])
assert torch.allclose(torch.exp(z), torch.tensor([1.0, 2.7182817]))
assert torch.allclose(torch.log(torch.exp(z)), z) and torch.allclose(torch.sqrt(z * 4), 2 * z)
assert torch.allclose(torch.sigmoid(z), torch.tensor([0.5, 0.7310586]))
assert torch.allclose(torch.tanh(z), torch.tensor([0.0, 0.7615942]))
assert torch.relu(torch.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
assert torch.abs(torch.tensor([-1.5])).item() == 1.5

# shuffling rows by hand for mini-batches
torch.manual_seed(7)
X = torch.arange(10.0).view(10, 1)
y = torch.arange(10)
perm = torch.randperm(10)
assert sorted(perm.tolist()) == list(range(10)) and perm.dtype == torch.int64
seen = []
for start in range(0, 10, 4):
    batch = perm[start:start + 4]
    xb, yb = X[batch], y[batch]
    assert torch.equal(xb.squeeze(1).long(), yb)
    seen += yb.tolist()
assert sorted(seen) == list(range(10))

# comparing tensors
assert torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2]))
assert not torch.equal(torch.tensor([1, 2]), torch.tensor([1, 3]))
assert not torch.equal(torch.ones(2), torch.ones(3))
assert torch.allclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7]))
assert not torch.allclose(torch.tensor([1.0]), torch.tensor([1.1]))
assert (torch.tensor([1, 2]) == torch.tensor([1, 3])).tolist() == [True, False]
print("shapes and joins: ok")
