"""`fit`: the training loop, written once so that every lesson can reuse it.

Every epoch (one pass over the training data) does the same steps:

1. ``model.train()`` (dropout on), then for each batch:
   zero the gradients -> forward pass -> loss -> ``loss.backward()`` -> ``optimizer.step()``.
2. ``model.eval()`` (dropout off) and, without recording gradients, measure the
   loss and metrics of the model as it now is: on the training data (``loss``)
   and on the validation data (``val_loss``, ``val_accuracy``, ...).
3. Record those numbers in the History, update the progress bar, and ask early
   stopping whether to go on.

Full batch or mini-batches? With ``batch_size=None`` every step uses all the
training data: the gradient is exact, so the loss falls smoothly, but each step
costs a full pass. With ``batch_size=32`` each step uses 32 random rows (stochastic
gradient descent, SGD): the gradient is a noisy estimate, but there are n/32 steps
per epoch, so training usually gets far in fewer epochs, and the noise even helps
to escape poor regions. The rows are reshuffled every epoch so the batches differ.

Why a validation set? The training loss only tells how well the model fits data
it has seen. A model can fit the training data ever better while getting worse on
new data (overfitting). The validation loss, on data never used for a gradient
step, shows when that starts, and `EarlyStopping` acts on it.
"""

from __future__ import annotations

import math
import sys
import warnings
from typing import Any

import numpy as np

