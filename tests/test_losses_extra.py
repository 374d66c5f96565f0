"""The losses of nn.losses_extra against PyTorch: values, gradients, extremes, errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
from tinygrad_dk import Tensor, Value, gradcheck  # noqa: E402

TF = torch.nn.functional
# PyTorch's note that kl_div's reduction='mean' is not the KL divergence (tested as such)
pytestmark = pytest.mark.filterwarnings("ignore:.*'mean' divides the total loss")
RNG = np.random.default_rng(0)
REDUCTIONS = ["mean", "sum", "none"]


def _signs(shape, rng=RNG):
    return np.where(rng.standard_normal(shape) >= 0, 1.0, -1.0)


def _cases(scale=1.0, rng=RNG):
    """name -> (our function, torch's function, arrays (float64), options, which need grad)."""
    x, y = rng.standard_normal((5, 4)) * scale, rng.standard_normal((5, 4)) * scale
    logp = np.log(rng.dirichlet(np.ones(4), size=5))
    q = rng.dirichlet(np.ones(4), size=5)
    q[0, 1] = 0.0  # a zero probability contributes 0
    counts = rng.integers(0, 6, size=(5, 4)).astype(np.float64)
    labels = rng.integers(0, 4, size=5)
    multi = (rng.random((5, 4)) < 0.5).astype(np.float64)
    w = rng.random(4) + 0.5
    return {
        "smooth_l1": (F.smooth_l1_loss, TF.smooth_l1_loss, [x, y], {"beta": 0.5}, (1, 1)),
        "smooth_l1 beta=0": (F.smooth_l1_loss, TF.smooth_l1_loss, [x, y], {"beta": 0.0}, (1, 1)),
        "kl_div": (F.kl_div, TF.kl_div, [logp, q], {}, (1, 0)),
        "kl_div log_target": (F.kl_div, TF.kl_div, [x, y], {"log_target": True}, (1, 1)),
        "poisson": (F.poisson_nll_loss, TF.poisson_nll_loss, [x, counts], {"full": True}, (1, 0)),
        "poisson rates": (F.poisson_nll_loss, TF.poisson_nll_loss, [np.abs(x), counts],
                          {"log_input": False, "eps": 1e-3}, (1, 0)),
        "margin_ranking": (F.margin_ranking_loss, TF.margin_ranking_loss,
                           [x[:, 0], y[:, 0], _signs(5)], {"margin": 0.3}, (1, 1, 0)),
        "hinge_embedding": (F.hinge_embedding_loss, TF.hinge_embedding_loss,
                            [x, _signs((5, 4))], {"margin": 0.7}, (1, 0)),
        "soft_margin": (F.soft_margin_loss, TF.soft_margin_loss, [x, _signs((5, 4))], {},
                        (1, 0)),
        "multilabel_soft_margin": (F.multilabel_soft_margin_loss,
                                   TF.multilabel_soft_margin_loss, [x, multi], {"weight": w},
                                   (1, 0)),
        "multi_margin": (F.multi_margin_loss, TF.multi_margin_loss, [x, labels],
                         {"margin": 0.8}, (1, 0)),
        "multi_margin p=2 weight": (F.multi_margin_loss, TF.multi_margin_loss, [x, labels],
                                    {"p": 2, "weight": w}, (1, 0)),
        "triplet": (F.triplet_margin_loss, TF.triplet_margin_loss,
                    [x, y, rng.standard_normal((5, 4)) * scale],
                    {"margin": 2.0}, (1, 1, 1)),
        "triplet p=1 swap": (F.triplet_margin_loss, TF.triplet_margin_loss,
                             [x, y, rng.standard_normal((5, 4)) * scale],
                             {"p": 1, "swap": True, "margin": 2.0},
                             (1, 1, 1)),
        "cosine_embedding": (F.cosine_embedding_loss, TF.cosine_embedding_loss,
                             [x, y, _signs(5)], {"margin": 0.1}, (1, 1, 0)),
    }


def _both(case, reduction, dtype=np.float64):
    ours_fn, torch_fn, arrays, options, grads = case
    ours_in = [Tensor(a.astype(dtype) if a.dtype.kind == "f" else a, requires_grad=bool(g))
               for a, g in zip(arrays, grads)]
    theirs_in = [torch.tensor(a.astype(dtype) if a.dtype.kind == "f" else a,
                              requires_grad=bool(g)) for a, g in zip(arrays, grads)]
    t_options = {k: torch.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v
                 for k, v in options.items()}
    ours = ours_fn(*ours_in, reduction=reduction, **options)
    theirs = torch_fn(*theirs_in, reduction=reduction, **t_options)
    return ours, theirs, ours_in, theirs_in


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(_cases()))
def test_values_and_gradients_equal_torch(name, reduction):
    ours, theirs, ours_in, theirs_in = _both(_cases()[name], reduction)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = RNG.standard_normal(ours.shape)
    ours.backward(Tensor(g))
    theirs.backward(torch.tensor(g))
    for a, b in zip(ours_in, theirs_in):
        if b.requires_grad:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("scale", [1e3, 1e30])
