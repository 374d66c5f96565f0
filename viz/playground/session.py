"""One browser tab's playground: its data, its network, its training, its pictures.

A ``Session`` is plain, synchronous Python (no web library): the server gives every tab
its own Session and calls it from that tab's own worker thread, one call at a time,
so the session needs no locks. Tests and the benchmark drive it directly.

What it does:

* builds the data and the network from ``Settings`` (``seed`` fixes the data, the
  starting weights, the batches and the dropout masks, so a shared address gives the
  same run), and rebuilds what a change of settings needs;
* trains one epoch at a time (every training point once, in shuffled mini-batches,
  or in one step for ``batch=full``) with the chosen engine;
* makes the messages the page draws: ``state_message`` (the settings and any
  problem with them), ``network_message`` (the layout, the points, the features'
  pictures) and ``frame`` (epoch, losses, the output's picture, every hidden neuron's
  picture, the weights and their gradients, the loss curves);
* draws the selected neuron's graph for the selected point (``graph_message``).

The pictures come from a no-grad forward pass of the current weights through the
Tensor network over a 48 x 48 raster of the plane, whichever engine trains: they are
the same function of the same weights, and the engines differ in how they *train*.
Each picture is sent as bytes (base64): value -1 -> 0, 0 -> 127.5, +1 -> 255, clipped;
for classification the output shows 2 p - 1, with p the predicted probability of class 1.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from tinygrad_dk import Tensor, no_grad
from viz.playground import datasets
from viz.playground.engines import TensorEngine, ValueEngine, data_loss, initial_weights
from viz.playground.neuron_graph import neuron_graph
from viz.playground.state import CONTROLS, FEATURES, REAL_DATASETS, Settings

GRID = 48  # the output's picture is GRID x GRID; each neuron's is half that
_DATA_SETTINGS = ("data", "noise", "train", "points", "seed")
_NETWORK_SETTINGS = ("features", "hidden", "activation")


class TrainingDiverged(RuntimeError):
    """The loss or the weights stopped being finite numbers."""


def shades(values: np.ndarray) -> str:
    """A picture's values in [-1, 1] as base64 bytes (0 = -1, 255 = +1); NaN shows as 0."""
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)), -1.0, 1.0)
    return base64.b64encode(np.rint((v + 1.0) * 127.5).astype(np.uint8).tobytes()).decode()


