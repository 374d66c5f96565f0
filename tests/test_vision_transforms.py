"""nn.vision.transforms against PyTorch and against known values.

torchvision cannot be installed beside the CPU build of torch, so the reference is torch
itself where an equivalent exists (torch.flip, F.pad, F.interpolate with and without
antialias, torchvision's own affine-grid recipe rebuilt here with torch operations,
conv2d for the blur), and hand-computed values elsewhere (rot90, pure colours, grey
levels, Normalize). Hypothesis checks properties: flips are involutions, crops have the
asked size, Normalize is undone by its inverse, batch and channel axes survive, and the
same seed gives the same augmentation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import nn  # noqa: E402
import nn.vision.transforms.functional as TF  # noqa: E402
import tinygrad_dk as tg  # noqa: E402
from nn.vision import transforms as T  # noqa: E402
from nn.vision.transforms import v2  # noqa: E402
from nn.vision.transforms.functional_color import hsv_to_rgb, rgb_to_hsv  # noqa: E402
from nn.vision.transforms.functional_geometry import inverse_affine_matrix  # noqa: E402
from tinygrad_dk import Tensor, gradcheck  # noqa: E402

TTF = torch.nn.functional

shapes = st.tuples(st.sampled_from([(), (2,), (2, 1)]), st.sampled_from([1, 3]),
                   st.integers(1, 7), st.integers(1, 7)).map(lambda s: (*s[0], *s[1:]))


def image(shape, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        return rng.integers(0, 256, shape).astype(np.uint8)
    return rng.random(shape).astype(dtype)


def close(ours, theirs, atol=1e-5):
    np.testing.assert_allclose(np.asarray(ours.numpy(), np.float64),
                               np.asarray(theirs.numpy(), np.float64), atol=atol, rtol=1e-5)


# --- geometry against torch ------------------------------------------------------------------


@given(shapes, st.integers(0, 99))
def test_flips_match_torch_and_are_involutions(shape, seed):
    x = image(shape, seed)
    close(TF.hflip(Tensor(x)), torch.flip(torch.tensor(x), [-1]))
    close(TF.vflip(Tensor(x)), torch.flip(torch.tensor(x), [-2]))
    np.testing.assert_array_equal(TF.hflip(TF.hflip(Tensor(x))).numpy(), x)
    np.testing.assert_array_equal(TF.vflip(TF.vflip(Tensor(x))).numpy(), x)
    u = Tensor(image(shape, seed, np.uint8))
    assert TF.hflip(u).dtype == np.uint8 and TF.vflip(u).dtype == np.uint8


@given(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3), st.integers(0, 3),
       st.sampled_from(["constant", "edge", "reflect"]))
def test_pad_matches_torch(left, top, right, bottom, mode):
    x = image((2, 3, 5, 6))
    ours = TF.pad(Tensor(x), [left, top, right, bottom], fill=0.5 if mode == "constant" else 0,
                  padding_mode=mode)
    torch_mode = {"edge": "replicate"}.get(mode, mode)
    theirs = TTF.pad(torch.tensor(x), (left, right, top, bottom), mode=torch_mode,
                     **({"value": 0.5} if mode == "constant" else {}))
    close(ours, theirs)


def test_pad_symmetric_repeats_the_edge_as_numpy_symmetric():
    x = image((3, 4, 5))
    ours = TF.pad(Tensor(x), [2, 1, 3, 4], padding_mode="symmetric")
    np.testing.assert_array_equal(ours.numpy(), np.pad(x, ((0, 0), (1, 4), (2, 3)),
                                                       mode="symmetric"))
    assert TF.pad(Tensor(image((3, 4, 5), dtype=np.uint8)), 2).dtype == np.uint8
    assert TF.pad(Tensor(x), -1).shape == (3, 2, 3)  # negative padding crops


@given(shapes, st.integers(1, 9), st.integers(1, 9))
def test_crops_have_the_asked_size_and_keep_leading_axes(shape, th, tw):
    x = Tensor(image(shape))
    out = TF.center_crop(x, [th, tw])
    assert out.shape == (*shape[:-2], th, tw)
    t = T.RandomCrop((th, tw), pad_if_needed=True)
    assert t(x).shape == (*shape[:-2], th, tw)
    assert T.RandomResizedCrop((th, tw))(x).shape == (*shape[:-2], th, tw)


def test_crop_and_center_crop_known_values():
    x = np.arange(20, dtype=np.float32).reshape(1, 4, 5)
    np.testing.assert_array_equal(TF.crop(Tensor(x), 1, 2, 2, 2).numpy(), x[:, 1:3, 2:4])
    np.testing.assert_array_equal(TF.center_crop(Tensor(x), 2).numpy(), x[:, 1:3, 2:4])
    outside = TF.crop(Tensor(x), -1, 3, 3, 4).numpy()  # partly outside: zeros there
    expected = np.zeros((1, 3, 4), np.float32)
    expected[:, 1:, :2] = x[:, :2, 3:]
    np.testing.assert_array_equal(outside, expected)
    big = TF.center_crop(Tensor(x), [6, 7]).numpy()
    np.testing.assert_array_equal(big, np.pad(x, ((0, 0), (1, 1), (1, 1))))


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
@pytest.mark.parametrize("size", [(3, 4), (9, 11), (5, 13)])
def test_resize_without_antialias_is_interpolate(mode, size):
    x = image((2, 3, 6, 7))
    ours = TF.resize(Tensor(x), list(size), mode, antialias=False)
    theirs = TTF.interpolate(torch.tensor(x), size=size, mode=mode,
                             align_corners=None if mode == "nearest" else False)
    close(ours, theirs)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("size", [(2, 3), (3, 9), (13, 5), (6, 7)])
def test_resize_with_antialias_matches_torch_antialias(mode, size):
    x = image((2, 3, 6, 7))
    ours = TF.resize(Tensor(x), list(size), mode, antialias=True)
    theirs = TTF.interpolate(torch.tensor(x), size=size, mode=mode, align_corners=False,
                             antialias=True)
    close(ours, theirs, atol=1e-5)


def test_resize_sizes_and_uint8():
    x = Tensor(image((3, 8, 12)))
    assert TF.resize(x, 4).shape == (3, 4, 6)  # the smaller edge; aspect ratio kept
    assert TF.resize(x, 4, max_size=5).shape == (3, 3, 5)
    assert T.Resize((5, 5))(x).shape == (3, 5, 5)
    u = image((3, 8, 12), dtype=np.uint8)
    out = TF.resize(Tensor(u), [4, 6], antialias=False)
    assert out.dtype == np.uint8
    ref = TTF.interpolate(torch.tensor(u).float()[None], size=(4, 6), mode="bilinear")
    np.testing.assert_array_equal(out.numpy(), ref[0].round().byte().numpy())
    assert TF.resize(x, [8, 12]) is x  # nothing to do


def _torchvision_warp(x, matrix, oh, ow, mode, fill=None):
    """torchvision's tensor path, rebuilt with torch: a pixel-centred base grid times the
    inverse matrix, scaled to [-1, 1], then grid_sample (fill through a mask channel)."""
    n, c, h, w = x.shape
    theta = torch.tensor(matrix, dtype=x.dtype).reshape(1, 2, 3)
    xs = torch.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, ow, dtype=x.dtype)
    ys = torch.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, oh, dtype=x.dtype)
    base = torch.stack([xs.expand(oh, ow), ys[:, None].expand(oh, ow),
                        torch.ones(oh, ow, dtype=x.dtype)], dim=-1)
    grid = (base.reshape(1, -1, 3) @ (theta.transpose(1, 2)
                                     / torch.tensor([0.5 * w, 0.5 * h], dtype=x.dtype)))
    grid = grid.reshape(1, oh, ow, 2).expand(n, oh, ow, 2)
    if fill is not None:
        x = torch.cat([x, torch.ones(n, 1, h, w, dtype=x.dtype)], dim=1)
    out = TTF.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        out, mask = out[:, :-1], out[:, -1:].expand(n, c, oh, ow)
        colour = torch.tensor(fill, dtype=x.dtype).view(1, -1, 1, 1).expand_as(out)
        out = torch.where(mask < 0.5, colour, out) if mode == "nearest" else \
            out * mask + (1 - mask) * colour
    return out


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill", [None, [0.0, 0.25, 1.0]])
@pytest.mark.parametrize("args", [(30.0, [0, 0], 1.0, [0, 0]), (-17.0, [2, -1], 1.2, [10, 0]),
                                  (5.0, [0, 1], 0.8, [-8, 12])])
def test_affine_matches_torchvisions_recipe(mode, fill, args):
    x = image((2, 3, 7, 9), dtype=np.float64)
    angle, translate, scale, shear = args
    ours = TF.affine(Tensor(x), angle, translate, scale, shear, mode, fill)
    m = inverse_affine_matrix([0, 0], angle, translate, scale, shear)
    close(ours, _torchvision_warp(torch.tensor(x), m, 7, 9, mode, fill), atol=1e-9)


@given(st.floats(-180, 180), st.floats(-5, 5), st.floats(-5, 5), st.floats(0.2, 3),
       st.floats(-40, 40), st.floats(-40, 40), st.floats(-4, 4), st.floats(-4, 4))
def test_inverse_affine_matrix_inverts_torchvisions_forward_map(angle, tx, ty, scale, sx, sy,
                                                                 cx, cy):
    """Built independently: forward = T(c + t) R(angle) S(scale) SHy(sy) SHx(sx) T(-c),
    with torchvision's SHx(s) = [[1, -tan s], [0, 1]], SHy(s) = [[1, 0], [-tan s, 1]]."""
    def move(x, y):
        return np.array([[1, 0, x], [0, 1, y], [0, 0, 1.0]])

    a, hx, hy = (math.radians(v) for v in (angle, sx, sy))
    rotation = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0],
                         [0, 0, 1]])
    shear_x = np.array([[1, -math.tan(hx), 0], [0, 1, 0], [0, 0, 1]])
    shear_y = np.array([[1, 0, 0], [-math.tan(hy), 1, 0], [0, 0, 1]])
    forward = move(cx + tx, cy + ty) @ rotation @ np.diag([scale, scale, 1.0]) @ shear_y \
        @ shear_x @ move(-cx, -cy)
    ours = inverse_affine_matrix([cx, cy], angle, [tx, ty], scale, [sx, sy])
    np.testing.assert_allclose(np.reshape(ours, (2, 3)), np.linalg.inv(forward)[:2],
                               atol=1e-9)


