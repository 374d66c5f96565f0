"""Gradient hooks (``Tensor.register_hook``) and module hooks (forward pre/post, full
backward), each scenario run on tinygrad_dk and on PyTorch with the same lines and
compared; plus the promise that a program without hooks never enters the hooks' code."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
from tinygrad_dk import hooks

torch = pytest.importorskip("torch")
tnn = torch.nn


def _both(scenario):
    """The scenario's result with (tinygrad_dk, nn) and with (torch, torch.nn)."""
    return scenario(tg, nn), scenario(torch, tnn)


def _same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if isinstance(a, (tuple, list)):
            _same(a, b)
        elif a is None or isinstance(a, str):
            assert a == b
        else:
            np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                                       rtol=1e-6, atol=1e-6)


def _numbers(g):
    return None if g is None else g.detach().numpy().tolist()


# --- tensor hooks ---------------------------------------------------------------------------


def test_tensor_hooks_see_and_replace_gradients_as_pytorch():
    def scenario(lib, _):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        log = []
        h = x * 2
        h.retain_grad()  # (ours always shows a computed tensor's gradient)
        handle = h.register_hook(lambda g: log.append(("h", _numbers(g))) or g * 10)
        x.register_hook(lambda g: log.append(("x first", _numbers(g))))
        x.register_hook(lambda g: g + 1)  # runs second, gets what the first gave (None: g)
        x.register_hook(lambda g: log.append(("x third", _numbers(g))))
        ((h * h).sum() + h.sum()).backward()  # h used twice: one call, the summed gradient
        log.append(("h.grad", _numbers(h.grad)))
        (x * x).sum().backward()  # a second pass: the leaf hook sees this pass's gradient
        handle.remove()
        handle.remove()  # twice is harmless
        (x * 2).sum().backward()
        log.append(("x.grad", _numbers(x.grad)))
        return log

    _same(*_both(scenario))


def test_hook_on_the_root_and_on_a_leaf_used_directly():
    def scenario(lib, _):
        x = lib.tensor([[1.0, -2.0]], requires_grad=True)
        y = (x * x).sum()
        y.register_hook(lambda g: g * 3)
        log = []
        x.register_hook(lambda g: log.append(_numbers(g)))
        y.backward()
        x.backward(lib.tensor([[1.0, 1.0]]))  # the leaf itself is the root
        return log + [_numbers(x.grad)]

    _same(*_both(scenario))


def test_hooks_in_second_derivatives_and_in_autograd_grad():
    def scenario(lib, _):
        x = lib.tensor([0.5, -1.5], requires_grad=True)
        y = x ** 3
        y.register_hook(lambda g: g * 2)
        (gx,) = lib.autograd.grad(y.sum(), x, create_graph=True)  # 2 * 3x^2
        (ggx,) = lib.autograd.grad(gx.sum(), x)  # 12x (the hook is on y, not on gx's graph)
        return [_numbers(gx), _numbers(ggx)]

    _same(*_both(scenario))


def test_hook_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tg.zeros(2).register_hook(print)
    with pytest.raises(TypeError, match="function of the gradient"):
        tg.zeros(2, requires_grad=True).register_hook(3)
    x = tg.ones(2, requires_grad=True)
    y = x * 1
    y.register_hook(lambda g: tg.ones(3))
    with pytest.raises(RuntimeError, match="shape \\(3,\\) for a tensor of shape \\(2,\\)"):
        y.sum().backward()


def test_hook_gets_a_copy_and_returns_arrays_too():
    x = tg.ones(3, requires_grad=True)
    kept = []
    y = x + x  # both inputs share the gradient array of y's consumers
    y.register_hook(lambda g: kept.append(g))
    y.register_hook(lambda g: np.array([1.0, 2.0, 3.0], np.float32))  # an array is fine
    (y * 1).sum().backward()
    kept[0] *= 100  # the hook's copy: the gradients are not changed through it
    assert x.grad.tolist() == [2.0, 4.0, 6.0] and y.grad.tolist() == [1.0, 2.0, 3.0]


