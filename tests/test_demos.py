"""Every demo runs in quick mode, writes its files and shows its lesson, for several seeds.

The demos are run in-process (`run(out_dir, quick=True, seed=...)`), each into its
own temporary folder; only `--list` goes through a subprocess, to check the command
line itself. `SANE` holds each lesson's headline effect as a direction ("tanh fits
better than sigmoid"), never as an exact number, and `test_lesson_holds_for_other_seeds`
checks that the direction is not one lucky draw. The code blocks of the Danish guide
(docs/da) are run too, so the guide cannot drift from the API. The whole file must
stay well under three minutes on two cores.
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
    # the autoencoder's codes sort the digits far better than random codes, but
    # worse than codes trained with the labels; PCA's two directions hold about 29% of
    # the variance (scikit-learn's PCA on the digits: 0.149 + 0.136) and sort the
    # digits far better than random codes too
    "unsupervised": lambda r: r["knn_autoencoder_codes"] > r["knn_random_codes"] + 0.15
    and 0.27 < r["pca_explained_variance"] < 0.30
    and r["knn_pca_codes"] > r["knn_random_codes"] + 0.15
    and r["knn_supervised_codes"] > r["knn_autoencoder_codes"] + 0.1
    and r["reconstruction_mse"] < 0.06,
    # 30 images memorised; each remedy beats no remedy on the same test images
    "little_data": lambda r: r["train_accuracy_no_remedy"] == 1
    and r["test_accuracy_augmentation"] > r["test_accuracy_no_remedy"]
    and r["test_accuracy_transfer"] > r["test_accuracy_no_remedy"] + 0.05
    and r["test_accuracy_simpler"] > r["test_accuracy_no_remedy"]
    and r["frozen_body_unchanged"],
    "wrong_labels": lambda r: r["test_accuracy_wrong_labels"] < r["test_accuracy_right_labels"]
    and r["wrong_caught_in_top"] > 0.8
    and r["test_accuracy_after_review"] > r["test_accuracy_wrong_labels"],
    "biased_data": lambda r: r["biased_accuracy_small"] > 0.85
    and r["biased_accuracy_large"] < r["representative_accuracy_large"] - 0.3
    and r["biased_recall_large"] < 0.5 < r["representative_recall_large"],
    # accuracy stays high while recall changes; the cross-validated threshold does not
    # make test F1 worse, and class weights / oversampling find more malignant tumours
    "imbalanced": lambda r: r["always_benign_recall"] == 0
    and r["always_benign_accuracy"] > 0.8 and 0 < r["tuned_threshold"] < 0.5
    and r["tuned_threshold_f1"] >= r["plain_f1"]
    and r["class_weights_recall"] > r["plain_recall"]
    and r["oversampling_recall"] > r["plain_recall"],
    "regression": lambda r: r["r2_scaled_features"] > 0.2
    and r["r2_scaled_features"] > r["r2_raw_features"]
    and r["mae_l1_with_outliers"] < r["mae_mse_with_outliers"],
    "nonlinear": lambda r: r["rmse_network_season"] < r["rmse_linear_season"] / 2
    and r["rmse_linear_engineered"] < r["rmse_linear_season"] / 2
    and r["rmse_linear_season"] < r["rmse_linear_year"] and r["missing_weeks"] == 59,
    "bounded_outputs": lambda r: r["negative_years_linear"] > 0 and r["lowest_linear"] < -10
    and r["lowest_relu"] >= 0 and r["lowest_softplus"] > 0 and r["lowest_log_target"] > -1
    and r["rmse_softplus"] < r["rmse_linear"],
    "tanh_output": lambda r: r["r2_tanh"] > r["r2_sigmoid"] + 0.2 and r["lowest_sigmoid"] > 0
    and -1 < r["lowest_tanh"] < 0 < r["highest_tanh"] < 1,
    # the weighted fit has the smaller error in percent; the network's interval widens
    # with income and gives the test households a higher likelihood than one width for all
    "heteroscedastic": lambda r: r["test_error_weighted"] < r["test_error_plain"]
    and r["sigma_ratio_rich_to_poor"] > 2 and r["test_nll_network"] < r["test_nll_fixed"]
    and r["coverage_fixed_poorer"] >= r["coverage_network_poorer"],
    "several_outputs": lambda r: r["loss_share_small"] < 0.001
    and r["r2_mean_standardised"] > r["r2_mean_raw"],
    "time_series": lambda r: r["rmse_mlp"] < 0.7 * r["rmse_naive"]
    and r["rmse_lstm"] < 0.8 * r["rmse_naive"],
    "cnn": lambda r: r["cnn_test_accuracy"] > 0.9 and r["cnn_weights"] < r["mlp_weights"]
    and r["cnn_shifted_accuracy"] > r["mlp_shifted_accuracy"] + 0.1,
    # without a remedy the validation loss climbs; with dropout it stays flat
    "overfitting": lambda r: r["train_accuracy_no_remedy"] > 0.9
    and r["val_loss_rise_no_remedy"] > 0.05
    and r["val_loss_rise_dropout"] < 0.25 * r["val_loss_rise_no_remedy"]
    and 0.5 < r["cv_accuracy_no_remedy"] <= 1,
}

# Lessons whose effect depends on random draws, and the extra seeds each is tried
# with (seed 0 runs in test_demo_runs_quick). Slow ones get fewer; all hold for 0-4.
OTHER_SEEDS = {
    "unsupervised": (1, 2, 3, 4), "little_data": (1, 2, 3, 4), "wrong_labels": (2, 4),
    "biased_data": (1, 2, 3, 4), "imbalanced": (1, 2, 3, 4), "regression": (1, 2),
    "nonlinear": (2, 4), "bounded_outputs": (1, 3), "tanh_output": (4,),
    "heteroscedastic": (1, 2, 3, 4), "several_outputs": (1, 2, 3, 4),
    "time_series": (1, 3), "overfitting": (2,), "cnn": (1, 2),
}


def test_every_demo_has_a_check() -> None:
    assert set(SANE) == set(demos.DEMOS)


@pytest.mark.parametrize("name", list(demos.DEMOS))
def test_demo_runs_quick(name: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    module = demos.load(name)
    assert module.__doc__ and len(module.__doc__) > 200, "a demo's docstring teaches"
    numbers = module.run(tmp_path, True, seed=0)
    printed = capsys.readouterr().out
    assert isinstance(numbers, dict) and numbers
    assert numbers_are_finite(numbers), numbers
    assert SANE[name](numbers), numbers
    for filename in module.OUTPUTS:
        path = tmp_path / filename
        assert path.is_file(), f"{name} did not write {filename}"
        assert path.stat().st_size > 0, f"{name} wrote an empty {filename}"
        assert str(path) in printed, f"{name} did not say that it wrote {filename}"


@pytest.mark.parametrize("name, seed", [(name, seed) for name, seeds in OTHER_SEEDS.items()
                                        for seed in seeds])
def test_lesson_holds_for_other_seeds(name: str, seed: int, tmp_path: Path,
                                      capsys: pytest.CaptureFixture) -> None:
    numbers = demos.load(name).run(tmp_path, True, seed=seed)
    capsys.readouterr()
    assert SANE[name](numbers), numbers


def test_other_seeds_name_real_demos() -> None:
    assert set(OTHER_SEEDS) <= set(demos.DEMOS)


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