from nn.training.checks import check_pair, sample_weights, split_off_validation
from nn.training.early_stopping import EarlyStopping
from nn.training.engine import Job, value_of
from nn.training.evaluation import Predict, compute_metrics, measure, resolve_metrics
from nn.training.history import History
from tinygrad_dk import generator


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite during training.

    `epoch` (counted from 0, as in History) and `batch` (from 0, or None when the
    blow-up was found in the end-of-epoch evaluation) say where it happened.
    `history` holds the epochs that finished before it. When early stopping had
    kept the weights of a best epoch, they have been put back into the model
    (`restored_epoch` says which; None when nothing was restored).
    """

    def __init__(self, loss: float, epoch: int, epochs: int, batch: int | None = None,
                 n_batches: int | None = None) -> None:
        where = f"epoch {epoch}/{epochs} (epochs counted from 0, as in History)"
        if batch is not None:
            where += f", batch {batch + 1}/{n_batches}"
        else:
            where += ", after the epoch's last step"
        self.advice = (
            f"the training loss became {loss} at {where}. The weights have blown up: the "
            "steps are too large. Lower the learning rate (e.g. 10x smaller), scale the "
            "features (nn.data.StandardScaler), and check X and y for huge values."
        )
        super().__init__(self.advice)
        self.loss, self.epoch, self.batch = loss, epoch, batch
        self.history: History | None = None
        self.restored_epoch: int | None = None

    def note_restored(self, epoch: int) -> None:
        """Say in the message that the weights of ``epoch`` were put back."""
        self.restored_epoch = epoch
        self.args = (f"{self.advice} The model now holds the weights of the best epoch so "
                     f"far, epoch {epoch} (restored by early stopping); the History of the "
                     "finished epochs is in this error's .history.",)


def _check_whole(value: Any, name: str, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a whole number{' or None' if allow_none else ''}, "
                        f"got {value!r}.")
    if value < 1:
        raise ValueError(f"{name}={value} must be at least 1.")


def _validation_arrays(X: np.ndarray, y: np.ndarray, validation_data: Any,
                       validation_split: Any) -> tuple[np.ndarray, ...]:
    """(X_train, y_train, X_val, y_val); the validation pair is (None, None) if there is none."""
    if validation_data is not None and validation_split is not None:
        raise ValueError("pass validation_data or validation_split, not both.")
    if validation_split is not None:
        return split_off_validation(X, y, validation_split)
    if validation_data is None:
        return X, y, None, None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise TypeError("validation_data must be a pair (X_val, y_val).")
    X_val, y_val = check_pair(validation_data[0], validation_data[1], "validation")
    if X_val.shape[1:] != X.shape[1:]:
        raise ValueError(
            f"validation X has rows of shape {X_val.shape[1:]} but training X has "
            f"{X.shape[1:]}; both need the same features."
        )
    return X, y, X_val, y_val


def _warn_if_sorted(y_train: np.ndarray, y_val: np.ndarray, fraction: float) -> None:
    """Warn when the last rows (validation_split) miss classes: the data looks sorted."""
    if y_train.dtype.kind not in "biuf" or y_train.reshape(len(y_train), -1).shape[1] != 1:
        return  # not one label per row (e.g. one-hot targets): nothing simple to compare
    train_classes, val_classes = set(np.unique(y_train).tolist()), set(np.unique(y_val).tolist())
    if (len(val_classes) == 1 < len(train_classes)) or not val_classes <= train_classes:
        warnings.warn(
            f"validation_split={fraction} took the last rows, which hold classes "
            f"{sorted(val_classes)} while the training rows hold {sorted(train_classes)}: "
            "the rows look sorted. Shuffle X and y together first (e.g. with "
            "nn.data.train_test_split) or pass validation_data.",
            UserWarning,
            stacklevel=3,
        )


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (not merely when some module imported ipykernel)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def _progress_bar(epochs: int, progress: bool) -> Any:
    """A tqdm bar over the epochs, or None (switched off, or nowhere to show it).

    In Jupyter the notebook widget bar (``tqdm.auto``) is used; in a terminal the text
    bar; when stderr is neither (a log file, a test run) nothing is shown.
    """
    if not progress:
        return None
    in_notebook = _in_notebook()
    if not in_notebook and not sys.stderr.isatty():
        return None
    try:
        if in_notebook:
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=epochs, desc="fit", unit="epoch", leave=True)


def fit(model: Any, loss_fn: Any, optimizer: Any, X: Any, y: Any, *, epochs: int,
        batch_size: int | None = None, validation_data: Any = None,
        validation_split: float | None = None, early_stopping: EarlyStopping | None = None,
        metrics: Any = (), class_weight: Any = None, progress: bool = True,
        seed: int | None = None, predict: Predict | None = None) -> History:
    """Train `model` on (X, y) for up to `epochs` epochs and return its History.

    Args:
        model: an `nn.Module` of Tensors (called on a Tensor batch), or a scalar
            `nn.MLP` of Values (called on one sample, a list of floats; see
            `nn.training.engine`).
        loss_fn: loss(outputs, targets) -> one-number Tensor (or Value), e.g.
            `nn.MSELoss()` or `nn.functional.cross_entropy`.
        optimizer: has `zero_grad()` and `step()`, e.g. `optim.SGD(model.parameters(), lr=0.1)`.
        X, y: features (n_samples, ...) and targets; lists, numpy arrays or Tensors.
            NaN or infinity in them is refused before training starts.
        epochs: maximum number of passes over the training data.
        batch_size: None = full-batch gradient descent (one step per epoch, using all
            rows); an int = mini-batch SGD with rows reshuffled every epoch.
        validation_data: (X_val, y_val) to score after every epoch (never trained on).
        validation_split: a fraction such as 0.2: the LAST 20% of the rows become the
            validation data, without shuffling (as in Keras). If the rows are ordered
            (by class, by date), shuffle X and y together first, or pass validation_data;
            for classification fit warns when the validation rows look sorted (a
            single class, or a class the training rows lack).
        early_stopping: an `EarlyStopping`; stops training when its monitored quantity
            stops improving and leaves the model with the best epoch's weights.
        metrics: names ('accuracy', 'f1', 'precision', 'recall', 'r2', 'rmse', 'mae')
            and/or callables fn(y_true, y_pred) -> float; each is logged per epoch for
            the training data and, as 'val_<name>', for the validation data. How outputs
            become predictions is described in `nn.training.evaluation`.
        class_weight: None, a dict {class: weight}, an array (weight of class c at index
            c) or "balanced". The loss of each batch becomes the weighted mean
            sum(w_i * loss_i) / sum(w_i), so errors on rare classes count more.
            `loss` and `val_loss` are both reported with these weights.
        progress: show a tqdm bar with epoch, loss and val_loss (only when stderr is a
            terminal, so logs and test output stay clean).
        seed: seeds the mini-batch shuffling; None uses the generator that
            `tinygrad_dk.manual_seed` controls.
        predict: outputs (numpy array) -> predictions, replacing the default rule.

    Returns:
        A `History`. `history["loss"][e]` is the mean loss over ALL training rows of the
        model at the END of epoch e, computed in eval mode without gradients (batch
        losses weighted by batch size, so the value is exact). This differs from Keras,
        which averages the batch losses seen while the weights were still changing; here
        `loss` and `val_loss` measure the same model in the same way, so the two curves
        can be compared directly. The model is left in eval mode.

    Raises:
        ValueError: empty data, NaN/inf in the data, mismatched lengths, bad arguments.
        TrainingDivergedError (a FloatingPointError): the loss became NaN or infinite.
    """
    _check_whole(epochs, "epochs")
    _check_whole(batch_size, "batch_size", allow_none=True)
    X_all, y_all = check_pair(X, y)
    X_train, y_train, X_val, y_val = _validation_arrays(X_all, y_all, validation_data,
                                                        validation_split)
    job = Job(model, loss_fn)
    if validation_split is not None and job.loss.task == "classification":
        _warn_if_sorted(y_train, y_val, validation_split)
    has_val = X_val is not None
    X_train, y_train = job.engine.prepare(X_train, y_train)
    if has_val:
        X_val, y_val = job.engine.prepare(X_val, y_val)
    w_train = w_val = None
    if class_weight is not None:
        w_train, *rest = sample_weights(class_weight, y_train, [y_val] if has_val else [])
        w_val = rest[0] if has_val else None
    resolved = resolve_metrics(metrics)
    rule = predict if predict is not None else job.loss.predict

    logged = ["loss"] + [name for name, _ in resolved]
    logged += ["val_" + name for name in logged] if has_val else []
    if early_stopping is not None:
        if early_stopping.monitor not in logged:
            hint = (" It needs validation data: pass validation_data or validation_split."
                    if early_stopping.monitor.startswith("val_") and not has_val else "")
            raise ValueError(f"EarlyStopping monitors {early_stopping.monitor!r}, but fit "
                             f"will only log {logged}.{hint}")
        early_stopping.reset()
        history = History(early_stopping.monitor, early_stopping.mode)
    else:
        history = History("val_loss" if has_val else "loss", "min")

    n = len(X_train)
    n_batches = 1 if batch_size is None else math.ceil(n / min(int(batch_size), n))
    rng = np.random.default_rng(seed) if seed is not None else generator()
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(epochs):
            # 1. training: one gradient step per batch
            if hasattr(model, "train"):
                model.train()
            order = rng.permutation(n) if n_batches > 1 else None
            # each batch: zero_grad, forward and loss (in job.batches), backward, step
            number = 0  # (counted by hand: enumerate would keep the last batch alive)
            for batch in job.batches(X_train, y_train, w_train, batch_size, order,
                                     optimizer.zero_grad):
                value = value_of(batch.loss)
                if not math.isfinite(value):
                    raise TrainingDivergedError(value, epoch, epochs, number, n_batches)
                history.step_losses.append(value)
                batch.loss.backward()
                optimizer.step()
                del batch  # its graph and activations: freed before the next forward pass
                number += 1
            # 2. evaluation: the model as it is now, dropout off, no gradients
            if hasattr(model, "eval"):
                model.eval()
            logs = _epoch_logs(job, resolved, rule, (X_train, y_train, w_train),
                               (X_val, y_val, w_val) if has_val else None, batch_size)
            if not math.isfinite(logs["loss"]):
                raise TrainingDivergedError(logs["loss"], epoch, epochs)
            # 3. bookkeeping
            history.record(epoch, logs)
            if bar is not None:
                bar.update(1)
                bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()
                                 if k in ("loss", "val_loss")})
            if early_stopping is not None and early_stopping.update(epoch, logs, model):
                break
    except TrainingDivergedError as err:
        err.history = history
        if early_stopping is not None and early_stopping.best_weights is not None:
            early_stopping.restore(model)  # never hand back NaN weights when good ones exist
            err.note_restored(early_stopping.best_epoch)
        raise
    finally:
        if bar is not None:
            bar.close()
        if hasattr(model, "eval"):
            model.eval()  # also after an error or Ctrl-C: the model ends in eval mode
    if early_stopping is not None:
        early_stopping.restore(model)
        history._best_epoch = early_stopping.best_epoch
        history.stopped_epoch = early_stopping.stopped_epoch
    return history


def _epoch_logs(job: Job, metrics: list, rule: Predict, train: tuple,
                val: tuple | None, batch_size: int | None) -> dict[str, float]:
    """loss, metrics, then val_loss and val_ metrics, for the model as it is now."""
    X, y, w = train
    loss, outputs = measure(job, X, y, w, batch_size)
    logs = {"loss": loss, **compute_metrics(metrics, y, outputs, rule)}
    if val is not None:
        X_val, y_val, w_val = val
        val_loss, val_outputs = measure(job, X_val, y_val, w_val, batch_size)
        logs["val_loss"] = val_loss
        logs.update(compute_metrics(metrics, y_val, val_outputs, rule, prefix="val_"))
    return logs
