"""Where a distribution's parameters and values may lie (``torch.distributions.constraints``).

A constraint answers one question, ``check(value)``: a boolean array (one entry per
element, or per vector/matrix for constraints on events) saying which entries are
allowed. Distributions use them only to validate their arguments (``validate_args``),
so checks run on the raw numbers and record no graph. ``fix`` is the advice an error
message gives when the check fails.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk.primitive import raw


def _numbers(x: Any) -> np.ndarray:
    return np.asarray(raw(x))


class Constraint:
    """A set of allowed values; ``event_dim`` trailing axes are checked as one event."""

    event_dim = 0
    is_discrete = False
    fix = "give values inside it"

    def check(self, value: Any) -> np.ndarray:
        """True where ``value`` satisfies the constraint."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__.lstrip("_") + "()"


class _Real(Constraint):
    fix = "remove the NaN values (a NaN often comes from a diverged training step)"

    def check(self, value: Any) -> np.ndarray:
        v = _numbers(value)
        return v == v  # every number but NaN (inf is allowed, as in PyTorch)


class _Bound(Constraint):
    """One-sided bounds: ``value > bound`` (or ``>=``, ``<``); the bound may be a tensor."""

    def __init__(self, bound: Any, op: str, fix: str = "") -> None:
        self.bound, self.op = bound, op
        self.fix = fix or f"give values {op} the bound"

    def check(self, value: Any) -> np.ndarray:
        v, b = _numbers(value), _numbers(self.bound)
        return {">": v > b, ">=": v >= b, "<": v < b}[self.op]

    def __repr__(self) -> str:
        name = {">": "GreaterThan", ">=": "GreaterThanEq", "<": "LessThan"}[self.op]
        return f"{name}(bound={_numbers(self.bound)})"


class _Interval(Constraint):
    """``lower <= value <= upper``; with ``integer``, whole numbers only."""

    def __init__(self, lower: Any, upper: Any, integer: bool = False, fix: str = "") -> None:
        self.lower, self.upper, self.is_discrete = lower, upper, integer
        self.fix = fix or "give values between the bounds"

    def check(self, value: Any) -> np.ndarray:
        v = _numbers(value)
        inside = (_numbers(self.lower) <= v) & (v <= _numbers(self.upper))
        return inside & (v % 1 == 0) if self.is_discrete else inside

    def __repr__(self) -> str:
        kind = "IntegerInterval" if self.is_discrete else "Interval"
        return f"{kind}(lower_bound={_numbers(self.lower)}, upper_bound={_numbers(self.upper)})"


class _NonnegativeInteger(Constraint):
    is_discrete = True
    fix = "give counts: whole numbers 0, 1, 2, ..."

    def check(self, value: Any) -> np.ndarray:
        v = _numbers(value)
        return (v >= 0) & (v % 1 == 0)


class _Boolean(Constraint):
    is_discrete = True
    fix = "give 0 or 1 (a float tensor of labels, e.g. y.float())"

    def check(self, value: Any) -> np.ndarray:
        v = _numbers(value)
        return (v == 0) | (v == 1)


class _OnEvents(Constraint):
    """A constraint on the last axis (vectors) or the last two (matrices) as a whole."""

    def __init__(self, name: str, event_dim: int, test: Any, fix: str,
                 discrete: bool = False) -> None:
        self.name, self.event_dim, self.test, self.fix = name, event_dim, test, fix
        self.is_discrete = discrete

    def check(self, value: Any) -> np.ndarray:
        return self.test(_numbers(value))

    def __repr__(self) -> str:
        return f"{self.name}()"


def _symmetric(m: np.ndarray) -> np.ndarray:
    return np.isclose(m, np.swapaxes(m, -1, -2), atol=1e-6).all(axis=(-2, -1))


def _positive_definite(m: np.ndarray) -> np.ndarray:
    if not np.isfinite(m).all():
        return np.zeros(m.shape[:-2], dtype=bool)
    # eigenvalues of the symmetric part; all of them > 0 is what a Cholesky factor needs
    eig = np.linalg.eigvalsh((m + np.swapaxes(m, -1, -2)) / 2)
    return _symmetric(m) & (eig > 0).all(axis=-1)


def _lower_cholesky(m: np.ndarray) -> np.ndarray:
    lower = (np.triu(m, 1) == 0).all(axis=(-2, -1))
    return lower & (np.diagonal(m, axis1=-2, axis2=-1) > 0).all(axis=-1)


real = _Real()
positive = _Bound(0.0, ">", "give a positive spread; from a network output use "
                            "F.softplus(raw) + 1e-6 or raw.exp()")
nonnegative = _Bound(0.0, ">=", "give values >= 0")
unit_interval = _Interval(0.0, 1.0, fix="give probabilities in [0, 1]; from a network output "
                                        "use logits= instead of probs= (no sigmoid needed)")
nonnegative_integer = _NonnegativeInteger()
boolean = _Boolean()
real_vector = _OnEvents("IndependentConstraint(Real(), 1)", 1,
                        lambda v: (v == v).all(axis=-1), _Real.fix)
simplex = _OnEvents("Simplex", 1,
                    lambda v: (v >= 0).all(axis=-1) & (np.abs(v.sum(-1) - 1) < 1e-6),
                    "give probabilities >= 0 that sum to 1 along the last axis; from a "
                    "network output use logits= instead of probs=")
one_hot = _OnEvents("OneHot", 1,
                    lambda v: ((v == 0) | (v == 1)).all(axis=-1) & (v.sum(-1) == 1),
                    "give one-hot vectors (F.one_hot(labels, num_classes).float())", True)
positive_definite = _OnEvents("PositiveDefinite", 2, _positive_definite,
                              "give a symmetric positive-definite matrix, e.g. A @ A.mT "
                              "+ 1e-3 * eye(n)")
lower_cholesky = _OnEvents("LowerCholesky", 2, _lower_cholesky,
                           "give a lower-triangular matrix with a positive diagonal, e.g. "
                           "tril(A, -1) + diag_embed(softplus(d))")


def greater_than(bound: Any) -> Constraint:
    """``value > bound``."""
    return _Bound(bound, ">")


def less_than(bound: Any) -> Constraint:
    """``value < bound``."""
    return _Bound(bound, "<")


def interval(lower: Any, upper: Any) -> Constraint:
    """``lower <= value <= upper``."""
    return _Interval(lower, upper)


def integer_interval(lower: Any, upper: Any) -> Constraint:
    """Whole numbers from ``lower`` to ``upper``."""
    return _Interval(lower, upper, integer=True, fix="give class indices 0 .. n-1")


__all__ = ["Constraint", "real", "positive", "nonnegative", "unit_interval",
           "nonnegative_integer", "boolean", "real_vector", "simplex", "one_hot",
           "positive_definite", "lower_cholesky", "greater_than", "less_than", "interval",
           "integer_interval"]
