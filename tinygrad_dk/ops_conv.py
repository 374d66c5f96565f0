"""Convolution: one small filter slid over an image (or a sequence), forward and derivative.

A 2-D convolution with weight ``w`` of shape ``(out_channels, in_channels, kh, kw)``
computes, for every output channel ``o`` and position ``(i, j)``,

    out[n, o, i, j] = b[o] + sum over c, p, q of  x[n, c, i*s + p*d, j*s + q*d] * w[o, c, p, q]

(``s`` the stride, ``d`` the dilation, ``x`` zero-padded first). 1-D convolution is the
same with one spatial axis; the code below handles any number of them.

How it is computed ("im2col"), without a Python loop over pixels:

1. ``windows``: a strided *view* of the padded input with shape
   ``(N, C, out_h, out_w, kh, kw)``: every window the filter visits, side by side,
   without copying a number (numpy's ``as_strided``: the view only changes how memory
   is stepped through);
2. one matrix product of all windows (one row each) with all filters (one column
   each): the only real work, done by BLAS.

Step 2 needs the windows as a real matrix, so they are copied once. That copy is fast
when the channels are the innermost axis in memory ("channels-last", PyTorch's
``channels_last`` format): one row of a window is then a single run of ``kw * C``
numbers. So the padded input is stored channels-last, and so is the output, which
still has the shape ``(N, C_out, out_h, out_w)``: only the order of the numbers in
memory differs, and the next convolution or pooling reads it without reordering.

Grouped convolutions (``groups=G``, ResNeXt; MobileNet's depthwise ``groups=C``) split the
channels into ``G`` groups that never mix: filter ``o`` sees only the ``C / G`` input
channels of its group, so the weight is ``(out_channels, C / G, *kernel)``. The same two
steps, with a group axis in front: the windows copied as ``G`` matrices (one per group of
channels) and one batched matrix product (``np.matmul`` over the group axis). When every
filter reads a single channel (depthwise), the matrices would be one column wide and
the copy all the work, so that case skips the copy: one multiply-add of a strided view
per filter tap (9 for 3x3), the mirror image of ``fold``.

The derivatives are convolutions too, and the three operations below are one another's
derivatives, so second derivatives (``grad`` of ``grad``) work:

* ``conv``: the forward pass above;
* ``conv_transpose(g, w)``: d/dx. Each output gradient times the filter is added back
  onto the window it came from (``fold``, the adjoint of ``windows``: one strided add
  per filter tap, 9 for a 3x3 filter, never one per pixel);
* ``conv_weight_grad(x, g)``: d/dw. The windows times the output gradient, summed over
  the batch and all positions: again one matrix product.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tinygrad_dk.primitive import Primitive, quiet, raw
from tinygrad_dk.tensor_base import ndim_of

Pads = tuple[tuple[int, int], ...]  # (before, after) zero padding per spatial axis


# --- windows and fold: the two data movements everything here is made of ------------------


def out_size(size: int, kernel: int, stride: int, pad: tuple[int, int], dilation: int) -> int:
    """How many positions a filter of ``kernel`` taps takes along an axis of ``size``."""
    span = dilation * (kernel - 1) + 1  # the stretch of input one (dilated) window covers
    return (size + pad[0] + pad[1] - span) // stride + 1


def channels_last(shape: tuple[int, ...], dtype: Any, value: float = 0.0) -> np.ndarray:
    """A new array of ``shape`` (N, C, *spatial) filled with ``value``, stored channels-last."""
    n, c, *spatial = shape
    fill = np.zeros if value == 0 else (lambda s, dtype: np.full(s, value, dtype=dtype))
    return np.moveaxis(fill((n, *spatial, c), dtype=dtype), -1, 1)


def pad(x: np.ndarray, pads: Pads, value: float = 0.0) -> np.ndarray:
    """A copy of ``x`` (N, C, *size) with ``pads`` around its spatial axes, channels-last."""
    out = channels_last((*x.shape[:2], *(n + lo + hi for n, (lo, hi) in
                                         zip(x.shape[2:], pads))), x.dtype, value)
    out[(slice(None), slice(None), *(slice(lo, lo + n) for n, (lo, _) in
                                     zip(x.shape[2:], pads)))] = x
    return out


def crop(x: np.ndarray, pads: Pads) -> np.ndarray:
    """Undo ``pad``: cut ``pads`` off the spatial axes (a view)."""
    if not any(lo or hi for lo, hi in pads):
        return x
    return x[(slice(None), slice(None), *(slice(lo, n - hi) for (lo, hi), n
                                          in zip(pads, x.shape[2:])))]


def windows(xp: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...],
            dilation: tuple[int, ...]) -> np.ndarray:
    """Every window of an (already padded) input, as a read-only view (N, C, *out, *kernel).

    ``result[n, c, i, j, p, q] = xp[n, c, i*stride + p*dilation, j*stride + q*dilation]``:
    stepping one output position moves ``stride`` elements in memory, stepping one
    filter tap moves ``dilation`` elements, so no number is copied.
    """
    d = len(kernel)
    outs = [out_size(n, k, s, (0, 0), dl)  # xp is padded already
            for n, k, s, dl in zip(xp.shape[2:], kernel, stride, dilation)]
    steps = xp.strides[2:]
    return as_strided(
        xp, shape=(*xp.shape[:2], *outs, *kernel),
        strides=(*xp.strides[:2], *(steps[i] * stride[i] for i in range(d)),
                 *(steps[i] * dilation[i] for i in range(d))),
        writeable=False,
    )


def taps(kernel: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The positions inside a filter, in order: (0, 0), (0, 1), ..., (kh - 1, kw - 1)."""
    return list(np.ndindex(*kernel))


