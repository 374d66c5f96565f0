"""In-place operations: refused on a leaf that requires grad while recording, allowed
inside no_grad (the same tensor, a new version), recorded on everything else."""
import torch

w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
for change in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.zero_(), lambda: w.fill_(1.0)):
    try:
        change()
        raise AssertionError("an in-place change of a leaf that requires grad must fail")
    except RuntimeError:
        pass
try:
    w -= 1
    raise AssertionError("w -= 1 on a leaf that requires grad must fail")
except RuntimeError:
    pass
assert w.tolist() == [1.0, 2.0, 3.0]

# inside no_grad: the same leaf, changed in place
same = w
with torch.no_grad():
    w -= 0.5
    w *= 2
    w += torch.ones(3)
    w.sub_(torch.tensor([1.0, 1.0, 1.0]), alpha=0.5)
    w.add_(1.0)
    w.clamp_(max=6.0)
assert w is same and w.is_leaf and w.requires_grad and w.grad_fn is None
assert w.tolist() == [2.5, 4.5, 6.0]

# the version counter makes a graph that used the old values refuse to backpropagate
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = a * 1.0
out = (b * b).sum()   # saves b for the backward pass
with torch.no_grad():
    b.mul_(3)
try:
    out.backward()
    raise AssertionError("backward through changed data must fail")
except RuntimeError:
    pass

# on tensors that are not leaves requiring grad, in-place changes are part of the graph
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
total = torch.zeros(())
for k in range(3):
    total += (x * (k + 1)).sum()     # accumulate a loss
assert total.requires_grad and total.grad_fn is not None
total.backward()
assert x.grad.tolist() == [6.0, 6.0, 6.0]

h = x * 2
h += 1
h *= x
h.sum().backward()
assert torch.allclose(x.grad, torch.tensor([6.0, 6.0, 6.0]) + 4 * x.detach() + 1)

# gradients are zeroed in place; tensors without grad change freely
x.grad.zero_()
assert x.grad.tolist() == [0.0, 0.0, 0.0]
counts = torch.zeros(3, dtype=torch.long)
counts += torch.tensor([1, 0, 2])
counts[1] = 5
assert counts.tolist() == [1, 5, 2] and counts.dtype == torch.int64
m = torch.ones(2, 3)
m[m > 0] = 0.5
m[:, 0].fill_(2.0)
assert m.tolist() == [[2.0, 0.5, 0.5], [2.0, 0.5, 0.5]]
print("in place: ok")
