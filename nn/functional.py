"""Functions without parameters: activations, dropout, ``linear``, the losses, and (from
``nn.functional_layers``) convolution, pooling, batch normalisation and embedding.

Import it as PyTorch users do::

    import nn.functional as F
    h = F.relu(F.linear(x, w1, b1))
    loss = F.cross_entropy(F.linear(h, w2, b2), labels)

The layer classes in ``nn`` (``nn.Linear``, ``nn.ReLU``, ``nn.MSELoss``, ...) keep
parameters and settings and call these functions. The activations work on Tensors
and on scalar ``Value`` objects (both have the methods), and every loss accepts a
list of Values too, so the scalar engine trains with the very same formulas.

How a loss is computed (``_loss`` below): the arguments that do not depend on the
engine are checked here, once; then the engine is chosen, once, by the input
(``nn.scalar_losses`` for Values, ``nn.tensor_losses`` otherwise), and that engine's
``prepare``, formula and ``reduce`` do the rest (cross-entropy and nll_loss sort out
their own targets and reduce themselves, so cross-entropy's common case is one fused
operation).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn import scalar_losses, tensor_losses
from nn.functional_layers import (
    avg_pool1d,
    avg_pool2d,
    batch_norm,
    conv1d,
    conv2d,
    embedding,
    max_pool1d,
    max_pool2d,
)
from tinygrad_dk import Tensor

__all__ = [
    "relu", "leaky_relu", "sigmoid", "tanh", "softplus", "elu", "silu", "gelu", "softmax",
    "log_softmax", "dropout",
    "linear", "mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "hinge_loss", "gaussian_nll_loss",
    "nll_loss", "one_hot",
    # images and sequences (nn.functional_layers)
    "conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm",
    "embedding",
]


def _node(x: Any) -> Any:
    """Tensors and Values pass through; numbers, lists and arrays become a Tensor."""
    return x if isinstance(x, tg.Node) else Tensor(x)


# --- activations --------------------------------------------------------------------------


def relu(x: Any, inplace: bool = False) -> Any:
    """max(x, 0): passes positive numbers, zeroes the rest. Gradient 1 where x > 0, else 0.

    ``inplace`` (here and in the other activations) is accepted for PyTorch programs; the
    result is always a new tensor, which gives the same numbers.
    """
    return _node(x).relu()


def leaky_relu(x: Any, negative_slope: float = 0.01, inplace: bool = False) -> Any:
    """x for x > 0, ``negative_slope * x`` otherwise: a small slope keeps 'dead' units learning."""
    return _node(x).leaky_relu(negative_slope)


def sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), squashing into (0, 1); computed without overflow for large |x|."""
    return _node(x).sigmoid()


def tanh(x: Any) -> Any:
    """(e^x - e^-x) / (e^x + e^-x), squashing into (-1, 1)."""
    return _node(x).tanh()


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """log(1 + e^x): a smooth ReLU whose output is always positive; stable for large |x|.

    ``beta`` sharpens the corner: softplus(beta x) / beta. (``threshold`` is accepted for
    PyTorch programs: the formula here is stable for every x, so it needs no cut-off.)
    """
    x = _node(x)
    if beta == 1:
        return x.softplus()
    z = x * beta
    smooth = z.softplus() / beta
    # Where beta x overflows (float32 x above 1.7e38 for beta = 2), the answer is x itself.
    overflow = np.isposinf(z.numpy())
    if not overflow.any():
        return smooth
    return tg.where(overflow, x, smooth) if isinstance(x, Tensor) else x


