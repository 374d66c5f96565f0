"""``torchvision.transforms.functional`` (``import torchvision.transforms.functional as
TF``): every transform as a plain function of an image Tensor (..., C, H, W) and explicit
parameters, with nothing random in it. The transform classes draw their random
parameters and call these, so each idea has one implementation.

Geometry (flips, crops, padding, resizing, rotation, affine) is in ``functional_geometry``,
colour and blur in ``functional_color``; this module adds conversions, ``normalize`` and
``erase``, and gathers them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.vision.transforms.functional_color import (
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
    gaussian_blur,
    rgb_to_grayscale,
)
from nn.vision.transforms.functional_geometry import (
    affine,
    center_crop,
    crop,
    hflip,
    pad,
    resize,
    resized_crop,
    rotate,
    vflip,
)
from nn.vision.transforms.images import (
    InterpolationMode,
    channels,
    check_image,
    is_float,
    max_value,
)
from tinygrad_dk import Tensor

__all__ = ["InterpolationMode", "hflip", "vflip", "crop", "center_crop", "pad", "resize",
           "resized_crop", "rotate", "affine", "adjust_brightness", "adjust_contrast",
           "adjust_saturation", "adjust_hue", "rgb_to_grayscale", "to_grayscale",
           "gaussian_blur", "normalize", "erase", "to_tensor", "pil_to_tensor",
           "convert_image_dtype", "to_dtype", "get_dimensions", "get_image_size",
           "get_image_num_channels", "to_pil_image", "horizontal_flip", "vertical_flip",
           "to_image"]

to_grayscale = rgb_to_grayscale  # torchvision's name for PIL images
horizontal_flip, vertical_flip = hflip, vflip  # transforms.v2.functional's names


def get_dimensions(img: Tensor) -> list[int]:
    """[channels, height, width] of an image."""
    img = check_image(img, "get_dimensions")
    return [channels(img), img.shape[-2], img.shape[-1]]


def get_image_size(img: Tensor) -> list[int]:
    """[width, height] of an image (note the order: PIL's)."""
    img = check_image(img, "get_image_size")
    return [img.shape[-1], img.shape[-2]]


def get_image_num_channels(img: Tensor) -> int:
    """The number of channels of an image."""
    return channels(check_image(img, "get_image_num_channels"))


def to_tensor(pic: Any) -> Tensor:
    """An (H, W, C) or (H, W) picture (a numpy array, or anything ``np.asarray`` reads, such
    as a PIL image) as a (C, H, W) Tensor. uint8 pictures become float32 in [0, 1];
    other dtypes are kept as they are (a float array is NOT rescaled)."""
    if isinstance(pic, Tensor):
        raise TypeError("to_tensor: the picture is already a Tensor; to scale a uint8 image "
                        "Tensor to [0, 1] use convert_image_dtype(img, torch.float32) (or "
                        "transforms.ConvertImageDtype / v2.ToDtype(..., scale=True))")
    if not isinstance(pic, np.ndarray) and not hasattr(pic, "__array__") and not hasattr(
            pic, "__array_interface__"):
        raise TypeError(f"to_tensor: pic should be a numpy array or an image that numpy "
                        f"can read (PIL), got {type(pic).__name__}")
    array = np.asarray(pic)
    if array.ndim not in (2, 3):
        raise ValueError(f"to_tensor: pic should be 2 or 3 dimensional (H, W) or (H, W, C), "
                         f"got shape {array.shape}")
    if array.ndim == 2:
        array = array[:, :, None]
    array = np.ascontiguousarray(array.transpose(2, 0, 1))
    if array.dtype == np.uint8:
        return Tensor(array.astype(tg.get_default_dtype()) / np.float32(255))
    if array.dtype == np.bool_:
        array = array.astype(np.uint8)
    return Tensor(array)


def pil_to_tensor(pic: Any) -> Tensor:
    """An (H, W, C) picture as a (C, H, W) Tensor, keeping its dtype and values."""
    array = np.asarray(pic)
    if array.ndim not in (2, 3):
        raise ValueError(f"pil_to_tensor: expected an (H, W) or (H, W, C) picture, got "
                         f"shape {array.shape}")
    array = array[:, :, None] if array.ndim == 2 else array
    return Tensor(np.ascontiguousarray(array.transpose(2, 0, 1)))


def to_image(pic: Any) -> Tensor:
    """v2's conversion: a picture (H, W, C) as an image Tensor (C, H, W), dtype kept; a
    Tensor stays as it is."""
    return pic if isinstance(pic, Tensor) else pil_to_tensor(pic)


def to_pil_image(pic: Any, mode: Any = None) -> Any:
    """Not available: nn.vision does not depend on Pillow."""
    raise NotImplementedError("to_pil_image / ToPILImage: nn.vision works on Tensors and has "
                              "no Pillow dependency; keep the image a Tensor (C, H, W), or "
                              "look at it with nn.vision.utils / matplotlib "
                              "(plt.imshow(img.permute(1, 2, 0)))")


def convert_image_dtype(image: Tensor, dtype: Any = tg.float32) -> Tensor:
    """The image in another dtype with its brightness scale converted: uint8 255 is float
    1.0. Float -> integer multiplies by (max + 1 - 0.001) and truncates, so every integer
    level gets an equal share of [0, 1] (torchvision's rule); integer -> integer shifts."""
    image = check_image(image, "convert_image_dtype")
    dtype = np.dtype(dtype)
    if image.dtype == dtype:
        return image
    if is_float(image):
        if np.issubdtype(dtype, np.floating):
            return image.to(dtype)
        if (image.dtype == np.float32 and dtype in (np.int32, np.int64)) or (
                image.dtype == np.float64 and dtype == np.int64):
            raise RuntimeError(f"convert_image_dtype: the conversion from {image.dtype} to "
                               f"{dtype} cannot be done safely (too few float digits)")
        return (image * (max_value(dtype) + 1.0 - 1e-3)).to(dtype)
    if np.issubdtype(dtype, np.floating):
        return image.to(dtype) / max_value(image.dtype)
    # integer -> integer: a scale by a power of two each way
    in_max, out_max = max_value(image.dtype), max_value(dtype)
    if in_max > out_max:
        factor = int((in_max + 1) // (out_max + 1))
        return Tensor(image.numpy() // factor).to(dtype)
    return image.to(dtype) * int((out_max + 1) // (in_max + 1))


def to_dtype(image: Tensor, dtype: Any = tg.float32, scale: bool = False) -> Tensor:
    """v2's conversion: the dtype only, or with ``scale=True`` also the brightness scale
    (``convert_image_dtype``)."""
    image = check_image(image, "to_dtype")
    return convert_image_dtype(image, dtype) if scale else image.to(dtype)


def normalize(tensor: Tensor, mean: Sequence[float], std: Sequence[float],
              inplace: bool = False) -> Tensor:
    """``(image - mean) / std`` per channel, for a float image (..., C, H, W). ``inplace``
    writes the result into the input (``sub_`` and ``div_``, with their autograd rules: a
    leaf that requires grad refuses, as in PyTorch)."""
    tensor = check_image(tensor, "normalize")
    if not is_float(tensor):
        raise TypeError(f"normalize: the image must be a float tensor, got {tensor.dtype}; "
                        "convert it first (ToTensor, ConvertImageDtype or "
                        "v2.ToDtype(torch.float32, scale=True))")
    if tensor.ndim < 3:
        raise ValueError(f"normalize: expected an image (..., C, H, W), got shape "
                         f"{tuple(tensor.shape)}")
    c = tensor.shape[-3]
    m = np.asarray(mean.numpy() if isinstance(mean, Tensor) else mean, tensor.dtype).ravel()
    s = np.asarray(std.numpy() if isinstance(std, Tensor) else std, tensor.dtype).ravel()
    for name, values in (("mean", m), ("std", s)):
        if len(values) not in (1, c):
            raise ValueError(f"normalize: {name} has {len(values)} values, the image has {c} "
                             f"channels; give one per channel (or one for all)")
    if np.any(s == 0):
        raise ValueError(f"normalize: std contains 0 ({list(s)}), which would divide by zero; "
                         "use the channels' real standard deviations")
    m, s = m.reshape(-1, 1, 1), s.reshape(-1, 1, 1)
    return tensor.sub_(m).div_(s) if inplace else (tensor - m) / s


def erase(img: Tensor, i: int, j: int, h: int, w: int, v: Any, inplace: bool = False) -> Tensor:
    """The image with the (h, w) box at row ``i``, column ``j`` set to ``v`` (a number or a
    Tensor that broadcasts to (C, h, w))."""
    img = check_image(img, "erase")
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img
