"""torchvision's transform classes that are not random, and the containers: each is a
callable ``nn.Module`` (so it goes in ``nn.Sequential`` and prints with its arguments)
whose ``forward`` calls the matching function of ``functional``.

The random ones (flips, crops, rotations, colour jitter, ...) are in ``augment``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import nn
import tinygrad_dk as tg
from nn.vision.transforms import functional as TF
from nn.vision.transforms.functional_geometry import output_size, padding_args
from nn.vision.transforms.images import (
    InterpolationMode,
    check_probability,
    coin,
    pair,
)
from tinygrad_dk import Tensor

__all__ = ["Transform", "Compose", "Lambda", "RandomApply", "RandomChoice", "RandomOrder",
           "ToTensor", "PILToTensor", "ConvertImageDtype", "ToPILImage", "Normalize",
           "Resize", "CenterCrop", "Pad", "Grayscale"]


class Transform(nn.Module):
    """The base of every transform: a Module whose ``forward`` takes an image, with a
    ``repr`` that shows the arguments named in ``_shown``."""

    _shown: tuple[str, ...] = ()

    def extra_repr(self) -> str:
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)


def _transforms(transforms: Any, name: str) -> list:
    if not isinstance(transforms, (list, tuple)) or not all(callable(t) for t in transforms):
        raise TypeError(f"{name}: expected a list of transforms (callables), got "
                        f"{transforms!r}")
    return list(transforms)


class _Several(Transform):
    """A transform that holds other transforms (shown one per line, as torchvision)."""

    def __init__(self, transforms: Sequence[Callable], name: str) -> None:
        super().__init__()
        self.transforms = _transforms(transforms, name)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}("]
        if self.extra_repr():
            lines.append(f"    {self.extra_repr()}")
        lines += ["    " + repr(t).replace("\n", "\n    ") for t in self.transforms]
        return "\n".join(lines) + "\n)"


class Compose(_Several):
    """The transforms one after the other: ``Compose([T.ToTensor(), T.Normalize(...)])``."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        super().__init__(transforms, "Compose")

    def forward(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img


class RandomApply(_Several):
    """All the transforms (in order) with probability ``p``, else none of them."""

    _shown = ("p",)

    def __init__(self, transforms: Sequence[Callable], p: float = 0.5) -> None:
        super().__init__(transforms, "RandomApply")
        self.p = check_probability(p, "RandomApply")

    def forward(self, img: Any) -> Any:
        if not coin(self.p):
            return img
        for t in self.transforms:
            img = t(img)
        return img


class RandomChoice(_Several):
    """One of the transforms, picked at random (weights ``p``, default equal)."""

    _shown = ("p",)

    def __init__(self, transforms: Sequence[Callable], p: Sequence[float] | None = None) -> None:
        super().__init__(transforms, "RandomChoice")
        if p is not None and (len(p) != len(self.transforms) or min(p) < 0 or sum(p) <= 0):
            raise ValueError(f"RandomChoice: p needs one non-negative weight per transform "
                             f"({len(self.transforms)}), got {p!r}")
        self.p = None if p is None else list(p)

    def _pick(self) -> Callable:
        """One of the transforms, drawn with the engine's generator (torchvision v1 uses
        Python's random here)."""
        weights = np.ones(len(self.transforms)) if self.p is None else np.array(self.p, float)
        return self.transforms[int(tg.multinomial(Tensor(weights / weights.sum()), 1).item())]

    def forward(self, img: Any) -> Any:
        return self._pick()(img)


class RandomOrder(_Several):
    """All the transforms, in a random order."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        super().__init__(transforms, "RandomOrder")

    def forward(self, img: Any) -> Any:
        for k in tg.randperm(len(self.transforms)).tolist():
            img = self.transforms[k](img)
        return img


class Lambda(Transform):
    """Your own function as a transform: ``T.Lambda(lambda x: x * 2)``."""

    def __init__(self, lambd: Callable) -> None:
        super().__init__()
        if not callable(lambd):
            raise TypeError(f"Lambda: expected a function, got {type(lambd).__name__}")
        self.lambd = lambd

    def forward(self, img: Any) -> Any:
        return self.lambd(img)


class ToTensor(Transform):
    """A picture (H, W, C) or (H, W): a numpy array, or anything ``np.asarray`` reads
    (a PIL image), as a (C, H, W) Tensor; uint8 becomes float32 in [0, 1]."""

    def forward(self, pic: Any) -> Tensor:
        return TF.to_tensor(pic)


class PILToTensor(Transform):
    """A picture (H, W, C) as a (C, H, W) Tensor, dtype and values kept."""

    def forward(self, pic: Any) -> Tensor:
        return TF.pil_to_tensor(pic)


class ToPILImage(Transform):
    """Not available (no Pillow dependency): constructing it says what to do instead."""

    def __init__(self, mode: Any = None) -> None:
        super().__init__()
        TF.to_pil_image(None, mode)


class ConvertImageDtype(Transform):
    """The image in ``dtype`` with its brightness scale converted (uint8 255 = float 1.0)."""

    _shown = ("dtype",)

    def __init__(self, dtype: Any) -> None:
        super().__init__()
        self.dtype = dtype

    def forward(self, image: Tensor) -> Tensor:
        return TF.convert_image_dtype(image, self.dtype)


class Normalize(Transform):
    """``(image - mean) / std`` per channel: ``T.Normalize((0.5,) * 3, (0.5,) * 3)``."""

    _shown = ("mean", "std")

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        super().__init__()
        if any(float(s) == 0 for s in np.ravel(std)):
            raise ValueError(f"Normalize: std contains 0 ({std}), which would divide by zero")
        self.mean, self.std, self.inplace = mean, std, inplace

    def forward(self, tensor: Tensor) -> Tensor:
        return TF.normalize(tensor, self.mean, self.std, self.inplace)


class Resize(Transform):
    """Resize to ``size``: (h, w), or an int for the smaller edge (aspect ratio kept). See
    ``functional.resize`` for ``interpolation`` and ``antialias``."""

    _shown = ("size", "interpolation", "max_size", "antialias")

    def __init__(self, size: Any, interpolation: Any = InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool | None = True) -> None:
        super().__init__()
        output_size(8, 8, size, max_size, "Resize")  # check it now
        self.size, self.interpolation = size, InterpolationMode(interpolation)
        self.max_size, self.antialias = max_size, antialias

    def forward(self, img: Tensor) -> Tensor:
        return TF.resize(img, self.size, self.interpolation, self.max_size, self.antialias)


class CenterCrop(Transform):
    """The central (h, w) window (an int: a square), zero-padded if the image is smaller."""

    _shown = ("size",)

    def __init__(self, size: Any) -> None:
        super().__init__()
        self.size = crop_size(size, "CenterCrop")

    def forward(self, img: Tensor) -> Tensor:
        return TF.center_crop(img, self.size)


def crop_size(size: Any, name: str) -> tuple[int, int]:
    """A crop size as (h, w): one int for a square, or (h, w); checked positive."""
    h, w = pair(size, name, "size")
    if any(not isinstance(s, int) or isinstance(s, bool) or s <= 0 for s in (h, w)):
        raise ValueError(f"{name}: size must be a positive int or (h, w) of positive ints, "
                         f"got {size!r}")
    return h, w


class Pad(Transform):
    """Pad the borders (see ``functional.pad`` for ``padding`` and ``padding_mode``)."""

    _shown = ("padding", "fill", "padding_mode")

    def __init__(self, padding: Any, fill: float = 0, padding_mode: str = "constant") -> None:
        super().__init__()
        padding_args(padding, padding_mode, "Pad")  # check them now
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def forward(self, img: Tensor) -> Tensor:
        return TF.pad(img, self.padding, self.fill, self.padding_mode)


class Grayscale(Transform):
    """The luma of an RGB image, as 1 channel or copied to 3 (``num_output_channels``)."""

    _shown = ("num_output_channels",)

    def __init__(self, num_output_channels: int = 1) -> None:
        super().__init__()
        if num_output_channels not in (1, 3):
            raise ValueError(f"Grayscale: num_output_channels must be 1 or 3, got "
                             f"{num_output_channels!r}")
        self.num_output_channels = num_output_channels

    def forward(self, img: Tensor) -> Tensor:
        return TF.rgb_to_grayscale(img, self.num_output_channels)