def elu(x: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise: smooth below 0, so units never die."""
    return tg.elu(_tensor_only(x, "elu"), alpha=alpha)


def silu(x: Any, inplace: bool = False) -> Any:
    """x sigmoid(x) (also called swish): a smooth ReLU that dips slightly below 0."""
    x = _node(x)
    return tg.silu(x) if isinstance(x, Tensor) else x * x.sigmoid()


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """x Phi(x), Phi the standard normal distribution function (or its tanh approximation
    with ``approximate="tanh"``): the activation of transformers."""
    return tg.gelu(_tensor_only(x, "gelu"), approximate=approximate)


def _tensor_only(x: Any, name: str) -> Tensor:
    x = _node(x)
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: the scalar Value engine has no {name}; use a Tensor (or "
                        "relu, leaky_relu, sigmoid, tanh, softplus or silu, which Values have)")
    return x


def softmax(x: Any, dim: int | None = None, *, axis: int | None = None) -> Any:
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (numpy's name: ``axis``; default the last):
    turns scores into probabilities.

    Computed on x minus its maximum, so logits of 1000 do not overflow.
    """
    return tg.softmax(_node(x), dim, **({} if axis is None else {"axis": axis}))


def log_softmax(x: Any, dim: int | None = None, *, axis: int | None = None) -> Any:
    """x_i - log(sum_j exp(x_j)) along ``dim`` (or ``axis``): the log-probabilities, stable
    for large logits."""
    return tg.log_softmax(_node(x), dim, **({} if axis is None else {"axis": axis}))


# --- dropout -------------------------------------------------------------------------------


def dropout(x: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """Zero each element with probability ``p`` while training ("inverted" dropout).

    The survivors are multiplied by 1 / (1 - p), so the expected value of every
    element stays the same; at evaluation time (``training=False``) the input passes
    through unchanged and nothing needs rescaling. The random mask comes from the
    shared generator, so ``tinygrad_dk.manual_seed`` makes it repeatable. (The engine's
    ``tinygrad_dk.dropout`` does the work; ``inplace`` is accepted and changes nothing.)
    """
    return tg.dropout(x, p, training)


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """y = x @ weight.T + bias, the layer ``nn.Linear`` computes (``weight`` is
    ``(out_features, in_features)``, PyTorch's layout); one fused engine operation."""
    return tg.linear(_node(x), weight, bias)


# --- losses: the one way every loss is computed ----------------------------------------

_REDUCTIONS = ("mean", "sum", "none")


def check_reduction(name: str, reduction: str) -> None:
    """A clear error for a reduction other than 'mean', 'sum' or 'none'."""
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
        )


def _in_unit_interval(name: str, values: np.ndarray, what: str, hint: str) -> None:
    if np.any(np.isnan(values)) or np.any(values < 0) or np.any(values > 1):
        raise ValueError(
            f"{name}: {what} must lie in [0, 1], but they range from {np.nanmin(values):g} to "
            f"{np.nanmax(values):g} (nan: {bool(np.any(np.isnan(values)))}).{hint}"
        )


def _loss(name: str, formula: str, input: Any, target: Any, reduction: str,
          what: str = "predictions", **options: Any) -> Any:
    """Check the reduction, pick the engine by the input, prepare, apply, reduce."""
    check_reduction(name, reduction)
    engine = scalar_losses if scalar_losses.is_scalar(input) else tensor_losses
    if formula in ("cross_entropy", "nll"):  # scores per class: the formula sorts out targets
        x = engine.as_input(input, name, what)
        return getattr(engine, formula)(x, target, reduction=reduction, **options)
    x, y = engine.prepare(input, target, name, what)
    if formula == "binary_cross_entropy":
        _in_unit_interval(name, engine.numbers(x), "input probabilities",
                          " If these are raw scores (logits), use "
                          "binary_cross_entropy_with_logits (BCEWithLogitsLoss), which applies "
                          "the sigmoid itself, stably.")
    if formula.startswith("binary_cross_entropy"):
        _in_unit_interval(name, engine.numbers(y), "targets", " Use labels 0 and 1.")
    if "var" in options and np.any(engine.numbers(options["var"]) < 0):
        raise ValueError(f"{name}: var has negative entries; a variance is never negative "
                         "(predict it through softplus or exp to keep it positive)")
    if formula == "hinge":
        labels = engine.numbers(y)
        if not np.all((labels == 1) | (labels == -1)):
            bad = labels[(labels != 1) & (labels != -1)][0]
            raise ValueError(f"{name}: targets must be -1 or +1, found {bad:g}; turn 0/1 labels "
                             "into -1/+1 with 2 * y - 1")
    return engine.reduce(getattr(engine, formula)(x, y, **options), reduction)


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Mean squared error: mean((input - target)^2).

    Squaring punishes large errors much more than small ones, so a few outliers
    dominate the loss. Its gradient, 2 (input - target) / N, shrinks as the
    prediction gets close.
    """
    return _loss("mse_loss", "mse", input, target, reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Mean absolute error (MAE): mean(|input - target|).

    Every unit of error costs the same, so outliers pull less than in MSE; the
    gradient is always +-1 / N (0 exactly at the target, as PyTorch).
    """
    return _loss("l1_loss", "l1", input, target, reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Any:
    """Huber loss: quadratic near the target, linear far away.

    With d = input - target: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta).
    The two pieces meet with the same value and slope at |d| = delta, so it is MSE
    for small errors and (delta times) MAE for outliers.
    """
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta!r}")
    return _loss("huber_loss", "huber", input, target, reduction, delta=delta)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Any:
    """Binary cross-entropy on probabilities: -(y log p + (1 - y) log(1 - p)).

    ``input`` holds probabilities p in [0, 1] (a sigmoid output), ``target`` the
    labels y (0 or 1, or soft labels in between). It is the negative log of the
    probability the model gave the true label. Each log is clamped at -100 (as
    PyTorch) so p = 0 or 1 stays finite. ``weight`` rescales each element.
    Prefer ``binary_cross_entropy_with_logits`` on raw scores: it is more stable.
    """
    return _loss("binary_cross_entropy", "binary_cross_entropy", input, target, reduction,
                 "probabilities in [0, 1]", weight=weight)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Any:
    """Binary cross-entropy on raw scores (logits) x, with the sigmoid built in.

    Mathematically BCE(sigmoid(x), y), computed in the stable form

        p y softplus(-x) + (1 - y) softplus(x),   softplus(z) = log(1 + e^z)

    which never exponentiates a large positive number, never takes log(0) and adds
    two non-negative terms (nothing cancels): finite, with the finite gradient
    sigmoid(x) - y, even at x = +-1e30. ``pos_weight`` p multiplies the loss of the
    positive class (as PyTorch); p > 1 raises recall on imbalanced data. It
    broadcasts along the last axis (one weight per output). ``weight`` rescales each
    element.
    """
    return _loss("binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits", input,
                 target, reduction, "scores (logits)", weight=weight, pos_weight=pos_weight)


def cross_entropy(input: Any, target: Any, weight: Any = None, label_smoothing: float = 0.0,
                  reduction: str = "mean") -> Any:
    """Cross-entropy of logits (N, C) against class labels (N,) or probabilities (N, C).

    loss_i = -log softmax(x_i)[y_i]: the negative log-probability of the true
    class, computed with log_softmax, which is stable for any logits. Give raw
    scores: the softmax is built in.

    * ``weight`` (C,): class weights; loss_i is multiplied by w[y_i] and 'mean'
      divides by sum_i w[y_i] (PyTorch's weighted mean), so rare classes count more.
    * ``label_smoothing`` eps: the target becomes (1 - eps) one-hot + eps / C
      uniform, which discourages over-confident logits.
    * probability targets q (N, C): loss_i = -sum_c w_c q_ic log softmax(x_i)_c;
      'mean' divides by N.

    For the scalar engine, ``input`` may be rows of Values (N lists of C) with
    integer labels (probability targets are Tensor-only).
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing!r}")
    return _loss("cross_entropy", "cross_entropy", input, target, reduction, "scores (logits)",
                 weight=weight, label_smoothing=label_smoothing)


def nll_loss(input: Any, target: Any, weight: Any = None, reduction: str = "mean") -> Any:
    """Negative log-likelihood of log-probabilities (N, C) against class labels (N,):
    loss_i = -input[i, y_i] (times ``weight[y_i]``; 'mean' then divides by the summed
    weights, as PyTorch).

    The input must already be log-probabilities, the output of ``log_softmax`` (or
    ``nn.LogSoftmax``): ``nll_loss(log_softmax(x, dim=1), y)`` is ``cross_entropy(x, y)``.
    """
    return _loss("nll_loss", "nll", input, target, reduction, "log-probabilities",
                 weight=weight)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Class labels (any shape) to one-hot rows: int64, with a new last axis of length
    ``num_classes`` (-1: the largest label + 1), as PyTorch."""
    labels = np.asarray(getattr(tensor, "data", tensor))
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers (class numbers), got dtype "
                        f"{labels.dtype}; convert with .long()")
    n = int(labels.max()) + 1 if num_classes == -1 and labels.size else int(num_classes)
    if labels.size and (labels.min() < 0 or labels.max() >= n):
        raise ValueError(f"one_hot: labels must lie in 0 .. {n - 1} for num_classes={n}, got "
                         f"{labels.min()} .. {labels.max()}")
    return Tensor((labels[..., None] == np.arange(n)).astype(np.int64))


