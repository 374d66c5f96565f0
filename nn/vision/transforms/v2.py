"""``torchvision.transforms.v2``: the same transforms, for samples of several parts.

A v2 transform takes one input or several (``t(image, label)``), or a nested tuple / list /
dict of them, and gives back the same structure. The rule for what gets transformed
(simpler than torchvision's, which has typed wrappers such as ``tv_tensors.Image``): the
FIRST Tensor with at least 2 axes (or, for ``ToImage``, the first numpy array or picture)
is the image; everything else (labels, numbers, strings, further tensors) passes through
unchanged. For a plain image Tensor this is torchvision's own rule (its first "pure"
tensor is the image). ``Lambda(fn, *types)`` is the exception: it applies ``fn`` to every
part of one of ``types`` (default: every part).

New here: ``ToImage`` (a picture (H, W, C) as a Tensor (C, H, W), dtype kept),
``ToDtype(dtype, scale=False)`` (``scale=True`` also converts the brightness scale: uint8
255 -> float 1.0), ``ToPureTensor`` and ``Identity``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.vision.transforms import augment, transforms
from nn.vision.transforms import functional as functional
from nn.vision.transforms.images import InterpolationMode, coin
from nn.vision.transforms.transforms import Transform
from tinygrad_dk import Tensor

__all__ = ["functional", "InterpolationMode", "Transform", "Compose", "RandomApply",
           "RandomChoice", "RandomOrder", "Lambda", "Identity", "ToImage", "ToDtype",
           "ToPureTensor", "ToTensor", "PILToTensor", "ConvertImageDtype", "Normalize",
           "Resize", "CenterCrop", "Pad", "Grayscale", "RandomHorizontalFlip",
           "RandomVerticalFlip", "RandomCrop", "RandomResizedCrop", "RandomRotation",
           "RandomAffine", "ColorJitter", "RandomGrayscale", "GaussianBlur", "RandomErasing"]


def _leaves(tree: Any) -> list:
    """The parts of a nested tuple / list / dict, depth first."""
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    if isinstance(tree, dict):
        return [leaf for item in tree.values() for leaf in _leaves(item)]
    return [tree]


def _rebuild(tree: Any, leaves: list) -> Any:
    """``tree`` with its parts replaced, in order, by ``leaves`` (consumed from the front)."""
    if isinstance(tree, (tuple, list)):
        return type(tree)(_rebuild(item, leaves) for item in tree)
    if isinstance(tree, dict):
        return {key: _rebuild(item, leaves) for key, item in tree.items()}
    return leaves.pop(0)


def _is_image(x: Any) -> bool:
    return isinstance(x, Tensor) and x.ndim >= 2


class _OnImage:
    """Mixin: ``forward(*inputs)`` finds the image among the inputs, runs the v1
    transform's ``forward`` on it alone, and returns the inputs with it replaced."""

    def _is_image(self, x: Any) -> bool:
        return _is_image(x)

    def _convert(self, img: Any) -> Any:
        return super().forward(img)  # type: ignore[misc]  (the v1 transform's forward)

    def forward(self, *inputs: Any) -> Any:
        tree = inputs if len(inputs) > 1 else inputs[0]
        leaves = _leaves(tree)
        for k, leaf in enumerate(leaves):
            if self._is_image(leaf):
                leaves[k] = self._convert(leaf)
                break
        return _rebuild(tree, leaves)


def _run(t: Callable, inputs: tuple) -> tuple:
    """One transform on several inputs (unpacked, as v2's containers call them)."""
    return tuple(t(*inputs)) if len(inputs) > 1 else (t(inputs[0]),)


def _result(inputs: tuple) -> Any:
    return inputs if len(inputs) > 1 else inputs[0]


class Compose(transforms.Compose):
    """The transforms one after the other; several inputs are passed on together."""

    def forward(self, *inputs: Any) -> Any:
        for t in self.transforms:
            inputs = _run(t, inputs)
        return _result(inputs)


