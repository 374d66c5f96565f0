"""Misuse of nn (layers, losses, optimizers, state dicts, saving and loading): each
mistake gets an error naming the layer or loss, the shapes or values, and the fix.
"""

import pickle
import zipfile

import numpy as np
import pytest

import nn
import nn.functional as F
from nn import data, optim
from tinygrad_dk import Tensor

# --- layers ------------------------------------------------------------------------------


def test_linear_given_the_wrong_number_of_features():
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"Linear\(in_features=3.*shape \(batch, 3\).*"
                                         r"got shape \(4, 5\).*out_features"):
        layer(Tensor(np.ones((4, 5))))


def test_sequential_names_the_part_whose_input_does_not_fit():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 1))
    with pytest.raises(ValueError, match=r"part \(2\).*in_features=5.*got shape \(2, 4\)"):
        model(Tensor(np.ones((2, 3))))


def test_sequential_given_a_class_instead_of_an_instance():
    with pytest.raises(TypeError, match=r"part 1 is a type.*nn.ReLU\(\)"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)


def test_linear_with_zero_features():
    with pytest.raises(ValueError, match=r"Linear: in_features and out_features must be >= 1"):
        nn.Linear(0, 3)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_probability_out_of_range(p):
    with pytest.raises(ValueError, match=rf"Dropout: p .* must be in \[0, 1\), got {p}"):
        nn.Dropout(p)


def test_functional_dropout_probability_out_of_range():
    with pytest.raises(ValueError, match=r"dropout: p must be a probability in \[0, 1\], got 2.0"):
        F.dropout(Tensor(np.ones(3)), 2.0, training=True)


def test_scalar_mlp_given_the_wrong_number_of_inputs():
    with pytest.raises(ValueError, match=r"MLP expects 3 input value\(s\), got 2"):
        nn.MLP(3, [4, 1])([1.0, 2.0])


def test_scalar_mlp_given_a_tensor():
    with pytest.raises(TypeError, match=r"MLP: got a Tensor.*nn.Linear"):
        nn.MLP(3, [4, 1])(Tensor([1.0, 2.0, 3.0]))


# --- losses --------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss, F.huber_loss,
                                  F.binary_cross_entropy_with_logits])
def test_loss_with_mismatched_shapes(loss):
    with pytest.raises(ValueError, match=r"input has shape \(4, 1\) but target has shape "
                                         r"\(5, 1\); they must be equal"):
        loss(Tensor(np.full((4, 1), 0.5)), Tensor(np.ones((5, 1))))


def test_loss_of_column_against_flat_target_explains_the_silent_broadcast():
    with pytest.raises(ValueError, match=r"\(N, 1\) against \(N,\).*reshape\(-1\)"):
        nn.MSELoss()(Tensor(np.ones((4, 1))), Tensor(np.ones(4)))


def test_binary_cross_entropy_given_logits():
    with pytest.raises(ValueError, match=r"probabilities must lie in \[0, 1\].*logits.*"
                                         r"BCEWithLogitsLoss"):
        F.binary_cross_entropy(Tensor(np.array([1.5, -2.0])), Tensor(np.ones(2)))


@pytest.mark.parametrize("label", [3, 7])
def test_cross_entropy_label_out_of_range(label):
    with pytest.raises(ValueError, match=rf"class label {label} is out of range.*C = 3.*0 \.\. 2"
                                         r".*subtract 1"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, label]))


def test_cross_entropy_negative_label():
    with pytest.raises(ValueError, match=r"class label -1 is out of range.*0 \.\. 2"):
        nn.CrossEntropyLoss()(Tensor(np.zeros((2, 3))), np.array([0, -1]))


def test_cross_entropy_float_labels():
    with pytest.raises(ValueError, match=r"float targets are read as class probabilities.*"
                                         r"\(N, C\) = \(2, 3\).*dtype=int"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0.0, 1.0]))


def test_cross_entropy_label_count_differs_from_batch():
    with pytest.raises(ValueError, match=r"must have shape \(N,\) = \(2,\), got \(3,\)"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1, 2]))


@pytest.mark.parametrize("loss, target", [
    (F.mse_loss, np.zeros((0, 1))),
    (F.cross_entropy, np.zeros(0, dtype=int)),
])
def test_loss_of_an_empty_batch(loss, target):
    x = Tensor(np.zeros((0, 1)) if target.ndim == 2 else np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"the batch is empty.*data loader"):
        loss(x, target)


