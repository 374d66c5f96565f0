"""``FakeData``: random images with random labels, for trying a pipeline without files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import tinygrad_dk as tg
from nn.vision.vision_dataset import VisionDataset


class FakeData(VisionDataset):
    """``size`` random images of shape ``image_size`` (channels, height, width) with labels
    in ``0 .. num_classes - 1`` (torchvision's ``datasets.FakeData``).

    Example ``i`` is drawn from a generator seeded with ``i + random_offset``, so it is the
    same every time it is read, in any order, and reading it leaves the shared random
    stream (``manual_seed``) alone. As in torchvision, the image is standard normal noise
    turned into bytes the way ``ToPILImage`` does it (times 255, cut to a whole number,
    modulo 256), given as the numpy array ``np.asarray`` gives for that PIL image: uint8
    (H, W) for one channel, (H, W, C) otherwise. The label is an int64 Tensor of shape ().
    The numbers differ from torchvision's (another random generator); the shapes, types
    and ranges are the same.
    """

    def __init__(self, size: int = 1000, image_size: Sequence[int] = (3, 224, 224),
                 num_classes: int = 10, transform: Callable | None = None,
                 target_transform: Callable | None = None, random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        if len(image_size) != 3 or any(int(n) < 1 for n in image_size):
            raise ValueError(f"FakeData: image_size={tuple(image_size)} must be (channels, "
                             "height, width) of positive lengths, e.g. (3, 32, 32)")
        if int(num_classes) < 1:
            raise ValueError(f"FakeData: num_classes={num_classes} must be at least 1")
        self.size = int(size)
        self.image_size = tuple(int(n) for n in image_size)
        self.num_classes = int(num_classes)
        self.random_offset = int(random_offset)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if not -self.size <= index < self.size:
            raise IndexError(f"FakeData: index {index} is out of range for {self.size} images")
        index = index % self.size
        generator = tg.Generator().manual_seed(index + self.random_offset)
        noise = tg.randn(*self.image_size, generator=generator).numpy()
        target = tg.randint(0, self.num_classes, (1,), generator=generator)[0]
        # ToPILImage's bytes: truncate towards zero, then wrap around modulo 256
        image = ((noise * 255).astype(np.int64) % 256).astype(np.uint8).transpose(1, 2, 0).copy()
        return self._prepare(image[:, :, 0] if image.shape[2] == 1 else image, target)

    def __len__(self) -> int:
        return self.size
