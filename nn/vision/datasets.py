"""Image data sets with torchvision's names: ``from nn.vision import datasets``.

- ``MNIST``, ``FashionMNIST``, ``KMNIST`` (28x28 grey) and ``CIFAR10``, ``CIFAR100``
  (32x32 colour) read torchvision's own files (``download=True`` fetches them);
- ``Digits``: the course's 8x8 digits in MNIST's form, offline (not a torchvision name);
- ``FakeData``: random images, for trying a pipeline;
- ``ImageFolder`` / ``DatasetFolder``: your own files, one folder per class;
- ``VisionDataset``: the base class, for your own image data set.

Where torchvision hands out a PIL image, these hand out the numpy array that
``np.asarray(image)`` gives for it (uint8, (H, W) grey or (H, W, 3) colour), so
``transforms.ToTensor()`` and your own code see the same numbers; Pillow is not needed.
Each is an ``nn.data.Dataset``: ``ds[i]`` is ``(image, label)``, and ``nn.data.DataLoader``
batches it.
"""

from nn.vision.cifar import CIFAR10, CIFAR100
from nn.vision.digits import Digits
from nn.vision.fakedata import FakeData
from nn.vision.folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder, default_loader
from nn.vision.mnist import KMNIST, MNIST, FashionMNIST
from nn.vision.vision_dataset import StandardTransform, VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "IMG_EXTENSIONS", "KMNIST", "MNIST", "DatasetFolder",
           "Digits", "FakeData", "FashionMNIST", "ImageFolder", "StandardTransform",
           "VisionDataset", "default_loader"]
