"""``tinygrad_dk.func``: PyTorch's ``torch.func`` (function transforms) on this engine.

``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd`` and ``hessian``
turn a function into the function computing its derivative; ``vmap`` maps a function
over a batch axis; ``functional_call`` runs a module with other parameters. They nest:
``vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)`` gives per-example gradients.

How this differs from PyTorch's implementation, not in results:

* All derivatives are reverse mode (``tinygrad_dk.autograd.functional``): ``jacfwd`` is
  ``jacrev``, and ``jvp`` uses the double-vjp trick.
* ``vmap`` is a Python loop: it calls ``func`` once per slice and stacks the results.
  Same numbers as a fused batched kernel, slower; ``chunk_size`` changes nothing.
* Arguments may be pytrees: Tensors inside tuples, lists and dicts (a parameter dict).

As in PyTorch, inputs need not require grad (the transforms track copies of them), and
the results are detached from that internal graph; they stay differentiable only when
they depend on tensors tracked outside (an enclosing transform, or ``requires_grad``
tensors such as a model's parameters), which is what makes the transforms nest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_dk.autograd.functional import (
    finish,
    jacobian_table,
    pullback,
    pushforward,
    track,
    zeros_for_none,
)
from tinygrad_dk.functional_call import functional_call
from tinygrad_dk.grad_mode import enable_grad, is_grad_enabled
from tinygrad_dk.graph import topo_sort
from tinygrad_dk.pytree import leaves as _leaves
from tinygrad_dk.pytree import rebuild as _rebuild
from tinygrad_dk.pytree import tree_map as _map
from tinygrad_dk.tensor import Tensor
from tinygrad_dk.vmap import vmap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call"]


# --- tracking inputs, and deciding whether results keep a graph ----------------------------

def _tracked(x: Any) -> Any:
    """The copy a transform differentiates by (``autograd.functional.track``): a fresh leaf,
    or, for a tensor tracked outside, an identity node that stays connected to it."""
    if not isinstance(x, Tensor):
        raise TypeError(f"expected the differentiated arguments to be Tensors (or tuples, "
                        f"lists and dicts of them), got {type(x).__name__}; wrap numbers "
                        "with torch.tensor(...) or pass them at another position")
    return track((x,), create_graph=True)[0]


def _keeps_graph(outputs: list[Any], tracked: Any) -> bool:
    """Does any output depend on a tensor tracked outside this transform (a leaf that
    requires grad and is not one of the fresh copies in ``tracked``)? Then the results
    must keep their graph; otherwise they are detached (and the backward passes need not
    be recorded). One walk of each output's graph (``topo_sort``) per call."""
    if not is_grad_enabled():
        return False
    ours = {id(t) for t in tracked if t.is_leaf}
    for out in outputs:
        if isinstance(out, Tensor) and out.requires_grad:
            for node in topo_sort(out):
                if node.is_leaf and node.requires_grad and id(node) not in ours:
                    return True
    return False


