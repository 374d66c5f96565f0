"""nn: neural-network building blocks on tinygrad_dk, named as in PyTorch.

* ``Module``: the base class that registers parameters and sub-modules;
* scalar models on ``Value`` (``Neuron``, ``Layer``, ``MLP``), to see every number;
* tensor layers (``Linear``, ``Sequential``, activations, ``Dropout``) for real training;
* ``init`` (weight initialisation), ``save``/``load`` (state dicts as ``.npz``);
* ``data`` and ``metrics``; losses, ``functional`` and ``optim`` from their own modules.
"""

from nn import data, metrics
from nn.module import LoadResult, Module, StateDictError

__all__ = ["Module", "StateDictError", "LoadResult", "data", "metrics"]
