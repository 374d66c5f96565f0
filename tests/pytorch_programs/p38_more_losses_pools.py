"""Four small exercises with the less common losses and pooling layers.

1. Metric learning: points of 4 classes, each class a direction in 8-D, are embedded
   by a small network trained with nn.TripletMarginWithDistanceLoss and a cosine
   distance; afterwards an anchor is closer (in angle) to its own class than to others.
2. Multi-label classification: each example carries 1-3 of 5 tags (a tag is present
   when its feature is large); nn.MultiLabelMarginLoss learns to rank the true tags
   above the others.
3. A language-model head: nn.AdaptiveLogSoftmaxWithLoss over 50 "words" (10 frequent,
   two clusters of rarer ones) on random hidden states whose next word is a fixed
   function of them; the loss falls, log_prob is a distribution, predict agrees.
4. A small CNN with nn.FractionalMaxPool2d (9x9 maps to 6x6): shapes, the pooled
   maxima and one training step.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

# --- 1. embeddings trained with a cosine triplet loss ------------------------------------

directions = torch.randn(4, 8)


def sample_points(labels):
    return directions[labels] + 0.6 * torch.randn(len(labels), 8)


embed = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
cosine_distance = lambda a, b: 1 - F.cosine_similarity(a, b)  # noqa: E731
triplet = nn.TripletMarginWithDistanceLoss(distance_function=cosine_distance, margin=0.5)
opt = torch.optim.Adam(embed.parameters(), lr=0.01)
losses = []
for step in range(100):
    anchor_labels = torch.randint(0, 4, (32,))
    other_labels = anchor_labels + torch.randint(1, 4, (32,))  # another class
    other_labels = torch.where(other_labels >= 4, other_labels - 4, other_labels)
    a, p = sample_points(anchor_labels), sample_points(anchor_labels)
    n = sample_points(other_labels)
    loss = triplet(embed(a), embed(p), embed(n))
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
assert sum(losses[-20:]) / 20 < 0.5 * sum(losses[:20]) / 20, (losses[:3], losses[-3:])

with torch.no_grad():
    labels = torch.arange(4).repeat(25)
    z = embed(sample_points(labels))
    centres = torch.stack([z[labels == c].mean(0) for c in range(4)])
    similarity = F.cosine_similarity(z.unsqueeze(1), centres.unsqueeze(0), dim=2)
    accuracy = (similarity.argmax(1) == labels).float().mean().item()
assert accuracy > 0.85, accuracy
# the functional form and the default (Euclidean) distance agree with the formula
e = torch.randn(3, 4)
manual = torch.clamp_min(1.0 + F.pairwise_distance(e, e + 0.1) - F.pairwise_distance(e, -e), 0)
assert torch.allclose(F.triplet_margin_with_distance_loss(e, e + 0.1, -e), manual.mean())

# --- 2. multi-label tags with MultiLabelMarginLoss -------------------------------------------

features = torch.randn(200, 5)
present = features > 0.7
present[present.sum(1) == 0, 0] = True  # every example has a tag
targets = torch.full((200, 5), -1, dtype=torch.long)
for i in range(200):
    tags = torch.nonzero(present[i]).flatten()
    targets[i, :len(tags)] = tags

tagger = nn.Linear(5, 5)
criterion = nn.MultiLabelMarginLoss()
opt = torch.optim.SGD(tagger.parameters(), lr=0.5)
first = None
for epoch in range(200):
    loss = criterion(tagger(features), targets)
    first = loss.item() if first is None else first
    opt.zero_grad()
    loss.backward()
    opt.step()
assert loss.item() < 0.3 * first, (first, loss.item())
with torch.no_grad():
    scores = tagger(features)
    top = scores.argmax(1)
    hit = present[torch.arange(200), top].float().mean().item()
assert hit > 0.9, hit  # the best-scored tag is a true one
# one example by hand: classes 0 and 2 are true, 1 and 3 not (C = 4)
x = torch.tensor([[0.1, 0.2, 0.4, 0.8]])
y = torch.tensor([[2, 0, -1, 1]])
by_hand = ((1 - (0.4 - 0.2)) + (1 - (0.4 - 0.8)) + (1 - (0.1 - 0.2)) + (1 - (0.1 - 0.8))) / 4
assert abs(F.multilabel_margin_loss(x, y).item() - by_hand) < 1e-6

# --- 3. an adaptive softmax language-model head ----------------------------------------------

head = nn.AdaptiveLogSoftmaxWithLoss(16, 50, cutoffs=[10, 30], div_value=2.0)
assert sorted(k for k in head.state_dict()) == [
    "head.weight", "tail.0.0.weight", "tail.0.1.weight", "tail.1.0.weight", "tail.1.1.weight"]
assert head.head.weight.shape == (12, 16) and head.tail[1][0].weight.shape == (4, 16)
hidden = torch.randn(256, 16)
words = hidden[:, :4].abs().argmax(1) * 12 + (hidden[:, 4] > 0).long() * 7  # 0 .. 43
opt = torch.optim.Adam(head.parameters(), lr=0.02)
start = head(hidden, words).loss.item()
for step in range(60):
    out = head(hidden, words)
    opt.zero_grad()
    out.loss.backward()
    opt.step()
out = head(hidden, words)
assert out.output.shape == (256,) and out.loss.item() < 0.6 * start, (start, out.loss.item())
assert torch.allclose(out.loss, -out.output.mean())
with torch.no_grad():
    log_p = head.log_prob(hidden[:8])
    assert log_p.shape == (8, 50)
    assert torch.allclose(log_p.exp().sum(1), torch.ones(8), atol=1e-5)
    assert torch.allclose(log_p[torch.arange(8), words[:8]], out.output[:8], atol=1e-5)
    assert torch.equal(head.predict(hidden[:8]), log_p.argmax(1))

# --- 4. a CNN with fractional max pooling ----------------------------------------------------

cnn = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),
    nn.FractionalMaxPool2d(2, output_size=6),
    nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
images = torch.randn(8, 1, 9, 9)
classes = (images[:, 0, :4].mean((1, 2)) > images[:, 0, 5:].mean((1, 2))).long()
assert cnn[:3](images).shape == (8, 4, 6, 6)
pool = nn.FractionalMaxPool2d(3, output_ratio=0.5, return_indices=True)
pooled, where = pool(images)
assert pooled.shape == (8, 1, 4, 4) and where.dtype == torch.long
# every pooled value is the input at its index, and is a maximum of a 3x3 window
flat = images.flatten(2)
assert torch.equal(flat.gather(2, where.flatten(2)).view_as(pooled), pooled)
assert (pooled >= F.max_pool2d(images, 3, stride=1).amin((2, 3), keepdim=True)).all()
# with the same random samples the windows are the same
samples = torch.rand(8, 1, 2)
one = F.fractional_max_pool2d(images, 2, output_size=5, _random_samples=samples)
two = F.fractional_max_pool2d(images, 2, output_size=5, _random_samples=samples)
assert torch.equal(one, two)
opt = torch.optim.SGD(cnn.parameters(), lr=0.05)
loss = F.cross_entropy(cnn(images), classes)
opt.zero_grad()
loss.backward()
assert all(p.grad is not None for p in cnn.parameters())
opt.step()
print("ok: triplet loss with cosine distance, multi-label margin, adaptive softmax, "
      "fractional max pooling")
