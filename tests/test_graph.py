"""The one graph walk: ``topo_sort`` (tinygrad_dk.graph).

Properties checked on random DAGs: every parent comes before its child, every
reachable node appears exactly once, nothing unreachable appears, the root is
last. Nodes are tracked by ``id()``, so hostile ``__eq__``/``__hash__`` cannot
confuse the walk; and the walk is iterative, so a million-deep chain works.
"""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_dk import Tensor, Value, topo_sort


class Node:
    """A bare graph node: all topo_sort needs is ``.parents``."""

    def __init__(self, name, parents=()):
        self.name = name
        self.parents = tuple(parents)

    def __repr__(self):
        return f"Node({self.name})"


class EvilNode(Node):
    """Every EvilNode equals every other object and all share one hash.

    A walk that kept nodes in a set or dict by value (or used ``in`` on a list)
    would think it had already seen every node after the first.
    """

    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


@st.composite
def random_dags(draw, node_class=Node):
    """A random DAG: node i may only have parents among nodes 0..i-1 (so no cycles).

    Returns (nodes, root) where root is the last node; repeated parents (the same
    edge twice, as in ``a + a``) are allowed.
    """
    n = draw(st.integers(1, 40))
    nodes = []
    for i in range(n):
        parent_ids = draw(st.lists(st.integers(0, i - 1), max_size=4)) if i else []
        nodes.append(node_class(i, [nodes[j] for j in parent_ids]))
    return nodes, nodes[-1]


def reachable_ids(root):
    """The ids of every node reachable from root, by a plain breadth-first search."""
    seen, frontier = {id(root)}, [root]
    while frontier:
        nxt = []
        for node in frontier:
            for p in node.parents:
                if id(p) not in seen:
                    seen.add(id(p))
                    nxt.append(p)
        frontier = nxt
    return seen


def assert_topological(order, root):
    position = {id(node): i for i, node in enumerate(order)}
    assert len(position) == len(order), "a node appears twice"
    assert set(position) == reachable_ids(root), "missing or unreachable nodes in the order"
    assert order[-1] is root
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)], f"{parent} after its child {node}"


@given(random_dags())
def test_random_dag_every_parent_comes_before_its_child(dag):
    nodes, root = dag
    assert_topological(topo_sort(root), root)


@given(random_dags(node_class=EvilNode))
def test_walk_uses_identity_not_eq_or_hash(dag):
    nodes, root = dag
    assert_topological(topo_sort(root), root)


def test_evil_nodes_diamond_is_visited_completely():
    # a -> b, a -> c, (b, c) -> d: four distinct nodes even though all compare equal
    a = EvilNode("a")
    b, c = EvilNode("b", [a]), EvilNode("c", [a])
    d = EvilNode("d", [b, c])
    order = topo_sort(d)
    assert [n.name for n in order][0] == "a" and order[-1] is d
    assert sorted(n.name for n in order) == ["a", "b", "c", "d"]


def test_single_leaf_is_its_own_order():
    leaf = Node("x")
    assert topo_sort(leaf) == [leaf]


def test_walk_of_a_value_expression():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    d = c + a  # a is used twice
    order = topo_sort(d)
    assert_topological(order, d)
    assert len(order) == 4  # a, b, c, d each once


def test_walk_of_a_tensor_expression():
    x = Tensor(np.ones(3), requires_grad=True)
    y = (x * 2.0).exp().sum()
    order = topo_sort(y)
    assert_topological(order, y)
    assert order[0] is x


def test_values_with_equal_data_stay_distinct_nodes():
    # Two different leaves holding the same number must both get gradients.
    a, b = Value(1.0), Value(1.0)
    out = a * 3.0 + b * 5.0
    out.backward()
    assert (a.grad, b.grad) == (3.0, 5.0)


def test_wide_graph_many_parents():
    leaves = [Node(i) for i in range(10_000)]
    root = Node("sum", leaves)
    order = topo_sort(root)
    assert len(order) == 10_001 and order[-1] is root


def test_million_deep_value_chain_backward():
    # y = tanh(tanh(...tanh(x)...)) with 10^6 tanh nodes. The chain rule says
    # dy/dx = prod_k (1 - y_k^2), where y_k is the k-th intermediate value; an
    # independent loop with math.tanh computes the same product.
    depth = 1_000_000
    x = Value(1.0)
    y = x
    for _ in range(depth):
        y = y.tanh()
    y.backward()  # a recursive walk would raise RecursionError here

    v, dydx = 1.0, 1.0
    for _ in range(depth):
        v = math.tanh(v)
        dydx *= 1.0 - v * v
    assert y.data == v
    assert math.isclose(x.grad, dydx, rel_tol=1e-9)
    assert 0 < x.grad < 1e-8  # the product of a million factors below 1 is tiny but not 0