def test_affine_turns_clockwise_and_moves_right_and_down():
    x = image((3, 5, 5))
    np.testing.assert_allclose(TF.affine(Tensor(x), 90.0, [0, 0], 1.0, 0.0).numpy(),
                               np.rot90(x, -1, (1, 2)), atol=1e-6)  # clockwise on screen
    moved = TF.affine(Tensor(x), 0.0, [2, 1], 1.0, 0.0).numpy()  # dx = 2 right, dy = 1 down
    np.testing.assert_array_equal(moved[:, 1:, 2:], x[:, :-1, :-2])
    assert moved[:, :1].sum() == 0 and moved[:, :, :2].sum() == 0


def test_rotate_matches_the_recipe_and_expand_grows():
    x = image((3, 6, 10), dtype=np.float64)
    ours = TF.rotate(Tensor(x), 33.0, "bilinear", center=[2, 3], fill=[0.5] * 3)
    m = inverse_affine_matrix([2 - 5, 3 - 3], -33.0, [0, 0], 1.0, [0, 0])
    close(ours, _torchvision_warp(torch.tensor(x)[None], m, 6, 10, "bilinear", [0.5] * 3)[0],
          atol=1e-9)
    grown = TF.rotate(Tensor(x), 90.0, expand=True)
    assert grown.shape == (3, 10, 6)
    np.testing.assert_allclose(grown.numpy(), np.rot90(x, 1, (1, 2)), atol=1e-9)


