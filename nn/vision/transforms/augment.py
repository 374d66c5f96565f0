"""torchvision's random transforms (data augmentation): each draws its parameters with
the engine's generator (``tg.manual_seed`` makes a run repeat), in torchvision's order and
with its static ``get_params`` methods, then calls the matching function of ``functional``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import tinygrad_dk as tg
from nn.vision.transforms import functional as TF
from nn.vision.transforms.functional_geometry import padding_args
from nn.vision.transforms.images import (
    InterpolationMode,
    channels,
    check_image,
    check_probability,
    coin,
    randint,
    uniform,
)
from nn.vision.transforms.transforms import Transform, crop_size
from tinygrad_dk import Tensor

__all__ = ["RandomHorizontalFlip", "RandomVerticalFlip", "RandomCrop", "RandomResizedCrop",
           "RandomRotation", "RandomAffine", "ColorJitter", "RandomGrayscale",
           "GaussianBlur", "RandomErasing"]


class _Flip(Transform):
    _shown = ("p",)

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = check_probability(p, type(self).__name__)


class RandomHorizontalFlip(_Flip):
    """Mirror the image left to right with probability ``p``."""

    def forward(self, img: Tensor) -> Tensor:
        return TF.hflip(img) if coin(self.p) else img


class RandomVerticalFlip(_Flip):
    """Turn the image upside down with probability ``p``."""

    def forward(self, img: Tensor) -> Tensor:
        return TF.vflip(img) if coin(self.p) else img


def _window(h: int, w: int, th: int, tw: int) -> tuple[int, int]:
    """A uniformly random top-left corner for a (th, tw) window inside (h, w)."""
    return randint(0, h - th + 1), randint(0, w - tw + 1)


class RandomCrop(Transform):
    """A random (h, w) window. ``padding`` pads first (as ``Pad``); ``pad_if_needed`` pads
    an image smaller than the window."""

    _shown = ("size", "padding")

    def __init__(self, size: Any, padding: Any = None, pad_if_needed: bool = False,
                 fill: float = 0, padding_mode: str = "constant") -> None:
        super().__init__()
        self.size = crop_size(size, "RandomCrop")
        padding_args(0 if padding is None else padding, padding_mode, "RandomCrop")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img: Tensor, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """(top, left, height, width) of a random window of ``output_size`` in ``img``."""
        _, h, w = TF.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: the crop size {(th, tw)} is larger than the image "
                             f"{(h, w)}; use pad_if_needed=True or a smaller size")
        if (h, w) == (th, tw):
            return 0, 0, h, w
        return (*_window(h, w, th, tw), th, tw)

    def forward(self, img: Tensor) -> Tensor:
        img = check_image(img, "RandomCrop")
        if self.padding is not None:
            img = TF.pad(img, self.padding, self.fill, self.padding_mode)
        th, tw = self.size
        if self.pad_if_needed and img.shape[-1] < tw:
            img = TF.pad(img, [tw - img.shape[-1], 0], self.fill, self.padding_mode)
        if self.pad_if_needed and img.shape[-2] < th:
            img = TF.pad(img, [0, th - img.shape[-2]], self.fill, self.padding_mode)
        return TF.crop(img, *self.get_params(img, self.size))


def _range(value: Any, name: str, what: str, low: float = 0.0) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2 or value[0] > value[1] \
            or value[0] < low:
        raise ValueError(f"{name}: {what} must be (min, max) with {low} <= min <= max, got "
                         f"{value!r}")
    return float(value[0]), float(value[1])


def _box_tries(h: int, w: int, scale: Sequence[float],
               ratio: Sequence[float]) -> Iterator[tuple[int, int]]:
    """Up to 10 random box shapes for an (h, w) image, each drawn when asked for: an area
    share from ``scale`` and a log-uniform aspect ratio r from ``ratio``, given as
    (sqrt(area * r), sqrt(area / r)) rounded (RandomResizedCrop's and RandomErasing's
    draw)."""
    log_low, log_high = math.log(ratio[0]), math.log(ratio[1])
    for _ in range(10):
        area = h * w * uniform(scale[0], scale[1])
        aspect = math.exp(uniform(log_low, log_high))
        yield round(math.sqrt(area * aspect)), round(math.sqrt(area / aspect))


class RandomResizedCrop(Transform):
    """A random window of a random share ``scale`` of the area and aspect ratio ``ratio``,
    resized to ``size``: the standard ImageNet augmentation."""

    _shown = ("size", "scale", "ratio", "interpolation", "antialias")

    def __init__(self, size: Any, scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
                 interpolation: Any = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        super().__init__()
        self.size = crop_size(size, "RandomResizedCrop")
        self.scale = _range(scale, "RandomResizedCrop", "scale")
        self.ratio = _range(ratio, "RandomResizedCrop", "ratio", low=1e-12)
        self.interpolation, self.antialias = InterpolationMode(interpolation), antialias

    @staticmethod
    def get_params(img: Tensor, scale: Sequence[float],
                   ratio: Sequence[float]) -> tuple[int, int, int, int]:
        """(top, left, height, width): up to 10 tries to draw an area share from ``scale``
        and a log-uniform aspect ratio from ``ratio`` that fits; else the central crop
        with the ratio clamped into ``ratio``."""
        _, h, w = TF.get_dimensions(img)
        for cw, ch in _box_tries(h, w, scale, ratio):
            if 0 < cw <= w and 0 < ch <= h:
                return (*_window(h, w, ch, cw), ch, cw)
        in_ratio = w / h  # the fallback: as much of the centre as the ratio allows
        if in_ratio < min(ratio):
            cw, ch = w, int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            cw, ch = int(round(h * max(ratio))), h
        else:
            cw, ch = w, h
        return (h - ch) // 2, (w - cw) // 2, ch, cw

    def forward(self, img: Tensor) -> Tensor:
        i, j, h, w = self.get_params(check_image(img, "RandomResizedCrop"), self.scale,
                                     self.ratio)
        return TF.resized_crop(img, i, j, h, w, self.size, self.interpolation,
                               antialias=self.antialias)


def _plus_minus(value: Any, name: str, what: str) -> tuple[float, float]:
    """One number d as (-d, d), or a (min, max) pair."""
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"{name}: a single {what} must be non-negative, got {value}")
        return -float(value), float(value)
    return _range(value, name, what, low=-math.inf)


class RandomRotation(Transform):
    """Rotate by an angle drawn from ``degrees`` ((min, max), or d for (-d, d)),
    counter-clockwise, about ``center``; corners from outside get ``fill``."""

    _shown = ("degrees", "interpolation", "expand", "fill")

    def __init__(self, degrees: Any, interpolation: Any = InterpolationMode.NEAREST,
                 expand: bool = False, center: Sequence[float] | None = None,
                 fill: Any = 0) -> None:
        super().__init__()
        self.degrees = _plus_minus(degrees, "RandomRotation", "degrees")
        self.interpolation, self.expand = InterpolationMode(interpolation), expand
        self.center, self.fill = center, 0 if fill is None else fill  # None: black, as torchvision

    @staticmethod
    def get_params(degrees: Sequence[float]) -> float:
        """An angle drawn uniformly from (min, max) ``degrees``."""
        return uniform(degrees[0], degrees[1])

    def forward(self, img: Tensor) -> Tensor:
        img = check_image(img, "RandomRotation")
        angle = self.get_params(self.degrees)
        return TF.rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)


class RandomAffine(Transform):
    """A random rotation (``degrees``), shift (``translate`` = (a, b): up to a share a of
    the width and b of the height), zoom (``scale`` = (min, max)) and shear (``shear``: d,
    (min, max) along x, or (xmin, xmax, ymin, ymax)), about ``center``."""

    _shown = ("degrees", "translate", "scale", "shear", "interpolation", "fill")

    def __init__(self, degrees: Any, translate: Sequence[float] | None = None,
                 scale: Sequence[float] | None = None, shear: Any = None,
                 interpolation: Any = InterpolationMode.NEAREST, fill: Any = 0,
                 center: Sequence[float] | None = None) -> None:
        super().__init__()
        self.degrees = _plus_minus(degrees, "RandomAffine", "degrees")
        if translate is not None and (len(translate) != 2 or not all(
                0.0 <= t <= 1.0 for t in translate)):
            raise ValueError(f"RandomAffine: translate must be (a, b) with shares of the width "
                             f"and height in [0, 1], got {translate!r}")
        if scale is not None:
            scale = _range(scale, "RandomAffine", "scale", low=1e-12)
        if shear is not None and not isinstance(shear, (int, float)) and len(shear) == 4:
            shear = (*_range(shear[:2], "RandomAffine", "shear", low=-math.inf),
                     *_range(shear[2:], "RandomAffine", "shear", low=-math.inf))
        elif shear is not None:
            shear = _plus_minus(shear, "RandomAffine", "shear")
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation, self.center = InterpolationMode(interpolation), center
        self.fill = 0 if fill is None else fill  # None: black, as torchvision

    @staticmethod
    def get_params(degrees: Sequence[float], translate: Sequence[float] | None,
                   scale_ranges: Sequence[float] | None, shears: Sequence[float] | None,
                   img_size: Sequence[int]) -> tuple[float, tuple[int, int], float,
                                                     tuple[float, float]]:
        """(angle, (dx, dy), scale, (shear_x, shear_y)) drawn in torchvision's order;
        ``img_size`` is (width, height)."""
        angle = uniform(degrees[0], degrees[1])
        dx = dy = 0
        if translate is not None:
            max_dx, max_dy = translate[0] * img_size[0], translate[1] * img_size[1]
            dx = int(round(uniform(-max_dx, max_dx)))
            dy = int(round(uniform(-max_dy, max_dy)))
        scale = 1.0 if scale_ranges is None else uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = uniform(shears[2], shears[3])
        return angle, (dx, dy), scale, (shear_x, shear_y)

    def forward(self, img: Tensor) -> Tensor:
        img = check_image(img, "RandomAffine")
        _, h, w = TF.get_dimensions(img)
        angle, translate, scale, shear = self.get_params(self.degrees, self.translate,
                                                         self.scale, self.shear, [w, h])
        return TF.affine(img, angle, list(translate), scale, list(shear), self.interpolation,
                         self.fill, self.center)


def _jitter(value: Any, name: str, centre: float, bound: tuple[float, float],
            clip_at_zero: bool = True) -> tuple[float, float] | None:
    """ColorJitter's ranges: x gives (centre - x, centre + x) (clipped at 0 for factors),
    a pair is taken as it is; None when the range only holds ``centre`` (nothing to do)."""
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"ColorJitter: {name} must be non-negative, got {value}")
        low, high = centre - float(value), centre + float(value)
        low = max(low, 0.0) if clip_at_zero else low
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        low, high = float(value[0]), float(value[1])
    else:
        raise TypeError(f"ColorJitter: {name} must be a number or (min, max), got {value!r}")
    if not bound[0] <= low <= high <= bound[1]:
        raise ValueError(f"ColorJitter: {name} range must lie in {bound} with min <= max, "
                         f"got {(low, high)}")
    return None if low == high == centre else (low, high)


class ColorJitter(Transform):
    """Random brightness, contrast, saturation (factors drawn from [max(0, 1 - x), 1 + x]
    or a (min, max) pair) and hue (a shift from [-x, x], x <= 0.5), applied in a random
    order."""

    _shown = ("brightness", "contrast", "saturation", "hue")

    def __init__(self, brightness: Any = 0, contrast: Any = 0, saturation: Any = 0,
                 hue: Any = 0) -> None:
        super().__init__()
        self.brightness = _jitter(brightness, "brightness", 1.0, (0.0, math.inf))
        self.contrast = _jitter(contrast, "contrast", 1.0, (0.0, math.inf))
        self.saturation = _jitter(saturation, "saturation", 1.0, (0.0, math.inf))
        self.hue = _jitter(hue, "hue", 0.0, (-0.5, 0.5), clip_at_zero=False)

    @staticmethod
    def get_params(brightness: Any, contrast: Any, saturation: Any,
                   hue: Any) -> tuple[Tensor, Any, Any, Any, Any]:
        """(the order of the four adjustments, and a factor for each; None = skipped)."""
        order = tg.randperm(4)
        factors = [None if r is None else uniform(r[0], r[1])
                   for r in (brightness, contrast, saturation, hue)]
        return (order, *factors)

    def forward(self, img: Tensor) -> Tensor:
        order, *factors = self.get_params(self.brightness, self.contrast, self.saturation,
                                          self.hue)
        adjust = (TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation,
                  TF.adjust_hue)
        for k in order.tolist():
            if factors[k] is not None:
                img = adjust[k](img, factors[k])
        return img


class RandomGrayscale(Transform):
    """Grayscale with probability ``p``, keeping the number of channels."""

    _shown = ("p",)

    def __init__(self, p: float = 0.1) -> None:
        super().__init__()
        self.p = check_probability(p, "RandomGrayscale")

    def forward(self, img: Tensor) -> Tensor:
        c = channels(check_image(img, "RandomGrayscale"))
        return TF.rgb_to_grayscale(img, num_output_channels=c) if coin(self.p) else img


class GaussianBlur(Transform):
    """A Gaussian blur ``kernel_size`` wide, its sigma drawn from ``sigma`` ((min, max), or
    one fixed value)."""

    _shown = ("kernel_size", "sigma")

    def __init__(self, kernel_size: Any, sigma: Any = (0.1, 2.0)) -> None:
        super().__init__()
        kx, ky = crop_size(kernel_size, "GaussianBlur")
        if kx % 2 == 0 or ky % 2 == 0:
            raise ValueError(f"GaussianBlur: kernel_size must be odd, got {kernel_size!r}")
        if isinstance(sigma, (int, float)):
            if sigma <= 0:
                raise ValueError(f"GaussianBlur: sigma must be positive, got {sigma}")
            sigma = (float(sigma), float(sigma))
        sigma = _range(sigma, "GaussianBlur", "sigma", low=1e-12)
        self.kernel_size, self.sigma = (kx, ky), sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        return uniform(sigma_min, sigma_max)

    def forward(self, img: Tensor) -> Tensor:
        sigma = self.get_params(*self.sigma)
        return TF.gaussian_blur(img, list(self.kernel_size), [sigma, sigma])


class RandomErasing(Transform):
    """With probability ``p``, set a random box (area share from ``scale``, aspect ratio
    from ``ratio``) to ``value``: a number, one per channel, or 'random' (normal noise).
    Works on float image Tensors, after ToTensor/Normalize."""

    _shown = ("p", "scale", "ratio", "value", "inplace")

    def __init__(self, p: float = 0.5, scale: Sequence[float] = (0.02, 0.33),
                 ratio: Sequence[float] = (0.3, 3.3), value: Any = 0,
                 inplace: bool = False) -> None:
        super().__init__()
        self.p = check_probability(p, "RandomErasing")
        self.scale = _range(scale, "RandomErasing", "scale")
        if self.scale[1] > 1:
            raise ValueError(f"RandomErasing: scale must lie in [0, 1], got {scale!r}")
        self.ratio = _range(ratio, "RandomErasing", "ratio", low=1e-12)
        if not (isinstance(value, (int, float, list, tuple)) or value == "random"):
            raise ValueError(f"RandomErasing: value must be a number, a sequence or "
                             f"'random', got {value!r}")
        self.value, self.inplace = value, inplace

    @staticmethod
    def get_params(img: Tensor, scale: Sequence[float], ratio: Sequence[float],
                   value: Sequence[float] | None = None) -> tuple[int, int, int, int, Any]:
        """(top, left, h, w, fill) of the box: up to 10 tries, else the whole image
        (then ``fill`` is the image itself, so nothing changes)."""
        c, h, w = TF.get_dimensions(img)
        for eh, ew in _box_tries(h, w, scale, ratio):  # torchvision's order: (h, w) here
            if not (eh < h and ew < w):
                continue
            if value is None:
                fill = tg.randn(c, eh, ew, dtype=img.dtype)
            else:
                fill = Tensor([float(v) for v in value], dtype=img.dtype).reshape(-1, 1, 1)
            return (*_window(h, w, eh, ew), eh, ew, fill)
        return 0, 0, h, w, img

    def forward(self, img: Tensor) -> Tensor:
        img = check_image(img, "RandomErasing")
        if not coin(self.p):
            return img
        if isinstance(self.value, (int, float)):
            value = [float(self.value)]
        else:
            value = None if isinstance(self.value, str) else list(self.value)
        if value is not None and len(value) not in (1, channels(img)):
            raise ValueError(f"RandomErasing: value needs one number or one per channel "
                             f"({channels(img)}), got {self.value!r}")
        i, j, h, w, fill = self.get_params(img, self.scale, self.ratio, value)
        return TF.erase(img, i, j, h, w, fill, self.inplace)
