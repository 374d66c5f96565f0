"""Watching a network from the inside with hooks: a forward hook records every layer's
activations, a tensor hook sees a gradient on its way back (and may change it)."""
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
seen = {}


def remember(name):
    def hook(module, inputs, output):
        seen[name] = output.detach()
    return hook


handles = [layer.register_forward_hook(remember(str(i))) for i, layer in enumerate(model)]
x = torch.randn(5, 3)
out = model(x)
assert set(seen) == {"0", "1", "2"}
assert seen["1"].shape == (5, 8) and bool((seen["1"] >= 0).all())
assert torch.allclose(seen["2"], out.detach())
for h in handles:
    h.remove()
seen.clear()
model(x)
assert seen == {}  # removed hooks are silent

# a hook on an intermediate tensor sees its gradient; returning a tensor replaces it
hidden = model[1](model[0](x))
grads = []
hidden.register_hook(lambda g: grads.append(g.clone()))
model[2](hidden).sum().backward()
assert grads[0].shape == (5, 8)
assert torch.allclose(grads[0], model[2].weight.detach().expand(5, 8))

w = torch.tensor([1.0, 2.0], requires_grad=True)
w.register_hook(lambda g: g * 0.5)  # halve the gradient before it reaches w.grad
(w * w).sum().backward()
assert w.grad.tolist() == [1.0, 2.0]
