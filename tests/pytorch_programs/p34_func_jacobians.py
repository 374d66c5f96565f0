"""A student explores Jacobians and Hessians: the Jacobian of Linear + tanh, the Hessian
of a quadratic form, Newton's method, per-example gradient norms with torch.func, and a
Hessian-vector product."""
import torch
import torch.autograd.functional as AF
import torch.nn as nn
from torch.func import functional_call, grad, vmap

torch.manual_seed(0)

# 1. The Jacobian of tanh(W x + b) is diag(1 - tanh^2) W
layer = nn.Linear(3, 2).double()
x = torch.randn(3, dtype=torch.float64)
J = AF.jacobian(lambda v: torch.tanh(layer(v)), x)
y = torch.tanh(layer(x)).detach()
expected = (1 - y ** 2)[:, None] * layer.weight.detach()
assert J.shape == (2, 3)
assert torch.allclose(J, expected, atol=1e-10)

# 2. The Hessian of x^T A x is A + A^T
A = torch.randn(4, 4, dtype=torch.float64)
x0 = torch.randn(4, dtype=torch.float64)
H = AF.hessian(lambda v: v @ A @ v, x0)
assert torch.allclose(H, A + A.T, atol=1e-10)

# 3. Newton's method on a convex problem: f(w) = sum(exp(w)) - w . t + 0.5 |w|^2
t = torch.tensor([1.0, 2.0, -0.5], dtype=torch.float64)


def objective(w):
    return torch.exp(w).sum() - (w * t).sum() + 0.5 * (w ** 2).sum()


w = torch.zeros(3, dtype=torch.float64)
for _ in range(8):
    g = AF.jacobian(objective, w)
    Hw = AF.hessian(objective, w)
    w = w - torch.linalg.solve(Hw, g)
final_grad = AF.jacobian(objective, w)
assert final_grad.abs().max() < 1e-10, final_grad     # the minimum: exp(w) + w = t

# 4. Per-example gradient norms: vmap(grad(...)) with functional_call, and a loop
model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)).double()
data = torch.randn(6, 3, dtype=torch.float64)
target = torch.randn(6, 1, dtype=torch.float64)
params = {name: p.detach() for name, p in model.named_parameters()}


def sample_loss(p, xi, yi):
    pred = functional_call(model, p, (xi.unsqueeze(0),))
    return ((pred - yi) ** 2).mean()


per_example = vmap(grad(sample_loss), in_dims=(None, 0, 0))(params, data, target)
norms = torch.sqrt(sum((g.reshape(6, -1) ** 2).sum(1) for g in per_example.values()))
loop_norms = []
for i in range(6):
    model.zero_grad()
    loss = ((model(data[i:i + 1]) - target[i]) ** 2).mean()
    loss.backward()
    loop_norms.append(torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters())))
assert norms.shape == (6,)
assert torch.allclose(norms, torch.stack(loop_norms), atol=1e-10)

# 5. A Hessian-vector product without the Hessian
v = torch.randn(4, dtype=torch.float64)
value, Hv = AF.hvp(lambda u: (u @ A @ u) + u.pow(4).sum(), x0, v)
H_full = AF.hessian(lambda u: (u @ A @ u) + u.pow(4).sum(), x0)
assert torch.allclose(Hv, H_full @ v, atol=1e-10)
assert torch.allclose(value, x0 @ A @ x0 + x0.pow(4).sum())
print("Jacobian, Hessian, Newton and per-example gradients all check out")
