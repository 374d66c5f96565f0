"""nn.save / nn.load: .npz round trips, atomic saving, and every refusal."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
from tinygrad_dk import Tensor


def model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 2)))


def test_module_round_trip_keys_with_dots(tmp_path: Path) -> None:
    tg.manual_seed(0)
    a = model()
    path = tmp_path / "model.npz"
    nn.save(a, path)
    sd = nn.load(path)
    assert list(sd) == ["0.weight", "0.bias", "2.0.weight", "2.0.bias"]
    for key, arr in a.state_dict().items():
        assert sd[key].dtype == arr.dtype
        np.testing.assert_array_equal(sd[key], arr)
    tg.manual_seed(1)
    b = model()
    b.load_state_dict(sd)
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_state_dict_round_trip_mixed_values(tmp_path: Path) -> None:
    path = str(tmp_path / "sd.npz")
    sd = {"a.b.c": np.arange(6, dtype=np.int64).reshape(2, 3), "scalar": np.array(2.5),
          "t": Tensor(np.ones(2, dtype=np.float64))}
    nn.save(sd, path)
    back = nn.load(path)
    assert set(back) == {"a.b.c", "scalar", "t"}
    assert back["a.b.c"].dtype == np.int64 and back["scalar"].shape == ()
    np.testing.assert_array_equal(back["t"], np.ones(2))


def test_scalar_mlp_round_trip(tmp_path: Path) -> None:
    tg.manual_seed(0)
    a = nn.MLP(2, [3, 1])
    nn.save(a, tmp_path / "mlp.npz")
    tg.manual_seed(1)
    b = nn.MLP(2, [3, 1])
    b.load_state_dict(nn.load(tmp_path / "mlp.npz"))
    assert b([0.5, -1.0]).data == a([0.5, -1.0]).data


def test_save_overwrites_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "w.npz"
    nn.save({"x": np.zeros(2)}, path)
    nn.save({"x": np.ones(3)}, path)
    np.testing.assert_array_equal(nn.load(path)["x"], np.ones(3))
    assert os.listdir(tmp_path) == ["w.npz"]


def test_interrupted_save_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    path = tmp_path / "w.npz"
    nn.save({"x": np.arange(4.0)}, path)
    before = path.read_bytes()

    def crash_midway(file, **arrays):  # noqa: ANN001, ANN003 - stands in for np.savez
        file.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        nn.save({"x": np.zeros(100)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.npz"]  # the temporary file is cleaned up
    monkeypatch.undo()
    np.testing.assert_array_equal(nn.load(path)["x"], np.arange(4.0))


def test_save_refuses_objects(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="numeric"):
        nn.save({"x": np.array([{"a": 1}], dtype=object)}, tmp_path / "o.npz")
    with pytest.raises(TypeError, match="Module or a state dict"):
        nn.save([np.zeros(1)], tmp_path / "o.npz")
    assert not (tmp_path / "o.npz").exists()


def test_load_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nothing.npz"
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        nn.load(path)


def test_load_refuses_pickled_objects(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, weight=np.zeros(2), payload=np.array([{"run": "code"}], dtype=object))
    with pytest.raises(ValueError, match="evil.npz.*pickled") as info:
        nn.load(path)
    assert "arbitrary code" in str(info.value)


def test_load_refuses_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.npz"
    nn.save({"w": np.arange(1000.0), "b": np.ones(10)}, path)
    data = path.read_bytes()
    for keep in (len(data) // 2, len(data) - 30, 10):
        path.write_bytes(data[:keep])
        with pytest.raises(ValueError, match="cut.npz.*(damaged|truncated)"):
            nn.load(path)


def test_load_refuses_text_and_npy_files(tmp_path: Path) -> None:
    text = tmp_path / "notes.npz"
    text.write_text("weights: 1, 2, 3\n")
    with pytest.raises(ValueError, match="notes.npz.*not an .npz file"):
        nn.load(text)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.npz"):
        nn.load(empty)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match="single.npy.*single .npy array"):
        nn.load(single)


def test_load_refuses_text_arrays(tmp_path: Path) -> None:
    path = tmp_path / "strings.npz"
    np.savez(path, names=np.array(["a", "b"]))  # no pickle needed, but not numbers
    with pytest.raises(ValueError, match="strings.npz.*not numbers"):
        nn.load(path)