def test_loss_with_an_unknown_reduction():
    with pytest.raises(ValueError, match=r"MSELoss: reduction must be 'mean', 'sum' or 'none', "
                                         r"got 'avg'"):
        nn.MSELoss(reduction="avg")


def test_huber_with_a_non_positive_delta():
    with pytest.raises(ValueError, match=r"HuberLoss: delta must be positive, got 0"):
        nn.HuberLoss(delta=0)


# --- optimizers -------------------------------------------------------------------------


@pytest.mark.parametrize("opt", [optim.SGD, optim.Adam])
def test_optimizer_with_a_negative_learning_rate(opt):
    with pytest.raises(ValueError, match=rf"{opt.__name__}: learning rate lr must be >= 0"):
        opt(nn.Linear(2, 1).parameters(), lr=-0.1)


@pytest.mark.parametrize("params", [[], iter([]), nn.Sequential(nn.ReLU()).parameters()])
def test_optimizer_without_parameters(params):
    with pytest.raises(ValueError, match=r"SGD: got an empty list of parameters.*model.parameters"):
        optim.SGD(params, lr=0.1)


def test_sgd_nesterov_without_momentum():
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0"):
        optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1, nesterov=True)


# --- data --------------------------------------------------------------------------------


def test_dataloader_batch_size_zero():
    with pytest.raises(ValueError, match=r"batch_size=0 is too small; use 1 or more.*None"):
        data.DataLoader(np.ones((4, 2)), np.ones(4), batch_size=0)


def test_dataloader_of_no_rows():
    with pytest.raises(ValueError, match=r"X is empty \(0 samples\)"):
        data.DataLoader(np.ones((0, 2)), np.ones(0))


def test_one_hot_label_out_of_range():
    with pytest.raises(ValueError, match=r"label 5 is out of range for num_classes=3.*0\.\.2"):
        data.one_hot([0, 5], num_classes=3)


# --- state dicts -------------------------------------------------------------------------


def _model():
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))


def test_load_state_dict_names_missing_unexpected_and_misshaped_keys_at_once():
    model = _model()
    state = dict(model.state_dict())
    del state["0.bias"]
    state["2.weight"] = np.ones((5, 5))
    state["extra.weight"] = np.ones(1)
    with pytest.raises(nn.StateDictError, match=r"(?s)2\.weight: shape \(5, 5\).*\(1, 3\).*"
                                                r"missing keys.*0\.bias.*unexpected keys.*"
                                                r"extra\.weight.*strict=False"):
        model.load_state_dict(state)


def test_a_failed_load_state_dict_changes_nothing():
    model = _model()
    before = {k: np.copy(v) for k, v in model.state_dict().items()}
    state = {k: np.zeros_like(v) for k, v in before.items()}
    state["2.bias"] = np.zeros(4)
    with pytest.raises(nn.StateDictError):
        model.load_state_dict(state)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_state_dict_error_is_both_runtime_and_value_error():
    assert issubclass(nn.StateDictError, RuntimeError) and issubclass(nn.StateDictError, ValueError)


# --- saving and loading ------------------------------------------------------------------


def test_load_of_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nn.load: no such file.*nope\.npz.*nn.save"):
        nn.load(tmp_path / "nope.npz")


def test_load_of_an_npz_carrying_pickles(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match=r"pickled Python objects.*never done"):
        nn.load(path)


def test_load_of_a_truncated_file(tmp_path):
    good, cut = tmp_path / "good.npz", tmp_path / "cut.npz"
    nn.save(_model(), good)
    raw = good.read_bytes()
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"cut\.npz.*damaged or truncated"):
        nn.load(cut)


def test_load_of_a_zip_with_a_damaged_member(tmp_path):
    path = tmp_path / "bad.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("w.npy", b"\x93NUMPY garbage")
    with pytest.raises(ValueError, match="damaged or truncated"):
        nn.load(path)


@pytest.mark.parametrize("content", [b"hello world", pickle.dumps({"a": 1})])
def test_load_of_a_non_npz_file(tmp_path, content):
    path = tmp_path / "thing.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"not an \.npz file.*PK.*nn\.save"):
        nn.load(path)


def test_load_of_a_single_npy_array(tmp_path):
    path = tmp_path / "one.npy"
    np.save(path, np.ones(3))
    with pytest.raises(ValueError, match=r"single \.npy array, not an \.npz state dict"):
        nn.load(path)


def test_save_of_something_that_is_not_a_model(tmp_path):
    with pytest.raises(TypeError, match=r"nn.save: expected an nn.Module or a state dict.*int"):
        nn.save(42, tmp_path / "x.npz")
