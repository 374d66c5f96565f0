"""Spectral normalisation (Miyato et al., 2018), as ``torch.nn.utils.spectral_norm``: the
weight divided by its largest singular value sigma, so the layer stretches no input by
more than a factor 1 (a Lipschitz bound: GAN discriminators use it to train stably).

sigma is estimated by *power iteration*: vectors ``u`` (one per output) and ``v`` (one
per input) kept as buffers and refined by a step or two per training forward,

    v = normalize(W^T u),  u = normalize(W v),  sigma = u . W v

Computing the SVD each step would be much dearer; the weights change little per step, so
one iteration per step keeps u and v near the top singular vectors. In evaluation mode u
and v stay as they are (the output is then a plain function of the weights).

This is the older, hook-based form (buffers ``weight_u``, ``weight_v``, parameter
``weight_orig``); ``nn.utils.parametrizations.spectral_norm`` is the newer one. Both use
the three functions here: ``weight_to_matrix``, ``power_iteration``, ``divide_by_sigma``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.conv_transpose import _ConvTransposeNd
from nn.module import Module
from nn.utils.weight_norm import hooks_of, plain_parameter, remove_hook
from tinygrad_dk import Parameter, Tensor, no_grad

__all__ = ["spectral_norm", "remove_spectral_norm", "weight_to_matrix", "power_iteration",
           "divide_by_sigma", "normalize"]


def weight_to_matrix(weight: Tensor, dim: int) -> Tensor:
    """The weight as a matrix with the ``dim`` axis as rows (a conv weight (out, in, kh, kw)
    with dim 0 becomes (out, in*kh*kw)); differentiable."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return weight.flatten(1)  # not reshape(rows, -1): -1 is ambiguous for 0 rows


def normalize(x: np.ndarray, eps: float) -> np.ndarray:
    """x / max(||x||, eps): a unit vector (eps keeps a zero vector from dividing by 0).
    The norm is taken of x / max|x|, so entries near 1e30 do not overflow when squared,
    nor entries near 1e-30 underflow to a norm of 0."""
    biggest = float(np.max(np.abs(x))) if x.size else 0.0
    if biggest == 0.0 or not np.isfinite(biggest):
        return x / max(biggest, eps)
    return x / max(biggest * float(np.linalg.norm(x / biggest)), eps)


def power_iteration(mat: np.ndarray, u: np.ndarray, v: np.ndarray, steps: int, eps: float,
                    v_first: bool) -> tuple[np.ndarray, np.ndarray]:
    """``steps`` rounds of the power method on ``mat`` (no gradient): u and v move towards
    its top left and right singular vectors. The legacy hook updates v first, the
    parametrization u first (as PyTorch's two forms do)."""
    for _ in range(steps):
        if v_first:
            v = normalize(mat.T @ u, eps)
            u = normalize(mat @ v, eps)
        else:
            u = normalize(mat @ v, eps)
            v = normalize(mat.T @ u, eps)
    return u.astype(mat.dtype), v.astype(mat.dtype)


def divide_by_sigma(weight: Tensor, mat: Tensor, u: np.ndarray, v: np.ndarray) -> Tensor:
    """``weight / sigma`` with sigma = u . (mat v); u and v are constants, so the gradient
    flows through mat and weight only (as in PyTorch)."""
    sigma = (mat @ Tensor(v) * Tensor(u)).sum()
    return weight / sigma


def unit_random(n: int, dtype: Any, eps: float) -> np.ndarray:
    """A random unit vector of length n (the starting u or v)."""
    return normalize(tg.randn(n).numpy().astype(dtype), eps).astype(dtype)


def default_dim(module: Module) -> int:
    """0 (the outputs), or 1 for a transposed convolution, whose weight is (in, out, ...)."""
    return 1 if isinstance(module, _ConvTransposeNd) else 0


class SpectralNorm:
    """The forward pre-hook of ``spectral_norm``: sets ``module.<name>`` to
    ``<name>_orig / sigma`` before each forward (updating u, v when training)."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        if n_power_iterations <= 0:
            raise ValueError("spectral_norm: n_power_iterations must be positive, got "
                             f"{n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = (
            name, n_power_iterations, dim, eps)
        self.handle: Any = None

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u_buf, v_buf = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        mat = weight_to_matrix(weight, self.dim)
        if do_power_iteration:
            u_buf.data, v_buf.data = power_iteration(
                mat.numpy(), u_buf.numpy(), v_buf.numpy(), self.n_power_iterations, self.eps,
                v_first=True)
        return divide_by_sigma(weight, mat, u_buf.numpy().copy(), v_buf.numpy().copy())

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.numpy()))
        self.handle.remove()


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide the parameter ``name`` by its largest singular value before each forward (see
    the module docstring). The parameter becomes ``<name>_orig``; buffers ``<name>_u`` and
    ``<name>_v`` hold the power-iteration vectors. ``dim`` is the axis of the outputs (0,
    or 1 for transposed convolutions). Returns ``module``."""
    if any(h.name == name for h in hooks_of(module, SpectralNorm)):
        raise RuntimeError(f"spectral_norm: the parameter {name!r} of {type(module).__name__} "
                           "has spectral_norm already; call nn.utils.remove_spectral_norm("
                           "module) first")
    weight = plain_parameter(module, name, "spectral_norm")
    hook = SpectralNorm(name, n_power_iterations, default_dim(module) if dim is None else dim,
                        eps)
    h, w = weight_to_matrix(weight.detach(), hook.dim).shape
    u, v = unit_random(h, weight.dtype, eps), unit_random(w, weight.dtype, eps)
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.detach())  # a plain attribute until the first forward
    module.register_buffer(name + "_u", Tensor(u))
    module.register_buffer(name + "_v", Tensor(v))
    hook.handle = module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``spectral_norm``: ``name`` becomes one parameter again, holding the current
    normalised weight (u and v as they are). Returns ``module``."""
    return remove_hook(module, SpectralNorm, name, "spectral_norm")