def test_registry_empties_and_backward_skips_the_hooks_walk(monkeypatch):
    gc.collect()  # hooked tensors that earlier tests left in reference cycles go now
    x = tg.ones(2, requires_grad=True)
    with x.register_hook(lambda g: g * 2):  # a handle is a context manager
        assert hooks.HOOKED
    assert not hooks.HOOKED
    y = x * 3
    y.register_hook(lambda g: g)
    assert hooks.HOOKED
    del y
    gc.collect()
    assert not hooks.HOOKED  # the tensor is gone: so are its hooks

    def never(*args):
        raise AssertionError("the hooks' walk ran without any hook")

    monkeypatch.setattr(hooks, "walk", never)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model(tg.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert all("_hooks" not in m.__dict__ for m in model.modules())


def test_a_hook_that_refers_to_its_tensor_does_not_keep_it_alive():
    # a hook's function often refers back to its tensor (through a closure or a
    # namespace): that cycle must be freed like any other, registry or not
    import weakref

    def make():
        x = tg.ones(2, requires_grad=True)
        x.register_hook(lambda g: g + x.detach())
        return weakref.ref(x)

    alive = make()
    gc.collect()
    assert alive() is None
    assert not hooks.HOOKED


# --- module hooks ----------------------------------------------------------------------------


def _model(lib, nn_):
    lib.manual_seed(0)
    model = nn_.Sequential(nn_.Linear(3, 4), nn_.Tanh(), nn_.Linear(4, 2))
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)),
                               dtype=lib.float32))
    return model


def _x(lib):
    return lib.tensor(np.linspace(-2, 2, 6).reshape(2, 3), dtype=lib.float32)


def test_forward_hooks_watch_and_replace_as_pytorch():
    def scenario(lib, nn_):
        model = _model(lib, nn_)
        log = []
        handles = [
            model[0].register_forward_pre_hook(lambda m, args: log.append(
                ("pre", _numbers(args[0])))),
            model[0].register_forward_hook(lambda m, args, out: log.append(
                ("out", type(m).__name__, _numbers(out)))),
            model[1].register_forward_pre_hook(lambda m, args: args[0] * 2),  # one value
            model[2].register_forward_pre_hook(lambda m, args: (args[0] + 1,)),  # a tuple
            model[2].register_forward_hook(lambda m, args, out: out * 0 + 7),
        ]
        log.append(("model", _numbers(model(_x(lib)))))
        for h in handles:
            h.remove()
        log.append(("removed", _numbers(model(_x(lib)))))
        return log

    _same(*_both(scenario))


def test_full_backward_hooks_as_pytorch():
    def scenario(lib, nn_):
        model = _model(lib, nn_)
        log = []

        def watch(name):
            return lambda m, gin, gout: log.append(
                (name, [_numbers(g) for g in gin], [_numbers(g) for g in gout]))

        handles = [model[0].register_full_backward_hook(watch("linear0: input has no grad")),
                   model[1].register_full_backward_hook(watch("tanh")),
                   model[1].register_full_backward_hook(lambda m, gin, gout: (gin[0] * 3,)),
                   model[2].register_full_backward_hook(watch("linear2"))]
        model(_x(lib)).sum().backward()
        log.append(("weight grad", _numbers(model[0].weight.grad)))
        for h in handles:
            h.remove()
        model.zero_grad()
        model(_x(lib)).sum().backward()
        log.append(("without hooks", _numbers(model[0].weight.grad)))
        x = _x(lib).requires_grad_(True)
        model[1].register_full_backward_hook(watch("tanh with an input that wants grad"))
        model(x).pow(2).sum().backward()
        log.append(("x grad", _numbers(x.grad)))
        return log

    with pytest.warns(UserWarning, match="no inputs require gradients"):  # PyTorch's note
        theirs = scenario(torch, tnn)
    _same(scenario(tg, nn), theirs)


def test_backward_hook_of_a_module_with_two_outputs():
    class Split:  # the same module for both libraries
        @staticmethod
        def make(nn_):
            class SplitModule(nn_.Module):
                def forward(self, x):
                    return x * 2, x * 3
            return SplitModule()

    def scenario(lib, nn_):
        module = Split.make(nn_)
        log = []
        module.register_full_backward_hook(lambda m, gin, gout: log.append(
            ([_numbers(g) for g in gin], [_numbers(g) for g in gout])))
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a, b = module(x)
        (a * a).sum().backward()  # b gets no gradient: None in grad_output
        return log

    _same(*_both(scenario))


def test_module_hook_errors_and_clean_removal():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="expected a function"):
        layer.register_forward_hook("print")
    h = layer.register_forward_hook(lambda m, a, o: None)
    assert "_hooks" in layer.__dict__
    h.remove()
    assert "_hooks" not in layer.__dict__ and layer._hooks is None

    class Two(nn.Module):
        def forward(self, a, b):
            return a * b

    two = Two()
    two.register_full_backward_hook(lambda m, gin, gout: None)
    a, b = tg.ones(2, requires_grad=True), tg.ones(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="register_hook"):
        two(a, b)
    assert two(a, tg.ones(2)).shape == (2,)  # one input that wants a gradient: fine
    with tg.no_grad():
        assert two(a, b).shape == (2,)  # nothing recorded: nothing to hook
    assert layer.state_dict().keys() == {"weight", "bias"}
