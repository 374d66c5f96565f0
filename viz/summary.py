"""A summarised computation graph: the operations between named tensors as one box each.

An LSTM unrolled over 12 time steps is a graph of about 200 operations; drawn node by
node it is a wall of ellipses. What a reader wants to see is the unrolled network:
step after step, each reading the previous step's hidden state. The *labels* say
which tensors matter (``nn.LSTM`` names its states ``h[3]`` and ``c[3]``; anyone can
set ``tensor.label``), so the summary keeps

* the output, every leaf (parameters, inputs, constants) and every labelled tensor,
  drawn as usual with their values and gradients;
* and merges every connected group of the remaining (unlabelled, computed) nodes into
  one box that lists its operations: "12 operations: linear, 4x getitem, 3x sigmoid, ...".

A group of one operation is drawn as the node itself. Only the parent links are used,
through the parameter surface both engines share, so Values are summarised too.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


class Group:
    """Connected unlabelled operations, drawn as one box (its inputs: see ``summarize``)."""

    def __init__(self) -> None:
        self.members: list[Any] = []  # graph nodes, in topological order

    def text(self, width: int = 44) -> str:
        """'5 operations: linear, 4x getitem' broken into lines of about ``width`` chars."""
        counts = Counter(node.op for node in self.members)
        parts = [op if n == 1 else f"{n}x {op}" for op, n in counts.items()]
        lines, line = [], f"{len(self.members)} operations:"
        for part in parts:
            if len(line) + len(part) + 2 > width:
                lines.append(line)
                line = part
            else:
                line += (" " if line.endswith(":") else ", ") + part
        return "\n".join([*lines, line])


def summarize(order: list[Any]) -> tuple[list[Any], dict[int, list[Any]]]:
    """The items to draw, in topological order, and each item's drawn parents (by id).

    ``order`` comes from ``topo_sort`` (its last node is the output). Items are the
    kept nodes and the ``Group`` boxes; a group is placed where its last member was,
    after every input of every member.
    """
    root = order[-1]

    def kept(node: Any) -> bool:
        return node is root or not node.op or bool(node.label)

    # Union-find over the unlabelled computed nodes, joined along parent links.
    boss: dict[int, int] = {}

    def find(i: int) -> int:
        while boss[i] != i:
            boss[i] = boss[boss[i]]  # path halving keeps the trees flat
            i = boss[i]
        return i

    for node in order:
        if not kept(node):
            boss.setdefault(id(node), id(node))
            for parent in node.parents:
                if not kept(parent):
                    boss.setdefault(id(parent), id(parent))
                    boss[find(id(parent))] = find(id(node))
    members: dict[int, list[Any]] = {}
    for node in order:
        if not kept(node):
            members.setdefault(find(id(node)), []).append(node)

    item_of: dict[int, Any] = {}  # graph node id -> the item that draws it
    last_member: dict[int, Group] = {}
    for nodes in members.values():
        if len(nodes) == 1:  # one operation alone: draw it as itself
            item_of[id(nodes[0])] = nodes[0]
            continue
        group = Group()
        group.members = nodes
        for node in nodes:
            item_of[id(node)] = group
        last_member[id(nodes[-1])] = group

    items: list[Any] = []
    parents: dict[int, list[Any]] = {}
    for node in order:
        if id(node) not in item_of:
            item_of[id(node)] = node
        item = item_of[id(node)]
        if isinstance(item, Group):
            if id(node) in last_member:  # the group's place: after all of its inputs
                items.append(item)
                parents[id(item)] = _unique(
                    item_of[id(p)] for m in item.members for p in m.parents
                    if item_of.get(id(p)) is not item)
            continue
        items.append(item)
        parents[id(item)] = _unique(item_of[id(p)] for p in node.parents)
    return items, parents


def _unique(items: Any) -> list[Any]:
    """The items once each, in first-seen order (identity, not equality)."""
    seen: set[int] = set()
    out = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out
