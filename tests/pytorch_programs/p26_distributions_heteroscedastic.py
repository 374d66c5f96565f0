"""torch.distributions: heteroscedastic regression (a net predicts a mean and a spread,
trained by -Normal(mu, sigma).log_prob(y).mean()), then Bernoulli sampling and entropy
from logits, Categorical predictions, and a VAE-style kl_divergence term."""
import math

import torch
import torch.distributions as D
import torch.nn.functional as F
from torch import nn
from torch.distributions import Bernoulli, Categorical, Normal

kl_divergence = D.kl_divergence

torch.manual_seed(0)
n = 400
x = torch.rand(n, 1) * 2 - 1                      # inputs in [-1, 1)
true_sigma = 0.05 + 0.5 * (x + 1) / 2             # the noise grows with x
y = torch.sin(2 * x) + true_sigma * torch.randn(n, 1)


class MeanAndSpread(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, 32), nn.Tanh())
        self.mean_head = nn.Linear(32, 1)
        self.spread_head = nn.Linear(32, 1)

    def forward(self, x):
        h = self.body(x)
        return self.mean_head(h), F.softplus(self.spread_head(h)) + 1e-4


model = MeanAndSpread()
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
for step in range(300):
    mu, sigma = model(x)
    loss = -Normal(mu, sigma).log_prob(y).mean()   # the Gaussian negative log-likelihood
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

with torch.no_grad():
    grid = torch.tensor([[-0.8], [0.0], [0.8]])
    mu, sigma = model(grid)
    dist = Normal(mu, sigma)
    assert dist.batch_shape == (3, 1) and dist.event_shape == ()
    assert dist.sample((5,)).shape == (5, 3, 1)
    inside = (dist.cdf(mu + sigma) - dist.cdf(mu - sigma)).squeeze(1)  # one sigma: 68 %
assert torch.allclose(inside, torch.full((3,), 0.6827), atol=1e-3), inside
s = sigma.squeeze(1)
assert s[0] < s[1] < s[2], s                       # the learnt spread grows with x
assert 0.5 * s[2] > s[0], s
assert loss.item() < 0.5, loss.item()              # a unit Gaussian scores about 0.95
print("heteroscedastic:", [round(v, 3) for v in s.tolist()], round(loss.item(), 3))

# Bernoulli from logits: a probability, samples, entropy and a log-likelihood
logits = torch.tensor([-2.0, 0.0, 3.0], requires_grad=True)
coin = Bernoulli(logits=logits)
assert torch.allclose(coin.probs, torch.sigmoid(logits))
flips = coin.sample((2000,))
assert flips.shape == (2000, 3) and not flips.requires_grad
assert torch.allclose(flips.mean(0), coin.probs.detach(), atol=0.05)
assert torch.allclose(coin.entropy()[1], torch.tensor(math.log(2.0)))
nll = -coin.log_prob(torch.tensor([0.0, 1.0, 1.0])).sum()
nll.backward()
assert torch.allclose(logits.grad, torch.sigmoid(logits.detach()) - torch.tensor([0.0, 1.0, 1.0]))

# Categorical over classes: predictions by sampling, entropy, log_prob of labels
scores = torch.tensor([[2.0, 0.5, -1.0], [0.0, 0.0, 0.0]])
classes = Categorical(logits=scores)
draws = classes.sample((3000,))
assert draws.shape == (3000, 2) and draws.dtype == torch.int64
share = (draws[:, 0] == 0).float().mean()
assert abs(share.item() - torch.softmax(scores, dim=1)[0, 0].item()) < 0.03
assert torch.allclose(classes.entropy()[1], torch.tensor(math.log(3.0)))
labels = torch.tensor([0, 2])
assert torch.allclose(classes.log_prob(labels), F.log_softmax(scores, dim=1)[[0, 1], labels])

# the KL term of a VAE: encoder outputs against the prior N(0, 1), in closed form
mu_z = torch.tensor([[0.5, -0.3]], requires_grad=True)
log_var = torch.tensor([[0.2, -0.4]], requires_grad=True)
q = Normal(mu_z, torch.exp(0.5 * log_var))
prior = Normal(torch.zeros(1, 2), torch.ones(1, 2))
kl = kl_divergence(q, prior).sum()
by_hand = -0.5 * torch.sum(1 + log_var - mu_z ** 2 - log_var.exp())
assert torch.allclose(kl, by_hand), (kl, by_hand)
kl.backward()
assert torch.allclose(mu_z.grad, mu_z.detach())    # dKL/dmu = mu
z = q.rsample()                                     # the reparameterisation trick
assert z.requires_grad and z.shape == (1, 2)
print("distributions: ok", round(kl.item(), 4))
