"""``vmap``: a function mapped over one axis of its inputs, as ``torch.func.vmap``.

A loop, not a fused kernel: ``func`` runs once per slice and the results are stacked.
(Exported by ``tinygrad_dk.func``.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from tinygrad_dk.ops_shape import stack
from tinygrad_dk.pytree import leaves as _leaves
from tinygrad_dk.pytree import rebuild as _rebuild
from tinygrad_dk.random_fill import get_rng_state, set_rng_state
from tinygrad_dk.tensor import Tensor

__all__ = ["vmap"]


def _dims_for(dims: Any, tree: Any, fn: str, what: str = "in_dims") -> list[Any]:
    """One dim per leaf of ``tree``: ``dims`` is an int/None for a whole subtree, or
    a tuple/list/dict matching it (``what``: "in_dims" for the inputs, "out_dims" for
    the outputs, named in the error)."""
    if dims is None or isinstance(dims, int):
        return [dims] * len(_leaves(tree))
    if isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)) and len(dims) == len(
            tree):
        return [d for sub_d, sub_t in zip(dims, tree)
                for d in _dims_for(sub_d, sub_t, fn, what)]
    if isinstance(dims, dict) and isinstance(tree, dict) and dims.keys() == tree.keys():
        return [d for k in tree for d in _dims_for(dims[k], tree[k], fn, what)]
    of = "inputs" if what == "in_dims" else "outputs"
    raise ValueError(f"{fn}: {what} is not compatible with the structure of `{of}`: {what} "
                     f"{dims!r} but {of[:-1]} of type {type(tree).__name__}"
                     f"{f' with {len(tree)} entries' if hasattr(tree, '__len__') else ''}; "
                     f"give one {what[:-1]} (or None) per {of[:-1]}")


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """``func`` mapped over one axis of its inputs: slice ``i`` of the result is ``func``
    on slice ``i`` of the inputs.

    ``in_dims``: per argument the axis to map over, or None to pass it whole (nested as
    the arguments are). ``out_dims``: where the batch axis goes in each output (None: the
    output does not depend on the slice, returned once; an error if it differs between
    slices; ``(d,)`` is ``d`` for a single Tensor output). ``randomness``: "error" refuses
    random numbers inside ``func``, "different" draws new ones per slice, "same" the same.

    This is a loop, not a fused kernel: ``func`` runs once per slice and the results are
    stacked (``stack`` is differentiable, so ``vmap(grad(f))`` and ``grad`` of a ``vmap``
    work). ``chunk_size`` changes nothing.
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness!r}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size should be None or a positive int, got {chunk_size!r}")
    name = getattr(func, "__name__", "func")

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        fn = f"vmap({name}, in_dims={in_dims!r}, ...)(<inputs>)"
        if not isinstance(in_dims, (int, tuple)):
            raise ValueError(f"{fn}: expected `in_dims` to be int or a (potentially nested) "
                             f"tuple matching the structure of inputs, got: {type(in_dims)}.")
        dims = _dims_for(in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args),
                         args, fn)
        leaves = _leaves(args)
        sizes = []
        for leaf, d in zip(leaves, dims):
            if d is None:
                continue
            if not isinstance(leaf, Tensor):
                raise ValueError(f"{fn}: Got in_dim={d} for an input but the input is of type "
                                 f"{type(leaf)}. We cannot vmap over non-Tensor arguments, "
                                 "please use None as the respective in_dim")
            if not -leaf.ndim <= d < leaf.ndim:
                raise ValueError(f"{fn}: Got in_dim={d} for some input, but that input is a "
                                 f"Tensor of dimensionality {leaf.ndim} so expected in_dim to "
                                 f"satisfy {-leaf.ndim} <= in_dim < {leaf.ndim}.")
            sizes.append(leaf.shape[d])
        if not sizes:
            raise ValueError(f"{fn}: at least one input must be batched (a Tensor with an "
                             "int in_dim), got none")
        if len(set(sizes)) > 1:
            raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                             f"dimension, got sizes {sizes} for the mapped dimension")
        if sizes[0] == 0:  # a loop over no slices cannot know what func would return
            raise ValueError(f"{fn}: the mapped dimension has size 0; this vmap calls "
                             f"`{name}` once per slice, so it needs at least one slice "
                             "(skip the call for an empty batch)")
        results = []
        with _randomness(randomness) as before_each:
            for i in range(sizes[0]):
                before_each()
                sliced = [leaf if d is None else leaf.select(d, i)
                          for leaf, d in zip(leaves, dims)]
                results.append(func(*_rebuild(args, iter(sliced)), **kwargs))
        return _stack_results(results, out_dims, name)

    return wrapper


@contextmanager
def _randomness(mode: str) -> Iterator[Callable[[], None]]:
    """What happens to the random generator between slices (see ``vmap``)."""
    start = get_rng_state()
    if mode == "same":
        yield lambda: set_rng_state(start)
        return
    yield lambda: None
    if mode == "error" and get_rng_state() != start:
        raise RuntimeError("vmap: called random operation while in randomness error mode. "
                           "Please either use the 'same' or 'different' randomness flags on "
                           "vmap or perform the randomness operation out of vmap")


def _stack_results(results: list[Any], out_dims: Any, name: str) -> Any:
    first = results[0]
    per_slice = [_leaves(r) for r in results]
    if isinstance(first, Tensor) and isinstance(out_dims, tuple) and len(out_dims) == 1:
        out_dims = out_dims[0]  # as PyTorch: (d,) for a single Tensor output
    dims = _dims_for(out_dims, first, f"vmap({name}, ...)", "out_dims")
    stacked = []
    for k, (leaf, d) in enumerate(zip(per_slice[0], dims)):
        if d is None:
            if isinstance(leaf, Tensor) and any(not np.array_equal(
                    r[k].data, leaf.data, equal_nan=True) for r in per_slice[1:]):
                raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor "
                                 f"when out_dim is None (output {k} differs between slices; "
                                 "give it an int out_dim)")
            stacked.append(leaf)
            continue
        if not isinstance(leaf, Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                             f"{type(leaf)}. Did you mean to set out_dims= to None for output?")
        stacked.append(stack([r[k] for r in per_slice], d if d >= 0 else d + leaf.ndim + 1))
    return _rebuild(first, iter(stacked))
