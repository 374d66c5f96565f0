"""`cross_validate`: k train/test rounds for a steadier estimate than one split.

One train/test split gives one number, and with a few hundred samples that number
depends a lot on which rows happened to land in the test set. K-fold
cross-validation trains k fresh models, each tested on a different fold and trained
on the other k-1 folds, so every sample is tested exactly once. Report the mean
of the k scores, and their standard deviation as a measure of how much the score
moves from one split to the next.

No leakage: everything that *learns from data* must learn from the training folds
only. Here that is the feature scaler: a new one is fitted inside every fold on that
fold's training rows and then applied, unchanged, to its test rows. Fitting it once
on all rows would let the test rows' means and spreads shape the training, and the
scores would come out too optimistic.

The test fold is never given to `fit`; it is only used for the final score. If you
use early stopping, pass `validation_split` (carved from the training folds) in the
fit arguments, so early stopping never peeks at the test fold either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nn.data.folds import KFold, StratifiedKFold
from nn.data.scaling import StandardScaler
from nn.losses import describe
from nn.training.checks import check_pair
from nn.training.evaluation import evaluate, resolve_metrics
from nn.training.fit import fit
from nn.training.history import History


@dataclass
class CrossValidationResult:
    """Scores of every fold, their mean and standard deviation, and the fits.

    scores: {name: [score of fold 0, fold 1, ...]} for "loss" and every metric,
        measured on each fold's test part.
    mean, std: {name: float}; std is the population standard deviation (ddof=0)
        of the fold scores, numpy's default.
    histories: the `History` of each fold's training.
    folds: the (train_indices, test_indices) of each fold.
    """

    scores: dict[str, list[float]]
    mean: dict[str, float]
    std: dict[str, float]
    histories: list[History] = field(repr=False)
    folds: list[tuple[np.ndarray, np.ndarray]] = field(repr=False)

    def __getitem__(self, key: str) -> Any:
        """Dict-style access: `result["mean"]["accuracy"]`."""
        return getattr(self, key)

    def __repr__(self) -> str:
        lines = [f"CrossValidationResult({len(self.folds)} folds)"]
        for name in self.scores:
            lines.append(f"  {name}: {self.mean[name]:.4g} +/- {self.std[name]:.4g}")
        return "\n".join(lines)


def _make_scaler(scale: Any) -> Any:
    """True -> StandardScaler(); False/None -> None; a class or factory -> a fresh one."""
    if scale is True:
        return StandardScaler()
    if scale is False or scale is None:
        return None
    if callable(scale):
        return scale()
    raise TypeError(
        f"scale must be True, False, or a scaler class/factory such as "
        f"nn.data.MinMaxScaler, got {scale!r}. (Pass the class, not a fitted instance, "
        "so that every fold gets a fresh scaler.)"
    )


def cross_validate(make_model: Callable[[], Any], make_optimizer: Callable[[Any], Any],
                   loss_fn: Any, X: Any, y: Any, k: int = 5, stratified: bool | None = None,
                   scale: Any = True, metrics: Any = None, seed: int | None = None,
                   **fit_kwargs: Any) -> CrossValidationResult:
    """Train and test a fresh model on each of k folds; return per-fold scores and summaries.

    Args:
        make_model: no arguments -> a new, untrained model (called once per fold).
        make_optimizer: the model's parameters -> an optimizer, e.g.
            ``lambda params: optim.Adam(params, lr=0.01)``.
        loss_fn: the loss, as for `fit`.
        X, y: all the data; lists, numpy arrays or Tensors.
        k: number of folds.
        stratified: keep the class proportions in every fold (`StratifiedKFold`) or
            use plain shuffled `KFold`; None (default) asks the loss: stratified for a
            classification loss, plain for a regression loss.
        scale: True fits a `StandardScaler` on each fold's training rows; False
            does no scaling; a class or factory (e.g. `nn.data.MinMaxScaler`) makes
            that scaler instead.
        metrics: as in `fit`; scored on each test fold after training. None (default)
            asks the loss: accuracy for classification, R^2 for regression.
        seed: shuffles the folds reproducibly and also seeds the mini-batch order;
            when given, `tinygrad_dk.manual_seed(seed + fold)` is called before each
            `make_model()`, so the initial weights are reproducible too.
        **fit_kwargs: passed on to `fit`; `epochs` is required. `progress` defaults to
            False here (k progress bars are more noise than help).
    """
    if "epochs" not in fit_kwargs:
        raise TypeError("cross_validate needs epochs=... (it is passed on to fit).")
    for taken in ("validation_data", "metrics", "seed"):
        if taken in fit_kwargs:
            raise TypeError(f"{taken} cannot be passed to cross_validate's fit: "
                            + ("the test fold is only for the final score; use "
                               "validation_split." if taken == "validation_data"
                               else "it is an argument of cross_validate itself."))
    fit_kwargs.setdefault("progress", False)
    X_all, y_all = check_pair(X, y)
    classification = describe(loss_fn).task == "classification"
    if stratified is None:
        stratified = classification
    if metrics is None:
        metrics = ("accuracy",) if classification else ("r2",)
    resolved = resolve_metrics(metrics)
    splitter = (StratifiedKFold if stratified else KFold)(n_splits=k, shuffle=True, seed=seed)
    if stratified:
        _check_labels(y_all)

    scores: dict[str, list[float]] = {"loss": [], **{name: [] for name, _ in resolved}}
    histories: list[History] = []
    folds: list[tuple[np.ndarray, np.ndarray]] = []
    # plain KFold ignores y (and must not insist that regression targets are labels)
    split = splitter.split(X_all, y_all)
    for fold, (train_idx, test_idx) in enumerate(split):
        X_train, X_test = X_all[train_idx], X_all[test_idx]
        scaler = _make_scaler(scale)
        if scaler is not None:  # learn the scaling from this fold's training rows only
            X_train = np.asarray(scaler.fit_transform(X_train))
            X_test = np.asarray(scaler.transform(X_test))
        if seed is not None:
            from tinygrad_dk import manual_seed

            manual_seed(seed + fold)
        model = make_model()
        optimizer = make_optimizer(model.parameters())
        history = fit(model, loss_fn, optimizer, X_train, y_all[train_idx],
                      metrics=dict(resolved), seed=None if seed is None else seed + fold,
                      **fit_kwargs)
        result = evaluate(model, loss_fn, X_test, y_all[test_idx], metrics=dict(resolved),
                          batch_size=fit_kwargs.get("batch_size"),
                          class_weight=fit_kwargs.get("class_weight"),
                          predict=fit_kwargs.get("predict"))
        for name, value in result.items():
            scores[name].append(value)
        histories.append(history)
        folds.append((train_idx, test_idx))
    mean = {name: float(np.mean(values)) for name, values in scores.items()}
    std = {name: float(np.std(values)) for name, values in scores.items()}
    return CrossValidationResult(scores, mean, std, histories, folds)


def _check_labels(y: np.ndarray) -> None:
    """Stratifying needs class labels; give a clear hint for regression targets."""
    flat = y.reshape(len(y), -1)
    if flat.shape[1] != 1 or (y.dtype.kind == "f" and np.any(y != np.round(y))):
        raise ValueError(
            "stratified=True needs class labels in y, but y looks like regression "
            "targets; pass stratified=False for regression."
        )
