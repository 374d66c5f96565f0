"""Regression tests for the unclear errors of issue 13: each now names the problem and the fix.

(The empty-tensor mean/max messages are in test_wrong_results.py; the interrupted fit in
test_design.py.)
"""

import os
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
import viz
from nn import optim
from tinygrad_dk import Tensor, Value


def test_tensor_plus_none_says_where_none_comes_from():
    with pytest.raises(TypeError, match=r"\+: one operand is None.*forgot to `return`"):
        Tensor([1.0, 2.0]) + None
    with pytest.raises(TypeError, match=r"\*: one operand is a dict, not a number"):
        Tensor([1.0]) * {}


def test_cross_entropy_loss_of_one_row_for_a_batch_explains_the_shapes():
    with pytest.raises(ValueError, match=r"a batch of N examples needs scores of shape \(N, C\)"
                                         r".*got one row of 4 scores and 4 labels"):
        nn.CrossEntropyLoss()(Tensor([1.0, 2.0, 3.0, 4.0]), np.array([0, 1, 2, 3]))


@pytest.mark.parametrize("lr,match", [
    ("0.1", r"SGD: lr must be a number, got '0.1' \(str\) \(write lr=0.1 without quotes\)"),
    (None, r"SGD: lr must be a number, got None \(NoneType\)"),
    ([0.1], r"SGD: lr must be a number, got \[0.1\] \(list\)"),
])
def test_optimizer_given_a_learning_rate_that_is_not_a_number(lr, match):
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=match):
        optim.SGD([w], lr=lr)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(TypeError, match="lr must be a number"):
        opt.lr = lr


def test_optimizer_given_other_settings_that_are_not_numbers():
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="SGD: momentum must be a number"):
        optim.SGD([w], lr=0.1, momentum="0.9")
    with pytest.raises(TypeError, match="Adam: betas must be a number, got '0.9'"):
        optim.Adam([w], betas=("0.9", 0.999))
    with pytest.raises(TypeError, match="Adam: eps must be a number"):
        optim.Adam([w], eps=None)


# --- nn.save / nn.load: the user's path, never the temporary file ----------------------------


def test_load_of_a_zip_holding_something_else(tmp_path: Path) -> None:
    path = tmp_path / "notes.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(ValueError, match=r"nn.load: cannot load .*notes.npz.*zip archive but "
                                         r"not an .npz.*'notes.txt'"):
        nn.load(path)


def test_load_of_a_pytorch_file_says_how_to_convert_it(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match=r"model.pt.*PyTorch file \(written by torch.save\).*"
                                         r"v.numpy\(\)"):
        nn.load(path)


def test_load_of_a_torch_like_zip_without_torch(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as archive:  # the layout torch.save writes
        archive.writestr("model/data.pkl", b"\x80\x02}q\x00.")
        archive.writestr("model/version", "3")
    with pytest.raises(ValueError, match="PyTorch file"):
        nn.load(path)


def test_load_of_a_folder(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match=r"nn.load: .* is a folder, not a file"):
        nn.load(tmp_path)


def test_save_onto_a_folder_or_into_a_missing_one(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match=r"nn.save: .* is a folder; give a file name "
                                                r"inside it, e.g. .*model.npz"):
        nn.save({"x": np.zeros(1)}, tmp_path)
    missing = tmp_path / "nope" / "model.npz"
    with pytest.raises(FileNotFoundError, match=r"nn.save: the folder .*nope' does not exist; "
                                                r"create it first"):
        nn.save({"x": np.zeros(1)}, missing)
    assert os.listdir(tmp_path) == []


def test_save_into_a_read_only_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (as root a chmod would not stop the write, so the permission check is what is tested)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path
                        else real_access(p, mode))
    with pytest.raises(PermissionError, match=r"nn.save: cannot write .*m.npz.*is not writable "
                                              r"for you"):
        nn.save({"x": np.zeros(1)}, tmp_path / "m.npz")


def test_an_os_error_while_writing_names_the_users_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003
        raise PermissionError(13, "Permission denied", str(tmp_path / ".m.npz.abcdefgh.tmp"))

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    with pytest.raises(PermissionError) as info:
        nn.save({"x": np.zeros(1)}, tmp_path / "m.npz")
    assert "m.npz" in str(info.value) and ".tmp" not in str(info.value)


def test_an_interrupted_save_leaves_no_temporary_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(file, **arrays):  # noqa: ANN001, ANN003 - Ctrl-C while writing
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupt)
    with pytest.raises(KeyboardInterrupt):
        nn.save({"x": np.zeros(1)}, tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


def test_the_next_save_removes_temporaries_of_a_killed_save(tmp_path: Path) -> None:
    stale = tmp_path / ".m.npz.k1ll3d_x.tmp"  # what a save killed mid-write leaves
    stale.write_bytes(b"PK half")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = tmp_path / ".m.npz.w0rk1ng_.tmp"  # a save in progress elsewhere: left alone
    fresh.write_bytes(b"PK")
    other = tmp_path / ".other.npz.k1ll3d_x.tmp"  # another file's: left alone
    other.write_bytes(b"PK")
    os.utime(other, (old, old))
    nn.save({"x": np.zeros(1)}, tmp_path / "m.npz")
    assert sorted(os.listdir(tmp_path)) == [fresh.name, other.name, "m.npz"]


# --- viz --------------------------------------------------------------------------------------


def test_drawing_a_graph_that_holds_inf_and_nan_is_quiet_and_says_so():
    x = Tensor(np.array([np.inf, -np.inf, np.nan] + [1.0] * 20), requires_grad=True)
    y = (x * 2.0).sum()
    y.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        source = viz.draw_graph(y).source
    assert "(2 inf, 1 nan)" in source


def test_render_into_a_folder_that_cannot_be_written_says_so(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch):
    def refuse(self, data):  # noqa: ANN001
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "write_bytes", refuse)
    monkeypatch.setattr("viz.renderer.run_renderer", lambda source, fmt, engine="dot": b"<svg/>")
    monkeypatch.setattr("viz.renderer.find_renderer", lambda: "dot")
    with pytest.raises(PermissionError, match=r"cannot write the picture .*g.svg.*not writable "
                                              r"for you.*folder you can write"):
        viz.render(Value(1.0) * 2, tmp_path / "g.svg")


def test_abs_works_on_both_engines():
    v = Value(-2.0)
    out = abs(v)
    out.backward()
    assert out.data == 2.0 and v.grad == -1.0
    t = Tensor([-2.0, 3.0], requires_grad=True)
    abs(t).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [-1.0, 1.0])


@pytest.mark.parametrize("name", ["sigmoid", "softmax"])
def test_an_operation_given_a_python_number_names_the_fix(name):
    # the bare-array path of a Primitive met an int and failed inside numpy's attributes
    # (AttributeError: 'int' object has no attribute 'dtype'); PyTorch: a TypeError too
    with pytest.raises(TypeError, match=rf"{name}: expected a Tensor, got int.*tensor\("):
        getattr(tg, name)(1)
    with pytest.raises(TypeError, match="expected a Tensor"):
        tg.special.expit(2)
