"""Feature scaling: `StandardScaler` and `MinMaxScaler`.

Features on very different scales (breast-cancer areas near 1000 next to
smoothness values near 0.1) make gradient descent slow and unstable: one
learning rate is too big for some weights and too small for others. Scaling
every feature to a similar range fixes that.

Fit on the training data only. A scaler *learns* numbers from data (a mean, a
minimum, ...). If it learns them from all the data, facts about the test rows
leak into the training pipeline, and the test score becomes too optimistic: it no
longer measures performance on truly unseen data. So::

    scaler = StandardScaler().fit(X_train)      # learn from training rows only
    X_train_s = scaler.transform(X_train)
    X_test_s = scaler.transform(X_test)         # reuse the training numbers

Inside cross-validation, fit a new scaler on each training fold for the same
reason.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.data.convert import like_input, to_numpy

# A feature whose spread is below this fraction of its size is treated as constant:
# its "spread" is only floating-point rounding noise, and dividing by it would blow
# the noise up to huge values.
_CONSTANT_TOLERANCE = 10 * np.finfo(np.float64).eps


class _Scaler:
    """Shared plumbing: input checks, fit_transform, and returning the input's kind."""

    _fitted_attribute = ""

    def _learn(self, X: np.ndarray) -> None:
        raise NotImplementedError

    def _forward(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _backward(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _as_2d_float(self, X: Any, method: str) -> tuple[np.ndarray, np.dtype]:
        """Check X is a finite 2-D numeric array; compute in float64, remember the dtype."""
        array = to_numpy(X, "X")
        if array.ndim != 2:
            hint = " Use X.reshape(-1, 1) for a single feature." if array.ndim == 1 else ""
            raise ValueError(
                f"{type(self).__name__}.{method} expects a 2-D array (n_samples, "
                f"n_features), got shape {array.shape}.{hint}"
            )
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{type(self).__name__} needs numbers, got dtype {array.dtype}.")
        if not np.all(np.isfinite(array)):
            raise ValueError(
                f"X passed to {type(self).__name__}.{method} contains NaN or infinity; "
                "remove or fill those values first."
            )
        # float32 stays float32 (the usual dtype for training); anything else -> float64
        out_dtype = array.dtype if array.dtype == np.float32 else np.dtype(np.float64)
        return array.astype(np.float64), out_dtype

    def _check_fitted(self, X: np.ndarray, method: str) -> None:
        if not hasattr(self, self._fitted_attribute):
            raise ValueError(
                f"this {type(self).__name__} is not fitted yet; call .fit(X_train) (or "
                f".fit_transform(X_train)) before .{method}()."
            )
        expected = getattr(self, self._fitted_attribute).shape[0]
        if X.shape[1] != expected:
            raise ValueError(
                f"X has {X.shape[1]} features but the scaler was fitted on {expected}."
            )

    def fit(self, X: Any) -> _Scaler:
        """Learn the scaling from X (the training data only); returns self."""
        array, _ = self._as_2d_float(X, "fit")
        if array.shape[0] == 0:
            raise ValueError("cannot fit a scaler on 0 samples.")
        self._learn(array)
        return self

    def transform(self, X: Any) -> Any:
        """Scale X with what fit() learned; a Tensor in gives a Tensor out."""
        array, dtype = self._as_2d_float(X, "transform")
        self._check_fitted(array, "transform")
        return like_input(X, self._forward(array).astype(dtype))

    def fit_transform(self, X: Any) -> Any:
        """`fit(X)` then `transform(X)`, for the training data."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> Any:
        """Undo transform: map scaled values back to original units."""
        array, dtype = self._as_2d_float(X, "inverse_transform")
        self._check_fitted(array, "inverse_transform")
        return like_input(X, self._backward(array).astype(dtype))


class StandardScaler(_Scaler):
    """Shift and scale each feature to mean 0 and standard deviation 1: z = (x - mean) / std.

    After fit: `mean_` (per-feature mean), `scale_` (per-feature standard
    deviation, population formula), `var_`. A constant feature has std 0; its
    scale_ is set to 1 so it becomes all zeros instead of a division by zero.
    """

    _fitted_attribute = "mean_"

    def _learn(self, X: np.ndarray) -> None:
        self.mean_ = X.mean(axis=0)
        self.var_ = X.var(axis=0)
        std = np.sqrt(self.var_)
        constant = std <= _CONSTANT_TOLERANCE * np.abs(self.mean_)
        self.scale_ = np.where(constant, 1.0, std)

    def _forward(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean_) / self.scale_

    def _backward(self, X: np.ndarray) -> np.ndarray:
        return X * self.scale_ + self.mean_

    def __repr__(self) -> str:
        return "StandardScaler()"


class MinMaxScaler(_Scaler):
    """Map each feature's training minimum to `low` and maximum to `high`, linearly.

    feature_range: (low, high), default (0, 1). New data outside the training
    range lands outside (low, high); that is expected, not an error.

    After fit: `data_min_`, `data_max_`, `data_range_`, and the linear map
    x_scaled = x * scale_ + min_. A constant feature (range 0) gets range 1, so it
    maps to `low` instead of dividing by zero.
    """

    _fitted_attribute = "scale_"

    def __init__(self, feature_range: tuple[float, float] = (0, 1)) -> None:
        try:
            low, high = (float(v) for v in feature_range)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"feature_range must be two numbers (low, high), got {feature_range!r}."
            ) from err
        if not low < high:
            raise ValueError(
                f"feature_range={feature_range}: low must be smaller than high, e.g. (0, 1) "
                "or (-1, 1)."
            )
        self.feature_range = (low, high)

    def _learn(self, X: np.ndarray) -> None:
        low, high = self.feature_range
        self.data_min_ = X.min(axis=0)
        self.data_max_ = X.max(axis=0)
        self.data_range_ = self.data_max_ - self.data_min_
        # min and max are data values, so a constant feature has a range of exactly 0
        self.scale_ = (high - low) / np.where(self.data_range_ == 0, 1.0, self.data_range_)
        self.min_ = low - self.data_min_ * self.scale_

    def _forward(self, X: np.ndarray) -> np.ndarray:
        return X * self.scale_ + self.min_

    def _backward(self, X: np.ndarray) -> np.ndarray:
        return (X - self.min_) / self.scale_

    def __repr__(self) -> str:
        return f"MinMaxScaler(feature_range={self.feature_range})"
