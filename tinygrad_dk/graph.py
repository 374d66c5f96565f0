"""The one graph walk shared by Value, Tensor and viz.

Every node (a ``Value`` or a ``Tensor``) knows the nodes it was computed from in
``node.parents``. Reverse-mode differentiation needs the nodes in an order where
each node comes after all of its parents (a topological order), so that walking
the list backwards visits a node only once every consumer has handed it its
gradient.

micrograd finds that order with a recursive function, which stops with
RecursionError once a graph is a few hundred nodes deep. Here the recursion is
replaced by an explicit stack, so a chain of a million nodes is no harder than a
chain of ten. Nodes are remembered by ``id()``: the walk never calls ``__eq__``
or ``__hash__`` of a node, so a class that overrides them cannot confuse it.
"""

from __future__ import annotations

from typing import Any


def topo_sort(root: Any) -> list[Any]:
    """Return every node reachable from ``root``, parents before children.

    The last element is ``root`` itself. Runs in time linear in the number of
    nodes and edges, without recursion.
    """
    order: list[Any] = []
    seen = {id(root)}
    # Each stack entry is a node and an iterator over its parents that remembers
    # how far we got: this is exactly what a recursive call would keep on the
    # Python call stack.
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                if not parent.parents:  # a leaf has no parents to place first
                    order.append(parent)
                    continue
                stack.append((parent, iter(parent.parents)))
                break
        else:
            # All parents are placed: the node itself can follow them.
            stack.pop()
            order.append(node)
    return order
