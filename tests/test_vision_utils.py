"""nn.vision.utils: make_grid's layout worked out by hand from torchvision's rules (one image
every ``W + padding`` pixels, ``padding`` before the first and after the last), its
normalisation, and save_image's bytes read back from the PNG."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_dk as tg
from nn.vision.utils import make_grid, save_image


def test_three_grey_images_in_rows_of_two_by_hand():
    images = tg.tensor([[[[1, 1], [1, 1]]], [[[2, 2], [2, 2]]], [[[3, 4], [5, 6]]]],
                       dtype=tg.float32)
    grid = make_grid(images, nrow=2, padding=1, pad_value=9)
    p = 9
    one_channel = [
        [p, p, p, p, p, p, p],
        [p, 1, 1, p, 2, 2, p],
        [p, 1, 1, p, 2, 2, p],
        [p, p, p, p, p, p, p],
        [p, 3, 4, p, p, p, p],  # the empty place of the 4th image is padding too
        [p, 5, 6, p, p, p, p],
        [p, p, p, p, p, p, p],
    ]
    assert grid.shape == (3, 7, 7) and grid.dtype == tg.float32
    assert all(grid.numpy()[c].tolist() == one_channel for c in range(3))  # grey -> 3 copies


def test_default_padding_and_one_row_when_nrow_exceeds_the_batch():
    images = tg.ones(2, 3, 1, 1)
    images[1] = 0.5
    grid = make_grid(images)  # padding=2, nrow=8 -> one row of two
    assert grid.shape == (3, 1 * 3 + 2, 2 * 3 + 2)
    assert grid.numpy()[:, 2, :].tolist() == [[0, 0, 1, 0, 0, 0.5, 0, 0]] * 3


def test_single_images_come_back_without_padding():
    one = tg.tensor([[[0.0, 1.0], [2.0, 3.0]]])  # (1, 2, 2): grey, repeated to RGB
    assert make_grid(one).numpy().tolist() == [one.numpy()[0].tolist()] * 3
    assert make_grid(one[0]).shape == (3, 2, 2)  # (H, W)
    assert make_grid(tg.zeros(1, 1, 4, 5)).shape == (3, 4, 5)  # a batch of one
    rgb = tg.rand(3, 4, 5)
    assert np.array_equal(make_grid(rgb).numpy(), rgb.numpy())
    assert make_grid(tg.zeros(2, 4, 5)).shape == (2, 4, 5)  # (C, H, W) with C=2: kept


def test_a_list_of_images_is_a_batch():
    images = [tg.full((3, 2, 2), float(k)) for k in range(4)]
    assert np.array_equal(make_grid(images, nrow=2).numpy(),
                          make_grid(tg.stack(images), nrow=2).numpy())
    with pytest.raises(ValueError, match=r"all of one shape, got shapes \['\(3, 2, 2\)', "
                                         r"'\(3, 3, 3\)'\]"):
        make_grid([tg.zeros(3, 2, 2), tg.zeros(3, 3, 3)])


def test_normalize_by_the_batch_a_range_or_each_image():
    images = tg.tensor([[[[-1.0, 0.0]]], [[[1.0, 3.0]]]])  # (2, 1, 1, 2)
    row = make_grid(images, normalize=True, padding=0).numpy()[0, 0]
    assert np.allclose(row, [0, 0.25, 0.5, 1])  # (v + 1) / 4
    row = make_grid(images, normalize=True, padding=0, value_range=(0, 2)).numpy()[0, 0]
    assert np.allclose(row, [0, 0, 0.5, 1])  # clamped to (0, 2), then / 2
    row = make_grid(images, normalize=True, padding=0, scale_each=True).numpy()[0, 0]
    assert np.allclose(row, [0, 1, 0, 1])  # each image's own min and max
    flat = make_grid(tg.full((2, 1, 2, 2), 7.0), normalize=True).numpy()
    assert np.isfinite(flat).all() and flat.max() == 0  # one colour: 0, not NaN
    assert images.numpy()[1, 0, 0, 1] == 3  # the input is not changed


@pytest.mark.parametrize("scale", [1e3, 1e30, float(np.finfo(np.float32).max)])
def test_normalize_at_extreme_values(scale):
    images = tg.tensor([[[[-scale, 0.0]]], [[[scale / 2, scale]]]], dtype=tg.float32)
    row = make_grid(images, normalize=True, padding=0).numpy()[0, 0]
    # at float32's largest value, max - min overflows (torchvision gives NaN there)
    assert row.dtype == np.float32 and np.allclose(row, [0, 0.5, 0.75, 1])


def test_dtype_kept_and_errors_teach():
    grid = make_grid(tg.tensor(np.full((2, 3, 1, 1), 200, np.uint8)), pad_value=0.5)
    assert grid.dtype == np.uint8 and grid.numpy().max() == 200 and grid.numpy().min() == 0
    with pytest.raises(TypeError, match=r"float images, got uint8; convert first"):
        make_grid(tg.tensor(np.zeros((2, 1, 2, 2), np.uint8)), normalize=True)
    with pytest.raises(TypeError, match="takes a Tensor"):
        make_grid([[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"\(B, C, H, W\).*got shape \(1, 1, 1, 2, 2\)"):
        make_grid(tg.zeros(1, 1, 1, 2, 2))
    with pytest.raises(ValueError, match="nrow=0 must be at least 1"):
        make_grid(tg.zeros(2, 3, 2, 2), nrow=0)
    with pytest.raises(ValueError, match=r"no images: the batch has shape \(0, 3, 2, 2\)"):
        make_grid(tg.zeros(0, 3, 2, 2))  # torchvision: ZeroDivisionError
    with pytest.raises(TypeError, match=r"padding=1.5 must be a whole number"):
        make_grid(tg.zeros(2, 3, 2, 2), padding=1.5)
    with pytest.raises(TypeError, match=r"nrow=True must be a whole number"):
        make_grid(tg.zeros(2, 3, 2, 2), nrow=True)
    with pytest.raises(TypeError, match="value_range must be a pair"):
        make_grid(tg.zeros(2, 3, 2, 2), normalize=True, value_range=(0, 1, 2))


def test_grid_is_outside_the_graph():
    images = tg.rand(3, 3, 2, 2, requires_grad=True)
    grid = make_grid(images)
    assert not grid.requires_grad


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 11), nrow=st.integers(1, 6), padding=st.integers(0, 3),
       channels=st.sampled_from([1, 3]), height=st.integers(1, 4), width=st.integers(1, 4))
def test_layout_shape_positions_and_padding(n, nrow, padding, channels, height, width):
    images = np.arange(1, n * channels * height * width + 1, dtype=np.float32).reshape(
        n, channels, height, width)  # every pixel different and > 0
    grid = make_grid(tg.tensor(images), nrow=nrow, padding=padding, pad_value=-1).numpy()
    cols = min(nrow, n)
    rows = -(-n // cols)
    assert grid.shape == (3, rows * (height + padding) + padding,
                          cols * (width + padding) + padding)
    covered = np.zeros(grid.shape[1:], bool)
    for k in range(n):
        top = (k // cols) * (height + padding) + padding
        left = (k % cols) * (width + padding) + padding
        expected = np.broadcast_to(images[k], (3, height, width))
        assert np.array_equal(grid[:, top:top + height, left:left + width], expected)
        covered[top:top + height, left:left + width] = True
    assert (grid[:, ~covered] == -1).all()


# --- save_image --------------------------------------------------------------------------

def test_save_image_round_trip_and_overwrite(tmp_path):
    mpimg = pytest.importorskip("matplotlib.image")
    images = tg.tensor(np.random.default_rng(1).random((3, 3, 4, 5)), dtype=tg.float32)
    path = tmp_path / "grid.png"
    path.write_bytes(b"an older file")  # overwritten, as torchvision does
    save_image(images, path, nrow=2, padding=1)
    back = mpimg.imread(path)
    grid = make_grid(images, nrow=2, padding=1).numpy()
    expected = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    assert back.shape[:2] == (2 * 5 + 1, 2 * 6 + 1)
    assert np.array_equal(np.rint(back[:, :, :3] * 255).astype(np.uint8), expected)
    buffer = io.BytesIO()
    save_image(images[0], buffer, format="png")
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_save_image_refuses_what_has_no_colour(tmp_path):
    with pytest.raises(TypeError, match=r"float images with values in \[0, 1\].*float\(\) / 255"):
        save_image(tg.tensor(np.zeros((3, 2, 2), np.uint8)), tmp_path / "x.png")
    with pytest.raises(ValueError, match="NaN or infinite"):
        save_image(tg.full((3, 2, 2), float("nan")), tmp_path / "x.png")
    with pytest.raises(ValueError, match="got 2"):
        save_image(tg.zeros(2, 2, 2), tmp_path / "x.png")
