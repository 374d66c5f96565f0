"""``nn.utils.parametrizations``, as ``torch.nn.utils.parametrizations``: weight norm,
spectral norm and orthogonal weights as parametrizations (``nn.utils.parametrize``).

    layer = parametrizations.weight_norm(nn.Linear(20, 40))
    layer.parametrizations.weight.original0     # g, shape (40, 1)
    layer.parametrizations.weight.original1     # v, shape (40, 20)
    layer.weight                                # g * v / ||v||, computed when read

Weight and spectral norm share their formulas with the older hook-based forms
(``nn.utils.weight_norm``, ``nn.utils.spectral_norm``), where they are defined.
"""

from __future__ import annotations

import numpy as np

import tinygrad_dk as tg
from nn.module import Module
from nn.utils import parametrize
from nn.utils.spectral_norm import (
    default_dim,
    divide_by_sigma,
    power_iteration,
    unit_random,
    weight_to_matrix,
)
from nn.utils.weight_norm import norm_except_dim, weight_from_g_v
from tinygrad_dk import Tensor, no_grad

__all__ = ["weight_norm", "spectral_norm", "orthogonal"]


def _tensor_named(module: Module, name: str, what: str) -> Tensor:
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"{what}: module {type(module).__name__} has no parameter or buffer "
                         f"named {name!r}")
    return weight


# --- weight norm --------------------------------------------------------------------------


