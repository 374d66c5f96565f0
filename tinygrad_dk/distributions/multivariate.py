"""Distributions of vectors: MultivariateNormal and Independent.

``MultivariateNormal`` keeps one lower-triangular Cholesky factor L of the covariance
(Sigma = L L^T), whichever of ``covariance_matrix``, ``scale_tril`` (L itself) or
``precision_matrix`` was given. Everything is computed from L: the log-density needs
``log det Sigma = 2 sum log diag L`` and the Mahalanobis distance ``|L^-1 (x - mu)|^2``
(one triangular solve, never an inverse), and ``rsample`` is ``mu + L eps``.

``Independent`` turns batch axes into event axes: ``Independent(Normal(mu, sigma), 1)``
is a diagonal Gaussian over vectors, whose ``log_prob`` sums over the last axis.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_dk import linalg, ops_decomp, ops_lu
from tinygrad_dk.distributions import constraints
from tinygrad_dk.distributions.distribution import Distribution, as_tensors, draw, one_of
from tinygrad_dk.primitive import raw
from tinygrad_dk.spelling import Size
from tinygrad_dk.tensor import Tensor


def mahalanobis(scale_tril: Tensor, diff: Tensor) -> Tensor:
    """|L^-1 diff|^2 over the last axis: the squared distance in units of the spread."""
    y = ops_lu.solve_triangular(scale_tril, diff.unsqueeze(-1), upper=False)
    return y.squeeze(-1).pow(2).sum(-1)


def half_log_det(scale_tril: Tensor) -> Tensor:
    """log sqrt(det Sigma) = sum log diag L."""
    return scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)


class MultivariateNormal(Distribution):
    """The Gaussian over k-vectors with mean ``loc`` and covariance from one of
    ``covariance_matrix``, ``scale_tril`` or ``precision_matrix`` (k x k, batched)."""

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    param_event_dims = {"loc": 1, "covariance_matrix": 2, "precision_matrix": 2,
                        "scale_tril": 2}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Any, covariance_matrix: Any = None, precision_matrix: Any = None,
                 scale_tril: Any = None, validate_args: bool | None = None) -> None:
        self._which = one_of("MultivariateNormal", covariance_matrix=covariance_matrix,
                             precision_matrix=precision_matrix, scale_tril=scale_tril)
        given = {"covariance_matrix": covariance_matrix, "precision_matrix": precision_matrix,
                 "scale_tril": scale_tril}[self._which]
        loc, matrix = as_tensors(loc, given)
        if loc.ndim < 1 or matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2] or \
                matrix.shape[-1] != loc.shape[-1]:
            raise ValueError(f"MultivariateNormal: loc must have shape (..., k) and "
                             f"{self._which} (..., k, k), got {tuple(loc.shape)} and "
                             f"{tuple(matrix.shape)}")
        try:
            batch = np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(matrix.shape[:-2]))
        except ValueError:
            raise ValueError(f"MultivariateNormal: the batch axes of loc {tuple(loc.shape)} and "
                             f"{self._which} {tuple(matrix.shape)} do not broadcast") from None
        self.loc = loc.expand(*batch, loc.shape[-1])
        self._matrix = matrix.expand(*batch, *matrix.shape[-2:])
        super().__init__(batch, loc.shape[-1:], validate_args)  # validates before Cholesky
        if self._which == "scale_tril":
            self._scale_tril = matrix
        elif self._which == "covariance_matrix":
            self._scale_tril = ops_decomp.cholesky(matrix)
        else:
            self._scale_tril = ops_decomp.cholesky(linalg.inv(matrix))

    def params(self) -> dict[str, Tensor]:
        return {"loc": self.loc, self._which: self._matrix}

    @property
    def scale_tril(self) -> Tensor:
        """L, lower triangular with Sigma = L L^T."""
        return self._scale_tril.expand(*self.batch_shape, *self._scale_tril.shape[-2:])

    @property
    def covariance_matrix(self) -> Tensor:
        return self.scale_tril @ self.scale_tril.mT

    @property
    def precision_matrix(self) -> Tensor:
        return linalg.inv(self.covariance_matrix)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        eps = draw("normal", self._extended_shape(sample_shape), raw(self.loc).dtype)
        return self.loc + (self._scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value: Any) -> Tensor:
        """-(k log 2 pi + |L^-1 (x - mu)|^2) / 2 - sum log diag L."""
        diff = self._value(value) - self.loc
        k = self.event_shape[0]
        return (-0.5 * (k * math.log(2 * math.pi) + mahalanobis(self._scale_tril, diff))
                - half_log_det(self._scale_tril))

    def entropy(self) -> Tensor:
        k = self.event_shape[0]
        h = 0.5 * k * (1 + math.log(2 * math.pi)) + half_log_det(self._scale_tril)
        return h.expand(*self.batch_shape) if self.batch_shape else h

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return self._scale_tril.pow(2).sum(-1).expand(*self.batch_shape, *self.event_shape)


class Independent(Distribution):
    """``base_distribution`` with its last ``reinterpreted_batch_ndims`` batch axes read as
    event axes: log_prob and entropy sum over them."""

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args: bool | None = None) -> None:
        n, batch = reinterpreted_batch_ndims, base_distribution.batch_shape
        if not 0 <= n <= len(batch):
            raise ValueError(f"Independent: reinterpreted_batch_ndims must be between 0 and "
                             f"len(base_distribution.batch_shape) = {len(batch)}, got {n}")
        self.base_dist, self.reinterpreted_batch_ndims = base_distribution, n
        shape = batch + base_distribution.event_shape
        cut = len(batch) - n
        super().__init__(shape[:cut], shape[cut:], validate_args)

    def params(self) -> dict[str, Tensor]:
        return {}

    def _sum_rightmost(self, x: Tensor) -> Tensor:
        n = self.reinterpreted_batch_ndims
        return x.sum(tuple(range(-n, 0))) if n else x

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def support(self) -> Any:  # type: ignore[override]
        return self.base_dist.support

    def expand(self, batch_shape: Any, _instance: Any = None) -> Independent:
        n = self.reinterpreted_batch_ndims
        tail = self.base_dist.batch_shape[len(self.base_dist.batch_shape) - n:]
        return Independent(self.base_dist.expand(Size((*batch_shape, *tail))), n,
                           validate_args=self._validate_args)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value: Any) -> Tensor:
        return self._sum_rightmost(self.base_dist.log_prob(value))

    def entropy(self) -> Tensor:
        return self._sum_rightmost(self.base_dist.entropy())

    def cdf(self, value: Any) -> Tensor:
        raise NotImplementedError("Independent has no cdf (as in PyTorch)")

    @property
    def mean(self) -> Tensor:
        return self.base_dist.mean

    @property
    def mode(self) -> Tensor:
        return self.base_dist.mode

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def __repr__(self) -> str:
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"
