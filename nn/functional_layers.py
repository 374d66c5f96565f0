"""The functional forms of the image and sequence layers, re-exported by ``nn.functional``.

``F.conv1d``, ``F.conv2d``, ``F.max_pool1d``, ``F.max_pool2d``, ``F.avg_pool1d``,
``F.avg_pool2d``, ``F.batch_norm`` and ``F.embedding`` take PyTorch's arguments. The
convolutions and poolings are the engine's operations (``tinygrad_dk.conv2d`` ...,
forward and derivative side by side there); this module adds what is not an operation:
the running statistics of batch normalisation and the index checks of an embedding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_dk as tg
from tinygrad_dk import Tensor

__all__ = ["conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
           "batch_norm", "embedding"]


def to_tensor(x: Any) -> Tensor:
    """``x`` as a Tensor: Tensors as they are, anything else (arrays, lists) converted, with
    ``Tensor``'s dtype rules. Every layer's input goes through here."""
    return x if isinstance(x, Tensor) else Tensor(x)


# --- convolution and pooling: the engine's operations -------------------------------------


def conv1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution of (batch, in_channels, length) with weight (out, in, k)."""
    return tg.conv1d(to_tensor(input), weight, bias, stride, padding, dilation, groups)


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution of (batch, in_channels, height, width) with weight (out, in, kh, kw).

    Every output channel slides its own small filter over all input channels; the
    output size per axis is ``(size + 2 * padding - dilation * (k - 1) - 1) // stride + 1``.
    """
    return tg.conv2d(to_tensor(input), weight, bias, stride, padding, dilation, groups)


def max_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The maximum of every window along the length axis."""
    return tg.max_pool1d(to_tensor(input), kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices)


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The maximum of every ``kernel_size`` window (stride defaults to the window)."""
    return tg.max_pool2d(to_tensor(input), kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices)


def avg_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """The mean of every window along the length axis."""
    return tg.avg_pool1d(to_tensor(input), kernel_size, stride, padding, ceil_mode,
                         count_include_pad)


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of every ``kernel_size`` window (stride defaults to the window)."""
    return tg.avg_pool2d(to_tensor(input), kernel_size, stride, padding, ceil_mode,
                         count_include_pad, divisor_override)


# --- batch normalisation -----------------------------------------------------------------


def _update_running(running: Tensor | None, batch_value: np.ndarray, momentum: float) -> None:
    """running = (1 - momentum) * running + momentum * batch_value, in place (no gradient)."""
    if running is not None:
        running.copy_((1.0 - momentum) * running.numpy() + momentum * batch_value)


