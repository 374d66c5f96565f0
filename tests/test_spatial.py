"""Spatial transforms (``F.affine_grid``, ``F.grid_sample``) and the resizing modes
``bicubic``/``area`` of ``F.interpolate``/``nn.Upsample``: known values (identity, a
90-degree rotation, a one-pixel shift), gradients by float64 ``gradcheck`` with respect to
the input, the grid and ``theta``, points infinitely far away, and the errors. The
comparison with PyTorch on random inputs is in ``test_differential_spatial.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
import nn.functional as F
import tinygrad_dk as tg
from tinygrad_dk import Tensor, gradcheck

MODES = ("bilinear", "nearest", "bicubic")
PADDINGS = ("zeros", "border", "reflection")
IDENTITY = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]


def _image(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# --- known values -------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(1, 5), w=st.integers(1, 5),
       mode=st.sampled_from(MODES), padding=st.sampled_from(PADDINGS),
       align=st.booleans())
def test_the_identity_theta_reads_every_pixel_where_it_is(n, c, h, w, mode, padding, align):
    x = _image((n, c, h, w))
    theta = Tensor(np.array([IDENTITY] * n))
    grid = F.affine_grid(theta, (n, c, h, w), align_corners=align)
    out = F.grid_sample(Tensor(x), grid, mode=mode, padding_mode=padding, align_corners=align)
    assert out.shape == x.shape
    np.testing.assert_allclose(out.data, x, atol=1e-12)


@pytest.mark.parametrize("align", [False, True])
def test_the_identity_of_a_volume_reads_every_voxel_where_it_is(align):
    x = _image((2, 2, 3, 4, 5))
    theta = Tensor(np.array([np.eye(3, 4)] * 2))
    grid = F.affine_grid(theta, x.shape, align_corners=align)
    assert grid.shape == (2, 3, 4, 5, 3)
    for mode in ("bilinear", "nearest"):
        out = F.grid_sample(Tensor(x), grid, mode=mode, align_corners=align)
        np.testing.assert_allclose(out.data, x, atol=1e-12)


def test_a_quarter_turn_of_a_square_image_is_rot90():
    x = _image((1, 2, 5, 5))
    theta = Tensor(np.array([[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]]))  # reads (x, y) at (-y, x)
    for align in (False, True):
        grid = F.affine_grid(theta, x.shape, align_corners=align)
        out = F.grid_sample(Tensor(x), grid, align_corners=align)
        # pixel centres land on pixel centres: every pixel, not only those off the border
        np.testing.assert_allclose(out.data, np.rot90(x, k=1, axes=(2, 3)), atol=1e-12)
        np.testing.assert_allclose(out.data, tg.rot90(Tensor(x), 1, (2, 3)).data, atol=1e-12)


def test_a_shift_by_one_pixel_moves_the_image_and_pads_by_the_padding_mode():
    x = np.arange(1.0, 13.0).reshape(1, 1, 3, 4)
    shift = 2.0 / 4  # one pixel of a width of 4 (align_corners=False)
    theta = Tensor(np.array([[[1.0, 0.0, shift], [0.0, 1.0, 0.0]]]))
    grid = F.affine_grid(theta, x.shape)
    zeros = F.grid_sample(Tensor(x), grid).data
    np.testing.assert_allclose(zeros[..., :3], x[..., 1:])
    np.testing.assert_allclose(zeros[..., 3], 0.0)
    border = F.grid_sample(Tensor(x), grid, padding_mode="border").data
    np.testing.assert_allclose(border[..., 3], x[..., 3])
    reflection = F.grid_sample(Tensor(x), grid, padding_mode="reflection").data
    np.testing.assert_allclose(reflection[..., 3], x[..., 3])  # mirrored at the edge


def test_bilinear_reads_the_mean_between_pixels_and_nearest_rounds_half_to_even():
    x = Tensor(np.array([[[[0.0, 10.0], [20.0, 30.0]]]]))
    centre = Tensor(np.zeros((1, 1, 1, 2)))  # the middle of the image
    assert F.grid_sample(x, centre).item() == pytest.approx(15.0)
    # the pixel positions 0.5, 0.5 round to 0, 0 (half to even, as PyTorch's nearbyint)
    assert F.grid_sample(x, centre, mode="nearest").item() == 0.0
    # bicubic through constant data is that constant (its weights add up to 1; with
    # padding 'zeros', taps outside with negative weights would make it larger)
    ones = Tensor(np.full((1, 1, 4, 4), 7.0))
    grid = Tensor(np.random.default_rng(0).uniform(-0.4, 0.4, (1, 3, 3, 2)))
    sampled = F.grid_sample(ones, grid, mode="bicubic", padding_mode="border")
    np.testing.assert_allclose(sampled.data, 7.0)


def test_points_infinitely_far_away_read_zeros_or_the_edge_not_nan():
    x = Tensor(np.arange(1.0, 13.0).reshape(1, 1, 3, 4), requires_grad=True)
    grid = Tensor(np.array([[[[np.inf, 0.0], [-np.inf, 0.2], [np.nan, 0.0],
                              [1e30, 0.1]]]]), requires_grad=True)
    for mode in MODES:
        zeros = F.grid_sample(x, grid, mode=mode)
        np.testing.assert_array_equal(zeros.data, 0.0)
        border = F.grid_sample(x, grid, mode=mode, padding_mode="border")
        assert np.isfinite(border.data).all()
        assert border.data[0, 0, 0, 0] == pytest.approx(8.0)  # x = +inf: the right edge
        (zeros.sum() + border.sum()).backward()
        assert np.isfinite(x.grad.data).all()
        if grid.grad is not None:
            assert np.isfinite(grid.grad.data).all()
        x.grad = grid.grad = None


def test_float32_stays_float32():
    x = Tensor(_image((1, 1, 3, 3)).astype(np.float32))
    theta = Tensor(np.array([IDENTITY], np.float32))
    grid = F.affine_grid(theta, x.shape)
    assert grid.dtype == np.float32
    for mode in MODES:
        assert F.grid_sample(x, grid, mode=mode).dtype == np.float32


# --- gradients ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("align", [False, True])
def test_gradcheck_with_respect_to_input_and_grid(mode, padding, align):
    x = _image((1, 2, 3, 4), seed=1)
    grid = np.random.default_rng(2).uniform(-1.3, 1.3, (1, 2, 3, 2))  # off the kinks
    assert gradcheck(lambda a, g: F.grid_sample(a, g, mode=mode, padding_mode=padding,
                                                align_corners=align),
                     [Tensor(x, requires_grad=True), Tensor(grid, requires_grad=True)])


def test_gradcheck_of_a_volume_and_of_theta():
    x = Tensor(_image((1, 1, 2, 3, 3), seed=3), requires_grad=True)
    grid = Tensor(np.random.default_rng(4).uniform(-1, 1, (1, 2, 2, 2, 3)), requires_grad=True)
    assert gradcheck(lambda a, g: F.grid_sample(a, g, padding_mode="border"), [x, grid])
    image = Tensor(_image((2, 1, 4, 4), seed=5), requires_grad=True)
    theta = Tensor(np.array([[[0.9, -0.2, 0.1], [0.3, 0.8, -0.05]]] * 2)
                   + np.random.default_rng(6).normal(0, 0.05, (2, 2, 3)), requires_grad=True)

    def transformer(a, t):
        return F.grid_sample(a, F.affine_grid(t, a.shape), padding_mode="reflection")

    assert gradcheck(transformer, [image, theta])


def test_second_derivatives_with_respect_to_the_grid_match_finite_differences():
    x = Tensor(_image((1, 1, 3, 3), seed=8))
    start = np.random.default_rng(7).uniform(-0.9, 0.9, (1, 2, 2, 2))
    h = np.random.default_rng(9).standard_normal(start.shape)

    def first(g: Tensor, create_graph: bool = False) -> Tensor:  # d sum(out) / d grid
        (dg,) = tg.autograd.grad(F.grid_sample(x, g, mode="bicubic").sum(), [g],
                                 create_graph=create_graph)
        return dg

    grid = Tensor(start, requires_grad=True)
    (first(grid, create_graph=True) * Tensor(h)).sum().backward()  # H h, by backprop
    eps = 1e-6
    for index in np.ndindex(start.shape):
        up, down = start.copy(), start.copy()
        up[index] += eps
        down[index] -= eps
        numeric = ((first(Tensor(up, requires_grad=True)).data
                    - first(Tensor(down, requires_grad=True)).data) * h).sum() / (2 * eps)
        assert grid.grad.data[index] == pytest.approx(numeric, rel=1e-4, abs=1e-6)


def test_nearest_gives_the_grid_a_zero_gradient_and_the_input_its_picks():
    x = Tensor(np.arange(4.0).reshape(1, 1, 2, 2), requires_grad=True)
    grid = Tensor(np.array([[[[-0.5, -0.5], [np.inf, -0.5]]]]), requires_grad=True)
    F.grid_sample(x, grid, mode="nearest").sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[[1.0, 0.0], [0.0, 0.0]]]])
    np.testing.assert_array_equal(grid.grad.data, np.zeros((1, 1, 2, 2)))  # as PyTorch
    # only the grid requires grad (a spatial transformer with a fixed image): zeros too
    grid = Tensor(np.array([[[[0.2, 0.1]]]]), requires_grad=True)
    F.grid_sample(Tensor(np.arange(4.0).reshape(1, 1, 2, 2)), grid, mode="nearest").sum().backward()
    np.testing.assert_array_equal(grid.grad.data, np.zeros((1, 1, 1, 2)))


# --- resizing: bicubic and area -------------------------------------------------------------


def test_bicubic_keeps_a_same_size_image_and_area_averages_blocks():
    x = _image((1, 2, 4, 6))
    for align in (False, True):
        out = F.interpolate(Tensor(x), size=(4, 6), mode="bicubic", align_corners=align)
        np.testing.assert_allclose(out.data, x, atol=1e-12)
    area = F.interpolate(Tensor(x), scale_factor=0.5, mode="area")
    np.testing.assert_allclose(area.data, x.reshape(1, 2, 2, 2, 3, 2).mean(axis=(3, 5)))
    layer = nn.Upsample(size=(2, 3), mode="area")
    np.testing.assert_allclose(layer(Tensor(x)).data, area.data)


def test_bicubic_upsampling_overshoots_a_step_as_cubic_convolution_does():
    step = Tensor(np.array([[[[0.0, 0.0, 1.0, 1.0]]]]))
    out = nn.Upsample(scale_factor=(1, 4), mode="bicubic")(step).data
    assert out.min() < 0.0 and out.max() > 1.0  # (bilinear would stay within 0 .. 1)


def test_gradcheck_of_bicubic_and_area_resizing():
    x = Tensor(_image((1, 1, 3, 4), seed=9), requires_grad=True)
    assert gradcheck(lambda a: F.interpolate(a, size=(5, 7), mode="bicubic"), [x])
    assert gradcheck(lambda a: F.interpolate(a, size=(4, 3), mode="bicubic",
                                             align_corners=True), [x])
    assert gradcheck(lambda a: F.interpolate(a, size=(2, 3), mode="area"), [x])


def test_the_old_upsample_names():
    x = Tensor(_image((1, 1, 2, 3)))
    np.testing.assert_allclose(F.upsample_nearest(x, scale_factor=2).data,
                               F.interpolate(x, scale_factor=2, mode="nearest").data)
    np.testing.assert_allclose(
        F.upsample_bilinear(x, size=(3, 5)).data,
        F.interpolate(x, size=(3, 5), mode="bilinear", align_corners=True).data)


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("call, words", [
    (lambda: F.affine_grid(Tensor(np.zeros((1, 2, 3))), (1, 1, 4)), "(N, C, H, W)"),
    (lambda: F.affine_grid(Tensor(np.zeros((2, 2, 3))), (1, 1, 4, 4)), "(1, 2, 3)"),
    (lambda: F.affine_grid(Tensor(np.zeros((1, 2, 3))), (1, 1, 2, 4, 4)), "(1, 3, 4)"),
    (lambda: F.affine_grid(Tensor(np.zeros((1, 2, 3))), (1, 1, 0, 4)), "positive"),
    (lambda: F.affine_grid(Tensor(np.zeros((1, 2, 3), int)), (1, 1, 2, 4)), "float()"),
    (lambda: F.grid_sample(Tensor(np.zeros((1, 1, 3, 3))), Tensor(np.zeros((1, 2, 2)))),
     "grid (N, H_out, W_out, 2)"),
    (lambda: F.grid_sample(Tensor(np.zeros((2, 1, 3, 3))), Tensor(np.zeros((1, 2, 2, 2)))),
     "batch size 2"),
    (lambda: F.grid_sample(Tensor(np.zeros((1, 1, 3, 3))), Tensor(np.zeros((1, 2, 2, 3)))),
     "2 coordinates (x, y)"),
    (lambda: F.grid_sample(Tensor(np.zeros((1, 1, 3, 3))), Tensor(np.zeros((1, 2, 2, 2))),
                           mode="linear"), "mode must be one of"),
    (lambda: F.grid_sample(Tensor(np.zeros((1, 1, 3, 3))), Tensor(np.zeros((1, 2, 2, 2))),
                           padding_mode="reflect"), "'reflection'"),
    (lambda: F.grid_sample(Tensor(np.zeros((1, 1, 2, 3, 3))),
                           Tensor(np.zeros((1, 2, 2, 2, 3))), mode="bicubic"), "4-D"),
    (lambda: F.grid_sample(Tensor(np.zeros((1, 1, 0, 3))), Tensor(np.zeros((1, 2, 2, 2)))),
     "must not be empty"),
    (lambda: F.grid_sample(Tensor(np.zeros((1, 1, 3, 3), np.float32)),
                           Tensor(np.zeros((1, 2, 2, 2)))), ".to(dtype)"),
    (lambda: F.interpolate(Tensor(np.zeros((1, 1, 3, 3))), size=2, mode="area",
                           align_corners=True), "interpolating modes"),
    (lambda: F.interpolate(Tensor(np.zeros((1, 1, 3))), size=2, mode="bicubic"), "4 axes"),
    (lambda: F.interpolate(Tensor(np.zeros((1, 1, 3, 3))), size=2, mode="lanczos"),
     "'bicubic'"),
])
def test_wrong_arguments_are_clear_errors(call, words):
    with pytest.raises((ValueError, TypeError, NotImplementedError)) as info:
        call()
    assert words in str(info.value)