@pytest.mark.parametrize("h, w, angle", [(5, 5, 45.0), (3, 7, 10.0), (4, 6, -30.0),
                                          (6, 10, 90.0), (6, 10, -270.0), (8, 8, 0.0)])
def test_rotate_expand_size_is_pils(h, w, angle):
    """PIL's rule: the turned corners, in pixels from the top-left, rounded outwards."""
    a = math.radians(angle)
    xs, ys = [], []
    for x, y in ((0, 0), (w, 0), (w, h), (0, h)):
        dx, dy = x - w / 2, y - h / 2
        xs.append(w / 2 + dx * math.cos(a) + dy * math.sin(a))
        ys.append(h / 2 - dx * math.sin(a) + dy * math.cos(a))
    tol = 1e-9
    size = (math.ceil(max(ys) - tol) - math.floor(min(ys) + tol),
            math.ceil(max(xs) - tol) - math.floor(min(xs) + tol))
    assert TF.rotate(Tensor(image((1, h, w))), angle, expand=True).shape == (1, *size)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_quarter_turns_are_rot90(mode):
    x = image((2, 3, 5, 5))
    for k in (1, 2, 3):
        np.testing.assert_allclose(TF.rotate(Tensor(x), 90.0 * k, mode).numpy(),
                                   np.rot90(x, k, (2, 3)), atol=1e-5)
    u = Tensor(image((3, 5, 5), dtype=np.uint8))
    out = TF.rotate(u, 90.0)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out.numpy(), np.rot90(u.numpy(), 1, (1, 2)))