class _WeightNorm(Module):
    """weight = g * v / ||v|| (norm over every dim but ``dim``); originals (g, v)."""

    def __init__(self, dim: int | None) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim  # -1: one norm for the whole tensor (PyTorch)

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_from_g_v(weight_g, weight_v, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Learn ``module.<name>`` as a length g (``original0``, one per slice along ``dim``) and
    a direction v (``original1``): weight = g * v / ||v||. ``dim=None`` (or -1): one length
    for the whole tensor. Returns ``module``."""
    _tensor_named(module, name, "weight_norm")
    return parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


# --- spectral norm ------------------------------------------------------------------------


class _SpectralNorm(Module):
    """weight / sigma, sigma by power iteration on the buffers ``_u`` and ``_v`` (updated in
    training mode only); a 1-d weight is divided by its norm."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if not -ndim <= dim < ndim:
            raise IndexError(f"spectral_norm: dim={dim} is out of range for a weight of shape "
                             f"{tuple(weight.shape)}; use a dim in [{-ndim}, {ndim - 1}]")
        if n_power_iterations <= 0:
            raise ValueError("spectral_norm: n_power_iterations must be positive, got "
                             f"{n_power_iterations}")
        self.dim, self.eps, self.n_power_iterations = dim % ndim, eps, n_power_iterations
        if ndim > 1:
            mat = weight_to_matrix(weight.detach(), self.dim)
            h, w = mat.shape
            self.register_buffer("_u", Tensor(unit_random(h, weight.dtype, eps)))
            self.register_buffer("_v", Tensor(unit_random(w, weight.dtype, eps)))
            self._power_method(mat, 15)  # as PyTorch

    def _power_method(self, mat: Tensor, steps: int) -> None:
        self._u.data, self._v.data = power_iteration(
            mat.numpy(), self._u.numpy(), self._v.numpy(), steps, self.eps, v_first=False)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return weight / weight.norm().clamp(min=self.eps)
        mat = weight_to_matrix(weight, self.dim)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        return divide_by_sigma(weight, mat, self._u.numpy().copy(), self._v.numpy().copy())

    def right_inverse(self, value: Tensor) -> Tensor:
        return value  # the original is the unnormalised weight


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide ``module.<name>`` by its largest singular value, estimated by power iteration
    (``n_power_iterations`` steps per training forward; u and v frozen in eval mode).
    Buffers ``parametrizations.<name>.0._u`` and ``._v``. Returns ``module``."""
    weight = _tensor_named(module, name, "spectral_norm")
    dim = default_dim(module) if dim is None else dim
    return parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))


# --- orthogonal ---------------------------------------------------------------------------

_MAPS = ("matrix_exp", "cayley", "householder")


def _householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """The first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T, where v_i is column i
    of ``a`` below the diagonal with a 1 on it (LAPACK's compact QR form, as
    ``torch.linalg.householder_product``)."""
    n, k = a.shape[-2], a.shape[-1]
    eye = np.eye(n, k, dtype=a.dtype)
    q = Tensor(np.broadcast_to(eye, (*a.shape[:-2], n, k)).copy())
    for i in reversed(range(k)):  # q <- H_i q, innermost reflection first
        v = a[..., :, i:i + 1].tril(-i) + Tensor(np.eye(n, 1, -i, dtype=a.dtype))
        q = q - tau[..., i:i + 1].unsqueeze(-1) * (v @ (v.mT @ q))
    return q


def _make_orthogonal(a: np.ndarray) -> np.ndarray:
    """The Q of a's QR decomposition with R's diagonal made positive (unique)."""
    q, r = np.linalg.qr(a)
    d = np.diagonal(r, axis1=-2, axis2=-1)
    return q * np.where(d < 0, -1, 1)[..., None, :].astype(a.dtype)


def _is_orthogonal(q: np.ndarray) -> bool:
    n, k = q.shape[-2], q.shape[-1]
    eps = 10.0 * n * np.finfo(q.dtype).eps
    return bool(np.allclose(np.swapaxes(q, -1, -2) @ q, np.eye(k), atol=eps))


class _Orthogonal(Module):
    """An orthogonal matrix (orthonormal columns, or rows when wide) made from an
    unconstrained one: exp(A) or the Cayley map of the skew-symmetric A = X - X^T, or a
    product of Householder reflections; with ``use_trivialization``, times a fixed
    orthogonal ``base`` (so the original starts at a simple point)."""

    def __init__(self, weight: Tensor, orthogonal_map: str, *,
                 use_trivialization: bool = True) -> None:
        super().__init__()
        self.shape, self.orthogonal_map = tuple(weight.shape), orthogonal_map
        self.use_trivialization = use_trivialization
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x: Tensor) -> Tensor:
        n, k = x.shape[-2], x.shape[-1]
        transposed = n < k
        if transposed:  # work with a tall matrix
            x, n, k = x.mT, k, n
        if self.orthogonal_map == "householder":
            a = x.tril(-1)
            tau = 2.0 / (1.0 + (a * a).sum(dim=-2))
            q = _householder_product(a, tau)
            # the diagonal of x holds the signs (+-1), truncated to integers as PyTorch does
            # (no gradient reaches it, so training leaves it at its start, -1)
            signs = np.trunc(np.diagonal(x.numpy(), axis1=-2, axis2=-1)).astype(x.dtype)
            q = q * Tensor(signs)[..., None, :]
        else:
            x = x.tril()
            if n != k:
                zeros = np.zeros((*x.shape[:-2], n, n - k), dtype=x.dtype)
                x = tg.cat([x, Tensor(zeros)], dim=-1)
            a = x - x.mT  # skew-symmetric: its exponential / Cayley map is orthogonal
            if self.orthogonal_map == "matrix_exp":
                q = tg.linalg.matrix_exp(a)
            else:
                eye = tg.eye(n, dtype=x.dtype)
                q = tg.linalg.solve(eye - 0.5 * a, eye + 0.5 * a)
            if n != k:
                q = q[..., :k]
        base = getattr(self, "base", None)
        if base is not None:
            q = base @ q
        return q.mT if transposed else q

    def right_inverse(self, q: Tensor) -> Tensor:
        if tuple(q.shape) != self.shape:
            raise ValueError(f"orthogonal: expected a matrix of shape {self.shape}, got "
                             f"{tuple(q.shape)}")
        if not self.use_trivialization:
            raise NotImplementedError(
                "orthogonal: assigning to the weight needs use_trivialization=True (the "
                "default); without it the weight cannot be set to a given orthogonal matrix")
        with no_grad():
            arr = q.numpy()
            transposed = arr.shape[-2] < arr.shape[-1]
            if transposed:
                arr = np.swapaxes(arr, -1, -2)
            n, k = arr.shape[-2], arr.shape[-1]
            if n == k:
                arr = arr.copy() if _is_orthogonal(arr) else _make_orthogonal(arr)
            else:  # complete the columns to a square matrix with random ones
                extra = tg.randn(*arr.shape[:-2], n, n - k).numpy().astype(arr.dtype)
                arr = _make_orthogonal(np.concatenate([arr, extra], axis=-1))
            self.base = Tensor(arr)
            neg_eye = np.zeros(q.shape, dtype=q.dtype)
            idx = np.arange(min(q.shape[-2:]))
            neg_eye[..., idx, idx] = -1.0  # maps to the identity, so the weight is base
            return Tensor(neg_eye)


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Keep ``module.<name>`` orthogonal (W^T W = I, or W W^T = I for a wide matrix) while the
    optimizer trains an unconstrained original. ``orthogonal_map``: "matrix_exp" (default for
    square), "cayley" or "householder" (default otherwise). Returns ``module``."""
    weight = _tensor_named(module, name, "orthogonal")
    if weight.ndim < 2:
        raise ValueError(f"orthogonal: expected a matrix or a batch of matrices, got a tensor "
                         f"with {weight.ndim} dimension(s)")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square else "householder"
    if orthogonal_map not in _MAPS:
        raise ValueError(f'orthogonal: orthogonal_map must be one of "matrix_exp", "cayley", '
                         f'"householder"; got {orthogonal_map!r}')
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    return parametrize.register_parametrization(module, name, orth, unsafe=True)
