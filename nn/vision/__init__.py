"""nn.vision: what torchvision gives a PyTorch user, for images as Tensors or numpy arrays.

* ``transforms`` (and ``transforms.functional``, ``transforms.v2``): preparing and
  augmenting images (``Compose``, ``ToTensor``, ``Normalize``, random flips, crops,
  rotations, ...);
* ``datasets``: image data sets as ``nn.data.Dataset`` s (the course's digits, and
  torchvision's files for MNIST and CIFAR-10 when you have them);
* ``utils``: ``make_grid`` and ``save_image``, to look at a batch.

A torchvision program runs here with ``torchvision`` changed to ``nn.vision`` in its imports.
"""

from nn.vision import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
