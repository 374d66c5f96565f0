"""Decompositions (``tinygrad_dk.ops_decomp``, ``tinygrad_dk.linalg``): known values,
result types, the errors for bad input, float64 gradchecks and the cases the
differential table leaves out (repeated singular values, rank, 'r' mode)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck

RNG = np.random.default_rng(0)


def _t(a, grad=False):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def test_svd_reconstructs_and_has_pytorch_field_names():
    a = _t(RNG.standard_normal((2, 4, 3)))
    u, s, vh = tg.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose((u.numpy() * s.numpy()[..., None, :]) @ vh.numpy(), a.numpy(),
                               atol=1e-12)
    full = tg.linalg.svd(a)
    assert full.U.shape == (2, 4, 4) and full.Vh.shape == (2, 3, 3) and full.S.shape == (2, 3)
    old = tg.svd(a)
    np.testing.assert_allclose(old.V.numpy(), np.swapaxes(vh.numpy(), -1, -2))
    np.testing.assert_allclose(tg.linalg.svdvals(a).numpy(), s.numpy(), atol=1e-12)


def test_svd_gradcheck_of_sign_invariant_parts():
    a = _t(RNG.standard_normal((4, 3)), grad=True)

    def f(x):
        u, s, vh = tg.linalg.svd(x, full_matrices=False)
        return (u * u).sum() * 0.5 + (s * s * s).sum() + ((vh * vh) * x[:3, :]).sum()

    assert gradcheck(f, [a])


def test_svdvals_gradient_at_repeated_singular_values_is_finite():
    a = _t(np.eye(3) * 2.0, grad=True)  # three equal singular values
    tg.linalg.svdvals(a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.eye(3))  # d(trace of |A|) = I here
    b = _t(np.eye(3) * 2.0, grad=True)
    tg.linalg.svd(b).S.sum().backward()  # only S used: the vector terms are left out
    assert np.isfinite(b.grad.numpy()).all()
    np.testing.assert_allclose(b.grad.numpy(), np.eye(3))  # the same gradient as svdvals


def test_eigh_known_values_and_gradcheck():
    a = _t([[2.0, 1.0], [1.0, 2.0]])
    w, v = tg.linalg.eigh(a)
    np.testing.assert_allclose(w.numpy(), [1.0, 3.0])
    np.testing.assert_allclose(np.abs(v.numpy()), np.full((2, 2), 2 ** -0.5))
    s = RNG.standard_normal((3, 3))
    x = _t(s + s.T, grad=True)
    sym = tg.Tensor(np.ones((3, 3)))

    def f(m):
        m = (m + m.mT) * 0.5 * sym  # a symmetric perturbation, as the gradient assumes
        w, v = tg.linalg.eigh(m)
        return (w * w).sum() + (v * v * w).sum()

    assert gradcheck(f, [x])


def test_qr_and_cholesky_known_values_and_gradcheck():
    a = _t(RNG.standard_normal((4, 3)), grad=True)
    q, r = tg.linalg.qr(a)
    np.testing.assert_allclose(q.numpy() @ r.numpy(), a.numpy(), atol=1e-12)
    np.testing.assert_allclose(q.numpy().T @ q.numpy(), np.eye(3), atol=1e-12)
    assert gradcheck(lambda x: (lambda q, r: (q * q * q).sum() + (r * r).sum())(
        *tg.linalg.qr(x)), [a])
    wide = _t(RNG.standard_normal((2, 4)), grad=True)
    assert gradcheck(lambda x: (lambda q, r: (q * q * q).sum() + (r * r * r).sum())(
        *tg.linalg.qr(x)), [wide])
    assert tg.linalg.qr(a, mode="r").Q.shape == (0,)
    spd = _t([[4.0, 2.0], [2.0, 3.0]])
    np.testing.assert_allclose(tg.linalg.cholesky(spd).numpy(), [[2.0, 0.0], [1.0, 2 ** 0.5]])
    np.testing.assert_allclose(tg.linalg.cholesky(spd, upper=True).numpy(),
                               [[2.0, 1.0], [0.0, 2 ** 0.5]])
    b = RNG.standard_normal((3, 3))
    x = _t(b @ b.T + 3 * np.eye(3), grad=True)
    assert gradcheck(lambda m: tg.linalg.cholesky((m + m.mT) * 0.5).sum(), [x])


def test_not_positive_definite_is_a_clear_error():
    with pytest.raises(ValueError, match="not positive definite"):
        tg.linalg.cholesky(_t([[1.0, 2.0], [2.0, 1.0]]))


@pytest.mark.parametrize("fn", [tg.linalg.svd, tg.linalg.svdvals, tg.linalg.qr, tg.linalg.pinv,
                                tg.linalg.eigh, tg.linalg.cholesky])
def test_bad_inputs_are_clear_errors(fn):
    with pytest.raises(ValueError, match="matrix"):
        fn(_t([1.0, 2.0]))
    with pytest.raises(ValueError, match="inf or nan"):
        fn(_t([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(TypeError, match="float"):
        fn(Tensor(np.eye(2, dtype=np.int64)))
    with pytest.raises(TypeError, match="complex"):
        fn(Tensor(np.eye(2, dtype=np.complex128)))


def test_eigh_needs_a_square_matrix_and_a_triangle():
    with pytest.raises(ValueError, match="square"):
        tg.linalg.eigh(_t(np.ones((2, 3))))
    with pytest.raises(ValueError, match="UPLO"):
        tg.linalg.eigh(_t(np.eye(2)), UPLO="X")


def test_pinv_lstsq_rank():
    a = _t(RNG.standard_normal((5, 3)), grad=True)
    np.testing.assert_allclose(tg.linalg.pinv(a).numpy(), np.linalg.pinv(a.numpy()), atol=1e-12)
    np.testing.assert_allclose(a.pinverse().numpy(), np.linalg.pinv(a.numpy()), atol=1e-12)
    assert gradcheck(lambda x: tg.linalg.pinv(x).sum(), [a])
    b = _t(RNG.standard_normal((5, 2)))
    res = tg.linalg.lstsq(a, b, driver="gelsd")
    want = np.linalg.lstsq(a.numpy(), b.numpy(), rcond=None)
    np.testing.assert_allclose(res.solution.numpy(), want[0], atol=1e-12)
    np.testing.assert_allclose(res.residuals.numpy(), want[1], atol=1e-12)
    assert int(res.rank.item()) == 3 and res.singular_values.shape == (3,)
    default = tg.linalg.lstsq(a, b)
    assert default.residuals.shape == (0,) and default.singular_values.shape == (0,)
    low = _t(np.outer([1.0, 2.0, 3.0], [1.0, -1.0]))
    assert tg.linalg.matrix_rank(low).item() == 1
    assert tg.linalg.matrix_rank(low).dtype == np.int64
    with pytest.raises(ValueError, match="rows"):
        tg.linalg.lstsq(a, _t(np.ones((4, 1))))


def test_norms_cond_power_and_friends():
    a = _t([[3.0, 0.0], [0.0, -2.0]])
    assert tg.linalg.matrix_norm(a, 2).item() == pytest.approx(3.0)
    assert tg.linalg.matrix_norm(a, -2).item() == pytest.approx(2.0)
    assert tg.linalg.norm(a, "nuc").item() == pytest.approx(5.0)
    assert tg.linalg.cond(a).item() == pytest.approx(1.5)
    assert tg.linalg.matrix_norm(a, 2, keepdim=True).shape == (1, 1)
    np.testing.assert_allclose(tg.matrix_power(a, 3).numpy(), np.diag([27.0, -8.0]))
    np.testing.assert_allclose(a.matrix_power(-1).numpy(), np.diag([1 / 3, -0.5]))
    np.testing.assert_allclose(tg.linalg.matrix_power(a, 0).numpy(), np.eye(2))
    x = _t(RNG.standard_normal((3, 3)), grad=True)
    assert gradcheck(lambda m: tg.linalg.matrix_power(m, 5).sum(), [x])
    v = _t([1.0, 2.0])
    assert tg.linalg.multi_dot([v, a, a, v]).item() == pytest.approx(9 + 4 * 4)
    assert tg.linalg.vecdot(v, v).item() == 5.0
    np.testing.assert_allclose(tg.linalg.diagonal(a).numpy(), [3.0, -2.0])
    assert np.isnan(tg.logdet(a).item())  # det = -6 < 0
    sign, logabs = a.slogdet()
    assert sign.item() == -1.0 and logabs.item() == pytest.approx(np.log(6.0))
    with pytest.raises(ValueError, match="at least 2"):
        tg.linalg.multi_dot([v])


@pytest.mark.parametrize("call, name", [
    (lambda: tg.linalg.cholesky(tg.tensor([[1.0, 2.0], [2.0, 1.0]])), "cholesky"),
    (lambda: tg.linalg.inv(tg.tensor([[1.0, 2.0], [2.0, 4.0]])), "inv"),
])
def test_a_forward_error_names_its_operation_once(call, name):
    with pytest.raises(ValueError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith(f"{name}: ") and f"{name}: {name}:" not in message
    assert "(arguments: Tensor of shape (2, 2)" in message


def test_qr_of_a_wide_matrix_has_the_exact_gradient_of_one_row():
    # A (1, n) = Q R with Q = +-1: R = Q A, so the gradient of sum(u R) + c sum(Q) is Q u,
    # whatever c (Q does not move). A float32 row whose first entry is small against c
    # used to lose 20% of it: gQ's term cancelled only after the division by R's corner.
    a = Tensor(np.array([[-0.0010920815, 0.002989226, -0.010460959, -0.0018087021]],
                        dtype=np.float32), requires_grad=True)
    q, r = tg.linalg.qr(a)
    u = np.array([[3.0, -2.0, 1.0, 5.0]], dtype=np.float32)
    ((q * 700.0).sum() + (r * Tensor(u)).sum()).backward()
    np.testing.assert_array_equal(a.grad.data, q.data * u)
    # wider blocks: float64 gradcheck with both Q and R used
    rng = np.random.default_rng(3)
    b = Tensor(rng.standard_normal((2, 3, 5)), requires_grad=True)
    uq, ur = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 5))
    assert gradcheck(lambda x: (tg.linalg.qr(x)[0] * Tensor(uq)).sum()
                     + (tg.linalg.qr(x)[1] * Tensor(ur)).sum(), [b])


def test_matrix_exp_known_values_and_errors():
    theta = 0.7  # exp of the rotation generator [[0, -t], [t, 0]] is the rotation by t
    r = tg.linalg.matrix_exp(Tensor(np.array([[0.0, -theta], [theta, 0.0]])))
    np.testing.assert_allclose(r.numpy(), [[np.cos(theta), -np.sin(theta)],
                                           [np.sin(theta), np.cos(theta)]], rtol=1e-14)
    d = np.array([[-3.0, 0.0], [0.0, 12.0]])  # a diagonal matrix: exp of each entry
    np.testing.assert_allclose(tg.matrix_exp(Tensor(d)).numpy(), np.diag(np.exp([-3.0, 12.0])),
                               rtol=1e-13, atol=1e-300)
    z = Tensor(np.zeros((2, 3, 3), np.float32)).matrix_exp()  # a batch; exp(0) = I
    assert z.dtype == np.float32
    np.testing.assert_array_equal(z.numpy(), np.broadcast_to(np.eye(3), (2, 3, 3)))
    # its gradient: d/dA sum(exp(A)) at a diagonal A is exp(A)'s diagonal
    a = Tensor(d, requires_grad=True)
    tg.matrix_exp(a).sum().backward()
    np.testing.assert_allclose(np.diag(a.grad.numpy()), np.exp([-3.0, 12.0]), rtol=1e-12)
    with pytest.raises(ValueError, match="square"):
        tg.linalg.matrix_exp(Tensor(np.ones((2, 3))))
    with pytest.raises(TypeError, match="float"):
        tg.linalg.matrix_exp(tg.tensor([[1, 2], [3, 4]]))
