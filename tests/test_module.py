"""nn.Module: registration, order, names, train/eval, state dicts and their errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from tinygrad_dk import Tensor, Value


def param(*shape: int, fill: float = 1.0) -> Tensor:
    return Tensor(np.full(shape, fill, dtype=np.float32), requires_grad=True)


class Leaf(nn.Module):
    """Every kind of attribute: parameters, lists, plain data."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = param(2, 3)
        self.scale = Value(0.5)
        self.values = [Value(1.0), Value(2.0)]
        self.constant = Tensor(np.zeros(3))  # no requires_grad: not a parameter
        self.name = "leaf"
        self.numbers = [1, 2, 3]

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.T * self.scale.data


class Tree(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first = Leaf()
        self.bias = param(3)
        self.blocks = [Leaf(), Leaf()]
        self.shared = self.first.weight  # the same tensor under a second name


def test_registration_kinds_and_order() -> None:
    leaf = Leaf()
    assert [n for n, _ in leaf.named_parameters()] == ["weight", "scale", "values.0", "values.1"]
    assert leaf.parameters()[0] is leaf.weight and leaf.parameters()[1] is leaf.scale
    assert leaf.num_parameters() == 6 + 1 + 2


def test_dotted_names_follow_registration_order() -> None:
    tree = Tree()
    names = [n for n, _ in tree.named_parameters()]
    leaf_names = ["weight", "scale", "values.0", "values.1"]
    assert names == (
        [f"first.{n}" for n in leaf_names] + ["bias"]
        + [f"blocks.0.{n}" for n in leaf_names] + [f"blocks.1.{n}" for n in leaf_names]
    )


def test_shared_parameter_listed_once_but_saved_under_each_name() -> None:
    tree = Tree()
    params = tree.parameters()
    assert len(params) == len({id(p) for p in params})
    assert sum(p is tree.first.weight for p in params) == 1
    sd = tree.state_dict()
    assert "shared" in sd and "first.weight" in sd


def test_interior_tensor_is_not_a_parameter() -> None:
    class M(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            w = param(2)
            self.double = w * 2  # has a history: not a leaf
            self.w = w
            self.output = Value(1.0) * 3  # a computed Value is not learned either

    assert [n for n, _ in M().named_parameters()] == ["w"]


def test_reassignment_none_and_deletion() -> None:
    leaf = Leaf()
    leaf.scale = 3.0  # a plain attribute now
    assert "scale" not in dict(leaf.named_parameters())
    leaf.weight = None  # like Linear(bias=False): skipped
    assert "weight" not in dict(leaf.named_parameters())
    leaf.weight = param(1)  # back in its old place
    assert [n for n, _ in leaf.named_parameters()][0] == "weight"
    del leaf.values
    assert [n for n, _ in leaf.named_parameters()] == ["weight"]


def test_assignment_before_super_init_explains() -> None:
    class Forgetful(nn.Module):
        def __init__(self) -> None:
            self.w = param(1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Forgetful()


def test_children_and_modules() -> None:
    tree = Tree()
    assert list(tree.children()) == [tree.first, *tree.blocks]
    assert [n for n, _ in tree.named_children()] == ["first", "blocks.0", "blocks.1"]
    assert list(tree.modules()) == [tree, tree.first, *tree.blocks]
    assert [n for n, _ in tree.named_modules()] == ["", "first", "blocks.0", "blocks.1"]


def test_train_eval_propagate() -> None:
    tree = Tree()
    assert all(m.training for m in tree.modules())
    assert tree.eval() is tree
    assert not any(m.training for m in tree.modules())
    tree.train()
    assert all(m.training for m in tree.modules())
    tree.train(False)
    assert not tree.blocks[1].training


def test_zero_grad_resets_both_kinds() -> None:
    leaf = Leaf()
    out = (leaf(Tensor(np.ones((1, 3), dtype=np.float32)))).sum()
    out.backward()
    leaf.scale.grad = 4.0
    assert leaf.weight.grad is not None
    leaf.zero_grad()
    assert leaf.weight.grad is None
    assert leaf.scale.grad == 0.0 and leaf.values[0].grad == 0.0


def test_call_runs_forward_and_missing_forward_explains() -> None:
    leaf = Leaf()
    x = Tensor(np.ones((4, 3), dtype=np.float32))
    np.testing.assert_allclose(leaf(x).data, np.full((4, 2), 1.5))
    with pytest.raises(NotImplementedError, match="Tree has no forward"):
        Tree()(x)


def test_state_dict_is_a_copy_with_value_scalars() -> None:
    leaf = Leaf()
    sd = leaf.state_dict()
    assert list(sd) == ["weight", "scale", "values.0", "values.1"]
    assert sd["scale"].shape == () and float(sd["scale"]) == 0.5
    assert isinstance(sd["weight"], np.ndarray) and sd["weight"].dtype == np.float32
    leaf.weight.data[0, 0] = 99.0
    leaf.scale.data = 7.0
    assert sd["weight"][0, 0] == 1.0 and float(sd["scale"]) == 0.5


def test_load_state_dict_round_trip_and_dtype_cast() -> None:
    source, target = Leaf(), Leaf()
    source.weight.data = np.arange(6, dtype=np.float32).reshape(2, 3)
    source.scale.data = -2.0
    sd = source.state_dict()
    sd["weight"] = sd["weight"].astype(np.float64)  # cast back to float32 on load
    sd["values.0"] = Tensor(np.array(5.0))  # Tensors are accepted too
    target.load_state_dict(sd)
    assert target.weight.dtype == np.float32
    np.testing.assert_array_equal(target.weight.data, source.weight.data)
    assert target.scale.data == -2.0 and target.values[0].data == 5.0
    sd["weight"][0, 0] = 123.0  # the model holds its own copy
    assert target.weight.data[0, 0] == 0.0


def test_load_state_dict_names_every_bad_key_and_changes_nothing() -> None:
    leaf = Leaf()
    bad = {
        "weight": np.zeros((3, 2)),      # wrong shape
        "scale": np.zeros(2),            # wrong shape for a Value
        "values.0": np.array(3.0),       # fine, but must not be applied
        "extra.weight": np.zeros(1),     # unexpected
        "another": np.zeros(1),          # unexpected
    }                                    # missing: values.1
    with pytest.raises(nn.StateDictError) as info:
        leaf.load_state_dict(bad)
    message = str(info.value)
    for key in ["weight", "(3, 2)", "(2, 3)", "scale", "values.1", "extra.weight", "another"]:
        assert key in message
    assert "missing" in message and "unexpected" in message
    assert leaf.values[0].data == 1.0  # all or nothing
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)


def test_load_state_dict_non_strict() -> None:
    leaf = Leaf()
    result = leaf.load_state_dict({"scale": np.array(9.0), "junk": np.ones(1)}, strict=False)
    assert leaf.scale.data == 9.0
    assert result.missing_keys == ["weight", "values.0", "values.1"]
    assert result.unexpected_keys == ["junk"]
    with pytest.raises(ValueError, match="weight"):  # shapes are checked even then
        leaf.load_state_dict({"weight": np.ones(5)}, strict=False)


def test_load_state_dict_refuses_non_numbers() -> None:
    with pytest.raises(ValueError, match="not numbers"):
        Leaf().load_state_dict({"scale": np.array("x")}, strict=False)


def test_repr_tree() -> None:
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 1), nn.Sigmoid()))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=4, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=4, out_features=1, bias=True)\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        ")"
    )


