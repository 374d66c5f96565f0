"""Pytrees: Tensors inside tuples, lists and dicts (a parameter dict, an (x, y) pair).

The function transforms (``tinygrad_dk.func``, ``vmap``) take and return such nests: they
work on the flat list of leaves and rebuild the nest around new leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def leaves(tree: Any) -> list[Any]:
    """The leaves of a tuple/list/dict tree, left to right (dicts in key order)."""
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in leaves(item)]
    if isinstance(tree, dict):
        return [leaf for item in tree.values() for leaf in leaves(item)]
    return [tree]


def rebuild(tree: Any, new: Iterator[Any]) -> Any:
    """``tree``'s shape with its leaves taken from ``new`` in order."""
    if isinstance(tree, (tuple, list)):
        return type(tree)(rebuild(item, new) for item in tree)
    if isinstance(tree, dict):
        return {key: rebuild(item, new) for key, item in tree.items()}
    return next(new)


def tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    """``tree`` with ``fn`` applied to every leaf."""
    return rebuild(tree, iter([fn(leaf) for leaf in leaves(tree)]))
