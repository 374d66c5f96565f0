"""nn.training: the training loop and the tools around it.

- fit: `fit(model, loss_fn, optimizer, X, y, epochs=...)` trains full-batch or with
  mini-batches, tracks validation loss and metrics, and returns a `History`.
- early_stopping: `EarlyStopping` stops when the validation score stops improving
  and restores the best epoch's weights.
- cross_validation: `cross_validate` trains k fresh models on k folds, with the
  scaler fitted inside each fold (no leakage).
- evaluation: `evaluate` scores a trained model; how outputs become predictions.
- history, checks, engine: the per-epoch record, the input checks, and how a
  batch passes through a Tensor model or a scalar (Value) model.
"""

from nn.training.cross_validation import CrossValidationResult, cross_validate
from nn.training.early_stopping import EarlyStopping
from nn.training.evaluation import evaluate
from nn.training.fit import TrainingDivergedError, fit
from nn.training.history import History

__all__ = [
    "CrossValidationResult",
    "EarlyStopping",
    "History",
    "TrainingDivergedError",
    "cross_validate",
    "evaluate",
    "fit",
]