def test_gradients_flow_through_the_geometry():
    x = Tensor(image((1, 2, 4, 5), dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda a: TF.rotate(a, 20.0, "bilinear", fill=[0.3, 0.7]), [x])
    assert gradcheck(lambda a: TF.resize(a, [3, 3], antialias=True), [x])
    assert gradcheck(lambda a: TF.resize(a, [6, 7], "bicubic", antialias=False), [x])
    assert gradcheck(lambda a: TF.pad(a, [1, 2], padding_mode="symmetric"), [x])


def test_gradients_flow_through_the_colour_adjustments():
    rgb = Tensor(0.1 + 0.8 * image((1, 3, 3, 4), dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda a: TF.adjust_hue(a, 0.2), [rgb])
    assert gradcheck(lambda a: TF.adjust_contrast(a, 0.7), [rgb])
    assert gradcheck(lambda a: TF.adjust_saturation(a, 1.3), [rgb])
    assert gradcheck(lambda a: TF.gaussian_blur(a, 3, 0.8), [rgb])


# --- colour -------------------------------------------------------------------------------------


def test_hue_turns_the_colour_wheel():
    red = Tensor(np.array([1.0, 0.0, 0.0], np.float32).reshape(3, 1, 1))
    np.testing.assert_allclose(TF.adjust_hue(red, 1 / 3).numpy().ravel(), [0, 1, 0], atol=1e-6)
    np.testing.assert_allclose(TF.adjust_hue(red, -1 / 3).numpy().ravel(), [0, 0, 1], atol=1e-6)
    grey = Tensor(np.full((3, 2, 2), 0.4, np.float32))
    np.testing.assert_allclose(TF.adjust_hue(grey, 0.3).numpy(), grey.numpy(), atol=1e-7)
    x = image((2, 3, 4, 5))
    np.testing.assert_allclose(TF.adjust_hue(Tensor(x), 0.0).numpy(), x, atol=1e-6)
    np.testing.assert_allclose(hsv_to_rgb(rgb_to_hsv(Tensor(x))).numpy(), x, atol=1e-6)
    u = Tensor(np.array([255, 0, 0], np.uint8).reshape(3, 1, 1))
    assert TF.adjust_hue(u, 1 / 3).numpy().ravel().tolist() == [0, 255, 0]


def test_hsv_matches_colorsys():
    import colorsys
    x = image((3, 4, 4), seed=3)
    hsv = rgb_to_hsv(Tensor(x)).numpy()
    for i in range(4):
        for j in range(4):
            np.testing.assert_allclose(hsv[:, i, j], colorsys.rgb_to_hsv(*x[:, i, j]),
                                       atol=1e-6)


def test_grayscale_brightness_contrast_saturation_known_values():
    x = np.array([[0.2, 0.8], [1.0, 0.0], [0.5, 0.5]], np.float32).reshape(3, 1, 2)
    grey = 0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2]
    np.testing.assert_allclose(TF.rgb_to_grayscale(Tensor(x)).numpy()[0], grey, atol=1e-6)
    assert TF.rgb_to_grayscale(Tensor(x), 3).shape == (3, 1, 2)
    np.testing.assert_allclose(TF.adjust_brightness(Tensor(x), 1.5).numpy(),
                               np.clip(1.5 * x, 0, 1), atol=1e-6)
    np.testing.assert_allclose(TF.adjust_contrast(Tensor(x), 0.0).numpy(),
                               np.full_like(x, grey.mean()), atol=1e-6)
    np.testing.assert_allclose(TF.adjust_saturation(Tensor(x), 0.0).numpy(),
                               np.broadcast_to(grey, x.shape), atol=1e-6)
    u = Tensor(np.array([100, 200, 51], np.uint8).reshape(3, 1, 1))
    # integer images are truncated, as torchvision's _blend
    assert TF.adjust_brightness(u, 1.5).numpy().ravel().tolist() == [150, 255, 76]
    big = TF.adjust_brightness(Tensor(x), 1e30).numpy()
    assert np.isfinite(big).all() and big.max() == 1.0


def test_gaussian_blur_is_a_reflect_padded_convolution():
    x = image((2, 3, 8, 9), dtype=np.float64)
    ours = TF.gaussian_blur(Tensor(x), [5, 3], [1.5, 0.7])
    kx = torch.exp(-0.5 * (torch.linspace(-2, 2, 5, dtype=torch.float64) / 1.5) ** 2)
    ky = torch.exp(-0.5 * (torch.linspace(-1, 1, 3, dtype=torch.float64) / 0.7) ** 2)
    k = torch.outer(ky / ky.sum(), kx / kx.sum()).expand(3, 1, 3, 5)
    padded = TTF.pad(torch.tensor(x), (2, 2, 1, 1), mode="reflect")
    close(ours, TTF.conv2d(padded, k, groups=3), atol=1e-12)
    flat = Tensor(np.full((1, 5, 5), 0.7, np.float32))
    np.testing.assert_allclose(TF.gaussian_blur(flat, 3).numpy(), 0.7, atol=1e-6)


# --- normalize, conversions, erase --------------------------------------------------------------


@given(shapes.filter(lambda s: len(s) >= 3), st.integers(0, 99))
def test_normalize_then_its_inverse_gives_the_image_back(shape, seed):
    c = shape[-3]
    rng = np.random.default_rng(seed)
    mean, std = rng.random(c).tolist(), (rng.random(c) + 0.1).tolist()
    x = Tensor(image(shape, seed))
    y = T.Normalize(mean, std)(x)
    back = T.Normalize([-m / s for m, s in zip(mean, std)], [1 / s for s in std])(y)
    np.testing.assert_allclose(back.numpy(), x.numpy(), atol=1e-5)


def test_normalize_known_values_and_errors():
    x = Tensor(np.full((3, 1, 1), 0.5, np.float32))
    out = TF.normalize(x, [0.5, 0.25, 0.0], [0.5, 0.25, 2.0]).numpy().ravel()
    np.testing.assert_allclose(out, [0.0, 1.0, 0.25])
    y = Tensor(np.full((3, 1, 1), 0.5, np.float32))
    assert T.Normalize([0.5, 0.25, 0.0], [0.5, 0.25, 2.0], inplace=True)(y) is y
    np.testing.assert_allclose(y.numpy().ravel(), [0.0, 1.0, 0.25])
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        TF.normalize(Tensor(y.numpy(), requires_grad=True), [0.5], [0.5], inplace=True)
    with pytest.raises(ValueError, match="std contains 0"):
        T.Normalize([0.5] * 3, [0.5, 0.0, 0.5])
    with pytest.raises(ValueError, match="one per channel"):
        TF.normalize(x, [0.5, 0.5], [1.0, 1.0])
    with pytest.raises(TypeError, match="float tensor"):
        TF.normalize(Tensor(np.zeros((3, 1, 1), np.uint8)), [0.0], [1.0])


def test_to_tensor_and_dtype_conversions():
    pic = np.arange(24, dtype=np.uint8).reshape(2, 4, 3) * 10
    t = T.ToTensor()(pic)
    assert t.shape == (3, 2, 4) and t.dtype == np.float32
    np.testing.assert_allclose(t.numpy(), pic.transpose(2, 0, 1) / 255, atol=1e-7)
    floats = np.full((2, 2), 3.0)
    assert T.ToTensor()(floats).numpy().max() == 3.0  # float pictures are not rescaled

    class Picture:  # anything with __array__, as a PIL image
        def __array__(self, dtype=None, copy=None):
            return pic

    assert T.ToTensor()(Picture()).shape == (3, 2, 4)
    u = Tensor(pic.transpose(2, 0, 1).copy())
    f = TF.convert_image_dtype(u, tg.float32)
    np.testing.assert_allclose(f.numpy(), u.numpy() / 255, atol=1e-7)
    np.testing.assert_array_equal(TF.convert_image_dtype(f, tg.uint8).numpy(), u.numpy())
    assert v2.ToDtype(tg.float32)(u).numpy().max() == 230.0  # scale=False: values kept
    assert v2.ToDtype(tg.float32, scale=True)(u).numpy().max() == pytest.approx(230 / 255)
    img = v2.ToImage()(pic)
    assert img.shape == (3, 2, 4) and img.dtype == np.uint8
    with pytest.raises(TypeError, match="already a Tensor"):
        T.ToTensor()(u)
    with pytest.raises(NotImplementedError, match="Pillow"):
        T.ToPILImage()


def test_erase_and_random_erasing():
    x = Tensor(np.ones((3, 6, 6), np.float32))
    out = TF.erase(x, 1, 2, 3, 2, 0.0)
    assert out.numpy()[:, 1:4, 2:4].sum() == 0 and out.numpy().sum() == 3 * (36 - 6)
    assert x.numpy().min() == 1.0  # not in place
    tg.manual_seed(1)
    erased = T.RandomErasing(p=1.0, value=(0.1, 0.2, 0.3))(x).numpy()
    hole = erased[0] != 1.0
    assert hole.any() and np.allclose(erased[:, hole].T, [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="one per channel"):
        T.RandomErasing(p=1.0, value=(1.0, 2.0))(x)


# --- random transforms ------------------------------------------------------------------------


def test_random_resized_crop_with_full_scale_and_square_ratio_is_a_resize():
    x = Tensor(image((2, 3, 9, 9)))
    tg.manual_seed(0)
    out = T.RandomResizedCrop(5, scale=(1.0, 1.0), ratio=(1.0, 1.0))(x)
    np.testing.assert_allclose(out.numpy(), TF.resize(x, [5, 5]).numpy(), atol=1e-6)
    # an impossible request: the centre fallback, clamped to the ratio
    wide = Tensor(image((3, 4, 20)))
    assert T.RandomResizedCrop.get_params(wide, (1.0, 1.0), (1.0, 2.0)) == (0, 6, 4, 8)


def test_get_params_stay_inside_and_follow_the_seed():
    x = Tensor(image((3, 10, 12)))
    tg.manual_seed(5)
    seen = {T.RandomCrop.get_params(x, (4, 5)) for _ in range(200)}
    assert all(0 <= i <= 6 and 0 <= j <= 7 and (h, w) == (4, 5) for i, j, h, w in seen)
    assert len({i for i, *_ in seen}) == 7 and len({j for _, j, *_ in seen}) == 8
    for _ in range(50):
        i, j, h, w = T.RandomResizedCrop.get_params(x, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 <= i and i + h <= 10 and 0 <= j and j + w <= 12
    angle = T.RandomRotation.get_params((-10, 10))
    assert -10 <= angle <= 10


def test_random_rotation_and_affine_take_fill_none_as_black():
    x = Tensor(image((3, 6, 6)))
    for make in (lambda fill: T.RandomRotation((30, 30), fill=fill),
                 lambda fill: T.RandomAffine((30, 30), fill=fill)):
        tg.manual_seed(0)
        black = make(0)(x).numpy()
        tg.manual_seed(0)
        np.testing.assert_array_equal(make(None)(x).numpy(), black)
        assert make(None).fill == 0


def test_random_affine_takes_negative_shears_on_both_axes():
    t = T.RandomAffine(0, shear=(-10, -5, -4, 3))  # (xmin, xmax, ymin, ymax)
    assert t.shear == (-10.0, -5.0, -4.0, 3.0)
    tg.manual_seed(0)
    for _ in range(20):
        _, _, _, (sx, sy) = t.get_params(t.degrees, None, None, t.shear, [8, 8])
        assert -10 <= sx <= -5 and -4 <= sy <= 3
    assert t(Tensor(image((3, 8, 8)))).shape == (3, 8, 8)


@given(st.integers(0, 2**31 - 1))
def test_the_same_seed_gives_the_same_augmentation(seed):
    pipeline = T.Compose([T.RandomHorizontalFlip(), T.RandomRotation(20, fill=0.5),
                          T.RandomResizedCrop(6), T.ColorJitter(0.3, 0.3, 0.3, 0.1),
                          T.RandomAffine(10, (0.1, 0.1), (0.9, 1.1), 5),
                          T.RandomErasing(), T.RandomApply([T.GaussianBlur(3)]),
                          T.RandomChoice([T.RandomVerticalFlip(), T.RandomGrayscale()]),
                          T.RandomOrder([T.Pad(1), T.CenterCrop(6)]), T.CenterCrop(6)])
    x = Tensor(image((2, 3, 8, 8)))
    tg.manual_seed(seed)
    a = pipeline(x).numpy()
    tg.manual_seed(seed)
    b = pipeline(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.shape == (2, 3, 6, 6)


def test_flip_probabilities_and_color_jitter_ranges():
    x = Tensor(image((3, 4, 4)))
    assert T.RandomHorizontalFlip(1.0)(x).numpy().tolist() == TF.hflip(x).numpy().tolist()
    assert T.RandomVerticalFlip(0.0)(x) is x
    tg.manual_seed(0)
    flipped = sum(T.RandomHorizontalFlip(0.3)(x) is not x for _ in range(400))
    assert 80 < flipped < 160
    jitter = T.ColorJitter(brightness=0.5, hue=0.2)
    assert jitter.brightness == (0.5, 1.5) and jitter.hue == (-0.2, 0.2)
    assert jitter.contrast is None
    order, b, c, s, h = T.ColorJitter.get_params(*[jitter.brightness, None, None, jitter.hue])
    assert sorted(order.tolist()) == [0, 1, 2, 3] and 0.5 <= b <= 1.5 and c is None


def test_transforms_are_modules_in_sequential_and_print_their_arguments():
    pipeline = nn.Sequential(T.RandomCrop(4, padding=1), T.Normalize([0.5], [0.2]))
    assert isinstance(T.Compose([]), nn.Module)
    assert pipeline(Tensor(image((1, 4, 4)))).shape == (1, 4, 4)
    text = repr(T.Compose([T.Resize(8), T.Normalize((0.5,), (0.5,))]))
    assert "Resize(size=8, interpolation=bilinear" in text
    assert "Normalize(mean=(0.5,), std=(0.5,))" in text
    assert repr(T.RandomHorizontalFlip(0.3)) == "RandomHorizontalFlip(p=0.3)"


# --- v2 -----------------------------------------------------------------------------------------


def test_v2_transforms_the_image_and_passes_the_rest():
    x = Tensor(image((3, 6, 6)))
    label = Tensor(np.array(2))
    out, y = v2.RandomHorizontalFlip(1.0)(x, label)
    np.testing.assert_array_equal(out.numpy(), TF.hflip(x).numpy())
    assert y is label
    pipeline = v2.Compose([v2.ToImage(), v2.ToDtype(tg.float32, scale=True),
                           v2.RandomCrop(4), v2.Normalize([0.5] * 3, [0.5] * 3)])
    img, target = pipeline(np.zeros((6, 6, 3), np.uint8), 7)
    assert img.shape == (3, 4, 4) and target == 7 and img.numpy().min() == -1.0
    sample = {"image": x, "label": 3, "name": "cat"}
    moved = v2.CenterCrop(2)(sample)
    assert moved["image"].shape == (3, 2, 2) and moved["label"] == 3
    assert v2.Lambda(lambda v: v + 1, int)(x, 4)[1] == 5
    assert v2.Identity()(x, 1)[1] == 1
    assert v2.functional.horizontal_flip is TF.hflip
    flip = [v2.RandomHorizontalFlip(1.0), v2.Identity()]
    out, y = v2.RandomChoice(flip, p=[1.0, 0.0])(x, 5)  # the weights decide
    np.testing.assert_array_equal(out.numpy(), TF.hflip(x).numpy())
    assert y == 5 and v2.RandomChoice(flip, p=[0.0, 1.0])(x, 5)[0] is x
    assert T.RandomChoice([T.RandomVerticalFlip(1.0), T.Lambda(lambda v: v)], p=[0, 1])(x) is x


# --- bad input ----------------------------------------------------------------------------------


def test_bad_input_gets_a_clear_error():
    x = Tensor(image((3, 4, 4)))
    with pytest.raises(ValueError, match=r"\(\.\.\., C, H, W\)"):
        TF.hflip(Tensor(np.zeros(4, np.float32)))
    with pytest.raises(TypeError, match="ToTensor"):
        TF.hflip(np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match="1 or 3 channels"):
        TF.adjust_hue(Tensor(image((2, 4, 4))), 0.1)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        T.Grayscale()(Tensor(image((4, 4, 4))))
    with pytest.raises(ValueError, match="positive"):
        T.Resize(-3)
    with pytest.raises(ValueError, match="positive"):
        T.RandomCrop((0, 3))
    with pytest.raises(ValueError, match=r"probability .* \[0, 1\]"):
        T.RandomHorizontalFlip(1.5)
    with pytest.raises(ValueError, match=r"probability"):
        T.RandomApply([T.RandomVerticalFlip()], p=-0.1)
    with pytest.raises(ValueError, match="hue_factor"):
        TF.adjust_hue(x, 0.7)
    with pytest.raises(ValueError, match="larger than the image"):
        T.RandomCrop(5)(x)
    with pytest.raises(ValueError, match="odd"):
        T.GaussianBlur(4)
    with pytest.raises(ValueError, match="interpolation"):
        TF.rotate(x, 10, "bicubic")
    with pytest.raises(ValueError, match="scale must lie"):
        T.RandomErasing(scale=(0.5, 2.0))
    with pytest.raises(ValueError, match="padding_mode"):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError, match="RandomCrop: padding_mode"):
        T.RandomCrop(2, padding_mode="wrap")
    with pytest.raises(ValueError, match=r"pad: padding must be .* 1, 2 or 4 ints"):
        TF.pad(x, [1, 2, 3])
    with pytest.raises(ValueError, match=r"shear must be a number \(along x\) or \(x, y\)"):
        TF.affine(x, 0.0, [0, 0], 1.0, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"no pixels \(height 0, width 5\)"):
        TF.resize(Tensor(np.zeros((3, 0, 5), np.float32)), 4)
    with pytest.raises(ValueError, match="fill needs one number"):
        TF.rotate(x, 10, fill=[1.0, 2.0])
    with pytest.raises(TypeError, match="list of transforms"):
        T.Compose(T.RandomHorizontalFlip())
    assert math.isfinite(float(TF.adjust_contrast(x, 2.0).numpy().sum()))
