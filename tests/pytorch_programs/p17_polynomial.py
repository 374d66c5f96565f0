"""Learning PyTorch with examples: fit sin(x) with a cubic, first with tensors updated by
hand, then with nn.Sequential/Flatten(0, 1)/MSELoss(reduction="sum") and optim, and with
a custom autograd Function."""
import math

import torch

dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)

# tensors and autograd, updated by hand
torch.manual_seed(10)
a = torch.randn((), dtype=dtype, requires_grad=True)
b = torch.randn((), dtype=dtype, requires_grad=True)
c = torch.randn((), dtype=dtype, requires_grad=True)
d = torch.randn((), dtype=dtype, requires_grad=True)
learning_rate = 1e-6
for t in range(2000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None
assert loss.item() < 50, loss.item()
assert abs(b.item() - 0.85) < 0.1 and abs(d.item() + 0.09) < 0.02

# nn and optim
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
assert xx.shape == (2000, 3)
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
loss_fn = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for t in range(1000):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
linear_layer = model[0]
assert y_pred.shape == (2000,)
assert loss.item() < 20, loss.item()
assert abs(linear_layer.weight[:, 0].item() - 0.85) < 0.05


# a custom autograd Function: P3(x) = (5x^3 - 3x) / 2
class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


z = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
P3 = LegendrePolynomial3.apply
out = P3(z)
out.sum().backward()
assert torch.allclose(out, 0.5 * (5 * z.detach() ** 3 - 3 * z.detach()))
assert torch.allclose(z.grad, 1.5 * (5 * z.detach() ** 2 - 1))
print("polynomial: ok")