def batch_norm(input: Any, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Any = None, bias: Any = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation of every channel (axis 1), as ``torch.nn.functional.batch_norm``.

    Training (``training=True``): normalise with this batch's mean and variance, and
    move the running statistics a step ``momentum`` towards them (the running variance
    with the unbiased n - 1 divisor, as PyTorch). Evaluation: normalise with the
    running statistics, so one example's output no longer depends on the others.
    """
    x = to_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (batch, channels, ...), got "
                         f"{x.shape}")
    for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
        if stat is not None and stat.shape != (x.shape[1],):
            raise ValueError(f"batch_norm: {name} has shape {stat.shape}, the input has "
                             f"{x.shape[1]} channels on axis 1 (shape {x.shape})")
    if training:
        per_channel = x.numel() // x.shape[1]
        if per_channel < 2:
            raise ValueError(
                f"batch_norm: training needs more than one value per channel to compute a "
                f"variance, got input of shape {x.shape}; use batches of at least 2 "
                "examples, or call model.eval() to use the running statistics"
            )
        data = x.numpy()
        axes = (0, *range(2, x.ndim))
        # summed in float64, as tg.batch_norm does (float32 squares past 1e19 overflow)
        _update_running(running_mean, data.mean(axis=axes, dtype=np.float64), momentum)
        _update_running(running_var, data.var(axis=axes, ddof=1, dtype=np.float64), momentum)
        return tg.batch_norm(x, weight, bias, eps)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: evaluation (training=False) needs running_mean and "
                         "running_var; without running statistics pass training=True")
    return normalize_with_running(x, running_mean, running_var, weight, bias, eps)


def normalize_with_running(x: Tensor, running_mean: Tensor, running_var: Tensor,
                           weight: Any, bias: Any, eps: float) -> Tensor:
    """Evaluation-mode normalisation with stored statistics, per channel (axis 1):
    ``(x - running_mean) / sqrt(running_var + eps) * weight + bias``; batch_norm and
    instance_norm share it.

    In this order: ``x * scale + shift`` would be one operation less, but its weight
    gradient sum(g x) - mean sum(g) cancels (an infinite g gives inf - inf = nan, where
    sum(g (x - mean)) is inf).
    """
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    mean = running_mean.numpy().astype(x.dtype).reshape(shape)
    inv_std = (1.0 / np.sqrt(running_var.numpy() + eps)).astype(x.dtype).reshape(shape)
    y = (x - mean) * inv_std
    if weight is not None:
        y = y * to_tensor(weight).reshape(shape)
    if bias is not None:
        y = y + to_tensor(bias).reshape(shape)
    return y


# --- embedding ---------------------------------------------------------------------------


def _indices(input: Any, num: int, op: str) -> np.ndarray:
    """Class numbers as an integer array, checked to lie in 0 .. num - 1."""
    idx = np.asarray(input.numpy() if isinstance(input, Tensor) else input)
    if idx.dtype.kind == "f":
        if not np.all(np.isfinite(idx)) or np.any(idx != np.round(idx)):
            raise TypeError(f"{op}: indices must be whole numbers (token or category "
                            f"numbers), got dtype {idx.dtype} with fractions; convert with "
                            ".astype(int)")
        idx = idx.astype(np.intp)
    elif idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"{op}: index {bad} is out of range; the table has {num} rows, so "
                         f"indices must be 0 .. {num - 1}")
    return idx


def embedding_renorm_(weight: Tensor, indices: Any, max_norm: float,
                      norm_type: float = 2.0) -> Tensor:
    """Scale, in place, each row of ``weight`` used by ``indices`` whose ``norm_type``-norm
    exceeds ``max_norm`` down to that norm (PyTorch's ``max_norm``: the table itself
    changes, not only this lookup, and no gradient flows through the scaling)."""
    rows = np.unique(np.asarray(indices).reshape(-1))
    if rows.size == 0:
        return weight
    values = weight.numpy()[rows].astype(np.float64)
    norms = np.linalg.norm(values, ord=float(norm_type), axis=1)
    big = norms > max_norm
    if big.any():
        scale = max_norm / (norms[big] + 1e-7)  # PyTorch's 1e-7 keeps a zero row finite
        with tg.no_grad():
            weight[rows[big]] = (values[big] * scale[:, None]).astype(weight.dtype)
    return weight


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look rows up in ``weight`` (num_embeddings, embedding_dim): ``weight[input]``.

    Each index picks one row, a learned vector for that token or category; the output
    has shape ``input.shape + (embedding_dim,)``. An index used several times gets the
    sum of its gradients. Row ``padding_idx`` gets no gradient (as PyTorch).
    ``max_norm``: see ``embedding_renorm_``.
    """
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse are not "
                                  "supported")
    weight = to_tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must have shape (num_embeddings, embedding_dim), "
                         f"got {weight.shape}")
    idx = _indices(input, weight.shape[0], "embedding")
    if max_norm is not None:  # rows used here longer than max_norm shrink, in the table
        embedding_renorm_(weight, idx, max_norm, norm_type)
    rows = weight[idx]
    if padding_idx is None:
        return rows
    pad_row = padding_idx % weight.shape[0]
    keep = (idx != pad_row)[..., None]
    return tg.where(keep, rows, rows.detach())  # the padding row passes no gradient
