"""Two small models of text and sequences.

1. Bag of words: documents of 3 to 15 word ids from a vocabulary of 40. Words 0-9 are
   "good", 10-19 "bad", the rest neutral; a document is positive when it has more good
   than bad words. nn.EmbeddingBag averages the word vectors of each document (all
   documents joined into one 1-D tensor, offsets saying where each one starts) and a
   linear layer classifies the average.
2. CTC: a frame-by-frame network reads 16 noisy frames in which each of 2-4 labels
   (1-4) is "spoken" for 2-3 frames, with silent frames around and between them, and
   learns the label sequence without being told which frame belongs to which label
   (nn.CTCLoss, blank 0). Greedy decoding (argmax per frame, merge repeats, drop blanks)
   reads the labels back, repeated labels included.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

# --- 1. bag of words with nn.EmbeddingBag ----------------------------------------------


def make_documents(count):
    words, offsets, labels, start = [], [], [], 0
    for _ in range(count):
        n = int(torch.randint(3, 16, (1,)))
        doc = torch.randint(0, 40, (n,))
        good = int(((doc >= 0) & (doc < 10)).sum())
        bad = int(((doc >= 10) & (doc < 20)).sum())
        if good == bad:  # no ties: add one word of a random kind
            doc = torch.cat([doc, torch.randint(0, 20, (1,))])
            good = int((doc < 10).sum())
            bad = int(((doc >= 10) & (doc < 20)).sum())
        offsets.append(start)  # where this document starts in the joined tensor
        words.append(doc)
        start += len(doc)
        labels.append(int(good > bad))
    return torch.cat(words), torch.tensor(offsets), torch.tensor(labels)


class BagOfWords(nn.Module):
    def __init__(self, vocab=40, dim=8):
        super().__init__()
        self.bag = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.out = nn.Linear(dim, 2)

    def forward(self, words, offsets):
        return self.out(self.bag(words, offsets))


train_words, train_offsets, train_labels = make_documents(600)
test_words, test_offsets, test_labels = make_documents(300)
assert train_offsets[0] == 0 and len(train_offsets) == 600

model = BagOfWords()
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for epoch in range(60):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(train_words, train_offsets), train_labels)
    loss.backward()
    optimizer.step()

with torch.no_grad():
    predicted = model(test_words, test_offsets).argmax(1)
accuracy = (predicted == test_labels).float().mean().item()
print(f"bag of words: test accuracy {accuracy:.3f}")
assert accuracy > 0.85, accuracy
# the same documents as a 2-D batch of equal length give the same bags
with torch.no_grad():
    two_d = model.bag(torch.tensor([[0, 1, 2], [10, 11, 12]]))
    flat = model.bag(torch.tensor([0, 1, 2, 10, 11, 12]), torch.tensor([0, 3]))
assert torch.allclose(two_d, flat)
# good words have learned to point the other way from bad words
with torch.no_grad():
    score = model.out(model.bag.weight)  # each word on its own
    margin = score[:, 1] - score[:, 0]
assert margin[:10].mean() > 0 > margin[10:20].mean()

# --- 2. sequence labelling with nn.CTCLoss ------------------------------------------------

FRAMES, FEATURES, CLASSES = 16, 5, 5  # features: one per label, one for silence


def make_sequences(count):
    frames = torch.zeros(FRAMES, count, FEATURES)
    frames[:, :, 4] = 1.0  # silence everywhere first
    targets = torch.zeros(count, 4, dtype=torch.long)
    target_lengths = torch.zeros(count, dtype=torch.long)
    for i in range(count):
        n = int(torch.randint(2, 5, (1,)))
        labels = torch.randint(1, 5, (n,))
        t = 1
        for label in labels.tolist():
            width = int(torch.randint(2, 4, (1,)))
            frames[t:t + width, i, 4] = 0.0
            frames[t:t + width, i, label - 1] = 1.0
            t += width + 1  # one silent frame after each label
        targets[i, :n] = labels
        target_lengths[i] = n
    frames = frames + 0.2 * torch.randn(FRAMES, count, FEATURES)
    return frames, targets, torch.full((count,), FRAMES, dtype=torch.long), target_lengths


x, targets, input_lengths, target_lengths = make_sequences(200)
tagger = nn.Sequential(nn.Linear(FEATURES, 24), nn.Tanh(), nn.Linear(24, CLASSES))
ctc = nn.CTCLoss(blank=0)
optimizer = torch.optim.Adam(tagger.parameters(), lr=0.03)
losses = []
for step in range(120):
    optimizer.zero_grad()
    log_probs = tagger(x).log_softmax(2)  # (T, N, C)
    loss = ctc(log_probs, targets, input_lengths, target_lengths)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
print(f"CTC loss {losses[0]:.3f} -> {losses[-1]:.3f}")
assert losses[-1] < losses[0] / 5, (losses[0], losses[-1])


def greedy_decode(log_probs):
    best = log_probs.argmax(-1).tolist()
    labels, previous = [], None
    for c in best:
        if c != previous and c != 0:
            labels.append(c)
        previous = c
    return labels


x_new, t_new, _, l_new = make_sequences(20)
with torch.no_grad():
    decoded = tagger(x_new).log_softmax(2)
correct = sum(greedy_decode(decoded[:, i]) == t_new[i, :int(l_new[i])].tolist()
              for i in range(20))
print(f"greedy decoding: {correct}/20 sequences exactly right")
assert correct >= 17, correct
# the unbatched call and reduction='none' agree with the batch
with torch.no_grad():
    each = F.ctc_loss(decoded, t_new, torch.full((20,), FRAMES), l_new, reduction="none")
    one = F.ctc_loss(decoded[:, 0], t_new[0, :int(l_new[0])], (FRAMES,), (int(l_new[0]),))
assert torch.allclose(one, each[0] / l_new[0])