@pytest.mark.parametrize("name", ["smooth_l1", "soft_margin", "multilabel_soft_margin",
                                  "hinge_embedding", "margin_ranking", "multi_margin"])
def test_extreme_inputs_stay_finite_and_equal_torch(name, scale):
    case = _cases(scale, np.random.default_rng(3))[name]
    if name == "soft_margin":  # PyTorch's kernel overflows (log(1 + e^1000) = inf): softplus
        case = (case[0], lambda x, y, reduction: TF.softplus(-y * x).sum(), *case[2:])
    ours, theirs, ours_in, theirs_in = _both(case, "sum")
    assert np.isfinite(ours.item())
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-9)
    ours.backward()
    theirs.backward()
    for a, b in zip(ours_in, theirs_in):
        if b.requires_grad:
            assert np.all(np.isfinite(a.grad.numpy()))
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9)


@pytest.mark.parametrize("name", ["smooth_l1", "soft_margin", "kl_div", "poisson"])
def test_float32_equal_torch(name):
    ours, theirs, *_ = _both(_cases()[name], "mean", np.float32)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-5)


def test_kl_div_batchmean_is_the_kl_divergence_per_example():
    logp, q = np.log([[0.5, 0.5], [0.9, 0.1]]), np.array([[0.25, 0.75], [1.0, 0.0]])
    ours = F.kl_div(Tensor(logp), q, reduction="batchmean")
    exact = np.mean([0.25 * np.log(0.5) + 0.75 * np.log(1.5), np.log(1 / 0.9)])
    assert ours.item() == pytest.approx(exact)
    assert ours.item() == pytest.approx(
        TF.kl_div(torch.tensor(logp), torch.tensor(q), reduction="batchmean").item())
    assert nn.KLDivLoss(reduction="batchmean")(Tensor(logp), q).item() == pytest.approx(exact)


@pytest.mark.parametrize("name", ["smooth_l1", "kl_div log_target", "poisson", "soft_margin",
                                  "multilabel_soft_margin", "multi_margin p=2 weight",
                                  "triplet", "cosine_embedding", "margin_ranking"])
def test_gradcheck_float64(name):
    ours_fn, _, arrays, options, grads = _cases(1.0, np.random.default_rng(7))[name]
    fixed = [a if not g else None for a, g in zip(arrays, grads)]
    free = [Tensor(a, requires_grad=True) for a, g in zip(arrays, grads) if g]

    def loss(*xs):
        it = iter(xs)
        return ours_fn(*[next(it) if a is None else a for a in fixed], **options)

    assert gradcheck(loss, free)


def test_one_example_shapes_equal_torch():
    x, labels = RNG.standard_normal(4), np.array(2)
    assert F.multi_margin_loss(Tensor(x), labels).item() == pytest.approx(
        TF.multi_margin_loss(torch.tensor(x)[None], torch.tensor([2])).item())
    a, b = RNG.standard_normal(3), RNG.standard_normal(3)
    assert F.cosine_embedding_loss(Tensor(a), Tensor(b), np.array(-1.0)).item() == pytest.approx(
        TF.cosine_embedding_loss(torch.tensor(a), torch.tensor(b), torch.tensor(-1.0)).item())
    assert F.triplet_margin_loss(Tensor(a), Tensor(b), Tensor(-a)).item() == pytest.approx(
        TF.triplet_margin_loss(torch.tensor(a), torch.tensor(b), torch.tensor(-a)).item())


