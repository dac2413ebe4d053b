"""nn.sequences (torch.nn.utils.rnn): padding and packing sequences of different lengths,
their gradients, round trips and errors; compared with torch where it is installed."""

import numpy as np
import pytest

import autograd as ag
from nn.errors import DomainError, ShapeError
from nn.sequences import PackedSequence, pack_padded_sequence, pack_sequence, pad_packed_sequence, pad_sequence


def seqs(*lengths, features=2, requires_grad=False):
    """Sequences whose entries say where they come from: sequence i, step t, feature f is i*100 + t*10 + f."""
    return [
        ag.tensor([[i * 100 + t * 10 + f for f in range(features)] for t in range(n)], dtype=ag.float64,
                  requires_grad=requires_grad).reshape(n, features)
        for i, n in enumerate(lengths)
    ]


def test_pad_sequence_shapes_and_values():
    a, b = seqs(3, 1)
    padded = pad_sequence([a, b])
    assert padded.shape == (3, 2, 2)
    np.testing.assert_array_equal(padded[:, 1].numpy(), [[100, 101], [0, 0], [0, 0]])
    first = pad_sequence([a, b], batch_first=True, padding_value=-1.0)
    assert first.shape == (2, 3, 2)
    np.testing.assert_array_equal(first[1].numpy(), [[100, 101], [-1, -1], [-1, -1]])
    left = pad_sequence([a, b], batch_first=True, padding_side="left")
    np.testing.assert_array_equal(left[1].numpy(), [[0, 0], [0, 0], [100, 101]])
    np.testing.assert_array_equal(left[0].numpy(), a.numpy())
    assert pad_sequence([ag.tensor([1, 2]), ag.tensor([3])]).dtype == np.int64  # 1-d sequences of ints
    assert pad_sequence([ag.zeros(0, 2), ag.ones(2, 2)]).shape == (2, 2, 2)


def test_gradients_flow_back_through_padding_and_packing():
    a, b = seqs(3, 2, requires_grad=True)
    weights = ag.tensor(np.arange(12.0).reshape(3, 2, 2))
    (pad_sequence([a, b]) * weights).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), weights[:, 0].numpy())
    np.testing.assert_array_equal(b.grad.numpy(), weights[:2, 1].numpy())
    x = ag.tensor(np.arange(12.0).reshape(3, 2, 2), requires_grad=True)
    packed = pack_padded_sequence(x, [3, 1])
    padded, _ = pad_packed_sequence(packed)
    padded.sum().backward()
    mask = np.zeros((3, 2, 2))
    mask[:, 0], mask[0, 1] = 1, 1  # the padding steps get no gradient
    np.testing.assert_array_equal(x.grad.numpy(), mask)


def test_pack_padded_sequence_lists_the_running_sequences_step_by_step():
    padded = pad_sequence(seqs(3, 2, 1))  # (3 steps, 3 sequences, 2)
    packed = pack_padded_sequence(padded, [3, 2, 1])
    assert isinstance(packed, PackedSequence) and packed.sorted_indices is None and packed.unsorted_indices is None
    np.testing.assert_array_equal(packed.batch_sizes.numpy(), [3, 2, 1])
    assert packed.batch_sizes.dtype == np.int64
    np.testing.assert_array_equal(packed.data[:, 0].numpy(), [0, 100, 200, 10, 110, 20])
    batch_first = pack_padded_sequence(pad_sequence(seqs(3, 2, 1), batch_first=True), ag.tensor([3, 2, 1]),
                                       batch_first=True)
    np.testing.assert_array_equal(batch_first.data.numpy(), packed.data.numpy())


