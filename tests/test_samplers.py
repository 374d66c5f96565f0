"""Samplers, ConcatDataset, IterableDataset and DataLoader(sampler=, batch_sampler=),
as torch.utils.data: orders, statistics with fixed seeds, lengths, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_dk as tg
from nn.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)


def test_sequential_sampler_is_range():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    assert len(SequentialSampler(np.zeros(7))) == 7
    assert isinstance(SequentialSampler([1]), Sampler)


def test_random_sampler_is_a_fresh_permutation_each_epoch():
    tg.manual_seed(0)
    sampler = RandomSampler(range(10))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(10)) and first != second
    tg.manual_seed(0)
    assert list(sampler) == first  # reproducible with manual_seed
    g = tg.Generator().manual_seed(3)
    assert list(RandomSampler(range(10), generator=g)) == list(
        RandomSampler(range(10), generator=tg.Generator().manual_seed(3)))


def test_random_sampler_num_samples_and_replacement():
    tg.manual_seed(1)
    long = list(RandomSampler(range(4), num_samples=10))
    assert len(long) == 10 and sorted(long[:4]) == sorted(long[4:8]) == [0, 1, 2, 3]
    draws = np.array(list(RandomSampler(range(5), replacement=True, num_samples=20000)))
    assert draws.min() == 0 and draws.max() == 4
    np.testing.assert_allclose(np.bincount(draws) / 20000, 0.2, atol=0.015)
    assert len(RandomSampler(range(5), replacement=True, num_samples=3)) == 3


def test_subset_random_sampler_shuffles_the_given_indices():
    tg.manual_seed(2)
    out = list(SubsetRandomSampler([10, 20, 30, 40]))
    assert sorted(out) == [10, 20, 30, 40]
    assert len(SubsetRandomSampler(range(3))) == 3


def test_weighted_random_sampler_frequencies_follow_the_weights():
    tg.manual_seed(4)
    weights = np.array([1.0, 2.0, 3.0, 0.0, 4.0])
    draws = np.array(list(WeightedRandomSampler(weights, num_samples=50000)))
    freq = np.bincount(draws, minlength=5) / len(draws)
    np.testing.assert_allclose(freq, weights / weights.sum(), atol=0.01)
    assert freq[3] == 0  # weight 0: never drawn


def test_weighted_random_sampler_balances_imbalanced_classes():
    """The course's resampling remedy: weights 1 / class count give balanced batches."""
    tg.manual_seed(5)
    labels = np.array([0] * 90 + [1] * 10)
    weights = 1.0 / np.bincount(labels)[labels]
    loader = DataLoader(TensorDataset(np.arange(100.0)[:, None], labels), batch_size=20,
                        sampler=WeightedRandomSampler(weights, num_samples=2000))
    seen = np.concatenate([yb.numpy() for _, yb in loader])
    assert len(seen) == 2000 and abs(seen.mean() - 0.5) < 0.04


def test_weighted_random_sampler_without_replacement():
    tg.manual_seed(6)
    sampler = WeightedRandomSampler([1.0, 1.0, 100.0, 0.0], num_samples=3, replacement=False)
    firsts = []
    for _ in range(300):
        out = list(sampler)
        assert sorted(out) == [0, 1, 2]  # each at most once; weight 0 never
        firsts.append(out[0])
    assert np.mean(np.array(firsts) == 2) > 0.9  # the heavy one mostly first


