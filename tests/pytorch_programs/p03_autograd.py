"""The autograd tutorial: requires_grad, grad_fn, is_leaf, backward, detach, clone, grad."""
import torch

x = torch.ones(5)                       # input
y = torch.zeros(3)                      # expected output
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
assert z.grad_fn is not None and loss.grad_fn is not None
assert w.grad_fn is None and w.is_leaf and not z.is_leaf
loss.backward()
expected_b = torch.sigmoid(z.detach()) / 3  # d mean BCE / dz with y = 0
assert torch.allclose(b.grad, expected_b, atol=1e-6)
assert torch.allclose(w.grad, torch.ones(5, 1) * expected_b, atol=1e-6)

# no_grad and detach
with torch.no_grad():
    z = torch.matmul(x, w) + b
assert z.requires_grad is False
z = torch.matmul(x, w) + b
z_det = z.detach()
assert z.requires_grad and not z_det.requires_grad

# backward with a gradient argument: the vector-Jacobian product, accumulated
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
first = inp.grad.clone()
assert torch.allclose(first, 2 * (torch.eye(4, 5) + 1))
out.backward(torch.ones_like(out), retain_graph=True)
assert torch.allclose(inp.grad, 2 * first)      # leaves accumulate
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
assert torch.allclose(inp.grad, first)

# requires_grad_() on a tensor made without it
a = torch.tensor([2.0, 3.0])
assert not a.requires_grad
a.requires_grad_()
q = (a ** 3).sum()
q.backward()
assert torch.allclose(a.grad, torch.tensor([12.0, 27.0]))

# clone keeps the graph, detach leaves it
c = torch.tensor([1.0, 2.0], requires_grad=True)
d = c.clone() * 3
d.sum().backward()
assert c.grad.tolist() == [3.0, 3.0]

# torch.autograd.grad: first and second derivatives, without touching .grad
s = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
f = (s ** 3).sum()
(g,) = torch.autograd.grad(f, s, create_graph=True)
assert torch.allclose(g, 3 * s.detach() ** 2)
(h,) = torch.autograd.grad(g.sum(), s)
assert torch.allclose(h, 6 * s.detach())
assert s.grad is None
u = torch.tensor(3.0, requires_grad=True)
v = torch.tensor(4.0, requires_grad=True)
du, dv = torch.autograd.grad(u * v + u ** 2, [u, v])
assert du.item() == 10.0 and dv.item() == 3.0
print("autograd: ok")