def test_unsorted_batches_are_sorted_and_restored():
    lengths = [1, 3, 2]
    padded = pad_sequence(seqs(*lengths), batch_first=True)
    packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
    np.testing.assert_array_equal(packed.sorted_indices.numpy(), [1, 2, 0])
    np.testing.assert_array_equal(packed.unsorted_indices.numpy(), [2, 0, 1])
    np.testing.assert_array_equal(packed.data[:, 0].numpy(), [100, 200, 0, 110, 210, 120])
    back, back_lengths = pad_packed_sequence(packed, batch_first=True)
    np.testing.assert_array_equal(back.numpy(), padded.numpy())
    np.testing.assert_array_equal(back_lengths.numpy(), lengths)
    longer, _ = pad_packed_sequence(packed, batch_first=True, padding_value=-1.0, total_length=5)
    assert longer.shape == (3, 5, 2) and (longer[:, 3:].numpy() == -1).all()
    assert (longer[0, 1:].numpy() == -1).all()


def test_pack_sequence():
    packed = pack_sequence(seqs(2, 3), enforce_sorted=False)
    np.testing.assert_array_equal(packed.batch_sizes.numpy(), [2, 2, 1])
    with pytest.raises(DomainError, match=r"\[2, 3\] are not in decreasing order"):
        pack_sequence(seqs(2, 3))


def test_errors():
    with pytest.raises(ShapeError, match="no sequences"):
        pad_sequence([])
    with pytest.raises(ShapeError, match=r"same trailing dims.*\(2, 2\), \(1, 3\)"):
        pad_sequence([ag.ones(2, 2), ag.ones(1, 3)])
    with pytest.raises(TypeError, match="sequence 1 is a list"):
        pad_sequence([ag.ones(2), [1.0]])
    with pytest.raises(ValueError, match="padding_side"):
        pad_sequence([ag.ones(2)], padding_side="middle")
    padded = ag.zeros(3, 2, 1)
    with pytest.raises(DomainError, match=r"positive, got \[3, 0\]") as error:
        pack_padded_sequence(padded, [3, 0])
    assert isinstance(error.value, RuntimeError)  # as torch's
    with pytest.raises(ShapeError, match=r"lengths \[4, 1\] exceed the input's 3 steps"):
        pack_padded_sequence(padded, [4, 1])
    with pytest.raises(ShapeError, match="3 lengths for a batch of 2"):
        pack_padded_sequence(padded, [3, 2, 1])
    with pytest.raises(TypeError, match="1-d list or tensor of ints"):
        pack_padded_sequence(padded, [2.5, 1.0])
    with pytest.raises(ValueError, match="total_length=2 is shorter than the longest sequence \\(3 steps\\)"):
        pad_packed_sequence(pack_padded_sequence(padded, [3, 1]), total_length=2)


def test_against_torch():
    torch = pytest.importorskip("torch")
    from torch.nn.utils import rnn

    lengths = [2, 4, 1]
    ours_seqs = seqs(*lengths)
    theirs_seqs = [torch.tensor(s.numpy()) for s in ours_seqs]
    for kwargs in ({}, {"batch_first": True}, {"batch_first": True, "padding_side": "left", "padding_value": 7.0}):
        np.testing.assert_array_equal(pad_sequence(ours_seqs, **kwargs).numpy(),
                                      rnn.pad_sequence(theirs_seqs, **kwargs).numpy())
    ours = pack_sequence(ours_seqs, enforce_sorted=False)
    theirs = rnn.pack_sequence(theirs_seqs, enforce_sorted=False)
    for field in PackedSequence._fields:
        np.testing.assert_array_equal(getattr(ours, field).numpy(), getattr(theirs, field).numpy(), err_msg=field)
    ours_back, ours_lengths = pad_packed_sequence(ours, batch_first=True, total_length=6)
    theirs_back, theirs_lengths = rnn.pad_packed_sequence(theirs, batch_first=True, total_length=6)
    np.testing.assert_array_equal(ours_back.numpy(), theirs_back.numpy())
    np.testing.assert_array_equal(ours_lengths.numpy(), theirs_lengths.numpy())
    with pytest.raises(RuntimeError):
        rnn.pack_sequence(theirs_seqs)
    with pytest.raises(RuntimeError):
        pack_sequence(ours_seqs)
