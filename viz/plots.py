"""Training plots: learning curves, decision boundaries, activations, confusion matrices.

matplotlib is optional (``pip install "tinygrad-dk[plot]"``) and imported only when a
plot is made. Every function returns the matplotlib ``Figure`` and takes ``path=`` to
save it (the extension picks png, svg or pdf).

Epochs are counted from 0 on every x axis, as ``History`` counts them, so the best
epoch a plot marks is the number ``history.best_epoch`` holds.

In Jupyter a returned figure shows once, whether it is the last line of a cell, is
assigned to a name, or is followed by ``plt.show()`` (see ``_ShowOnce``).
"""

from __future__ import annotations

import functools
import io
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

import tinygrad_dk as tg
from tinygrad_dk import Node, Tensor


def _pyplot() -> Any:
    """Import matplotlib.pyplot, choosing the file-only Agg backend when there is no screen."""
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError(
            'viz plots need matplotlib: pip install "tinygrad-dk[plot]"'
        ) from err
    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless and "MPLBACKEND" not in os.environ and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@functools.cache
def _show_once_class() -> type:
    """The Figure class viz draws on (made on first use: matplotlib is imported lazily)."""
    from matplotlib.figure import Figure

    class _ShowOnce(Figure):
        """A Figure that Jupyter shows exactly once.

        A notebook shows a figure twice when a function returns it: once as the cell's
        value, once more when the inline backend shows every open pyplot figure at the
        end of the cell. Whichever display comes first lands here: the figure is taken
        out of pyplot's list of open figures (so the second display does not happen)
        and shown as a PNG. Outside IPython nothing calls this method.
        """

        def _ipython_display_(self) -> None:
            import matplotlib.pyplot as plt
            from IPython.display import Image, display

            plt.close(self)
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", bbox_inches="tight")
            display(Image(data=buffer.getvalue(), format="png"))

    return _ShowOnce


def _subplots(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """``plt.subplots`` on a figure that shows once in Jupyter."""
    return _pyplot().subplots(*args, FigureClass=_show_once_class(), **kwargs)


def _finish(fig: Any, path: str | os.PathLike | None) -> Any:
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110, bbox_inches="tight")
    return fig


