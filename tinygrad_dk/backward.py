"""The one backward policy, shared by the scalar ``Value`` and the array ``Tensor``.

``backprop(root, seed)`` is reverse-mode differentiation. The rules are PyTorch's:

* **Leaves accumulate.** A leaf (a parameter or an input: a node without parents)
  *adds* each pass into its ``.grad``, so calling ``backward()`` twice gives it twice
  the gradient; clear gradients between training steps (``zero_grad``).
* **Computed nodes show the latest pass.** Their gradients are reset first, so after
  ``backward()`` every interior ``.grad`` belongs to this pass alone.
* **A node used twice gets both contributions** (``a + a`` gives ``a.grad == 2``): a
  node passes its gradient on only once all its consumers have added theirs, which the
  topological order guarantees.
* **With ``targets``** (what ``grad()`` uses) the gradients of the target nodes are
  returned and every ``.grad`` in the graph is left as it was.
* **With ``create_graph=True``** the backward pass is itself recorded, so gradients can
  be differentiated again (the Tensor engine; Values record first derivatives only).

How a gradient crosses one node is the engine's business: each node class has a
method ``_backward(pass_)`` (Value: multiply by the local derivatives it stored when
it was computed; Tensor: run the operation's vector-Jacobian products), and knows
what an empty gradient is (``_reset_grads``: 0.0 for a Value, None for a Tensor).
Everything else about a backward pass happens here, once.
"""

from __future__ import annotations

from typing import Any

from tinygrad_dk import hooks
from tinygrad_dk.grad_mode import GradMode
from tinygrad_dk.graph import topo_sort
from tinygrad_dk.quiet import quiet


class BackwardPass:
    """What the nodes of one backward pass share.

    ``create_graph``: record the pass (for second derivatives). ``owners``: the
    memory of gradient arrays that leaves already keep, so that a leaf copies a
    gradient array only when another leaf (or the caller's seed) holds the same memory.
    ``sums``: for a computed node (by ``id``), the gradient array it allocated itself
    in this pass to sum its contributions in; only such an array is added into in
    place, since any other may be shared (``a + b`` hands both inputs the very array it
    received).
    """

    __slots__ = ("create_graph", "owners", "sums")

    def __init__(self, create_graph: bool) -> None:
        self.create_graph = create_graph
        self.owners: set[int] = set()
        self.sums: dict[int, Any] = {}


@quiet  # IEEE inf and nan are valid gradients: no numpy warnings about them
def _walk(root: Any, seed: Any, computed: list, pass_: BackwardPass) -> None:
    """Seed ``root`` and hand the gradients through ``computed`` (in topological order)."""
    root._add_grad(seed, pass_)
    # From the output towards the inputs: a node's gradient is complete (every consumer
    # has added its share) before the node hands it on to its parents.
    for node in reversed(computed):
        node._backward(pass_)


def backprop(root: Any, seed: Any, *, create_graph: bool = False,
             targets: list | None = None) -> list | None:
    """Differentiate ``root`` with upstream gradient ``seed`` (see the module docstring).

    Returns None, or with ``targets`` the list of their gradients (each engine's raw
    form: a float for a Value, an array or a Tensor for a Tensor; the empty form where
    no gradient arrived).
    """
    root._before_backward()
    order = topo_sort(root)
    computed = [node for node in order if node.parents]
    stash = None
    if targets is not None:  # keep every .grad as it is: remember, then start from zero
        stash = [(node, node._raw_grad()) for node in order]
        root._reset_grads(order)
    else:
        root._reset_grads(computed)  # interior nodes show this pass only
    with GradMode(create_graph):
        if hooks.HOOKED:  # a tensor has a gradient hook: the walk that runs them (one check a pass)
            hooks.walk(root, seed, order, computed, BackwardPass(create_graph))
        else:
            _walk(root, seed, computed, BackwardPass(create_graph))
    if stash is None:
        return None
    found = [t._raw_grad() for t in targets]
    for node, g in stash:
        node._set_raw_grad(g)
    return found
