"""The shared design of both engines: one backward policy, one parameter surface,
engine-owned primitives, losses that describe themselves, buffers (issue 12)."""

import ast
import functools
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import nn
import nn.functional as F
import tinygrad_dk as tg
from nn import optim
from nn.losses import FunctionLoss, describe
from nn.training import TrainingDivergedError, fit
from tinygrad_dk import Node, Primitive, Tensor, Value, grad, gradcheck, no_grad, value_and_grad

ROOT = Path(__file__).resolve().parents[1]


def f64(a, grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# --- one backward policy -------------------------------------------------------------


def _same_graph(a, b):
    """c = a*b + a; d = c*c + c: a diamond with a node (a, c) used twice."""
    c = a * b + a
    return c, c * c + c


def test_both_engines_follow_the_same_backward_policy():
    va, vb = Value(1.5), Value(-2.0)
    ta, tb = f64(1.5), f64(-2.0)
    for a, b in ((va, vb), (ta, tb)):
        c, d = _same_graph(a, b)
        d.backward()
        first = (float(a.grad_numpy()), float(b.grad_numpy()), float(c.grad_numpy()))
        c2, d2 = _same_graph(a, b)
        d2.backward()
        # leaves accumulate: exactly twice; a computed node shows only its own pass
        assert float(a.grad_numpy()) == 2 * first[0] and float(b.grad_numpy()) == 2 * first[1]
        assert float(c2.grad_numpy()) == first[2]
        # dd/dc = 2c + 1 with c = a*b + a = -1.5
        assert first[2] == pytest.approx(2 * -1.5 + 1)
    assert va.grad == pytest.approx(float(ta.grad_numpy()))


def test_grad_with_targets_leaves_every_grad_as_it_was():
    for x in (Value(3.0), f64(3.0)):
        y = x * x
        y.backward()
        before = float(x.grad_numpy())
        g = grad(lambda t: t * t * t)(x)  # 3 x^2 = 27
        assert float(g.numpy()) == 27.0
        assert float(x.grad_numpy()) == before == 6.0


def test_no_grad_stops_the_scalar_engine_from_recording():
    tg.manual_seed(0)
    model = nn.MLP(2, [3, 1])
    with no_grad():
        out = model([0.5, -1.0])
    assert out.parents == () and out.op == "" and not out.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        out.backward()
    recorded = model([0.5, -1.0])
    assert recorded.parents and recorded.data == out.data


def test_value_and_grad_for_values_and_the_second_derivative_error():
    x = Value(2.0)
    val, g = value_and_grad(lambda v: v.exp() * v)(x)  # d/dx x e^x = (1 + x) e^x
    assert val.data == pytest.approx(2 * math.exp(2)) and g.data == pytest.approx(3 * math.exp(2))
    with pytest.raises(RuntimeError, match="first derivatives only"):
        grad(lambda v: grad(lambda u: u * u * u)(v))(Value(1.0))
    with pytest.raises(RuntimeError, match="first derivatives only"):
        Value(1.0).backward(create_graph=True)


def test_one_gradcheck_serves_both_engines():
    assert gradcheck(lambda a, b: (a * b).tanh() + a.exp() / b, [Value(0.3), Value(-1.7)])
    assert gradcheck(lambda a, b: ((a * b).tanh() + a.exp() / b).sum(),
                     [f64([0.3, 0.1]), f64([-1.7, 2.0])])
    with pytest.raises(TypeError, match="mix"):
        gradcheck(lambda a, b: a, [Value(1.0), f64(1.0)])


# --- the parameter surface ---------------------------------------------------------------


@pytest.mark.parametrize("param", [Value(0.5), f64([[1.0, 2.0], [3.0, 4.0]])])
def test_parameter_surface(param):
    assert isinstance(param, Node) and param.is_leaf
    assert param.numel() == int(np.prod(param.shape))
    assert param.numpy().shape == param.shape
    (param * param).sum().backward() if isinstance(param, Tensor) else (param * param).backward()
    np.testing.assert_allclose(param.grad_numpy(), 2 * param.numpy())
    param.zero_grad()
    g = param.grad_numpy()
    assert g is None or float(np.sum(g)) == 0.0
    with no_grad():
        param.copy_(np.full(param.shape, 7.0))
    np.testing.assert_array_equal(param.numpy(), np.full(param.shape, 7.0))


def test_copy_bumps_the_version_so_old_graphs_refuse_backward():
    w = f64([1.0, 2.0])
    y = (w * w).sum()
    with no_grad():
        w.copy_([3.0, 4.0])
    with pytest.raises(RuntimeError, match="modified"):
        y.backward()


def test_constants_show_no_gradient():
    x = Value(2.0, label="x")
    y = 3.0 * x  # the 3 is wrapped as a constant
    y.backward()
    const = next(p for p in y.parents if p is not x)
    assert not const.requires_grad and const.grad_numpy() is None
    assert x.grad == 3.0


# --- primitives are the engine's, and public ---------------------------------------------


def test_nn_and_viz_import_only_public_engine_names():
    offenders = []
    for folder in ("nn", "viz"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and \
                        node.module.startswith("tinygrad_dk."):
                    offenders.append(f"{path.relative_to(ROOT)}: from {node.module}")
                if isinstance(node, ast.ImportFrom) and node.module == "tinygrad_dk":
                    offenders += [f"{path.relative_to(ROOT)}: {a.name}" for a in node.names
                                  if a.name.startswith("_") or a.name not in tg.__all__]
                if isinstance(node, ast.Import):
                    offenders += [f"{path.relative_to(ROOT)}: import {a.name}" for a in node.names
                                  if a.name.startswith("tinygrad_dk.")]
    assert offenders == []


def test_quiet_keeps_numpy_warnings_out_of_a_user_primitive():
    # exp(1000) is inf, an IEEE answer: with tg.quiet the forward says nothing, without it
    # numpy warns (the public helper is the one the engine's own ops use)
    x = tg.Tensor(np.array([1000.0, 0.0]), requires_grad=True)
    loud = tg.Primitive("exp", np.exp, lambda g, out, x: g * out)
    with pytest.warns(RuntimeWarning, match="overflow"):
        loud(x)
    quiet_exp = tg.Primitive("exp", tg.quiet(np.exp), lambda g, out, x: g * out)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = quiet_exp(x)
        y.sum().backward()
    assert y.data.tolist() == [math.inf, 1.0] and x.grad.data.tolist() == [math.inf, 1.0]
    assert tg.quiet(np.exp).__name__ == "exp"  # keeps the function's name for error messages


def test_a_primitive_never_skips_a_user_wrapper_around_a_quiet_forward():
    # Primitive calls the function inside quiet() itself (one call less per op); a user's
    # own wrapper that copied quiet's attributes with functools.wraps must still run
    calls = []
    quiet_exp = tg.quiet(np.exp)

    @functools.wraps(quiet_exp)
    def counted(x):
        calls.append(1)
        return quiet_exp(x)

    x = tg.Tensor(np.array([1000.0, 0.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = tg.Primitive("exp", counted, lambda g, out, x: g * out)(x)
        z = tg.Primitive("exp", tg.quiet(quiet_exp), lambda g, out, x: g * out)(x)
    assert calls == [1] and y.data.tolist() == z.data.tolist() == [math.inf, 1.0]


def test_a_user_primitive_gets_first_and_second_derivatives():
    # cube(x) = x^3 with derivative 3 x^2, written with engine ops so it is differentiable
    cube = Primitive("cube", lambda x: x ** 3, lambda g, out, x: g * 3 * x * x)
    x = f64([0.5, -2.0])
    assert gradcheck(lambda t: cube(t).sum(), [x])
    second = grad(lambda t: grad(lambda u: cube(u).sum())(t).sum())(x)  # 6 x
    np.testing.assert_allclose(second.numpy(), [3.0, -12.0])
    assert cube(x).op == "cube" and cube(x)._ctx.primitive is cube


# --- losses describe themselves; training asks them ------------------------------------


def test_losses_describe_task_prediction_and_per_sample_losses():
    x = f64([[2.0, 0.0], [0.0, 3.0], [1.0, 1.0]])
    y = np.array([0, 1, 1])
    ce = describe(nn.CrossEntropyLoss())
    assert ce.task == "classification"
    np.testing.assert_array_equal(ce.predict(x.numpy()), [0, 1, 0])
    per = ce.per_sample(x, y)
    assert per.shape == (3,)
    np.testing.assert_allclose(per.numpy(), F.cross_entropy(x, y, reduction="none").numpy())
    # several outputs per example: per-sample losses average the other axes
    mse = nn.MSELoss().per_sample(x, np.zeros((3, 2)))
    np.testing.assert_allclose(mse.numpy(), [2.0, 4.5, 1.0])


def test_a_plain_function_loss_uses_the_documented_fallback():
    def my_loss(out, target, reduction="mean"):
        return F.mse_loss(out, target, reduction=reduction)

    info = describe(my_loss)
    assert isinstance(info, FunctionLoss) and info.task == "regression"
    np.testing.assert_allclose(info.per_sample(f64([1.0, 3.0]), [0.0, 0.0]).numpy(), [1.0, 9.0])
    with pytest.raises(TypeError, match="reduction"):
        describe(lambda out, t: F.mse_loss(out, t)).per_sample(f64([1.0]), [0.0])


def test_fit_with_class_weights_leaves_the_loss_object_alone():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    y = (X[:, 0] > 0.5).astype(np.int64)
    loss = nn.CrossEntropyLoss()
    tg.manual_seed(0)
    model = nn.Linear(2, 2)
    attributes = dict(vars(loss))
    fit(model, loss, optim.SGD(model.parameters(), lr=0.1), X, y, epochs=2,
        class_weight="balanced", progress=False)
    assert dict(vars(loss)) == attributes


def test_divergence_restores_the_best_weights_and_keeps_the_history():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(32, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5], dtype=np.float32)).reshape(-1, 1)
    tg.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.01)
    stopper = nn.EarlyStopping(monitor="loss", patience=100)

    class Explode:  # a learning rate that grows until the weights blow up
        def __init__(self):
            self.steps = 0

        def zero_grad(self):
            opt.zero_grad()

        def step(self):
            self.steps += 1
            opt.lr = 0.01 * 3.0 ** self.steps
            opt.step()

    with pytest.raises(TrainingDivergedError, match="best epoch") as info:
        fit(model, nn.MSELoss(), Explode(), X, y, epochs=200, early_stopping=stopper,
            progress=False)
    err = info.value
    assert err.history is not None and len(err.history) >= 1
    assert err.restored_epoch == stopper.best_epoch
    assert np.all(np.isfinite(model.weight.numpy())) and model.training is False
    best = stopper.best_weights["weight"]
    np.testing.assert_array_equal(model.weight.numpy(), best)


def test_an_interrupted_fit_leaves_the_model_in_eval_mode():
    X = np.zeros((8, 2), dtype=np.float32)
    y = np.zeros((8, 1), dtype=np.float32)
    model = nn.Sequential(nn.Linear(2, 4), nn.Dropout(0.5), nn.Linear(4, 1))

    class Interrupt:
        def zero_grad(self):
            pass

        def step(self):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(model, nn.MSELoss(), Interrupt(), X, y, epochs=3, progress=False)
    assert model.training is False and model[1].training is False


# --- buffers -------------------------------------------------------------------------------


class Counter(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.register_buffer("running", Tensor(np.zeros(2, dtype=np.float32)))
        self.register_buffer("scratch", Tensor(np.ones(1, dtype=np.float32)), persistent=False)

    def forward(self, x):
        self.running = self.running + 1  # a new Tensor for a registered buffer stays a buffer
        return self.lin(x)


def test_buffers_are_saved_and_loaded_but_never_trained(tmp_path):
    m = Counter()
    m(Tensor(np.zeros((1, 2), dtype=np.float32)))
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert all(p is not m.running for p in m.parameters())
    state = m.state_dict()
    assert set(state) == {"lin.weight", "lin.bias", "running"}
    np.testing.assert_array_equal(state["running"], [1.0, 1.0])
    nn.save(m, tmp_path / "m.npz")
    fresh = Counter()
    fresh.load_state_dict(nn.load(tmp_path / "m.npz"))
    np.testing.assert_array_equal(fresh.running.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(fresh.lin.weight.numpy(), m.lin.weight.numpy())
    with pytest.raises(TypeError, match="Tensor"):
        m.register_buffer("bad", [1, 2])


def test_requires_grad_false_freezes_a_module():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    model[0].requires_grad_(False)
    before = model[0].weight.numpy().copy()
    opt = optim.SGD(model.parameters(), lr=0.5)
    loss = model(Tensor(np.ones((4, 2), dtype=np.float32))).sum()
    loss.backward()
    opt.step()
    assert model[0].weight.grad is None and model[2].weight.grad is not None
    np.testing.assert_array_equal(model[0].weight.numpy(), before)
    assert len(model.parameters()) == 4  # frozen parameters are still parameters
