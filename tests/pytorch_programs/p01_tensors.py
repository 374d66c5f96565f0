"""Tensors as the PyTorch tutorial introduces them: creation, dtypes, numpy, shapes."""
import numpy as np
import torch

# torch.tensor infers int64 from ints and float32 from floats
data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
assert x_data.dtype == torch.int64 and x_data.dtype == torch.long
assert torch.tensor([1.0, 2.0]).dtype == torch.float32
assert torch.tensor(0.5).dtype == torch.float32 and torch.tensor(0.5).dim() == 0
assert torch.tensor([True, False]).dtype == torch.bool
assert torch.Tensor([1, 2]).dtype == torch.float32  # torch.Tensor is always float
assert torch.tensor([1, 2], dtype=torch.float64).dtype == torch.float64

# numpy bridge: from_numpy shares memory, tensor copies and keeps numpy's dtype
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
np.multiply(np_array, 2, out=np_array)
assert x_np.tolist() == [[2, 4], [6, 8]]
assert torch.tensor(np.zeros(3)).dtype == torch.float64
t = torch.ones(5)
n = t.numpy()
t.add_(1)
assert n.tolist() == [2.0] * 5

# factories
x_ones = torch.ones_like(x_data)
x_rand = torch.rand_like(x_data, dtype=torch.float)
assert x_ones.tolist() == [[1, 1], [1, 1]] and x_rand.dtype == torch.float32
shape = (2, 3,)
assert torch.rand(shape).shape == (2, 3) and torch.zeros(shape).sum().item() == 0
assert torch.zeros(2, 3, dtype=torch.long).dtype == torch.int64
assert torch.full((2, 2), 7).dtype == torch.int64 and torch.full((2, 2), 1.5).dtype == torch.float32
assert torch.arange(5).tolist() == [0, 1, 2, 3, 4] and torch.arange(5).dtype == torch.int64
assert torch.arange(0, 1, 0.25).dtype == torch.float32
assert torch.allclose(torch.linspace(0, 1, 5), torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0]))
assert torch.equal(torch.eye(3), torch.tensor([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]]))
assert torch.zeros_like(torch.eye(2)).sum().item() == 0
assert torch.full_like(torch.eye(2), 3.0).tolist() == [[3.0, 3.0], [3.0, 3.0]]
assert torch.randn(4, 3).shape == (4, 3) and torch.randn(()).dim() == 0

# attributes
tensor = torch.rand(3, 4)
assert tensor.shape == torch.Size([3, 4]) and tensor.size() == (3, 4) and tensor.size(1) == 4
assert tensor.dtype == torch.float32 and str(tensor.device) == "cpu"
assert tensor.numel() == 12 and tensor.dim() == 2 and len(tensor) == 3

# indexing, assignment and joining
tensor = torch.ones(4, 4)
tensor[:, 1] = 0
assert tensor[0].tolist() == [1.0, 0.0, 1.0, 1.0] and tensor[..., -1].sum().item() == 4
t1 = torch.cat([tensor, tensor, tensor], dim=1)
assert t1.shape == (4, 12)
assert torch.stack([tensor, tensor]).shape == (2, 4, 4)

# arithmetic
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
assert torch.equal(y1, y2) and y1[0, 0].item() == 3.0
z1 = tensor * tensor
assert torch.equal(z1, tensor.mul(tensor))
agg = tensor.sum()
agg_item = agg.item()
assert isinstance(agg_item, float) and agg_item == 12.0
tensor.add_(5)
assert tensor[0, 0].item() == 6.0

# conversions
f = torch.tensor([1.7, -2.2])
assert f.long().tolist() == [1, -2] and f.int().dtype == torch.int32
assert f.double().dtype == torch.float64 and f.to(torch.float64).dtype == torch.float64
assert f.to("cpu") is f and f.float() is f
assert torch.tensor([1, 0]).bool().tolist() == [True, False]
assert f"{torch.tensor(3.14159):.2f}" == "3.14"
classes = ["cat", "dog", "bird"]
assert classes[torch.tensor(2)] == "bird"
print("tensors: ok")