def test_batch_sampler_groups_indices():
    assert list(BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)) == [
        [0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3
    assert len(BatchSampler(range(7), 3, True)) == 2


def test_data_loader_with_sampler_and_batch_sampler():
    x = np.arange(10.0)[:, None]
    loader = DataLoader(TensorDataset(x), batch_size=4, sampler=SubsetRandomSampler([1, 3, 5]))
    assert len(loader) == 1
    (batch,) = next(iter(loader))
    assert sorted(batch.numpy().ravel()) == [1.0, 3.0, 5.0]
    loader = DataLoader(TensorDataset(x), batch_sampler=[[0, 9], [2, 3, 4]])
    assert [b[0].numpy().ravel().tolist() for b in loader] == [[0.0, 9.0], [2.0, 3.0, 4.0]]
    assert len(loader) == 2
    sampler = BatchSampler(RandomSampler(range(10)), batch_size=4, drop_last=True)
    assert [len(b[0]) for b in DataLoader(TensorDataset(x), batch_sampler=sampler)] == [4, 4]


class Squares(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter([np.array([float(i * i)]) for i in range(self.n)])


def test_iterable_dataset_is_batched_in_order():
    batches = [b.numpy().ravel().tolist() for b in DataLoader(Squares(5), batch_size=2)]
    assert batches == [[0.0, 1.0], [4.0, 9.0], [16.0]]
    assert len(list(DataLoader(Squares(5), batch_size=2, drop_last=True))) == 2
    with pytest.raises(TypeError, match="no __len__"):
        len(DataLoader(Squares(5), batch_size=2))
    assert "Squares" in repr(DataLoader(Squares(5)))
    with pytest.raises(TypeError, match="no ds\\[i\\]"):
        Squares(3)[0]


def test_concat_dataset_indexes_through_the_parts():
    a = TensorDataset(np.arange(3.0))
    b = TensorDataset(np.arange(10.0, 15.0))
    both = ConcatDataset([a, b])
    assert len(both) == 8 and both.cumulative_sizes == [3, 8]
    assert [float(both[i][0].item()) for i in range(8)] == [0, 1, 2, 10, 11, 12, 13, 14]
    assert float(both[-1][0].item()) == 14.0
    with pytest.raises(IndexError, match="out of range"):
        both[8]
    assert len(list(DataLoader(both, batch_size=3, shuffle=True))) == 3


@pytest.mark.parametrize("make, error, message", [
    (lambda: DataLoader(np.zeros((4, 1)), sampler=range(4), shuffle=True), ValueError,
     "exclude each other"),
    (lambda: DataLoader(np.zeros((4, 1)), batch_sampler=[[0]], batch_size=2), ValueError,
     "batch_sampler"),
    (lambda: DataLoader(np.zeros((4, 1)), batch_sampler=[[0]], drop_last=True), ValueError,
     "drop_last"),
    (lambda: DataLoader(Squares(3), shuffle=True), ValueError, "IterableDataset"),
    (lambda: DataLoader(Squares(3), batch_size=0), ValueError, "batch_size"),
    (lambda: WeightedRandomSampler([1.0, -1.0], 2), ValueError, ">= 0"),
    (lambda: WeightedRandomSampler([[1.0, 2.0]], 2), ValueError, "1-d"),
    (lambda: WeightedRandomSampler([1.0, 0.0], 2, replacement=False), ValueError, "at most 1"),
    (lambda: WeightedRandomSampler([1.0], 0), ValueError, "num_samples"),
    (lambda: RandomSampler(range(3), num_samples=0), ValueError, "num_samples"),
    (lambda: RandomSampler(range(3), replacement=1), TypeError, "True or False"),
    (lambda: BatchSampler(range(3), 0, False), ValueError, "batch_size"),
    (lambda: ConcatDataset([]), ValueError, "at least one"),
    (lambda: ConcatDataset([Squares(2)]), TypeError, "IterableDataset"),
])
def test_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_same_behaviour_as_torch_where_it_is_deterministic():
    torch = pytest.importorskip("torch")
    tud = torch.utils.data
    assert list(BatchSampler(range(10), 4, False)) == list(tud.BatchSampler(range(10), 4, False))
    ours = ConcatDataset([TensorDataset(np.arange(3.0)), TensorDataset(np.arange(4.0))])
    theirs = tud.ConcatDataset([tud.TensorDataset(torch.arange(3.0)),
                                tud.TensorDataset(torch.arange(4.0))])
    assert [ours[i][0].item() for i in range(7)] == [theirs[i][0].item() for i in range(7)]
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    with pytest.raises(ValueError):
        tud.DataLoader(tud.TensorDataset(torch.zeros(4)), sampler=range(4), shuffle=True)
