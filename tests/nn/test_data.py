"""nn.data: TensorDataset, Subset, random_split, DataLoader and default_collate."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
import nn
from nn.data import DataLoader, Subset, TensorDataset, default_collate, random_split


def _indexed(n, features=3):
    """A dataset whose row i holds i, so a batch tells which samples it contains."""
    x = np.repeat(np.arange(n, dtype=np.float32)[:, None], features, axis=1)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(ag.tensor(x), ag.tensor(y))


def _order(loader):
    return np.concatenate([np.asarray(y) for _, y in loader])


# --- TensorDataset ---------------------------------------------------------------------


def test_tensor_dataset_items_and_len():
    x = ag.randn(5, 3)
    y = ag.arange(5)
    ds = TensorDataset(x, y)
    assert len(ds) == 5
    xi, yi = ds[2]
    np.testing.assert_array_equal(np.asarray(xi), np.asarray(x)[2])
    assert yi.item() == 2


def test_tensor_dataset_accepts_numpy_without_copy():
    x = np.zeros((4, 2), dtype=np.float32)
    ds = TensorDataset(x)
    x[1, 0] = 7.0
    assert ds[1][0].tolist() == [7.0, 0.0]


def test_tensor_dataset_refuses_mismatched_first_dims():
    with pytest.raises(ValueError, match=r"\(5, 3\).*\(4,\)"):
        TensorDataset(ag.zeros(5, 3), ag.zeros(4))


@pytest.mark.parametrize(
    ("args", "error", "pattern"),
    [((), ValueError, "at least one"), ((ag.tensor(1.0),), ValueError, "0-d"), (([1, 2],), TypeError, "list")],
)
def test_tensor_dataset_bad_arguments(args, error, pattern):
    with pytest.raises(error, match=pattern):
        TensorDataset(*args)


# --- DataLoader: batching ----------------------------------------------------------------


def test_batches_in_order_with_a_short_last_batch():
    ds = _indexed(10)
    loader = DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert [tuple(x.shape) for x, _ in batches] == [(4, 3), (4, 3), (2, 3)]
    assert all(isinstance(b, tuple) and len(b) == 2 for b in batches)
    np.testing.assert_array_equal(_order(loader), np.arange(10))
    x, y = batches[1]
    assert x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(np.asarray(x)[:, 0], [4, 5, 6, 7])


def test_drop_last_skips_the_short_batch():
    loader = DataLoader(_indexed(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    np.testing.assert_array_equal(_order(loader), np.arange(8))


def test_default_batch_size_is_one():
    loader = DataLoader(_indexed(3))
    assert len(loader) == 3
    assert [tuple(y.shape) for _, y in loader] == [(1,), (1,), (1,)]


@given(
    n=st.integers(1, 40), batch_size=st.integers(1, 12), drop_last=st.booleans(), shuffle=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_batches_partition_the_dataset(n, batch_size, drop_last, shuffle, seed):
    loader = DataLoader(_indexed(n), batch_size=batch_size, drop_last=drop_last, shuffle=shuffle, seed=seed)
    sizes = [len(y) for _, y in loader]
    full, rest = divmod(n, batch_size)
    expected = [batch_size] * full + ([rest] if rest and not drop_last else [])
    assert sizes == expected and len(loader) == len(expected)
    order = _order(loader) if sizes else np.array([], dtype=np.int64)
    assert len(set(order.tolist())) == len(order)  # no sample twice
    if not drop_last:
        assert sorted(order.tolist()) == list(range(n))


# --- DataLoader: shuffling ---------------------------------------------------------------


def test_shuffle_with_a_seed_is_reproducible_and_new_each_epoch():
    a = DataLoader(_indexed(50), batch_size=8, shuffle=True, seed=123)
    b = DataLoader(_indexed(50), batch_size=8, shuffle=True, seed=123)
    a1, a2 = _order(a), _order(a)
    b1, b2 = _order(b), _order(b)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2)  # a new order every epoch
    assert not np.array_equal(a1, np.arange(50))
    assert sorted(a1.tolist()) == list(range(50))
    other = DataLoader(_indexed(50), batch_size=8, shuffle=True, seed=124)
    assert not np.array_equal(_order(other), a1)


def test_shuffle_orders_come_from_the_given_generator():
    loader = DataLoader(_indexed(30), batch_size=7, shuffle=True, generator=np.random.default_rng(9))
    reference = np.random.default_rng(9)
    np.testing.assert_array_equal(_order(loader), reference.permutation(30))
    np.testing.assert_array_equal(_order(loader), reference.permutation(30))


def test_shuffle_without_seed_follows_manual_seed():
    loader = DataLoader(_indexed(40), batch_size=5, shuffle=True)
    ag.manual_seed(7)
    first = [_order(loader), _order(loader)]
    ag.manual_seed(7)
    second = [_order(loader), _order(loader)]
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], first[1])


def test_no_shuffle_ignores_the_seed():
    np.testing.assert_array_equal(_order(DataLoader(_indexed(9), batch_size=2, seed=5)), np.arange(9))


# --- DataLoader: datasets and collation ------------------------------------------------------


def test_tensor_dataset_batches_index_each_tensor_once_per_batch():
    class NoPerSample(TensorDataset):
        def __getitem__(self, index):
            raise AssertionError("the loader must not fetch TensorDataset samples one by one")

    ds = NoPerSample(ag.arange(10), ag.arange(10) * 2)
    loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
    for x, y in loader:
        np.testing.assert_array_equal(np.asarray(y), 2 * np.asarray(x))


def test_any_dataset_with_len_and_getitem():
    class Squares:
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return ag.tensor([float(i), float(i * i)]), i, {"odd": i % 2 == 1, "half": i / 2}

    batches = list(DataLoader(Squares(), batch_size=3))
    x, label, extra = batches[0]
    np.testing.assert_array_equal(np.asarray(x), [[0, 0], [1, 1], [2, 4]])
    assert label.dtype == np.int64 and label.tolist() == [0, 1, 2]
    assert extra["odd"].dtype == np.bool_ and extra["odd"].tolist() == [False, True, False]
    assert extra["half"].dtype == np.float64 and extra["half"].tolist() == [0.0, 0.5, 1.0]  # as torch
    assert [len(b[1]) for b in batches] == [3, 3, 1]


def test_single_tensor_samples_give_tensor_batches():
    class Rows:
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return np.full(2, i, dtype=np.float64)

    (first, second) = list(DataLoader(Rows(), batch_size=2))
    assert isinstance(first, ag.Tensor) and first.dtype == np.float64 and first.shape == (2, 2)
    np.testing.assert_array_equal(np.asarray(second), [[2, 2], [3, 3]])


def test_collate_fn_is_used():
    loader = DataLoader(_indexed(5), batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2, 1]


def test_batches_keep_the_graph_of_tensors_that_require_grad():
    x = ag.randn(6, 2, requires_grad=True)
    loader = DataLoader(TensorDataset(x), batch_size=4)
    (batch,) = next(iter(loader))
    batch.sum().backward()
    expected = np.zeros((6, 2), dtype=np.float32)
    expected[:4] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_default_collate_stacks_through_the_graph():
    a, b = ag.tensor([1.0, 2.0], requires_grad=True), ag.tensor([3.0, 4.0], requires_grad=True)
    batch = default_collate([a, b])
    (batch * ag.tensor([[1.0, 1.0], [2.0, 2.0]])).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0] and b.grad.tolist() == [2.0, 2.0]


# Python numbers as torch's default_collate batches them: by the type of the first sample.
NUMBERS = [([0.5, 2.0], np.float64), ([1, 2], np.int64), ([1, 2.5], np.float32), ([0.5, 2], np.float64),
           ([True, False], np.bool_)]


@pytest.mark.parametrize(("samples", "dtype"), NUMBERS)
def test_default_collate_gives_python_numbers_torchs_dtypes(samples, dtype):
    batch = default_collate(samples)
    assert batch.dtype == dtype and batch.tolist() == samples


def test_default_collate_of_python_numbers_matches_torch():
    data = pytest.importorskip("torch.utils.data")
    torch_collate = data.default_collate

    for samples, _ in NUMBERS:
        assert torch_collate(samples).numpy().dtype == default_collate(samples).dtype, samples


@pytest.mark.parametrize(
    ("samples", "error", "pattern"),
    [
        ([ag.zeros(2), ag.zeros(3)], ValueError, r"\(2,\).*\(3,\)"),
        ([ag.zeros(2), 1.0], TypeError, "Tensor and float"),
        ([(1, 2), (1,)], ValueError, "2 fields.*1 fields"),
        ([object()], TypeError, "object"),
        ([], ValueError, "no samples"),
    ],
)
def test_default_collate_errors(samples, error, pattern):
    with pytest.raises(error, match=pattern):
        default_collate(samples)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"batch_size": 0}, ValueError, "batch_size.*0"),
        ({"batch_size": 2.5}, ValueError, "batch_size.*2.5"),
        ({"seed": 1, "generator": np.random.default_rng(1)}, ValueError, "not both"),
        ({"generator": 3}, TypeError, "int"),
        ({"num_workers": -1}, ValueError, "num_workers.*-1"),
        ({"num_workers": 1.5}, ValueError, "num_workers.*1.5"),
    ],
)
def test_data_loader_bad_arguments(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        DataLoader(_indexed(4), **kwargs)


@pytest.mark.parametrize("kwargs", [{"num_workers": 0, "pin_memory": True}, {"num_workers": 2, "pin_memory": False}])
def test_data_loader_takes_torchs_worker_and_memory_arguments(kwargs):
    # Ported scripts pass them; the batches are the same (loaded in this process, in CPU memory).
    plain = list(DataLoader(_indexed(7), batch_size=3, shuffle=True, seed=4))
    ported = list(DataLoader(_indexed(7), batch_size=3, shuffle=True, seed=4, **kwargs))
    assert len(plain) == len(ported) == 3
    for (x, y), (x2, y2) in zip(plain, ported):
        np.testing.assert_array_equal(x.numpy(), x2.numpy())
        np.testing.assert_array_equal(y.numpy(), y2.numpy())


def test_data_loader_needs_a_dataset():
    with pytest.raises(TypeError, match=r"__len__ and __getitem__.*int"):
        DataLoader(5)


# --- Subset and random_split ---------------------------------------------------------------


def test_random_split_counts_is_a_seeded_partition():
    parts = random_split(_indexed(20), [12, 5, 3], seed=4)
    assert [len(p) for p in parts] == [12, 5, 3]
    seen = np.concatenate([p.indices for p in parts])
    assert sorted(seen.tolist()) == list(range(20))
    again = random_split(_indexed(20), [12, 5, 3], seed=4)
    for p, q in zip(parts, again):
        np.testing.assert_array_equal(p.indices, q.indices)
    np.testing.assert_array_equal(parts[0].indices, np.random.default_rng(4).permutation(20)[:12])


def test_random_split_fractions_give_leftovers_to_the_first_parts():
    parts = random_split(_indexed(11), [0.5, 0.3, 0.2], seed=0)
    assert [len(p) for p in parts] == [6, 3, 2]  # floors 5, 3, 2 and one left over


def test_subset_items_and_batches_come_from_the_dataset():
    ds = _indexed(10)
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and sub[0][1].item() == 7
    ((_, y),) = list(DataLoader(sub, batch_size=3))
    assert y.tolist() == [7, 2, 5]


@pytest.mark.parametrize(
    ("lengths", "error", "pattern"),
    [([3, 3], ValueError, r"\[3, 3\].*10"), ([0.5, 0.6], ValueError, "add up to 1"), ([5, 0.5], TypeError, "ints")],
)
def test_random_split_bad_lengths(lengths, error, pattern):
    with pytest.raises(error, match=pattern):
        random_split(_indexed(10), lengths, seed=0)


def test_subset_index_out_of_range():
    with pytest.raises(IndexError, match=r"12.*10 samples"):
        Subset(_indexed(10), [1, 12])


def test_exported_from_nn():
    assert nn.TensorDataset is TensorDataset and nn.DataLoader is DataLoader and nn.data.random_split is random_split
