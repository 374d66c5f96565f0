"""``tinygrad_dk.autograd.functional``: derivatives of whole functions, as
``torch.autograd.functional`` (``import tinygrad_dk.autograd.functional as AF``).

* ``vjp(func, inputs, v)``: ``v^T J``, one backward pass;
* ``jvp(func, inputs, v)``: ``J v``, by the *double-vjp trick* (below);
* ``jacobian(func, inputs)``: the whole ``J``, one backward pass per output element;
* ``hessian(func, inputs)``: the Jacobian of the gradient;
* ``vhp`` / ``hvp``: ``v^T H`` and ``H v`` without forming ``H``.

Everything is reverse mode, built on ``tinygrad_dk.autograd.grad``. The engine has no
forward mode, so a Jacobian-vector product uses the trick PyTorch uses here too: the
vector-Jacobian product ``u -> u^T J`` is linear in ``u``, so differentiating it with
respect to a dummy ``u`` (its value does not matter, we use zeros) and seeding that
second backward pass with ``v`` gives ``J v``.

As in PyTorch, ``func`` receives fresh copies of the inputs that require grad (the
caller's tensors need not), the results are detached unless ``create_graph=True``, an
input the outputs do not depend on gets a zero derivative, or an error with
``strict=True``. Results nest as PyTorch nests them: a Tensor for a Tensor, a tuple for
a tuple, and for ``jacobian`` a tuple (outputs) of tuples (inputs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_dk.autograd import grad
from tinygrad_dk.grad_mode import enable_grad
from tinygrad_dk.ops_shape import stack
from tinygrad_dk.pytree import tree_map
from tinygrad_dk.tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]

STRATEGIES = ("reverse-mode", "forward-mode")


# --- the shared steps: tuples in, copies that track, derivatives out -----------------------

def _as_tuple(x: Any, what: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(was it a tuple, the Tensors as a tuple): PyTorch accepts a Tensor or a tuple."""
    many = isinstance(x, tuple)
    items = x if many else (x,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"the value at index {i}" if many else f"the given {what}"
            raise TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but {where} has type {type(item).__name__}. Wrap "
                            "numbers and arrays with torch.tensor(...)")
    return many, items


def track(inputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """The tensors ``func`` is called with: each a new node that requires grad.

    With ``create_graph`` an input that already requires grad stays connected to the
    caller's graph (through an identity reshape, so the result can be differentiated
    again); otherwise it is a detached copy, a leaf of a graph of our own.
    """
    return tuple(x.view_as(x) if create_graph and x.requires_grad
                 else x.detach().requires_grad_(True) for x in inputs)


def finish(results: Any, create_graph: bool) -> Any:
    """Detach the results (Tensors anywhere in tuples, lists and dicts) unless the caller
    asked for a graph."""
    if create_graph:
        return results
    return tree_map(lambda t: t.detach() if isinstance(t, Tensor) else t, results)


def _tracked_inputs(inputs: Any, fn: str, create_graph: bool) -> tuple[bool, tuple]:
    """(was ``inputs`` a tuple, the tracked copies ``func`` is called with)."""
    many, inputs = _as_tuple(inputs, "inputs", fn)
    return many, track(inputs, create_graph)


def _call(func: Callable[..., Any], inputs: tuple, fn: str, strict: bool) -> tuple[bool, tuple]:
    """(did ``func`` return a tuple, its outputs as a tuple of Tensors)."""
    many, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn)
    _check_outputs(outputs, strict)
    return many, outputs


def _unpack(results: tuple, many: bool) -> Any:
    return results if many else results[0]