def test_apply_visits_every_module() -> None:
    seen: list[str] = []
    Tree().apply(lambda m: seen.append(type(m).__name__))
    assert sorted(seen) == ["Leaf", "Leaf", "Leaf", "Tree"] and seen[-1] == "Tree"


def test_very_deep_model_needs_no_recursion() -> None:
    class Chain(nn.Module):
        def __init__(self, inner: nn.Module | None) -> None:
            super().__init__()
            self.w = Value(1.0)
            self.inner = inner

    model = None
    for _ in range(5000):
        model = Chain(model)
    assert len(model.parameters()) == 5000
    assert len(list(model.modules())) == 5000
    names = [n for n, _ in model.named_parameters()]
    assert names[1] == "inner.w"
    model.eval()
    assert len(model.state_dict()) == 5000


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=2, max_size=5))
def test_state_dict_round_trip_any_sequential(sizes: list[int]) -> None:
    layers = [nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])]
    model, copy = nn.Sequential(*layers), nn.Sequential(*[nn.Linear(a, b) for a, b in
                                                          zip(sizes, sizes[1:])])
    copy.load_state_dict(model.state_dict())
    for (n1, p1), (n2, p2) in zip(model.named_parameters(), copy.named_parameters()):
        assert n1 == n2 and p1 is not p2
        np.testing.assert_array_equal(p1.data, p2.data)
    assert len(model.state_dict()) == 2 * (len(sizes) - 1)


def test_deepcopy_gives_independent_parameters() -> None:
    tree = Tree()
    clone = copy.deepcopy(tree)
    assert [n for n, _ in clone.named_parameters()] == [n for n, _ in tree.named_parameters()]
    clone.first.weight.data[0, 0] = 42.0
    assert tree.first.weight.data[0, 0] == 1.0
    clone.bias = param(3)  # registration still works on the copy
    assert clone.parameters()[4] is clone.bias
