"""A sequence-to-sequence transformer learns to reverse short sequences of symbols
(encoder-decoder nn.Transformer, teacher forcing with a causal target mask, greedy
decoding), and LBFGS with a strong-Wolfe line search fits a curve and finds the bottom
of Rosenbrock's valley."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)

# --- reverse a sequence: a transformer with an encoder and a decoder ----------------------
VOCAB, START, LENGTH, D = 6, 0, 4, 32


class Reverser(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D)
        self.position = nn.Parameter(0.1 * torch.randn(LENGTH, D))
        self.transformer = nn.Transformer(d_model=D, nhead=4, num_encoder_layers=1,
                                          num_decoder_layers=1, dim_feedforward=64,
                                          dropout=0.0, batch_first=True)
        self.out = nn.Linear(D, VOCAB)

    def forward(self, src, tgt_in):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.shape[1])
        h = self.transformer(self.embed(src) + self.position[: src.shape[1]],
                             self.embed(tgt_in) + self.position[: tgt_in.shape[1]],
                             tgt_mask=mask, tgt_is_causal=True)
        return self.out(h)


src = torch.randint(1, VOCAB, (64, LENGTH))
tgt = src.flip(1)
tgt_in = torch.cat([torch.full((64, 1), START), tgt[:, :-1]], dim=1)  # shifted right
model = Reverser()
assert "transformer.decoder.layers.0.multihead_attn.in_proj_weight" in model.state_dict()
opt = optim.Adam(model.parameters(), lr=0.01)
for step in range(120):
    opt.zero_grad()
    loss = F.cross_entropy(model(src, tgt_in).reshape(-1, VOCAB), tgt.reshape(-1))
    loss.backward()
    opt.step()
assert loss.item() < 0.2, loss.item()

model.eval()
with torch.no_grad():  # greedy decoding, one symbol at a time
    out = torch.full((64, 1), START)
    for _ in range(LENGTH):
        nxt = model(src, out)[:, -1].argmax(dim=-1, keepdim=True)
        out = torch.cat([out, nxt], dim=1)
accuracy = (out[:, 1:] == tgt).float().mean().item()
assert accuracy > 0.9, accuracy

# --- LBFGS: fit y = a sin(b x) + c by least squares ---------------------------------------
x = torch.linspace(-3, 3, 50, dtype=torch.float64)
y = 1.5 * torch.sin(1.2 * x) + 0.3
params = torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64, requires_grad=True)
lbfgs = optim.LBFGS([params], lr=1, max_iter=50, line_search_fn="strong_wolfe")


def closure():
    lbfgs.zero_grad()
    a, b, c = params[0], params[1], params[2]
    loss = ((a * torch.sin(b * x) + c - y) ** 2).mean()
    loss.backward()
    return loss


for _ in range(5):
    lbfgs.step(closure)
assert closure().item() < 1e-10
assert torch.allclose(params.detach(), torch.tensor([1.5, 1.2, 0.3], dtype=torch.float64),
                      atol=1e-5)

# --- Rosenbrock's valley, with a fixed step and with the line search ------------------------
def minimise_rosenbrock(line_search_fn):
    xy = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    lbfgs = optim.LBFGS([xy], lr=1 if line_search_fn else 0.1, max_iter=100,
                        line_search_fn=line_search_fn)

    def rosenbrock():
        lbfgs.zero_grad()
        loss = (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2
        loss.backward()
        return loss

    for _ in range(20):
        lbfgs.step(rosenbrock)
    return xy.detach()


for line_search_fn in (None, "strong_wolfe"):
    xy = minimise_rosenbrock(line_search_fn)
    assert torch.allclose(xy, torch.ones(2, dtype=torch.float64), atol=1e-3), xy