def test_modules_equal_functions():
    x, y = Tensor(RNG.standard_normal((3, 4))), RNG.standard_normal((3, 4))
    s, labels = _signs((3, 4)), np.array([0, 3, 1])
    assert nn.SmoothL1Loss(beta=0.3)(x, y).item() == F.smooth_l1_loss(x, y, beta=0.3).item()
    assert nn.PoissonNLLLoss(full=True)(x, np.abs(y)).item() == pytest.approx(
        F.poisson_nll_loss(x, np.abs(y), full=True).item())
    assert nn.SoftMarginLoss(reduction="sum")(x, s).item() == pytest.approx(
        F.soft_margin_loss(x, s, reduction="sum").item())
    assert nn.HingeEmbeddingLoss(margin=2.0)(x, s).item() == pytest.approx(
        F.hinge_embedding_loss(x, s, margin=2.0).item())
    assert nn.MultiMarginLoss(p=2)(x, labels).item() == pytest.approx(
        F.multi_margin_loss(x, labels, p=2).item())
    assert nn.MultiLabelSoftMarginLoss()(x, (s > 0) * 1.0).item() == pytest.approx(
        F.multilabel_soft_margin_loss(x, (s > 0) * 1.0).item())
    a, b = x[:, 0], Tensor(y[:, 0])
    assert nn.MarginRankingLoss(margin=0.5)(a, b, s[:, 0]).item() == pytest.approx(
        F.margin_ranking_loss(a, b, s[:, 0], margin=0.5).item())
    assert nn.CosineEmbeddingLoss()(x, Tensor(y), s[:, 0]).item() == pytest.approx(
        F.cosine_embedding_loss(x, Tensor(y), s[:, 0]).item())
    assert nn.TripletMarginLoss(swap=True)(x, Tensor(y), -x).item() == pytest.approx(
        F.triplet_margin_loss(x, Tensor(y), -x, swap=True).item())
    assert "beta" in repr(nn.SmoothL1Loss(beta=0.3).__dict__)


@pytest.mark.parametrize("call, message", [
    (lambda: F.soft_margin_loss(Tensor(np.ones(3)), np.array([0.0, 1.0, 1.0])), "-1 or \\+1"),
    (lambda: F.hinge_embedding_loss(Tensor(np.ones(3)), np.ones(2)), "shapes must be equal"),
    (lambda: F.margin_ranking_loss(Tensor(np.ones(3)), Tensor(np.ones(2)), np.ones(3)),
     "shapes must be equal"),
    (lambda: F.smooth_l1_loss(Tensor(np.ones(3)), np.ones(3), beta=-1.0), "beta must be >= 0"),
    (lambda: F.smooth_l1_loss(Tensor(np.ones((3, 1))), np.ones(3)), "must be equal"),
    (lambda: F.kl_div(Tensor(np.zeros(2)), np.array([-0.5, 1.5])), "log_target=True"),
    (lambda: F.kl_div(Tensor(np.zeros(2)), np.ones(2), reduction="avg"), "batchmean"),
    (lambda: F.poisson_nll_loss(Tensor(np.zeros(2)), np.array([1.0, -1.0])), "counts"),
    (lambda: F.poisson_nll_loss(Tensor(-np.ones(2)), np.ones(2), log_input=False),
     "log_input=True"),
    (lambda: F.multi_margin_loss(Tensor(np.zeros((2, 3))), np.array([0, 3])), "0 .. 2"),
    (lambda: F.multi_margin_loss(Tensor(np.zeros((2, 3))), np.array([0.0, 1.0])), "integer"),
    (lambda: F.multi_margin_loss(Tensor(np.zeros((2, 3))), np.array([0, 1]), p=3), "p = 1"),
    (lambda: F.multi_margin_loss(Tensor(np.zeros((2, 3))), np.array([0, 1]),
                                 weight=np.ones(2)), "one entry per class"),
    (lambda: F.triplet_margin_loss(Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 3))),
                                   Tensor(np.zeros((2, 4)))), "must be equal"),
    (lambda: F.cosine_embedding_loss(Tensor(np.ones((2, 3))), Tensor(np.ones((2, 3))),
                                     np.ones(3)), "one label per pair"),
    (lambda: nn.MultiMarginLoss(p=3), "p = 1"),
    (lambda: nn.SmoothL1Loss(size_average=False), "reduction="),
    (lambda: nn.KLDivLoss(reduce=False), "reduction="),
    (lambda: F.soft_margin_loss(Tensor(np.ones(2)), np.ones(2), size_average=True), "deprecated"),
    (lambda: F.soft_margin_loss([Value(1.0)], [1.0]), "Tensors only"),
    (lambda: nn.KLDivLoss(reduction="avg"), "reduction"),
    (lambda: F.soft_margin_loss(Tensor(np.ones(2)), np.ones(2), reduction="avg"), "reduction"),
])
def test_clear_errors(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_losses_train_a_model_as_in_pytorch():
    """A multi-class SVM trained with MultiMarginLoss separates three blobs."""
    rng = np.random.default_rng(1)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0]])
    y = rng.integers(0, 3, 150)
    x = centers[y] + 0.3 * rng.standard_normal((150, 2))
    model = nn.Linear(2, 3, dtype=np.float64)
    opt = nn.optim.SGD(model.parameters(), lr=0.5)
    loss_fn = nn.MultiMarginLoss()
    for _ in range(50):
        opt.zero_grad()
        loss_fn(model(Tensor(x)), y).backward()
        opt.step()
    assert (model(Tensor(x)).numpy().argmax(1) == y).mean() > 0.95
