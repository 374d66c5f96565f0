"""Every demo runs in quick mode, writes its files and reports sane headline numbers.

The demos are run in-process (`run(out_dir, quick=True)`), each into its own
temporary folder; only `--list` goes through a subprocess, to check the command
line itself. The code blocks of the Danish guide (docs/da) are run too, so the
guide cannot drift from the API. The whole file must stay well under 90 seconds
on two cores.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

import demos  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def one_blas_thread() -> object:
    """Small matrices run fastest on one BLAS thread (see demos/__init__.py). Here numpy is
    loaded before `demos` can set that up, so ask threadpoolctl, when it is installed."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1):
        yield


def numbers_are_finite(numbers: dict) -> bool:
    return all(math.isfinite(v) for v in numbers.values()
               if isinstance(v, (int, float)) and not isinstance(v, bool))


# name -> check of the headline numbers (what "sane" means for that lesson)
SANE = {
    "neuron": lambda r: r["max_grad_diff"] < 1e-12 and r["loss_after"] < r["loss_before"],
    "activations": lambda r: r["max_derivative_error"] < 1e-6
    and abs(r["sigmoid_max_slope"] - 0.25) < 1e-3,
    "numpy_forward": lambda r: r["forward_max_abs_diff"] < 1e-6
    and r["backward_max_abs_diff"] < 1e-6,
    "gradcheck": lambda r: r["passed"] == r["checks"] > 30 and r["wrong_function_caught"],
    "scalar_mlp": lambda r: r["test_accuracy"] > 0.8,
    "full_batch_vs_sgd": lambda r: r["sgd_val_loss"] < r["full_batch_val_loss"]
    and r["sgd_val_accuracy"] > 0.9,
    "digits": lambda r: r["test_accuracy"] > 0.8 and r["epochs"] >= 1,
    "imbalanced": lambda r: r["always_benign_recall"] == 0
    and r["always_benign_accuracy"] > 0.8 and r["class_weights_f1"] > 0
    and 0 < r["tuned_threshold"] < 1,
    "regression": lambda r: r["r2_scaled_features"] > 0.2
    and r["r2_scaled_features"] > r["r2_raw_features"]
    and r["mae_l1_with_outliers"] < r["mae_mse_with_outliers"],
    "overfitting": lambda r: r["train_accuracy_no_remedy"] > 0.95
    and r["test_accuracy_early_stopping"] > r["test_accuracy_no_remedy"]
    and 0.5 < r["cv_accuracy_no_remedy"] <= 1,
}


def test_every_demo_has_a_check() -> None:
    assert set(SANE) == set(demos.DEMOS)


@pytest.mark.parametrize("name", list(demos.DEMOS))
def test_demo_runs_quick(name: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    module = demos.load(name)
    assert module.__doc__ and len(module.__doc__) > 200, "a demo's docstring teaches"
    numbers = module.run(tmp_path, True)
    printed = capsys.readouterr().out
    assert isinstance(numbers, dict) and numbers
    assert numbers_are_finite(numbers), numbers
    assert SANE[name](numbers), numbers
    for filename in module.OUTPUTS:
        path = tmp_path / filename
        assert path.is_file(), f"{name} did not write {filename}"
        assert path.stat().st_size > 0, f"{name} wrote an empty {filename}"
        assert str(path) in printed, f"{name} did not say that it wrote {filename}"


def test_list_prints_one_demo_per_line() -> None:
    done = subprocess.run([sys.executable, "-m", "demos", "--list"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(demos.DEMOS)


def test_unknown_demo_is_refused() -> None:
    done = subprocess.run([sys.executable, "-m", "demos", "no_such_demo"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--list" in done.stderr


# --- the Danish guide: its code must run, its pictures must exist -------------------

GUIDE = ROOT / "docs" / "da"
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("page", sorted(p.name for p in GUIDE.glob("*.md")))
def test_guide_code_runs(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ```python block of a page runs, top to bottom, in one namespace."""
    monkeypatch.chdir(tmp_path)  # blocks that save files write here
    namespace: dict = {}
    for i, block in enumerate(PYTHON_BLOCK.findall((GUIDE / page).read_text("utf-8"))):
        if "import torch" in block and not torch_available():
            continue
        exec(compile(block, f"{page} block {i}", "exec"), namespace)


def test_guide_pictures_exist_and_are_small() -> None:
    text = "".join(p.read_text("utf-8") for p in GUIDE.glob("*.md"))
    pictures = re.findall(r"\]\((img/[^)]+)\)", text)
    assert pictures
    for picture in pictures:
        assert (GUIDE / picture).is_file(), picture
    total = sum(p.stat().st_size for p in (GUIDE / "img").iterdir())
    assert total < 1_000_000
