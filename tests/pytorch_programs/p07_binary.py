"""Binary classification: a sigmoid output with BCELoss, and raw scores with
BCEWithLogitsLoss(pos_weight=...) on imbalanced data."""
import torch
import torch.nn as nn

torch.manual_seed(2)
n_pos, n_neg = 30, 270                      # 1 positive in 10
X = torch.cat([torch.randn(n_pos, 2) + torch.tensor([1.5, 1.5]),
               torch.randn(n_neg, 2) - torch.tensor([0.5, 0.5])])
y = torch.cat([torch.ones(n_pos), torch.zeros(n_neg)]).unsqueeze(1)
assert X.shape == (300, 2) and y.shape == (300, 1) and y.dtype == torch.float32


def train(model, loss_fn, steps=400):
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
    return loss.item()


def recall(scores, threshold):
    predicted = (scores >= threshold).float()
    return ((predicted == 1) & (y == 1)).sum().item() / y.sum().item()


# probabilities out of the model, BCELoss on them
prob_model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
loss = train(prob_model, nn.BCELoss())
with torch.no_grad():
    p = prob_model(X)
assert 0 < p.min().item() and p.max().item() < 1 and loss < 0.3
accuracy = ((p >= 0.5).float() == y).float().mean().item()
assert accuracy > 0.9

# raw scores, and positives weighted by the class ratio
plain = nn.Linear(2, 1)
weighted = nn.Linear(2, 1)
weighted.load_state_dict(plain.state_dict())
train(plain, nn.BCEWithLogitsLoss())
train(weighted, nn.BCEWithLogitsLoss(pos_weight=torch.tensor([n_neg / n_pos])))
with torch.no_grad():
    r_plain = recall(torch.sigmoid(plain(X)), 0.5)
    r_weighted = recall(torch.sigmoid(weighted(X)), 0.5)
assert r_weighted > r_plain and r_weighted > 0.9, (r_plain, r_weighted)

# the loss itself, by hand
logits = torch.tensor([[2.0], [-1.0]])
target = torch.tensor([[1.0], [0.0]])
by_hand = -(torch.log(torch.sigmoid(logits)) * target
            + torch.log(1 - torch.sigmoid(logits)) * (1 - target)).mean()
assert torch.allclose(nn.BCEWithLogitsLoss()(logits, target), by_hand)
assert torch.allclose(nn.BCELoss()(torch.sigmoid(logits), target), by_hand)
print("binary: ok", r_plain, r_weighted)