def _legend_below(ax: Any, columns: int = 3) -> None:
    """A legend under the plot, where it cannot cover a curve."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=columns, frameon=False)


def _as_array(x: Any) -> np.ndarray:
    """numpy array from a Tensor or Value, an array, or (nested) lists of numbers or Values."""
    if isinstance(x, Node):
        return np.asarray(x.numpy())
    if isinstance(x, list | tuple):
        return np.asarray([_as_array(v) for v in x])
    return np.asarray(x)


# --- Learning curves --------------------------------------------------------------


def plot_history(history: Any, metrics: Sequence[str] | None = None, *,
                 path: str | os.PathLike | None = None) -> Any:
    """Train vs validation curves per metric, with the best epoch marked.

    ``history`` is the object ``nn.fit`` returns (its ``.history`` dict and
    ``.best_epoch``) or a plain dict such as ``{'loss': [...], 'val_loss': [...]}``.
    When validation loss rises while training loss keeps falling, the model is
    overfitting: the shaded region after the best epoch shows where. Epochs are
    counted from 0, as in ``History``: the marked epoch is ``history.best_epoch``.
    """
    logs: Mapping[str, Sequence[float]] = getattr(history, "history", history)
    best = getattr(history, "best_epoch", None)
    if metrics is None:
        metrics = [k for k in logs if not k.startswith("val_")]
        metrics += [k[4:] for k in logs if k.startswith("val_") and k[4:] not in metrics]
    if not metrics:
        raise ValueError("history is empty: nothing to plot")
    if best is None and logs.get("val_loss"):
        best = int(np.nanargmin(np.asarray(logs["val_loss"], dtype=float)))

    fig, axes = _subplots(1, len(metrics), figsize=(6 * len(metrics), 4.4), squeeze=False)
    for ax, name in zip(axes[0], metrics):
        for key, what, line in ((name, "train", "-"), ("val_" + name, "validation", "--")):
            values = logs.get(key)
            if values:
                epochs = np.arange(len(values))  # counted from 0, as History does
                ax.plot(epochs, np.asarray(values, dtype=float), line, marker=".", label=what)
        if best is not None:
            ax.axvline(best, color="green", linestyle=":", label=f"best epoch: {best}")
            last = max(len(logs.get(k) or []) for k in (name, "val_" + name)) - 1
            if last > best:
                ax.axvspan(best, last, color="red", alpha=0.06)
        ax.set_title(name)
        ax.set_xlabel("epoch (counted from 0)")
        ax.grid(alpha=0.3)
        _legend_below(ax)
    if best is not None:
        fig.suptitle("shaded: epochs after the best one (validation no longer improves)",
                     fontsize=11)
    return _finish(fig, path)


def _loss_lists(curves: Any) -> tuple[dict[str, Sequence[float]], bool]:
    """{name: losses} from a History, a dict of lists or a dict of Histories.

    The flag says whether the curves are per epoch (they came from a History).
    """
    if hasattr(curves, "history"):  # one History: its training and validation loss
        logs = curves.history
        named = {"training": logs.get("loss"), "validation": logs.get("val_loss")}
        return {k: v for k, v in named.items() if v}, True
    if not isinstance(curves, Mapping):
        raise TypeError(f"curves must be a History or a dict {{name: losses}}, "
                        f"got {type(curves).__name__}")
    from_history = any(hasattr(v, "history") for v in curves.values())
    return {name: (v.history["loss"] if hasattr(v, "history") else v)
            for name, v in curves.items()}, from_history


def plot_loss_curves(curves: Any, *, logy: bool = False, overlay: bool | None = None,
                     xlabel: str | None = None,
                     path: str | os.PathLike | None = None) -> Any:
    """Loss curves side by side (shared y axis), e.g. ``{'full batch': a, 'SGD': b}``.

    ``curves`` is a dict {name: list of losses}, a dict {name: History} (each
    History's training loss), or one ``History`` (its training and validation loss,
    overlaid). ``overlay=True`` draws everything in one plot (the default for one
    History; side by side otherwise); ``logy=True`` uses a
    log y axis; ``xlabel`` names what the x axis counts (``"gradient step"``, ...).
    The x axis counts from 0, as ``History`` does.
    """
    given = curves
    curves, per_epoch = _loss_lists(curves)
    if not curves:
        raise ValueError("curves is empty: give {name: list_of_losses} or a History")
    if overlay is None:  # one History: its two curves belong in one plot
        overlay = hasattr(given, "history")
    if xlabel is None:
        xlabel = "epoch (counted from 0)" if per_epoch else "step"
    n = 1 if overlay else len(curves)
    fig, axes = _subplots(1, n, figsize=(6 if overlay else 5 * n, 4.2), sharey=True,
                          squeeze=False)
    for i, (name, losses) in enumerate(curves.items()):
        ax = axes[0][0 if overlay else i]
        ax.plot(np.arange(len(losses)), _as_array(list(losses)).astype(float),
                label=name, color=f"C{i}")
        ax.set_xlabel(xlabel)
        ax.set_title("loss" if overlay else name)
        if logy:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        if overlay:
            ax.legend()
    axes[0][0].set_ylabel("loss")
    return _finish(fig, path)


def plot_confusion_matrix(cm: Any, labels: Sequence[str] | None = None, *,
                          normalize: bool = False,
                          path: str | os.PathLike | None = None) -> Any:
    """Draw a confusion matrix: rows are true classes, columns predicted classes.

    ``normalize=True`` divides each row by its total, so a cell reads "fraction of
    this true class predicted as that class" (the diagonal is the per-class recall).
    """
    m = _as_array(cm).astype(float)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"cm must be a square matrix, got shape {m.shape}")
    if normalize:
        totals = m.sum(axis=1, keepdims=True)
        m = np.divide(m, totals, out=np.zeros_like(m), where=totals != 0)
    labels = [str(v) for v in (labels if labels is not None else range(len(m)))]
    if len(labels) != len(m):
        raise ValueError(f"{len(labels)} labels for a {len(m)}x{len(m)} matrix")
    size = max(3.6, 1.2 + 0.55 * len(m))
    fig, ax = _subplots(figsize=(size + 1.2, size))
    image = ax.imshow(m, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax)
    ax.set_xticks(range(len(m)), labels)
    ax.set_yticks(range(len(m)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("confusion matrix" + (" (row-normalised)" if normalize else ""))
    threshold = m.max() / 2 if m.size else 0
    for (i, j), v in np.ndenumerate(m):
        text = f"{v:.2f}" if normalize else f"{v:g}"
        ax.text(j, i, text, ha="center", va="center",
                color="white" if v > threshold else "black")
    return _finish(fig, path)


# --- Decision boundaries ------------------------------------------------------------


def _tensor_scores(model: Callable[..., Any], points: np.ndarray) -> np.ndarray | None:
    """Scores of a Tensor-engine model on (N,2) points, or None if it is not one."""
    try:
        with tg.no_grad():
            out = model(Tensor(points.astype(np.float32)))
    except Exception:  # noqa: BLE001 - any failure means "not a Tensor-engine model"
        return None
    if not isinstance(out, Tensor | np.ndarray) or np.ndim(out) == 0:
        return None
    arr = _as_array(out)
    return arr if arr.shape[0] == len(points) else None


def _scalar_scores(model: Callable[..., Any], points: np.ndarray) -> np.ndarray:
    """Scores of a scalar-engine model, called on one ``[x1, x2]`` list per point."""
    rows = []
    for x1, x2 in points:
        out = model([float(x1), float(x2)])
        outs = out if isinstance(out, list | tuple) else [out]
        rows.append([float(_as_array(o)) for o in outs])
    return np.asarray(rows, dtype=float)


def _predict(model: Callable[..., Any], points: np.ndarray,
             threshold: float | None) -> np.ndarray:
    """Class index (0, 1, ...) for every point, from either engine."""
    scores = _tensor_scores(model, points[:2])
    if scores is not None:
        scores = _tensor_scores(model, points)
    if scores is None:
        scores = _scalar_scores(model, points)
    scores = scores.reshape(len(points), -1)
    if scores.shape[1] == 1:
        return (scores[:, 0] > (0.0 if threshold is None else threshold)).astype(int)
    return scores.argmax(axis=1)


def plot_decision_boundary(model: Callable[..., Any], X: Any, y: Any, *,
                           threshold: float | None = None, resolution: int | None = None,
                           title: str = "decision boundary",
                           path: str | os.PathLike | None = None) -> Any:
    """Colour the plane by the class ``model`` predicts and scatter the data on top.

    ``model`` is any callable, from either engine:

    * Tensor engine: takes an (N, 2) Tensor, returns (N,) or (N, 1) scores/logits
      (class 1 where score > ``threshold``, default 0; pass 0.5 after a sigmoid)
      or (N, C) logits (class = argmax);
    * scalar engine: takes ``[x1, x2]`` and returns a Value or a list of Values.

    ``resolution`` is the grid size per axis (default 200 for Tensor models, 50 for
    the slower scalar engine).
    """
    X = _as_array(X).astype(float)
    y = _as_array(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2) (two features), got {X.shape}")
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot labels
        y = y.argmax(axis=1)
    y = y.reshape(len(X))
    classes = np.unique(y)

    is_tensor_model = _tensor_scores(model, X[:2]) is not None
    n = resolution or (200 if is_tensor_model else 50)
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 1e-9
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    pred = _predict(model, grid, threshold).reshape(gx.shape)

    plt = _pyplot()
    fig, ax = _subplots(figsize=(6, 5.2))
    n_levels = max(int(pred.max()) + 1, len(classes), 2)
    ax.contourf(gx, gy, pred, levels=np.arange(n_levels + 1) - 0.5, cmap="coolwarm",
                alpha=0.35)
    ax.contour(gx, gy, pred, levels=np.arange(n_levels) + 0.5, colors="k", linewidths=1)
    for i, c in enumerate(classes):
        mask = y == c
        ax.scatter(X[mask, 0], X[mask, 1], s=18, edgecolor="k", linewidth=0.4,
                   color=plt.get_cmap("coolwarm")(i / max(len(classes) - 1, 1)),
                   label=f"class {c}")
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return _finish(fig, path)


# --- Activation functions -----------------------------------------------------------


ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "sigmoid": tg.sigmoid,
    "tanh": tg.tanh,
    "ReLU": tg.relu,
    "leaky ReLU (slope 0.01)": lambda x: tg.leaky_relu(x, 0.01),
    "linear (no activation)": lambda x: 1.0 * x,
}
# softmax over three classes: the score of class 0 is x, the others are fixed
SOFTMAX_OTHER_SCORES = (1.0, -1.0)


def activation_curves(x_range: tuple[float, float] = (-5.0, 5.0),
                      points: int = 401) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """{name: (x, f(x), f'(x))}, the derivative computed by the engine's own backward()."""
    curves = {}
    for name, fn in ACTIVATIONS.items():
        x = Tensor(np.linspace(*x_range, points), requires_grad=True)
        out = fn(x)
        out.sum().backward()  # each output depends only on its own x: grad = f'(x)
        curves[name] = (x.data.copy(), out.data.copy(), x.grad.data.copy())
    return curves


def softmax_curves(x_range: tuple[float, float] = (-5.0, 5.0),
                   points: int = 401) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, p, dp0/dx) for softmax over three classes with scores [x, 1, -1].

    p has one column per class; every row sums to 1, so raising one class's score
    takes probability from the others. dp0/dx = p0 (1 - p0) comes from backward().
    """
    x = Tensor(np.linspace(*x_range, points), requires_grad=True)
    others = [tg.full_like(x, score) for score in SOFTMAX_OTHER_SCORES]
    p = tg.softmax(tg.stack([x, *others], axis=1), axis=1)
    p[:, 0].sum().backward()
    return x.data.copy(), p.data.copy(), x.grad.data.copy()


def plot_activations(x_range: tuple[float, float] = (-5.0, 5.0), *,
                     path: str | os.PathLike | None = None) -> Any:
    """Each activation function and its derivative, as computed by backpropagation.

    Notice where the derivative is (nearly) zero: sigmoid and tanh saturate for
    large |x|, ReLU is dead for x < 0, leaky ReLU keeps a small slope (0.01, so
    its line lies just above 0), a linear output passes everything on. The last
    panel is softmax over three classes: the probabilities always sum to 1, and as
    the score of class 0 grows, p0 takes probability from the other two.
    """
    curves = activation_curves(x_range)
    fig, axes = _subplots(2, 3, figsize=(13, 7.6), sharex=True)
    for ax, (name, (x, f, df)) in zip(axes.flat, curves.items()):
        ax.plot(x, f, linewidth=2, label="f(x)")
        ax.plot(x, df, "--", linewidth=2, label="f'(x) by backward()")
        ax.set_title(name)
    x, p, dp0 = softmax_curves(x_range)
    ax = axes.flat[5]
    for k, score in enumerate(("x", *map(str, SOFTMAX_OTHER_SCORES))):
        ax.plot(x, p[:, k], linewidth=2, color=f"C{k + 2}", label=f"p{k} (score {score})")
    ax.plot(x, dp0, "--", linewidth=2, color="C1", label="dp0/dx by backward()")
    ax.set_title("softmax over 3 classes: scores [x, 1, -1]")
    ax.legend(fontsize=9, loc="center left")
    for ax in axes.flat:
        ax.axhline(0, color="gray", linewidth=0.5)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=9)
    return _finish(fig, path)