def pullback(outputs: tuple, inputs: tuple, vs: tuple, create_graph: bool) -> tuple:
    """``sum_k vs[k]^T d outputs[k] / d input`` for each input, None where no output
    depends on it. Outputs that are None or do not require grad contribute nothing."""
    pairs = [(o, v) for o, v in zip(outputs, vs, strict=True)
             if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return grad([o for o, _ in pairs], list(inputs), [v for _, v in pairs],
                create_graph=create_graph, allow_unused=True)


def pushforward(outputs: tuple, inputs: tuple, vs: tuple, create_graph: bool,
                strict: bool = False) -> tuple:
    """``J v`` for each output (None where it depends on no input), by the double-vjp trick:
    ``u -> u^T J`` is linear in ``u``; its derivative with respect to ``u``, seeded with
    ``v``, is ``J v``. Two backward passes, the first recorded; ``u`` is zeros."""
    dummies = tuple(Tensor(np.zeros_like(o.data), requires_grad=True) for o in outputs)
    u_jac = pullback(outputs, inputs, dummies, create_graph=True)  # u^T J, linear in u
    if strict:
        for i, g in enumerate(u_jac):
            if g is None or not g.requires_grad:
                raise RuntimeError(f"The output of the user-provided function is independent "
                                   f"of input {i}. This is not allowed in strict mode; pass "
                                   "strict=False to get zeros")
    return pullback(u_jac, dummies, vs, create_graph)


def jacobian_table(outputs: tuple, inputs: tuple, create_graph: bool,
                   strict: bool = False) -> list[tuple[Tensor, ...]]:
    """``table[i][j] = d outputs[i] / d inputs[j]`` (shape ``outputs[i].shape +
    inputs[j].shape``), one backward pass per output element, each seeded with a one-hot
    vector: that pass gives one row of the Jacobian for every input at once."""
    table = []
    for i, out in enumerate(outputs):
        rows: list[list[Tensor]] = [[] for _ in inputs]
        for k in range(out.numel()):
            one_hot = np.zeros(out.numel(), dtype=out.data.dtype)
            one_hot[k] = 1
            seed = Tensor._from_op(one_hot.reshape(out.shape))
            grads = pullback((out,), inputs, (seed,), create_graph)
            grads = zeros_for_none(grads, inputs, strict, f"Output {i} of the user-provided "
                                   "function is independent of input {i}.")
            for row, g in zip(rows, grads):
                row.append(g)
        table.append(tuple(_rows_to_jacobian(row, out, inp) for row, inp in zip(rows, inputs)))
    return table


def zeros_for_none(grads: tuple, refs: Any, strict: bool = False, message: str = "") -> tuple:
    """A missing derivative is zero (mathematically right), or with ``strict`` an error:
    ``message``, with ``{i}`` the position of the missing one."""
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(message.format(i=i) + " This is not allowed in strict mode; "
                                   "pass strict=False to get zeros")
            g = Tensor._from_op(np.zeros_like(ref.data))
        out.append(g)
    return tuple(out)


def _check_outputs(outputs: tuple, strict: bool) -> None:
    if strict:
        for i, out in enumerate(outputs):
            if not out.requires_grad:
                raise RuntimeError(
                    f"Output {i} of the user-provided function does not require gradients. "
                    "The outputs must be computed in a differentiable manner from the input "
                    "when running in strict mode (pass strict=False to get zeros)")


def _check_v(v: Any, refs: tuple, many: bool, fn: str, create_graph: bool) -> tuple:
    """``v`` as a tuple matching ``refs`` in number and shapes (detached unless it should
    be differentiated through)."""
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(refs):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(refs)} but got "
                           f"{len(vs)}." if many else "The given v should contain a single "
                           "Tensor.")
    for i, (a, ref) in enumerate(zip(vs, refs)):
        if a.shape != ref.shape:
            where = f"Entry {i} in " if many else ""
            raise RuntimeError(f"{where}v has invalid size: should be {ref.shape} but got "
                               f"{a.shape}.")
    return tuple(a if create_graph and a.requires_grad else a.detach() for a in vs)


def _default_v(refs: tuple, what: str) -> tuple:
    """v may be left out only when there is one one-element tensor: then v = 1."""
    if len(refs) != 1 or refs[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if the {what} a single Tensor with "
                           "a single element; pass v= with the same shape")
    return (Tensor._from_op(np.ones_like(refs[0].data)),)


def _scalar_output(outputs: tuple, many: bool, fn: str) -> Tensor:
    """The one Tensor, of one element, that ``func`` returned (as ``_call`` gave it)."""
    if many:
        raise RuntimeError(f"The function given to {fn} should return a single Tensor")
    out = outputs[0]
    if out.numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn} should contain "
                           f"a single element (got shape {tuple(out.shape)}); reduce it with "
                           ".sum() or .mean()")
    return out


# --- the public functions ------------------------------------------------------------------

def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), v^T J)``: the vector-Jacobian product, one backward pass.

    ``v`` has the output's shape (tuple for a tuple); it may be omitted for a
    one-element output. The product has the inputs' shapes.
    """
    with enable_grad():
        many_in, inputs = _tracked_inputs(inputs, "vjp", create_graph)
        many_out, outputs = _call(func, inputs, "vjp", strict)
        vs = (_check_v(v, outputs, many_out, "vjp", create_graph) if v is not None
              else _default_v(outputs, "user-provided function returns"))
        grads = pullback(outputs, inputs, vs, create_graph)
    grads = zeros_for_none(grads, inputs, strict, "The output of the user-provided function "
                            "is independent of input {i}.")
    return (_unpack(finish(outputs, create_graph), many_out),
            _unpack(finish(grads, create_graph), many_in))


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-vjp trick.

    ``u -> u^T J`` is linear in ``u``; its derivative with respect to ``u``, seeded with
    ``v``, is ``J v``. Two backward passes, the first recorded.
    """
    with enable_grad():
        many_in, inputs = _tracked_inputs(inputs, "jvp", create_graph)
        vs = (_check_v(v, inputs, many_in, "jvp", create_graph) if v is not None
              else _default_v(inputs, "input to the user-provided function is"))
        many_out, outputs = _call(func, inputs, "jvp", strict)
        products = pushforward(outputs, inputs, vs, create_graph, strict)
    products = zeros_for_none(products, outputs, strict, "The gradient with respect to the "
                               "input is independent of entry {i} in the grad_outputs when "
                               "using the double backward trick to compute forward mode "
                               "gradients.")
    return (_unpack(finish(outputs, create_graph), many_out),
            _unpack(finish(products, create_graph), many_out))