def hinge_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Max-margin (hinge) loss: mean(relu(1 - y * score)) with labels y in {-1, +1}.

    Zero once an example is on the right side with margin y * score >= 1, linear
    otherwise: the loss of a support vector machine. Labels 0/1 become -1/+1 with
    ``2 * y - 1``.
    """
    return _loss("hinge_loss", "hinge", input, target, reduction)


def gaussian_nll_loss(input: Any, target: Any, var: Any, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Any:
    """Gaussian negative log-likelihood: the model predicts a mean AND a variance.

    loss = 0.5 (log var + (input - target)^2 / var) [+ 0.5 log(2 pi) with ``full``].
    A model that is unsure says so with a large ``var``: its squared errors then cost
    less, but the log var term charges for the doubt. Fitted on data whose spread
    changes (heteroscedastic noise), the predicted variance follows the spread.
    ``var`` has the input's shape (one variance per prediction), or one column
    fewer or a last axis of 1 (shared); it must be >= 0 and is raised to ``eps`` for
    stability (the gradient passes unchanged), as in PyTorch.
    """
    return _loss("gaussian_nll_loss", "gaussian_nll", input, target, reduction, var=var,
                 full=full, eps=eps)


# --- PyTorch names: nntrain (more losses, in nn.losses_extra) ---------------------------
from nn.losses_extra import (  # noqa: E402 - at the end: nn.losses_extra builds on this module
    cosine_embedding_loss,
    hinge_embedding_loss,
    kl_div,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
)

__all__ += ["smooth_l1_loss", "kl_div", "poisson_nll_loss", "margin_ranking_loss",
            "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
            "multi_margin_loss", "triplet_margin_loss", "cosine_embedding_loss"]

# --- PyTorch names: nnlayers ---
# more activations, normalisation, channel dropout and similarity (nn.functional_extra);
# padding, resizing and adaptive pooling (nn.functional_resize)
from nn.functional_extra import (  # noqa: E402
    alpha_dropout,
    celu,
    cosine_similarity,
    dropout1d,
    dropout2d,
    dropout3d,
    glu,
    group_norm,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    instance_norm,
    layer_norm,
    logsigmoid,
    mish,
    normalize,
    pairwise_distance,
    prelu,
    relu6,
    selu,
    softmin,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
)
from nn.functional_resize import (  # noqa: E402
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    interpolate,
    pad,
    upsample,
)

__all__ += [
    "hardtanh", "relu6", "prelu", "selu", "celu", "mish", "logsigmoid", "softsign", "softmin",
    "hardswish", "hardsigmoid", "threshold", "glu", "tanhshrink", "softshrink", "hardshrink",
    "layer_norm", "group_norm", "instance_norm", "dropout1d", "dropout2d", "dropout3d",
    "alpha_dropout", "normalize", "cosine_similarity", "pairwise_distance",
    "pad", "interpolate", "upsample", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
]
# --- end nnlayers ---

# --- PyTorch names: attn ---
from nn.attention import scaled_dot_product_attention  # noqa: E402
from nn.conv_transpose import conv_transpose1d, conv_transpose2d  # noqa: E402
from nn.layers_attn import bilinear, pixel_shuffle, pixel_unshuffle, rms_norm  # noqa: E402

__all__ += ["conv_transpose1d", "conv_transpose2d", "scaled_dot_product_attention",
            "rms_norm", "bilinear", "pixel_shuffle", "pixel_unshuffle"]
# --- end attn ---

# --- PyTorch names: misc2 ---
from nn.functional_misc import pdist  # noqa: E402

__all__ += ["pdist"]
# --- end misc2 ---

# --- PyTorch names: lazyns ---
from nn.activations_more import feature_alpha_dropout, gumbel_softmax, rrelu  # noqa: E402

__all__ += ["rrelu", "feature_alpha_dropout", "gumbel_softmax"]
# --- end lazyns ---

# --- PyTorch names: spatial ---
from nn.functional_resize import upsample_bilinear, upsample_nearest  # noqa: E402
from nn.functional_spatial import affine_grid, grid_sample  # noqa: E402

__all__ += ["affine_grid", "grid_sample", "upsample_bilinear", "upsample_nearest"]
# --- end spatial ---

# --- PyTorch names: layers3d ---
from nn.functional_3d import (  # noqa: E402
    avg_pool3d,
    channel_shuffle,
    conv3d,
    conv_transpose3d,
    fold,
    local_response_norm,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool3d,
    unfold,
)

__all__ += ["conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "unfold", "fold",
            "channel_shuffle", "local_response_norm", "lp_pool1d", "lp_pool2d", "lp_pool3d"]
# --- end layers3d ---

# --- PyTorch names: poolidx (max unpooling, the *_with_indices spellings) ---
from nn.functional_unpool import (  # noqa: E402
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d_with_indices,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
    max_pool3d_with_indices,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)

__all__ += ["max_unpool1d", "max_unpool2d", "max_unpool3d", "max_pool1d_with_indices",
            "max_pool2d_with_indices", "max_pool3d_with_indices",
            "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
            "adaptive_max_pool3d_with_indices"]
# --- end poolidx ---

# --- PyTorch names: embctc (bags of embeddings, the CTC loss) ---
from nn.embedding_bag import embedding_bag  # noqa: E402
from nn.loss_ctc import ctc_loss  # noqa: E402

__all__ += ["embedding_bag", "ctc_loss"]
# --- end embctc ---

# --- PyTorch names: lossx (the last losses, fractional max pooling) ---
from nn.functional_more import (  # noqa: E402
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
    multilabel_margin_loss,
    triplet_margin_with_distance_loss,
)

__all__ += ["triplet_margin_with_distance_loss", "multilabel_margin_loss",
            "fractional_max_pool2d", "fractional_max_pool3d",
            "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]
# --- end lossx ---