def fold(pieces: list[np.ndarray], kernel: tuple[int, ...], size: tuple[int, ...],
         stride: tuple[int, ...], padding: Pads, dilation: tuple[int, ...]) -> np.ndarray:
    """The adjoint of ``windows`` of the padded input: add ``pieces[k]`` (N, C, *out) where
    filter tap k looked, then cut the padding off again (an input of spatial ``size``).

    Windows overlap when the stride is smaller than the filter, so one input element
    collects the gradient of every window it was in. One strided add per filter tap.
    """
    shape = pieces[0].shape
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(size, padding))
    # zeros in the memory order of the pieces (order "K"), so the adds run along memory
    xp = np.zeros_like(pieces[0], shape=(*shape[:2], *padded))
    # windows side by side (stride >= the window) never share an element: assign, not add
    apart = all(s >= dl * (k - 1) + 1 for s, dl, k in zip(stride, dilation, kernel))
    for tap, piece in zip(taps(kernel), pieces):
        target = (slice(None), slice(None), *(
            slice(t * dl, t * dl + s * (o - 1) + 1, s)
            for t, dl, s, o in zip(tap, dilation, stride, shape[2:])))
        if apart:
            xp[target] = piece
        else:
            xp[target] += piece
    return crop(xp, padding)


# --- the three convolutions, as matrix products ---------------------------------------------
# One mechanism for every ``groups``: each matrix below has a group axis in front
# (G, rows, columns) and the products are batched over it (``np.matmul``). groups=1 is
# the case G = 1: that axis has length 1, so the reshapes stay views and the product is
# the one plain matrix product of the module docstring.