def _argnums(argnums: int | tuple[int, ...], n: int, fn: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums or not all(isinstance(i, int) for i in nums):
        raise RuntimeError(f"{fn}: argnums must be an int or a non-empty tuple of ints, got "
                           f"{argnums!r}")
    if len(set(nums)) != len(nums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    for i in nums:
        if not -n <= i < n:
            raise RuntimeError(f"Got argnum={i}, but only {n} positional inputs; pass an "
                               f"argnums between {-n} and {n - 1}")
    return tuple(i % n for i in nums)


def _split_aux(out: Any, has_aux: bool, fn: str) -> tuple[Any, Any]:
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{fn}(f)(*args): output of function f should be a tuple: "
                           "(output, aux) if has_aux is True")
    return out


def _call_tracked(func: Callable, args: tuple, nums: tuple[int, ...], kwargs: dict
                  ) -> tuple[list, list, Any]:
    """Call ``func`` with tracked copies of ``args[nums]``: (the args as called, the
    tracked copies in order, the output)."""
    args = list(args)
    with enable_grad():
        for i in nums:
            args[i] = _map(_tracked, args[i])
        out = func(*args, **kwargs)
    return args, [leaf for i in nums for leaf in _leaves(args[i])], out


def _tensor_outputs(out: Any, fn: str) -> list[Tensor]:
    """The leaves of ``func``'s output, which must all be Tensors."""
    outs = _leaves(out)
    for o in outs:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{fn}: Expected f to be a function that has only Tensors (or "
                               f"tuples, lists and dicts of them) as output, got "
                               f"{type(o).__name__}")
    return outs


def _regroup(grads: tuple, args: list, nums: tuple[int, ...], one: bool) -> Any:
    """Flat gradients back into the structure of ``args[nums]`` (a tuple of them unless
    argnums was one int)."""
    it = iter(grads)
    groups = tuple(_rebuild(args[i], it) for i in nums)
    return groups[0] if one else groups


# --- gradients ----------------------------------------------------------------------------

def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable:
    """A function returning ``(gradient, value)`` of scalar ``func`` (with ``has_aux``:
    ``(gradient, (value, aux))``). The gradient has the structure of ``args[argnums]``
    (a tuple of them for a tuple ``argnums``)."""
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        nums = _argnums(argnums, len(args), "grad")
        args, targets, result = _call_tracked(func, args, nums, kwargs)
        out, aux = _split_aux(result, has_aux, "grad_and_value")
        if not isinstance(out, Tensor):
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a Tensor, "
                               f"got {type(out).__name__}")
        if out.ndim != 0:
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar "
                               f"Tensor, got tensor with {out.ndim} dims. Maybe you wanted to "
                               "use the vjp or jacrev APIs instead? (or reduce with .sum())")
        keep = _keeps_graph([out, *_leaves(aux)], targets)
        with enable_grad():
            grads = zeros_for_none(pullback((out,), tuple(targets), (None,), keep), targets)
        value = finish(out, keep)
        gradient = _regroup(grads, args, nums, isinstance(argnums, int))
        return gradient, ((value, finish(aux, keep)) if has_aux else value)

    return wrapper


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """A function returning the gradient of scalar ``func`` with respect to
    ``args[argnums]`` (with ``has_aux``: ``(gradient, aux)``)."""
    both = grad_and_value(func, argnums, has_aux)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gradient, value = both(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """``(func(*primals), vjp_fn)`` (with ``has_aux``: ``(output, vjp_fn, aux)``).

    ``vjp_fn(cotangents)``, cotangents shaped as the output, returns one vector-Jacobian
    product per primal, as a tuple. It can be called many times: the graph is kept.
    """
    nums = tuple(range(len(primals)))
    args, targets, result = _call_tracked(func, primals, nums, {})
    out, aux = _split_aux(result, has_aux, "vjp")
    outs = _tensor_outputs(out, "vjp(f, *primals)")
    keep = _keeps_graph(outs, targets)

    def vjp_fn(cotangents: Any) -> tuple[Any, ...]:
        cts = _leaves(cotangents)
        if len(cts) != len(outs) or any(np.shape(c) != np.shape(o) for c, o in zip(cts, outs)):
            raise RuntimeError("vjp_fn: expected cotangents with the structure and shapes of "
                               f"the output {[tuple(o.shape) for o in outs]}, got "
                               f"{[tuple(np.shape(c)) for c in cts]}")
        create = keep or any(isinstance(c, Tensor) and c.requires_grad for c in cts)
        with enable_grad():
            grads = zeros_for_none(pullback(tuple(outs), tuple(targets), tuple(cts), create),
                                   targets)
        return _regroup(grads, args, nums, False)

    value = finish(out, keep)
    return (value, vjp_fn, finish(aux, keep)) if has_aux else (value, vjp_fn)


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> tuple[Any, ...]:
    """``(func(*primals), J tangents)`` (with ``has_aux``: ``(output, jvp_out, aux)``),
    by the double-vjp trick (reverse mode twice; see autograd.functional.pushforward)."""
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be "
                           "tuples, e.g. jvp(f, (x,), (t,))")
    p_leaves, t_leaves = _leaves(primals), _leaves(tangents)
    if len(p_leaves) != len(t_leaves) or any(
            np.shape(p) != np.shape(t) for p, t in zip(p_leaves, t_leaves)):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same structure and shapes")
    _, inputs, result = _call_tracked(func, primals, tuple(range(len(primals))), {})
    out, aux = _split_aux(result, has_aux, "jvp")
    outs = _tensor_outputs(out, "jvp(f, primals, tangents)")
    keep = _keeps_graph(outs, inputs) or any(t.requires_grad for t in t_leaves)
    with enable_grad():
        products = zeros_for_none(pushforward(tuple(outs), tuple(inputs), tuple(t_leaves), keep,
                                              strict), outs)
    jvp_out = _rebuild(out, iter(products))
    value = finish(out, keep)
    return (value, jvp_out, finish(aux, keep)) if has_aux else (value, jvp_out)


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False,
           chunk_size: int | None = None) -> Callable:
    """A function returning the Jacobian of ``func`` with respect to ``args[argnums]``.

    For each output (any structure), the Jacobian with respect to the argument(s), of
    shape ``output.shape + input.shape``; one backward pass per output element.
    ``chunk_size`` (PyTorch's memory knob for its vectorized passes) changes nothing.
    """
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args), "jacrev")
        args, targets, result = _call_tracked(func, args, nums, kwargs)
        out, aux = _split_aux(result, has_aux, "jacrev")
        outs = _tensor_outputs(out, "jacrev(f)")
        keep = _keeps_graph([*outs, *_leaves(aux)], targets)
        with enable_grad():
            table = jacobian_table(tuple(outs), tuple(targets), keep)
        one = isinstance(argnums, int)
        jac = _rebuild(out, iter([_regroup(row, args, nums, one) for row in table]))
        return (jac, finish(aux, keep)) if has_aux else jac

    return wrapper


def jacfwd(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """The Jacobian, as ``jacrev``: PyTorch computes it in forward mode (one pass per
    input element); this engine has reverse mode only, and the numbers are the same."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """The Hessian of scalar ``func``: the Jacobian of its gradient's Jacobian
    (``jacfwd(jacrev(func))``, as PyTorch defines it)."""
    return jacfwd(jacrev(func, argnums), argnums)
