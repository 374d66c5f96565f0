"""nn: neural-network building blocks on tinygrad_dk, named as in PyTorch.

* ``Module``: the base class that registers parameters and sub-modules;
* scalar models on ``Value`` (``Neuron``, ``Layer``, ``MLP``), to see every number;
* tensor layers (``Linear``, ``Sequential``, activations, ``Dropout``) for real training;
* ``init`` (weight initialisation), ``save``/``load`` (state dicts as ``.npz``);
* ``data`` and ``metrics``; losses, ``functional``, ``optim`` and the training loop.
"""

import os

from nn import data, init, metrics
from nn.layers import (
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from nn.module import LoadResult, Module, StateDictError
from nn.scalar import MLP, Layer, Neuron
from nn.serialize import load, save

__all__ = [
    "Module", "StateDictError", "LoadResult", "Neuron", "Layer", "MLP", "Linear", "Sequential",
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Dropout", "Identity", "Flatten",
    "init", "save", "load", "data", "metrics",
]


def _exists(name: str) -> bool:
    """Is ``nn/<name>.py`` or the package ``nn/<name>/__init__.py`` there yet?"""
    here = os.path.dirname(__file__)
    return os.path.isfile(os.path.join(here, f"{name}.py")) or os.path.isfile(
        os.path.join(here, name, "__init__.py"))


# Written by other developers; skipped only while their files do not exist yet, so an
# ImportError *inside* an existing file is never hidden.
if _exists("functional"):
    import nn.functional as functional

    __all__ += ["functional"]
if _exists("losses"):
    from nn.losses import (
        BCELoss,
        BCEWithLogitsLoss,
        CrossEntropyLoss,
        HingeLoss,
        HuberLoss,
        L1Loss,
        MSELoss,
    )

    __all__ += ["MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
                "CrossEntropyLoss", "HingeLoss"]
if _exists("optim"):
    import nn.optim as optim

    __all__ += ["optim"]
if _exists("training"):
    from nn.training import EarlyStopping, History, cross_validate, fit

    __all__ += ["fit", "EarlyStopping", "History", "cross_validate"]
