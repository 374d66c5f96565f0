"""torchvision's image transforms for image Tensors (..., C, H, W), as
``torchvision.transforms``: ``from nn.vision import transforms`` (what a torchvision
program's ``from torchvision import transforms`` becomes).

* the classes: callable ``nn.Module`` s to chain with ``Compose`` (``transforms.py``:
  conversions, Normalize, Resize, crops, padding; ``augment.py``: the random ones);
* ``functional`` (``TF``): the same transforms as functions with explicit parameters;
* ``v2``: the classes of ``torchvision.transforms.v2`` (several inputs, ToImage, ToDtype).

Differences from torchvision: no Pillow (ToTensor reads PIL images through ``np.asarray``;
ToPILImage says so); every transform is an ``nn.Module`` (in torchvision v1 Compose,
Lambda, ToTensor, RandomChoice and RandomOrder are plain classes); RandomChoice and
RandomOrder draw with the engine's generator, not Python's ``random``.
"""

from nn.vision.transforms import functional
from nn.vision.transforms.augment import (
    ColorJitter,
    GaussianBlur,
    RandomAffine,
    RandomCrop,
    RandomErasing,
    RandomGrayscale,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomRotation,
    RandomVerticalFlip,
)
from nn.vision.transforms.images import InterpolationMode
from nn.vision.transforms.transforms import (
    CenterCrop,
    Compose,
    ConvertImageDtype,
    Grayscale,
    Lambda,
    Normalize,
    Pad,
    PILToTensor,
    RandomApply,
    RandomChoice,
    RandomOrder,
    Resize,
    ToPILImage,
    ToTensor,
)

__all__ = ["functional", "InterpolationMode", "Compose", "Lambda", "RandomApply",
           "RandomChoice", "RandomOrder", "ToTensor", "PILToTensor", "ConvertImageDtype",
           "ToPILImage", "Normalize", "Resize", "CenterCrop", "Pad", "Grayscale",
           "RandomHorizontalFlip", "RandomVerticalFlip", "RandomCrop", "RandomResizedCrop",
           "RandomRotation", "RandomAffine", "ColorJitter", "RandomGrayscale", "GaussianBlur",
           "RandomErasing", "v2"]

from nn.vision.transforms import v2  # noqa: E402  (v2 builds on the classes above)