class RandomApply(transforms.RandomApply):
    """All the transforms with probability ``p``, else none."""

    def forward(self, *inputs: Any) -> Any:
        if coin(self.p):
            for t in self.transforms:
                inputs = _run(t, inputs)
        return _result(inputs)


class RandomChoice(transforms.RandomChoice):
    """One of the transforms, picked with weights ``p`` (default equal)."""

    def forward(self, *inputs: Any) -> Any:
        return _result(_run(self._pick(), inputs))


class RandomOrder(transforms.RandomOrder):
    """All the transforms in a random order."""

    def forward(self, *inputs: Any) -> Any:
        for k in tg.randperm(len(self.transforms)).tolist():
            inputs = _run(self.transforms[k], inputs)
        return _result(inputs)


class Lambda(Transform):
    """``fn`` applied to every input part of one of ``types`` (default: every part)."""

    def __init__(self, lambd: Callable, *types: type) -> None:
        super().__init__()
        if not callable(lambd):
            raise TypeError(f"Lambda: expected a function, got {type(lambd).__name__}")
        self.lambd, self.types = lambd, types or (object,)

    def forward(self, *inputs: Any) -> Any:
        tree = inputs if len(inputs) > 1 else inputs[0]
        leaves = [self.lambd(x) if isinstance(x, self.types) else x for x in _leaves(tree)]
        return _rebuild(tree, leaves)


class Identity(Transform):
    """Everything unchanged."""

    def forward(self, *inputs: Any) -> Any:
        return _result(inputs)


class ToImage(_OnImage, Transform):
    """A picture (H, W, C) or (H, W) (numpy array, or anything ``np.asarray`` reads) as an
    image Tensor (C, H, W) with its dtype kept; a Tensor stays as it is."""

    def _is_image(self, x: Any) -> bool:
        return _is_image(x) or isinstance(x, np.ndarray) or hasattr(x, "__array_interface__")

    def _convert(self, pic: Any) -> Tensor:
        return functional.to_image(pic)


class ToDtype(_OnImage, Transform):
    """The image in ``dtype``; ``scale=True`` also converts the brightness scale (uint8
    255 -> float 1.0, as ``ConvertImageDtype``)."""

    _shown = ("dtype", "scale")

    def __init__(self, dtype: Any, scale: bool = False) -> None:
        super().__init__()
        if isinstance(dtype, dict):
            raise NotImplementedError("ToDtype: a dict of dtypes per input type is not "
                                      "supported here; give one dtype (it applies to the "
                                      "image)")
        self.dtype, self.scale = dtype, scale

    def _convert(self, img: Tensor) -> Tensor:
        return functional.to_dtype(img, self.dtype, scale=self.scale)


class ToPureTensor(Identity):
    """Nothing to do here: images are plain Tensors already."""


def _v2(cls: type) -> type:
    """The v2 form of a v1 transform class: the same, on the image among several inputs."""
    return type(cls.__name__, (_OnImage, cls), {"__doc__": cls.__doc__,
                                                "__module__": __name__})


ToTensor = _v2(transforms.ToTensor)
PILToTensor = _v2(transforms.PILToTensor)
ConvertImageDtype = _v2(transforms.ConvertImageDtype)
Normalize = _v2(transforms.Normalize)
Resize = _v2(transforms.Resize)
CenterCrop = _v2(transforms.CenterCrop)
Pad = _v2(transforms.Pad)
Grayscale = _v2(transforms.Grayscale)
RandomHorizontalFlip = _v2(augment.RandomHorizontalFlip)
RandomVerticalFlip = _v2(augment.RandomVerticalFlip)
RandomCrop = _v2(augment.RandomCrop)
RandomResizedCrop = _v2(augment.RandomResizedCrop)
RandomRotation = _v2(augment.RandomRotation)
RandomAffine = _v2(augment.RandomAffine)
ColorJitter = _v2(augment.ColorJitter)
RandomGrayscale = _v2(augment.RandomGrayscale)
GaussianBlur = _v2(augment.GaussianBlur)
RandomErasing = _v2(augment.RandomErasing)
