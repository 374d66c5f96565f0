"""The tensor functions a course's exercises reach for beyond the basics: gather and
masked_fill (picking and hiding entries), cumsum and cumprod, comparisons as methods,
einsum, triangles (tril/triu), split/chunk, repeat, flip, argsort and a few more maths."""
import math

import torch

torch.manual_seed(0)
logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], requires_grad=True)
labels = torch.tensor([0, 2])

# negative log-likelihood by hand: log_softmax, then pick each row's label with gather
logp = logits.log_softmax(dim=1)
picked = logp.gather(1, labels.unsqueeze(1)).squeeze(1)
loss = -picked.mean()
loss.backward()
expected = torch.nn.functional.cross_entropy(logits.detach(), labels)
assert abs(loss.item() - expected.item()) < 1e-6
probs = logits.detach().softmax(dim=1)
one_hot = torch.zeros(2, 3).scatter(1, labels.unsqueeze(1), 1.0)
assert torch.allclose(logits.grad, (probs - one_hot) / 2, atol=1e-6)

# a causal mask: entries above the diagonal hidden with -inf before softmax
scores = torch.ones(4, 4)
mask = torch.triu(torch.ones(4, 4), diagonal=1).bool()
weights = scores.masked_fill(mask, float("-inf")).softmax(dim=-1)
assert torch.allclose(weights[3], torch.full((4,), 0.25))
assert weights[0, 0].item() == 1.0 and weights[0, 1].item() == 0.0
assert torch.equal(torch.tril(torch.ones(3, 3)).sum(dim=1), torch.tensor([1.0, 2.0, 3.0]))

# running sums and products
x = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
assert x.cumsum(dim=0).tolist() == [1.0, 3.0, 6.0, 10.0]
y = torch.cumprod(x, dim=0)
y.sum().backward()
assert x.grad.tolist() == [33.0, 16.0, 10.0, 6.0]  # d/dx_i of 1 + 2 + 6 + 24 terms
assert x.prod().item() == 24.0

# comparisons and logic as methods
a = torch.tensor([1, 5, 3])
assert a.gt(2).tolist() == [False, True, True]
assert a.eq(torch.tensor([1, 0, 3])).tolist() == [True, False, True]
assert torch.logical_and(a > 1, a < 5).tolist() == [False, False, True]
assert a.argsort(descending=True).tolist() == [1, 2, 0]

# einsum: a batch of matrix products, checked against bmm
A, B = torch.randn(2, 3, 4), torch.randn(2, 4, 5)
assert torch.allclose(torch.einsum("bij,bjk->bik", A, B), torch.bmm(A, B), atol=1e-6)
assert torch.allclose(torch.einsum("ij->j", A[0]), A[0].sum(dim=0), atol=1e-6)

# splitting, repeating, flipping
t = torch.arange(10)
assert [len(c) for c in t.split(4)] == [4, 4, 2]
assert [len(c) for c in torch.chunk(t, 3)] == [4, 4, 2]
assert torch.tensor([[1, 2]]).repeat(2, 2).tolist() == [[1, 2, 1, 2], [1, 2, 1, 2]]
assert t.flip(0)[:3].tolist() == [9, 8, 7]
assert torch.roll(t, 1)[:3].tolist() == [9, 0, 1]

# some more maths: log1p and expm1 stay exact near 0, atan2 knows the quadrant
small = torch.tensor([1e-10], dtype=torch.float64)
assert abs(torch.log1p(small).item() - 1e-10) < 1e-20
assert abs(small.expm1().item() - 1e-10) < 1e-20
assert abs(torch.atan2(torch.tensor(1.0), torch.tensor(-1.0)).item() - 3 * math.pi / 4) < 1e-6
assert torch.tensor([0.25, 4.0]).rsqrt().tolist() == [2.0, 0.5]
assert torch.clamp_min(torch.tensor([-1.0, 2.0]), 0.0).tolist() == [0.0, 2.0]
