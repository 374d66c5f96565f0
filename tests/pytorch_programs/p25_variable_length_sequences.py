"""Sequences of different lengths: an LSTM reads packed sequences of 3 to 20 numbers and
learns whether a sequence's sum is positive. pad_sequence makes one batch, a
PackedSequence keeps the padding out of the LSTM, so h_n is each sequence's state after
its own last number; pad_packed_sequence shows the per-step outputs."""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

torch.manual_seed(0)


def make_data(count):
    lengths = torch.randint(3, 21, (count,))
    sequences = [torch.randn(int(n), 1) for n in lengths]
    labels = torch.tensor([float(s.sum() > 0) for s in sequences])
    return pad_sequence(sequences, batch_first=True), lengths, labels


class SumSign(nn.Module):
    def __init__(self, hidden=12):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
        out, (h_n, c_n) = self.lstm(packed)
        return self.head(h_n[-1]).squeeze(1), out


x_train, len_train, y_train = make_data(384)
x_test, len_test, y_test = make_data(200)
assert x_train.shape == (384, int(len_train.max()), 1)
# the padding is zeros after each sequence's end
assert float(x_train[0, int(len_train[0]):].abs().sum()) == 0.0

model = SumSign()
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
loss_fn = nn.BCEWithLogitsLoss()
for epoch in range(12):
    order = torch.randperm(384)
    for start in range(0, 384, 64):
        idx = order[start:start + 64]
        logits, _ = model(x_train[idx], len_train[idx])
        loss = loss_fn(logits, y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

with torch.no_grad():
    logits, out = model(x_test, len_test)
    accuracy = float(((logits > 0).float() == y_test).float().mean())
    padded_out, out_lengths = pad_packed_sequence(out, batch_first=True)
print(f"test accuracy {accuracy:.3f}")
assert accuracy > 0.85, accuracy

# the outputs come back padded, in the batch's own order, with the lengths as int64
assert out_lengths.dtype == torch.int64 and out_lengths.tolist() == len_test.tolist()
assert padded_out.shape == (200, int(len_test.max()), 12)
assert float(padded_out[0, int(len_test[0]):].abs().sum()) == 0.0
# h_n is the output at each sequence's own last step, not after the padding
last = padded_out[torch.arange(200), len_test - 1]
with torch.no_grad():
    _, (h_n, _) = model.lstm(pack_padded_sequence(x_test, len_test, batch_first=True,
                                                  enforce_sorted=False))
assert torch.allclose(last, h_n[-1], atol=1e-6)
