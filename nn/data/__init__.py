"""nn.data: everything between a raw data set and a training loop, in plain numpy.

- split: `train_test_split` holds data out for testing.
- dataset: `Dataset`, `TensorDataset`, `Subset`, `random_split` (as `torch.utils.data`).
- loader: `DataLoader` cuts a data set into (shuffled) mini-batches of Tensors.
- folds: `KFold`, `StratifiedKFold` for cross-validation.
- scaling: `StandardScaler`, `MinMaxScaler` (fit on training data only).
- encoding: `one_hot`.
- sampling: `class_weights`, `oversample`, `undersample` for imbalanced classes.
- samplers: `RandomSampler`, `WeightedRandomSampler`, `BatchSampler`, ... for `DataLoader`.
- datasets: `load_iris`, `load_breast_cancer`, `load_digits`, `load_diabetes`,
  `load_engel`, `load_sunspots`, `load_co2`.

Every function takes lists, numpy arrays or `tinygrad_dk.Tensor`s. Names follow
scikit-learn (and PyTorch for `DataLoader`), so they carry over to those libraries.
"""

from nn.data.dataset import Dataset, Subset, TensorDataset, random_split
from nn.data.datasets import (
    load_breast_cancer,
    load_co2,
    load_diabetes,
    load_digits,
    load_engel,
    load_iris,
    load_sunspots,
)
from nn.data.encoding import one_hot
from nn.data.folds import KFold, StratifiedKFold
from nn.data.loader import DataLoader, default_collate
from nn.data.sampling import class_weights, oversample, undersample
from nn.data.scaling import MinMaxScaler, StandardScaler
from nn.data.split import train_test_split

__all__ = [
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
    "KFold",
    "MinMaxScaler",
    "StandardScaler",
    "StratifiedKFold",
    "class_weights",
    "load_breast_cancer",
    "load_co2",
    "load_diabetes",
    "load_digits",
    "load_engel",
    "load_iris",
    "load_sunspots",
    "one_hot",
    "oversample",
    "train_test_split",
    "undersample",
]

# --- PyTorch names: nntrain (samplers, more data sets) ---
from nn.data.dataset import ConcatDataset, IterableDataset  # noqa: E402
from nn.data.samplers import (  # noqa: E402
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ += ["ConcatDataset", "IterableDataset", "Sampler", "SequentialSampler", "RandomSampler",
            "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler"]