class Session:
    """Data, network and training for one tab (see the module docstring)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.selected: tuple[int, int] | None = None  # (layer, neuron) whose graph is shown
        self.point = 0                                  # the data point the graph is for
        self._grid = datasets.grid(GRID)
        self._make_data()

    # --- building ---------------------------------------------------------------------

    def _make_data(self) -> None:
        s = self.settings
        rng = np.random.default_rng([s.seed, 0])
        self.points, self.targets = datasets.make_data(s.data, s.points, s.noise, rng)
        self.train_idx, self.test_idx = datasets.split(len(self.points), s.train, rng)
        self.point = int(self.train_idx[0])
        self.reset()

    def reset(self) -> None:
        """The network from its starting weights again; epoch 0, no history."""
        s = self.settings
        self.inputs = datasets.make_features(self.points, s.features)
        self.grid_inputs = datasets.make_features(self._grid, s.features)
        weights = initial_weights(s.layer_sizes, np.random.default_rng([s.seed, 1]))
        self.viewer = TensorEngine(s.layer_sizes, s.activation, weights)
        self._set_engine(weights)
        self.train_rng = np.random.default_rng([s.seed, 2])
        self.epoch = 0
        self.history: list[list[float]] = []
        self._history_sent = 0
        if self.selected is not None and not self._neuron_exists(*self.selected):
            self.selected = None
        self._record()

    def _set_engine(self, weights: Any) -> None:
        s = self.settings
        if s.engine == "tensor":
            self.viewer.set_weights(weights)
            self.trainer: TensorEngine | ValueEngine = self.viewer
        else:
            self.trainer = ValueEngine(s.layer_sizes, s.activation, weights)
        self.trainer.new_optimizer(s.optimizer, s.lr)

    def update(self, changes: Mapping[str, Any]) -> tuple[list[str], bool]:
        """Apply setting changes from the page.

        Returns the messages about refused changes, and whether the data or the network
        were rebuilt (then the page needs a new ``network_message``). A new engine or
        optimizer takes over the current weights; its optimizer starts with no memory
        (momentum, Adam's averages), which plain SGD does not have anyway.
        """
        old = self.settings
        self.settings, errors = old.updated(changes)
        new = self.settings

        def changed(names: tuple[str, ...]) -> bool:
            return any(getattr(old, name) != getattr(new, name) for name in names)

        if changed(_DATA_SETTINGS):
            self._make_data()
            return errors, True
        if changed(_NETWORK_SETTINGS):
            self.reset()
            return errors, True
        if changed(("engine", "optimizer")):
            self._set_engine(self.trainer.get_weights())
        elif new.lr != old.lr:
            self.trainer.optimizer.lr = new.lr
        return errors, False

    # --- training ---------------------------------------------------------------------

    def train_epoch(self) -> None:
        """Every training point once, in shuffled batches; then record the losses.

        Raises TrainingDiverged (after putting the weights back as they were before
        this epoch) when the loss or the weights stop being finite.
        """
        s = self.settings
        before = self.trainer.get_weights()
        n = len(self.train_idx)
        order = self.train_idx[self.train_rng.permutation(n)]
        size = n if s.batch is None else min(s.batch, n)
        with np.errstate(all="ignore"):  # overflow is detected below, not warned about
            for start in range(0, n, size):
                batch = order[start:start + size]
                loss = self.trainer.train_step(self.inputs[batch], self.targets[batch],
                                               self._masks(len(batch)), s.task, s.reg, s.rate)
                if not math.isfinite(loss):
                    self._diverged(before, f"the loss became {loss:g}")
        if not _finite(self.trainer.get_weights()):  # a last step can overflow the weights
            self._diverged(before, "the weights became infinite")
        self.epoch += 1
        self._record()

    def _diverged(self, before: Any, what: str) -> None:
        self._set_engine(before)
        self.trainer.optimizer.zero_grad()  # the failed step's gradients are not finite
        raise TrainingDiverged(
            f"training diverged in epoch {self.epoch + 1}: {what}, so the weights were put "
            "back as they were before that epoch; lower the learning rate (now "
            f"{self.settings.lr:g}) or the regularisation rate, then play again")

    def _masks(self, batch: int) -> list[np.ndarray] | None:
        """Inverted-dropout masks, one (batch, neurons) array per hidden layer."""
        p = self.settings.dropout
        if not p:
            return None
        return [(self.train_rng.random((batch, n)) >= p) / (1.0 - p) for n in self.settings.hidden]

    def _sync_viewer(self) -> None:
        if self.trainer is not self.viewer:
            self.viewer.set_weights(self.trainer.get_weights())

    def _record(self) -> None:
        """Append [epoch, train loss, test loss] to the history."""
        self._sync_viewer()
        with no_grad(), np.errstate(all="ignore"):
            scores = self.viewer.forward(self.inputs)[0].data[:, 0]
        self._scores = scores
        loss = data_loss(self.settings.task)
        train, test = (float(loss(Tensor(scores[idx]), self.targets[idx]).item())
                       for idx in (self.train_idx, self.test_idx))
        self.history.append([self.epoch, train, test])

    def accuracy(self) -> dict[str, float] | None:
        """Share of correctly classified train and test points (None for regression)."""
        if self.settings.task != "classification":
            return None
        right = (self._scores > 0) == (self.targets == 1)
        return {"train": float(right[self.train_idx].mean()),
                "test": float(right[self.test_idx].mean())}

    # --- messages for the page ----------------------------------------------------------

    def state_message(self, errors: list[str] | None = None) -> dict[str, Any]:
        """The settings (as the page's controls show them), the address and any problems."""
        s = self.settings
        return {"type": "state", "settings": s.as_strings(), "query": s.to_query(),
                "task": s.task, "errors": list(errors or []), "controls": list(CONTROLS),
                "real_data": list(REAL_DATASETS)}

    def network_message(self) -> dict[str, Any]:
        """The layout, the data points and the pictures of the input features."""
        s = self.settings
        pictures = []
        columns = datasets.make_features(self._grid, FEATURES)
        for name, column in zip(FEATURES, columns.T):
            top = np.abs(column).max()
            pictures.append({"name": name, "label": datasets.FEATURE_LABELS[name],
                             "active": name in s.features,
                             "picture": shades(column / top if top else column)})
        is_train = np.zeros(len(self.points), dtype=bool)
        is_train[self.train_idx] = True
        return {
            "type": "network", "task": s.task, "sizes": s.layer_sizes, "features": pictures,
            "points": np.round(self.points, 4).tolist(),
            "targets": np.round(self.targets, 4).tolist(), "train": is_train.tolist(),
            "grid": GRID, "domain": datasets.DOMAIN, "point": self.point,
        }

    def frame(self) -> dict[str, Any]:
        """Everything that changes while training: one update of the page."""
        self._sync_viewer()
        with no_grad(), np.errstate(all="ignore"):
            out, hidden = self.viewer.forward(self.grid_inputs)
        scores = out.data[:, 0]
        output = np.tanh(scores / 2) if self.settings.task == "classification" else scores
        neurons = [[shades(h.data[:, j].reshape(GRID, GRID)[::2, ::2]) for j in range(h.shape[1])]
                   for h in hidden]
        weights, grads = self.trainer.get_weights(), self.trainer.get_grads()
        since, self._history_sent = self._history_sent, len(self.history)
        _, train, test = self.history[-1]
        return {
            "type": "frame", "epoch": self.epoch, "engine": self.trainer.name,
            "loss": {"train": train, "test": test}, "accuracy": self.accuracy(),
            "history_from": since, "history": self.history[since:],
            "output": shades(output), "neurons": neurons,
            "weights": [W.tolist() for W, _ in weights], "biases": [b.tolist() for _, b in weights],
            "weight_grads": [W.tolist() for W, _ in grads],
            "bias_grads": [b.tolist() for _, b in grads],
        }

    # --- the neuron graph ----------------------------------------------------------------

    def _neuron_exists(self, layer: int, neuron: int) -> bool:
        sizes = self.settings.layer_sizes[1:]
        return 0 <= layer < len(sizes) and 0 <= neuron < sizes[layer]

    def select_neuron(self, layer: int, neuron: int) -> None:
        """Show the graph of this neuron (layer 0-based over hidden layers, then output)."""
        sizes = self.settings.layer_sizes[1:]
        if not 0 <= layer < len(sizes):
            raise ValueError(f"layer {layer} does not exist; this network has layers 0 to "
                             f"{len(sizes) - 1} (the hidden layers, then the output)")
        if not 0 <= neuron < sizes[layer]:
            raise ValueError(f"neuron {neuron} does not exist in layer {layer}, which has "
                             f"neurons 0 to {sizes[layer] - 1}")
        self.selected = (layer, neuron)

    def select_point(self, index: int) -> None:
        """Draw the graph for data point ``index`` (train or test)."""
        if not 0 <= index < len(self.points):
            raise ValueError(f"point {index} does not exist; the data has points 0 to "
                             f"{len(self.points) - 1}")
        self.point = index

    def graph_message(self) -> dict[str, Any]:
        """The selected neuron's graph for the selected point (or that nothing is selected)."""
        if self.selected is None:
            return {"type": "graph", "layer": None, "neuron": None, "point": self.point}
        layer, neuron = self.selected
        s = self.settings
        drawing = neuron_graph(self.trainer.get_weights(), s.activation, s.task, s.features,
                               self.inputs[self.point], self.targets[self.point], layer, neuron)
        return {"type": "graph", "layer": layer, "neuron": neuron, "point": self.point,
                "epoch": self.epoch, "svg": drawing.svg, "value": drawing.value,
                "grad": drawing.grad, "loss": drawing.loss, "note": drawing.note,
                "x": self.points[self.point].tolist(), "target": float(self.targets[self.point]),
                "is_output": layer == len(s.hidden)}


def _finite(weights: list[tuple[np.ndarray, np.ndarray]]) -> bool:
    return all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in weights)