def _im2col(x: np.ndarray, kernel: tuple, stride: tuple, padding: Pads,
            dilation: tuple, groups: int = 1) -> tuple[np.ndarray, tuple[int, ...]]:
    """Every window as one row of a matrix, one matrix per group of C / G channels
    (G, N * positions, taps * C / G), and the output size."""
    view = windows(pad(x, padding), kernel, stride, dilation)  # (N, C, *out, *kernel)
    outs = view.shape[2:2 + len(kernel)]
    # split the channel axis (still a view), then groups first and their channels last
    view = view.reshape(len(x), groups, x.shape[1] // groups, *view.shape[2:])
    cols = np.moveaxis(view, (1, 2), (0, -1))  # (G, N, *out, *kernel, C / G)
    # the one copy; the sizes spelled out, as -1 cannot be inferred for an empty batch
    return cols.reshape(groups, len(x) * math.prod(outs),
                        math.prod(kernel) * x.shape[1] // groups), outs


def _filters(w: np.ndarray, groups: int = 1) -> np.ndarray:
    """The weight (O, C / G, *kernel) as one matrix per group (G, taps * C / G, O / G):
    one column per filter."""
    per_group = np.moveaxis(w.reshape(groups, len(w) // groups, *w.shape[1:]), 2, -1)
    return per_group.reshape(groups, len(w) // groups, -1).swapaxes(1, 2)


def _grad_matrix(g: np.ndarray, groups: int = 1) -> np.ndarray:
    """An output gradient (N, O, *out) as one matrix per group of output channels,
    (G, N * positions, O / G) (a view)."""
    rows = np.moveaxis(g, 1, -1).reshape(-1, g.shape[1])
    return rows.reshape(len(rows), groups, g.shape[1] // groups).swapaxes(0, 1)


def _ungroup(m: np.ndarray) -> np.ndarray:
    """Per-group matrices (G, rows, k) side by side as one (rows, G * k): group-major
    columns, as the channels are numbered (a view when G = 1)."""
    # (sizes spelled out: -1 cannot be inferred for an empty batch)
    return m.swapaxes(0, 1).reshape(m.shape[1], m.shape[0] * m.shape[2])


def _depthwise(x: np.ndarray, w: np.ndarray, stride: tuple, padding: Pads,
               dilation: tuple) -> np.ndarray:
    """A convolution whose every filter reads one input channel (weight (O, 1, *kernel),
    groups = C): one multiply-add of the strided windows per filter tap. As matrices each
    group would be one column wide and the windows' copy all the work; here no window is
    copied.
    Filter o reads channel o // (O / C) (PyTorch's channel multiplier)."""
    if len(w) != x.shape[1]:  # O = C * m: each channel read by m filters in a row
        x = np.repeat(x, len(w) // x.shape[1], axis=1)
    kernel = w.shape[2:]
    # channels-last throughout: windows (N, *out, *kernel, O), output (N, *out, O)
    view = np.moveaxis(windows(pad(x, padding), kernel, stride, dilation), 1, -1)
    out = np.zeros((*view.shape[:-len(kernel) - 1], len(w)), np.result_type(x, w))
    # each tap's O weights repeated along an output row, (*kernel, out_w, O): in memory they
    # then step as a row of the output does, and numpy multiplies whole rows at a time
    # (a quarter faster than one short run of O numbers per position; einsum over the
    # windows, with or without optimize, was slower than either)
    rows = np.moveaxis(w[:, 0], 0, -1)[..., None, :]
    rows = np.ascontiguousarray(np.broadcast_to(rows, (*kernel, out.shape[-2], len(w))))
    product = np.empty_like(out)
    for tap in taps(kernel):
        out += np.multiply(view[(Ellipsis, *tap, slice(None))], rows[tap], out=product)
    return np.moveaxis(out, -1, 1)  # (N, O, *out), stored channels-last


def _conv_forward(x: np.ndarray, w: np.ndarray, b: Any = None, *, stride: tuple,
                  padding: Pads, dilation: tuple, groups: int = 1) -> np.ndarray:
    if groups > 1 and w.shape[1] == 1:
        out = _depthwise(x, w, stride, padding, dilation)  # (N, O, *out), channels-last
        if b is not None:  # in place when the dtypes agree, as below
            b = b.reshape(-1, *(1,) * (w.ndim - 2))
            out = out + b if np.result_type(out, b) != out.dtype else np.add(out, b, out=out)
        return out
    cols, outs = _im2col(x, w.shape[2:], stride, padding, dilation, groups)
    out = _ungroup(cols @ _filters(w, groups))  # (N * positions, O): every window, filter
    if b is not None:  # one bias per column (filter); in place when the dtypes agree
        out = out + b if np.result_type(out, b) != out.dtype else np.add(out, b, out=out)
    return np.moveaxis(out.reshape(len(x), *outs, len(w)), -1, 1)  # (N, O, *out), channels-last


def _turned(w: np.ndarray, groups: int) -> np.ndarray:
    """The filters of the convolution that spreads a gradient back (stride 1): turned around
    in space, input and output channels swapped, within each group."""
    kernel = w.shape[2:]
    grouped = w.reshape(groups, len(w) // groups, *w.shape[1:])  # (G, O / G, C / G, *k)
    swapped = np.swapaxes(grouped, 1, 2).reshape(-1, len(w) // groups, *kernel)
    return swapped[(slice(None), slice(None), *(slice(None, None, -1),) * len(kernel))]


def _conv_transpose_forward(g: np.ndarray, w: np.ndarray, *, size: tuple, stride: tuple,
                            padding: Pads, dilation: tuple, groups: int = 1) -> np.ndarray:
    kernel = w.shape[2:]
    # With stride 1 this is itself a convolution: of g, padded by the filter's span minus
    # the forward padding, with the filter turned around (flipped in space, input and
    # output channels swapped). That reuses the fast forward: one copy, one product.
    back = tuple((dl * (k - 1) - lo, dl * (k - 1) - hi)
                 for k, dl, (lo, hi) in zip(kernel, dilation, padding))
    if all(s == 1 for s in stride) and min(min(b) for b in back) >= 0:
        return _conv_forward(g, _turned(w, groups), stride=stride, padding=back,
                             dilation=dilation, groups=groups)
    # Otherwise each output gradient times the filter is added back onto its window.
    cin = w.shape[1] * groups
    if groups > 1 and w.shape[1] == 1:  # depthwise: per tap, g times that tap's weights
        spread = [g * w[(slice(None), 0, *tap)].reshape(-1, *(1,) * len(kernel))
                  for tap in taps(kernel)]
        if len(w) != cin:  # the m filters of one channel add up (channel multiplier)
            spread = [p.reshape(len(g), cin, len(w) // cin, *p.shape[2:]).sum(axis=2)
                      for p in spread]
        return fold(spread, kernel, size, stride, padding, dilation)
    cols = _grad_matrix(g, groups) @ np.swapaxes(_filters(w, groups), -1, -2)
    # (G,) N * positions, taps * C / G -> (N, C, *out, *kernel)
    cols = cols.reshape(groups, len(g), *g.shape[2:], *kernel, w.shape[1])
    cols = np.moveaxis(cols, (0, -1), (1, 2)).reshape(len(g), cin, *g.shape[2:], *kernel)
    pieces = [cols[(Ellipsis, *tap)] for tap in taps(kernel)]
    return fold(pieces, kernel, size, stride, padding, dilation)


def _conv_weight_grad_forward(x: np.ndarray, g: np.ndarray, *, kernel: tuple, stride: tuple,
                              padding: Pads, dilation: tuple, groups: int = 1) -> np.ndarray:
    # dL/dw[o, c, taps] = sum over examples and positions of g[n, o, pos] * window[n, c, pos, taps]
    per_group = x.shape[1] // groups  # input channels each filter reads
    if groups > 1 and per_group == 1:  # depthwise: one product summed per filter tap
        if g.shape[1] != x.shape[1]:
            x = np.repeat(x, g.shape[1] // x.shape[1], axis=1)
        view = windows(pad(x, padding), kernel, stride, dilation)
        axes = "nc" + "xyz"[:len(kernel)]  # example, channel, positions: all but c summed
        gw = np.stack([np.einsum(f"{axes},{axes}->c", view[(Ellipsis, *tap)], g)
                       for tap in taps(kernel)], axis=-1)
        return gw.reshape(g.shape[1], 1, *kernel)
    cols, _ = _im2col(x, kernel, stride, padding, dilation, groups)
    gw = np.swapaxes(cols, -1, -2) @ _grad_matrix(g, groups)  # (G,) taps * C / G, O / G
    gw = gw.reshape(groups, *kernel, per_group, g.shape[1] // groups)
    gw = np.moveaxis(gw, (-1, -2), (1, 2)).reshape(g.shape[1], per_group, *kernel)
    return np.ascontiguousarray(gw)  # (C_out, C_in / G, *kernel)


def conv(x: Any, w: Any, b: Any = None, *, stride: tuple, padding: Pads,
         dilation: tuple, groups: int = 1) -> Any:
    """The convolution primitive on checked, normalised arguments (see ``conv2d``)."""
    return _CONV[ndim_of(w) - 2](x, w, b, stride=stride, padding=padding,
                                      dilation=dilation, groups=groups)


def conv_transpose(g: Any, w: Any, *, size: tuple, stride: tuple, padding: Pads,
                   dilation: tuple, groups: int = 1) -> Any:
    """d/dx of ``conv``: the output gradient ``g`` spread back onto an input of ``size``."""
    return _conv_transpose(g, w, size=tuple(size), stride=stride, padding=padding,
                           dilation=dilation, groups=groups)


def conv_weight_grad(x: Any, g: Any, *, kernel: tuple, stride: tuple, padding: Pads,
                     dilation: tuple, groups: int = 1) -> Any:
    """d/dw of ``conv``: the windows of ``x`` weighted by the output gradient ``g``."""
    return _conv_weight_grad(x, g, kernel=tuple(kernel), stride=stride, padding=padding,
                             dilation=dilation, groups=groups)


def _conv_vjp_x(g: Any, out: Any, x: Any, w: Any, b: Any = None, **p: Any) -> Any:
    return conv_transpose(g, w, size=np.shape(raw(x))[2:], **p)


def _conv_vjp_w(g: Any, out: Any, x: Any, w: Any, b: Any = None, **p: Any) -> Any:
    return conv_weight_grad(x, g, kernel=np.shape(raw(w))[2:], **p)


def _conv_vjp_b(g: Any, out: Any, x: Any, w: Any, b: Any = None, **p: Any) -> Any:
    # Every position used the bias: the sum of g over all but the channel axis. The
    # channels go last (conv's own layout, so no copy) and the rows are summed as a
    # product with a row of ones, which BLAS does far faster than a sum over axis 0.
    data = raw(g)
    rows = g.transpose((0, *range(2, data.ndim), 1)).reshape(-1, data.shape[1])
    return np.ones(np.shape(raw(rows))[0], dtype=data.dtype) @ rows


_CONV = {d: Primitive(f"conv{d}d", quiet(_conv_forward), _conv_vjp_x, _conv_vjp_w, _conv_vjp_b)
         for d in (1, 2, 3)}

# conv_transpose(g, w) is linear in g and in w; its vjps are conv and conv_weight_grad.
_conv_transpose = Primitive(
    "conv_transpose", quiet(_conv_transpose_forward),
    lambda gy, out, g, w, *, size, **p: conv(gy, w, None, **p),
    lambda gy, out, g, w, *, size, **p: conv_weight_grad(gy, g, kernel=np.shape(raw(w))[2:],
                                                         **p),
)
# conv_weight_grad(x, g) is linear in x and in g; its vjps are conv_transpose and conv.
_conv_weight_grad = Primitive(
    "conv_weight_grad", quiet(_conv_weight_grad_forward),
    lambda gw, out, x, g, *, kernel, **p: conv_transpose(g, gw, size=np.shape(raw(x))[2:], **p),
    lambda gw, out, x, g, *, kernel, **p: conv(x, gw, None, **p),
)


# --- the public functions: arguments as PyTorch takes them, and errors that teach ----------


def as_tuple(value: Any, d: int, name: str, op: str, minimum: int = 1) -> tuple[int, ...]:
    """An int or a sequence of ``d`` ints as a tuple of ``d`` ints, each >= ``minimum``."""
    values = (value,) * d if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != d or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                   for v in values):
        raise ValueError(f"{op}: {name} must be an int or a tuple of {d} ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in values)


def as_pads(padding: Any, kernel: tuple[int, ...], dilation: tuple[int, ...], stride: tuple,
            op: str) -> Pads:
    """PyTorch's ``padding`` (int, tuple, 'valid' or 'same') as (before, after) per axis."""
    if isinstance(padding, str):
        if padding == "valid":
            return tuple((0, 0) for _ in kernel)
        if padding != "same":
            raise ValueError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', got "
                             f"{padding!r}")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' needs stride 1 (as in PyTorch), got "
                             f"stride={stride}")
        # the output keeps the input's size: dilation * (k - 1) zeros in all, the odd one after
        totals = [dl * (k - 1) for k, dl in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((p, p) for p in as_tuple(padding, len(kernel), "padding", op, minimum=0))


_WEIGHT_LAYOUT = {1: "(out_channels, in_channels, k)", 2: "(out_channels, in_channels, kh, kw)",
                  3: "(out_channels, in_channels, kd, kh, kw)"}
LAYOUT = {1: "(batch, channels, length)", 2: "(batch, channels, height, width)",
          3: "(batch, channels, depth, height, width)"}  # an input of d spatial axes
_EXAMPLES = {1: "signals", 2: "images", 3: "volumes"}  # what a batch of one channel holds


def check_input(op: str, x: Any, d: int, channels: int, what: str) -> bool:
    """Check that ``x`` is laid out (batch, channels, *spatial) with ``channels`` on axis 1.

    Returns True for a batch, False for one unbatched example (channels, *spatial),
    which PyTorch accepts too. The errors say which axis is the channel axis and how
    to reshape the common mistakes.
    """
    shape = tuple(np.shape(raw(x)))
    layout = LAYOUT[d]
    if len(shape) == d + 1 and shape[0] == channels:
        return False  # one example without the batch axis
    if len(shape) == d + 1 and channels == 1:
        raise ValueError(
            f"{op}: expected input of shape {layout} = (N, 1, ...), got {shape}: the channel "
            f"axis (axis 1) is missing. For a batch of one-channel "
            f"{_EXAMPLES[d]} add it with "
            f"x.reshape({shape[0]}, 1, {', '.join(map(str, shape[1:]))})"
        )
    if len(shape) != d + 2:
        raise ValueError(
            f"{op}: expected input of shape {layout} with {d + 2} axes (or {d + 1} for one "
            f"example without the batch axis), got shape {shape}"
        )
    if shape[1] != channels:
        hint = ""
        if shape[-1] == channels:
            order = (0, d + 1, *range(1, d + 1))
            hint = (f"; the channels seem to be on the last axis (channels-last, as image "
                    f"files store them): move them with x.transpose{order}")
        elif channels == 1:
            hint = f"; for one-channel data use x.reshape(N, 1, ...) with N = {shape[0]}"
        raise ValueError(
            f"{op}: the input of shape {shape} has {shape[1]} channel(s) on axis 1 (the "
            f"channel axis of {layout}), but {what} expects {channels} input channel(s){hint}"
        )
    return True


def check_groups(op: str, groups: Any, channels: int, what: str) -> int:
    """``groups`` as an int that divides ``channels`` (``what`` names them in the error)."""
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if channels % groups:
        raise ValueError(f"{op}: {what} = {channels} must be divisible by groups={groups}: "
                         f"each group gets an equal share of the filters; use a divisor "
                         f"of {channels} for groups")
    return int(groups)


def _conv_nd(d: int, x: Any, weight: Any, bias: Any, stride: Any, padding: Any,
             dilation: Any, groups: int) -> Any:
    op = f"conv{d}d"
    w_shape = tuple(np.shape(raw(weight)))
    if len(w_shape) != d + 2:
        raise ValueError(f"{op}: weight must have shape {_WEIGHT_LAYOUT[d]} with {d + 2} "
                         f"axes, got {w_shape}")
    groups = check_groups(op, groups, w_shape[0], "out_channels (weight axis 0)")
    kernel = w_shape[2:]
    stride = as_tuple(stride, d, "stride", op)
    dilation = as_tuple(dilation, d, "dilation", op)
    pads = as_pads(padding, kernel, dilation, stride, op)
    # each filter reads w_shape[1] channels of its group: the input has groups times that
    batched = check_input(op, x, d, w_shape[1] * groups, f"the weight of shape {w_shape}" + (
        f" with groups={groups} (in_channels = weight axis 1 * groups)" if groups > 1 else ""))
    if bias is not None and tuple(np.shape(raw(bias))) != (w_shape[0],):
        raise ValueError(f"{op}: bias has shape {np.shape(raw(bias))}, must be "
                         f"(out_channels,) = ({w_shape[0]},)")
    if not batched:
        x = x[None]
    size = np.shape(raw(x))[2:]
    outs = [out_size(n, k, s, p, dl) for n, k, s, p, dl in zip(size, kernel, stride, pads,
                                                                dilation)]
    if min(outs) < 1:
        raise ValueError(
            f"{op}: the input's spatial size {tuple(size)} (padding {padding!r}) is smaller "
            f"than the filter ({'x'.join(map(str, kernel))}, dilation {dilation}); pad the "
            "input or use a smaller kernel"
        )
    out = conv(x, weight, bias, stride=stride, padding=pads, dilation=dilation, groups=groups)
    return out if batched else out[0]


def conv1d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Any:
    """1-D convolution, as ``torch.nn.functional.conv1d``.

    ``x`` (batch, in_channels, length), ``weight`` (out_channels, in_channels / groups, k),
    ``bias`` (out_channels,) or None. ``padding`` is an int, 'valid' or 'same'.
    Returns (batch, out_channels, out_length).
    """
    return _conv_nd(1, x, weight, bias, stride, padding, dilation, groups)


def conv2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Any:
    """2-D convolution, as ``torch.nn.functional.conv2d``.

    ``x`` (batch, in_channels, height, width), ``weight`` (out_channels, in_channels /
    groups, kh, kw), ``bias`` (out_channels,) or None; ``stride``, ``padding``, ``dilation``
    an int or a pair (``padding`` also 'valid' or 'same'). ``groups`` splits the channels
    into that many groups convolved separately (``groups=in_channels``: depthwise, each
    channel its own filters). Output size per axis:
    ``(size + 2 * padding - dilation * (k - 1) - 1) // stride + 1``. One graph node,
    computed as one matrix product over strided windows (see the module docstring).
    """
    return _conv_nd(2, x, weight, bias, stride, padding, dilation, groups)


def conv3d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Any:
    """3-D convolution, as ``torch.nn.functional.conv3d``: filters slid through volumes
    (scans, video clips as (time, height, width)).

    ``x`` (batch, in_channels, depth, height, width), ``weight`` (out_channels,
    in_channels / groups, kd, kh, kw), ``bias`` (out_channels,) or None; sizes an int or a triple.
    The same code as ``conv2d`` with one spatial axis more.
    """
    return _conv_nd(3, x, weight, bias, stride, padding, dilation, groups)


__all__ = ["conv1d", "conv2d", "conv3d"]