def _check_strategy(strategy: str, vectorize: bool, create_graph: bool, strict: bool) -> None:
    if strategy not in STRATEGIES:
        raise ValueError(f'Expected strategy to be either "forward-mode" or "reverse-mode", got '
                         f"{strategy!r}")
    if strategy == "forward-mode":  # PyTorch's rules; the numbers come from reverse mode here
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` '
                                      'and `strategy="forward-mode"` are not supported together '
                                      '(yet). Please either set `create_graph=False` or '
                                      '`strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and '
                               '`strategy="forward-mode"` are not supported together (yet). '
                               'Please either set `strict=False` or `strategy="reverse-mode"`.')
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-"
                                      "reverse Hessian is only implemented for `vectorize=True`"
                                      ' (or use strategy="reverse-mode")')
    elif vectorize and strict:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                           "`vectorized=True` are not supported together. Please either set "
                           "`strict=False` or `vectorize=False`.")


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
             strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: entry ``[i..., j...]`` is
    ``d output[i...] / d input[j...]``, shape ``output.shape + input.shape``.

    Reverse mode, one row at a time (``jacobian_table``): for each output element, one
    backward pass seeded with a one-hot vector gives that element's gradient with
    respect to every input.
    ``vectorize`` (PyTorch batches those passes with vmap) is accepted and changes
    nothing here; ``strategy="forward-mode"`` is accepted where PyTorch accepts it (with
    ``vectorize=True``) and gives the same numbers, by reverse mode.

    For tuples, the result is ``result[i][j] = d outputs[i] / d inputs[j]``.
    """
    _check_strategy(strategy, vectorize, create_graph, strict)
    with enable_grad():
        many_in, inputs = _tracked_inputs(inputs, "jacobian", create_graph)
        many_out, outputs = _call(func, inputs, "jacobian", strict)
        table = jacobian_table(outputs, inputs, create_graph, strict)
    return _unpack(tuple(_unpack(finish(r, create_graph), many_in) for r in table), many_out)


def _rows_to_jacobian(rows: list[Tensor], out: Tensor, inp: Tensor) -> Tensor:
    shape = tuple(out.shape) + tuple(inp.shape)
    if not rows:  # an output with no elements
        return Tensor._from_op(np.zeros(shape, dtype=inp.data.dtype))
    return stack(rows, 0).reshape(shape)


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
            strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a function with a one-element output: the Jacobian of its gradient.

    Shape ``input.shape + input.shape``; for a tuple of inputs, ``result[i][j]`` is
    ``d^2 f / d inputs[i] d inputs[j]``. The inner gradient is recorded
    (``create_graph=True``) so that the outer Jacobian can differentiate it.
    """
    _check_strategy(outer_jacobian_strategy, vectorize, create_graph, strict)
    many_in, _ = _as_tuple(inputs, "inputs", "hessian")

    def scalar_func(*xs: Tensor) -> Tensor:
        many, outs = _call(func, xs, "hessian", strict)
        return _scalar_output(outs, many, "hessian").reshape(())

    def gradient(*xs: Tensor) -> Any:
        jac = jacobian(scalar_func, xs, create_graph=True)
        if strict:
            for i, g in enumerate(jac):
                if not g.requires_grad:
                    raise RuntimeError(
                        "While computing the hessian, found that the jacobian of the user-"
                        f"provided function with respect to input {i} is independent of the "
                        "input. This is not allowed in strict mode (a linear function, for "
                        "example); pass strict=False to get zeros")
        return jac

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                      vectorize=vectorize, strategy=outer_jacobian_strategy)
    return result if many_in else result[0]  # one input: H itself, not (H,)


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), v^T H)``: the gradient of ``grad(func) . v``, two backward passes
    and no Hessian matrix."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), H v)``. The Hessian of a twice continuously differentiable
    function is symmetric, so ``H v = (v^T H)^T`` and this computes what ``vhp`` does
    (PyTorch uses the double-vjp trick here; the numbers agree)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool,
                     strict: bool, fn: str) -> tuple[Any, Any]:
    with enable_grad():
        many_in, inputs = _tracked_inputs(inputs, fn, create_graph)
        vs = (_check_v(v, inputs, many_in, fn, create_graph) if v is not None
              else _default_v(inputs, "input to the user-provided function is"))
        many_out, outs = _call(func, inputs, fn, strict)
        out = _scalar_output(outs, many_out, fn)
        jac = pullback((out,), inputs, (None,), create_graph=True)
        if strict:
            for i, g in enumerate(jac):
                if g is None or not g.requires_grad:
                    raise RuntimeError(f"The jacobian of the user-provided function with "
                                       f"respect to input {i} is independent of the input. "
                                       "This is not allowed in strict mode; pass strict=False "
                                       "to get zeros")
        products = pullback(jac, inputs, vs, create_graph)
    products = zeros_for_none(products, inputs, strict, "The jacobian of the user-provided "
                               "function is independent of input {i}.")
    return finish(out, create_graph), _unpack(finish(products, create_graph), many_in)
