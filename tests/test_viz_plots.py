"""viz plots: every plot writes a real PNG; the data behind them is right."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import matplotlib.pyplot as plt  # noqa: E402

import viz  # noqa: E402
from tinygrad_dk import Tensor, Value  # noqa: E402
from viz.plots import _predict, activation_curves, softmax_curves  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def assert_png(path: Path) -> None:
    data = Path(path).read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 2000


class FakeHistory:
    """What nn.fit returns: per-epoch lists and the 0-based best epoch."""

    def __init__(self) -> None:
        self.history = {
            "loss": [1.0, 0.6, 0.4, 0.3, 0.2, 0.15],
            "val_loss": [1.1, 0.7, 0.5, 0.55, 0.6, 0.7],
            "accuracy": [0.5, 0.7, 0.8, 0.85, 0.9, 0.95],
            "val_accuracy": [0.5, 0.65, 0.75, 0.74, 0.72, 0.7],
        }
        self.best_epoch = 2


def two_blobs(n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-1, 0.5, (n, 2)), rng.normal(1, 0.5, (n, 2))])
    y = np.array([0] * n + [1] * n)
    return X, y


def test_plot_history_object(tmp_path):
    fig = viz.plot_history(FakeHistory(), path=tmp_path / "h.png")
    assert_png(tmp_path / "h.png")
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_title() == "loss" and acc_ax.get_title() == "accuracy"
    labels = [line.get_label() for line in loss_ax.get_lines()]
    assert labels[:2] == ["train", "validation"] and "best epoch: 2" in labels
    # epochs counted from 0, as History counts them: the marker sits at x = best_epoch
    train = loss_ax.get_lines()[0]
    assert list(train.get_xdata()) == [0, 1, 2, 3, 4, 5]
    marker = next(line for line in loss_ax.get_lines() if line.get_label() == "best epoch: 2")
    assert list(marker.get_xdata()) == [2, 2]
    assert loss_ax.get_xlabel() == "epoch (counted from 0)"


def test_plot_history_plain_dict_finds_best_epoch_itself(tmp_path):
    logs = {"loss": [3.0, 2.0, 1.0], "val_loss": [3.0, 1.5, 2.5]}
    fig = viz.plot_history(logs, metrics=["loss"], path=tmp_path / "d.png")
    assert_png(tmp_path / "d.png")
    assert "best epoch: 1" in [line.get_label() for line in fig.axes[0].get_lines()]


def test_plot_history_svg_by_extension(tmp_path):
    viz.plot_history({"loss": [1.0, 0.5]}, path=tmp_path / "h.svg")
    assert "<svg" in (tmp_path / "h.svg").read_text()


def test_plot_loss_curves_side_by_side_and_overlaid(tmp_path):
    curves = {"full batch": list(np.linspace(1, 0.1, 30)),
              "SGD": list(np.linspace(1, 0.1, 30) + 0.05 * np.sin(np.arange(30)))}
    fig = viz.plot_loss_curves(curves, path=tmp_path / "c.png")
    assert_png(tmp_path / "c.png")
    assert [ax.get_title() for ax in fig.axes] == ["full batch", "SGD"]
    fig = viz.plot_loss_curves(curves, overlay=True, logy=True, path=tmp_path / "o.png")
    assert_png(tmp_path / "o.png")
    assert len(fig.axes) == 1 and fig.axes[0].get_yscale() == "log"
    assert fig.axes[0].get_xlabel() == "step"
    fig = viz.plot_loss_curves(curves, overlay=True, xlabel="epoch")
    assert fig.axes[0].get_xlabel() == "epoch"
    assert fig.axes[0].get_lines()[0].get_xdata()[0] == 0  # counted from 0, as History


def test_plot_loss_curves_takes_a_history_from_fit(tmp_path):
    import nn
    import tinygrad_dk as tg
    from nn import optim

    tg.manual_seed(0)
    X, y = np.linspace(-1, 1, 20).reshape(-1, 1), np.linspace(0, 2, 20).reshape(-1, 1)
    model = nn.Sequential(nn.Linear(1, 1))
    history = nn.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), X, y,
                     epochs=5, validation_data=(X, y), progress=False)
    fig = viz.plot_loss_curves(history, path=tmp_path / "h.png")
    assert_png(tmp_path / "h.png")
    (ax,) = fig.axes  # training and validation loss in one plot
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"training", "validation"}
    np.testing.assert_allclose(lines["training"].get_ydata(), history["loss"])
    np.testing.assert_allclose(lines["validation"].get_ydata(), history["val_loss"])
    assert list(lines["training"].get_xdata()) == history.epochs
    assert ax.get_xlabel() == "epoch (counted from 0)"
    # a dict of Histories draws each one's training loss
    fig = viz.plot_loss_curves({"a": history, "b": history})
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), history["loss"])
    with pytest.raises(TypeError, match="History or a dict"):
        viz.plot_loss_curves([1.0, 0.5])


def test_a_returned_figure_shows_once_in_jupyter(monkeypatch):
    """Jupyter shows a cell's value and, at the end of the cell, every open pyplot figure.
    The figure viz returns takes itself off pyplot's list when it is displayed."""
    ipython_display = pytest.importorskip("IPython.display")
    shown = []
    monkeypatch.setattr(ipython_display, "display", lambda obj: shown.append(obj))
    fig = viz.plot_history({"loss": [1.0, 0.5]})
    assert plt.fignum_exists(fig.number)       # plt.show() in a script still finds it
    fig._ipython_display_()                    # IPython shows the cell's value ...
    assert len(shown) == 1 and shown[0].data.startswith(PNG_SIGNATURE)
    assert not plt.fignum_exists(fig.number)   # ... and the end-of-cell flush skips it


