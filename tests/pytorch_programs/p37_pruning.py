"""Pruning a trained network (torch.nn.utils.prune): train a small MLP, prune half of each
Linear weight by magnitude (l1_unstructured), then 30% more across all layers at once
(global_unstructured), check the sparsity, fine-tune with the zeros kept, and make the
pruning permanent (prune.remove)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune

torch.manual_seed(0)
X = torch.randn(400, 4)
y = ((X[:, 0] + 0.5 * X[:, 1] - X[:, 2]) > 0).long()  # a linear rule
X_train, y_train, X_val, y_val = X[:300], y[:300], X[300:], y[300:]

model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                      nn.Linear(32, 2))
linears = [m for m in model.modules() if isinstance(m, nn.Linear)]


def accuracy():
    with torch.no_grad():
        return (model(X_val).argmax(dim=1) == y_val).float().mean().item()


def train(steps, lr):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X_train), y_train)
        loss.backward()
        optimizer.step()
    return loss.item()


train(150, 0.01)
dense_accuracy = accuracy()
assert dense_accuracy > 0.9, dense_accuracy

# 1) half of each layer's weights, the smallest |w|
for layer in linears:
    prune.l1_unstructured(layer, name="weight", amount=0.5)
sizes = [layer.weight.numel() for layer in linears]  # 128, 1024, 64
zeros = [int((layer.weight == 0).sum()) for layer in linears]
assert zeros == [s // 2 for s in sizes], zeros
assert prune.is_pruned(model)
assert "0.weight_orig" in model.state_dict() and "0.weight_mask" in model.state_dict()
assert "0.weight" not in model.state_dict()

# 2) 30% of what is left, chosen across all layers together (one threshold)
prune.global_unstructured([(layer, "weight") for layer in linears],
                          pruning_method=prune.L1Unstructured, amount=0.3)
left = sum(sizes) - sum(zeros)
total_zeros = sum(int((layer.weight_mask == 0).sum()) for layer in linears)
assert total_zeros == sum(zeros) + round(0.3 * left), total_zeros
for layer, before in zip(linears, zeros):
    assert int((layer.weight_mask == 0).sum()) >= before  # pruned weights stay pruned
sparsity = total_zeros / sum(sizes)
assert abs(sparsity - 0.65) < 0.01, sparsity
pruned_accuracy = accuracy()

# 3) fine-tune: the optimizer trains weight_orig, the mask keeps the zeros in the forward pass
masks = [layer.weight_mask.clone() for layer in linears]
train(60, 0.005)
model(X_val)  # a forward pass recomputes weight = weight_orig * weight_mask
for layer, mask in zip(linears, masks):
    assert torch.equal(layer.weight_mask, mask)
    assert (layer.weight[mask == 0] == 0).all()
    assert (layer.weight_orig.grad[mask == 0] == 0).all()  # gradients reach only kept weights
tuned_accuracy = accuracy()
assert tuned_accuracy > 0.9 and tuned_accuracy >= pruned_accuracy - 0.05, (
    pruned_accuracy, tuned_accuracy)

# 4) make it permanent: plain weights again, with the zeros in them
for layer in linears:
    prune.remove(layer, "weight")
assert not prune.is_pruned(model)
assert sorted(model.state_dict().keys()) == ["0.bias", "0.weight", "2.bias", "2.weight",
                                             "4.bias", "4.weight"]
assert sum(int((layer.weight == 0).sum()) for layer in linears) == total_zeros
assert accuracy() == tuned_accuracy
print(f"dense {dense_accuracy:.2f}, {sparsity:.0%} pruned {pruned_accuracy:.2f}, "
      f"fine-tuned {tuned_accuracy:.2f}")