def test_plot_confusion_matrix(tmp_path):
    cm = [[5, 1, 0], [2, 7, 1], [0, 0, 0]]
    fig = viz.plot_confusion_matrix(cm, labels=["a", "b", "c"], normalize=True,
                                    path=tmp_path / "cm.png")
    assert_png(tmp_path / "cm.png")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "0.83" in texts and "0.70" in texts  # 5/6 and 7/10; the empty row stays 0
    with pytest.raises(ValueError, match="square"):
        viz.plot_confusion_matrix([[1, 2, 3]])


def test_decision_boundary_tensor_model_single_logit(tmp_path):
    X, y = two_blobs()
    w = Tensor([[1.0], [1.0]])

    def model(x: Tensor) -> Tensor:
        return x @ w  # (N, 1) logit: class 1 when x1 + x2 > 0

    fig = viz.plot_decision_boundary(model, Tensor(X), Tensor(y), title="blobs",
                                     path=tmp_path / "t.png")
    assert_png(tmp_path / "t.png")
    assert fig.axes[0].get_title() == "blobs"
    pred = _predict(model, np.array([[2.0, 2.0], [-2.0, -2.0]]), None)
    assert list(pred) == [1, 0]
    sigmoid_model = lambda x: (x @ w).sigmoid()  # noqa: E731
    assert list(_predict(sigmoid_model, np.array([[0.2, 0.0]]), 0.5)) == [1]


def test_decision_boundary_tensor_model_multiclass(tmp_path):
    X, y = two_blobs()
    w = Tensor([[1.0, -1.0, 0.0], [1.0, -1.0, 0.0]])
    viz.plot_decision_boundary(lambda x: x @ w, X, y, path=tmp_path / "m.png")
    assert_png(tmp_path / "m.png")
    assert list(_predict(lambda x: x @ w, np.array([[1.0, 1.0], [-1.0, -1.0]]), None)) == [0, 1]


def test_decision_boundary_scalar_engine_model(tmp_path):
    X, y = two_blobs(10)
    w1, w2 = Value(1.0), Value(1.0)

    def neuron(x: list[float]) -> Value:
        return (w1 * x[0] + w2 * x[1]).tanh()

    viz.plot_decision_boundary(neuron, X, 2 * y - 1, resolution=25, path=tmp_path / "s.png")
    assert_png(tmp_path / "s.png")
    assert list(_predict(neuron, np.array([[1.0, 1.0], [-1.0, -1.0]]), None)) == [1, 0]
    as_list = lambda x: [neuron(x), -neuron(x)]  # noqa: E731 - two scores, argmax
    assert list(_predict(as_list, np.array([[1.0, 1.0], [-1.0, -1.0]]), None)) == [0, 1]


def test_activations_derivatives_come_from_backward(tmp_path):
    viz.plot_activations(path=tmp_path / "a.png")
    assert_png(tmp_path / "a.png")
    curves = activation_curves((-3.0, 3.0), points=61)
    x, f, df = curves["sigmoid"]
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(f, s, atol=1e-6)
    np.testing.assert_allclose(df, s * (1 - s), atol=1e-6)
    x, f, df = curves["tanh"]
    np.testing.assert_allclose(df, 1 - np.tanh(x) ** 2, atol=1e-6)
    x, f, df = curves["ReLU"]
    np.testing.assert_array_equal(df[x < 0], 0.0)
    np.testing.assert_array_equal(df[x > 0], 1.0)
    x, f, df = curves["leaky ReLU (slope 0.01)"]
    np.testing.assert_allclose(df[x < 0], 0.01)  # PyTorch's default slope
    x, f, df = curves["linear (no activation)"]
    np.testing.assert_allclose(f, x)
    np.testing.assert_allclose(df, 1.0)


def test_softmax_curves_cover_three_classes():
    x, p, dp0 = softmax_curves((-3.0, 3.0), points=61)
    assert p.shape == (61, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)
    scores = np.stack([x, np.full_like(x, 1.0), np.full_like(x, -1.0)], axis=1)
    expected = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(p, expected, atol=1e-6)
    np.testing.assert_allclose(dp0, expected[:, 0] * (1 - expected[:, 0]), atol=1e-6)
    assert np.all(np.diff(p[:, 0]) > 0) and np.all(np.diff(p[:, 1]) < 0)


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "tinygrad-dk\[plot\]"'):
        viz.plot_activations()


def test_viz_imports_neither_nn_nor_matplotlib_eagerly():
    import subprocess

    code = ("import sys, viz; print('nn' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stderr
