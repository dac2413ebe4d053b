"""Layout, order and products: flip, roll, rot90, repeat and tile, triangles and diagonals, unfold,
narrow and select, meshgrid and broadcasting; sort, argsort, topk, kthvalue, unique; einsum,
tensordot, outer, kron, bmm, addmm, baddbmm, cross, cdist. Their gradients at first and second order
are checked by the op table (autograd/op_table.py); here: values by hand, copies and views, ties
and NaN, errors, and the same expressions run on torch where it is installed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from torch_parity import run_both

import autograd as ag

M = ag.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def values(t):
    return t.detach().numpy().tolist()


# --- layout ---------------------------------------------------------------------------------------


def test_flips():
    assert values(M.flip(0)) == [[4, 5, 6], [1, 2, 3]]
    assert values(ag.flip(M, [0, 1])) == values(M.flip(0, 1)) == [[6, 5, 4], [3, 2, 1]]
    assert values(M.flip((), )) == values(M)
    assert values(ag.fliplr(M)) == [[3, 2, 1], [6, 5, 4]]
    assert values(M.flipud()) == [[4, 5, 6], [1, 2, 3]]
    with pytest.raises(ValueError, match="same axis twice"):
        M.flip(0, -2)
    with pytest.raises(RuntimeError, match=r"at least 2 dims.*\(3,\)"):
        ag.fliplr(ag.ones(3))


def test_flip_and_roll_copy_while_narrow_and_select_view():
    x = ag.zeros(2, 3)
    for copy in (x.flip(1), x.roll(1, 0), x.repeat(1, 1), x.rot90(0)):
        copy[0, 0] = 1.0
        assert x.numpy().sum() == 0.0
    x.narrow(1, 1, 2)[0, 0] = 5.0
    x.select(0, 1)[2] = 7.0
    assert values(x) == [[0, 5, 0], [0, 0, 7]]


def test_roll_and_rot90():
    assert values(M.roll(1, 1)) == [[3, 1, 2], [6, 4, 5]]
    assert values(ag.roll(M, (1, -1), (0, 1))) == [[5, 6, 4], [2, 3, 1]]
    assert values(M.roll(2)) == [[5, 6, 1], [2, 3, 4]]  # no dims: as the flattened tensor
    assert values(M.rot90()) == [[3, 6], [2, 5], [1, 4]]
    assert values(ag.rot90(M, 2)) == [[6, 5, 4], [3, 2, 1]]
    assert values(M.rot90(-1)) == values(M.rot90(3)) == [[4, 1], [5, 2], [6, 3]]
    with pytest.raises(RuntimeError, match="one per dim"):
        M.roll((1, 2), 0)
    with pytest.raises(RuntimeError, match="different dims"):
        M.rot90(1, (1, 1))
    with pytest.raises(TypeError, match="shifts"):
        M.roll(1.5, 0)


def test_repeat_tile_repeat_interleave():
    assert M.repeat(2, 1, 2).shape == (2, 2, 6)
    assert values(ag.ones(2).repeat(2)) == [1, 1, 1, 1]
    assert values(ag.tensor([1.0, 2.0]).repeat(2, 1)) == [[1, 2], [1, 2]]
    assert ag.tile(M, (2,)).shape == (2, 6)  # fewer sizes than dims: leading ones
    assert values(M.repeat_interleave(2, 0)) == [[1, 2, 3], [1, 2, 3], [4, 5, 6], [4, 5, 6]]
    assert values(ag.repeat_interleave(M, ag.tensor([0, 2]), dim=0)) == [[4, 5, 6], [4, 5, 6]]
    assert values(M.repeat_interleave(2)) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    assert values(ag.repeat_interleave(ag.tensor([2, 0, 1]))) == [0, 0, 2]
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(2, 3\)"):
        M.repeat(2)  # fewer repeats than dims
    with pytest.raises(RuntimeError, match="negative"):
        M.repeat(-1, 1)
    with pytest.raises(RuntimeError, match="3 repeats for 2 slices"):
        M.repeat_interleave(ag.tensor([1, 1, 1]), dim=0)
    with pytest.raises(RuntimeError, match="negative"):
        M.repeat_interleave(ag.tensor([1, -1]), dim=0)
    with pytest.raises(RuntimeError, match="output_size 3"):
        M.repeat_interleave(2, 0, output_size=3)


def test_triangles_and_diagonals():
    square = ag.arange(9.0).reshape(3, 3)
    assert values(square.tril()) == [[0, 0, 0], [3, 4, 0], [6, 7, 8]]
    assert values(ag.triu(square, 1)) == [[0, 1, 2], [0, 0, 5], [0, 0, 0]]
    assert ag.tril(ag.ones(2, 3, 4, dtype=np.int64)).dtype == np.int64  # the dtype kept, batch dims too
    assert values(square.diagonal()) == [0, 4, 8]
    assert values(square.diagonal(-1)) == [3, 7]
    assert values(ag.diag(square, 2)) == [2]
    assert values(square.diagonal(5)) == []
    assert values(ag.diag(ag.tensor([1.0, 2.0]), -1)) == [[0, 0, 0], [1, 0, 0], [0, 2, 0]]
    assert ag.arange(24.0).reshape(2, 3, 4).diagonal(0, 2, 0).shape == (3, 2)  # the diagonal comes last
    embedded = ag.diag_embed(ag.tensor([[1.0, 2.0], [3.0, 4.0]]), 1, 0, 2)
    assert embedded.shape == (3, 2, 3) and values(embedded[:, 1, :]) == [[0, 3, 0], [0, 0, 4], [0, 0, 0]]
    assert square.trace().item() == 12.0
    assert ag.trace(ag.eye(3, dtype=np.int64)).dtype == np.int64
    with pytest.raises(RuntimeError, match=r"at least 2 dims.*\(3,\)"):
        ag.ones(3).tril()
    with pytest.raises(RuntimeError, match="1-D or 2-D"):
        ag.diag(ag.ones(1, 1, 1))
    with pytest.raises(RuntimeError, match="must differ"):
        square.diagonal(0, 1, -1)
    with pytest.raises(RuntimeError, match="matrix"):
        ag.ones(3).trace()


def test_unfold_unflatten_narrow_select():
    x = ag.arange(7.0)
    assert values(x.unfold(0, 3, 2)) == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    assert ag.ones(2, 5, 3).unfold(1, 2, 1).shape == (2, 4, 3, 2)
    assert values(ag.tensor(5.0).unfold(0, 1, 1)) == [5.0]
    assert M.unflatten(1, (3, 1)).shape == (2, 3, 1)
    assert ag.unflatten(ag.ones(2, 12), -1, (2, -1, 3)).shape == (2, 2, 2, 3)
    assert values(M.narrow(1, -2, 2)) == [[2, 3], [5, 6]]
    assert values(ag.narrow(M, 0, ag.tensor(1), 1)) == [[4, 5, 6]]
    assert values(ag.select(M, 1, -1)) == [3, 6]
    with pytest.raises(RuntimeError, match=r"size 8.*size 7"):
        x.unfold(0, 8, 1)
    with pytest.raises(RuntimeError, match="step 0"):
        x.unfold(0, 2, 0)
    with pytest.raises(RuntimeError, match=r"\(2, 2\)"):
        M.unflatten(1, (2, 2))
    with pytest.raises(RuntimeError, match="length 3"):
        M.narrow(1, 1, 3)
    with pytest.raises(IndexError, match="start 4"):
        M.narrow(1, 4, 0)
    with pytest.raises(IndexError, match="index 2"):
        M.select(0, 2)


def test_meshgrid_and_broadcasting():
    a, b = ag.tensor([1.0, 2.0]), ag.tensor([10.0, 20.0, 30.0])
    ii, jj = ag.meshgrid(a, b, indexing="ij")
    assert ii.shape == jj.shape == (2, 3) and values(ii[:, 0]) == [1, 2] and values(jj[0]) == [10, 20, 30]
    xx, yy = ag.meshgrid([a, b], indexing="xy")
    assert xx.shape == yy.shape == (3, 2) and values(xx[0]) == [1, 2]
    assert ag.meshgrid(a, b)[0].shape == (2, 3)  # ij by default, as torch
    with pytest.raises(ValueError, match="'ab'"):
        ag.meshgrid(a, b, indexing="ab")
    with pytest.raises(RuntimeError, match=r"\(2, 2\)"):
        ag.meshgrid(ag.ones(2, 2))
    assert a.broadcast_to((3, 2)).shape == (3, 2)
    assert ag.broadcast_to(a, (4, -1)).shape == (4, 2)
    first, second = ag.broadcast_tensors(a.reshape(2, 1), b)
    assert first.shape == second.shape == (2, 3)
    with pytest.raises(RuntimeError, match=r"\(2,\) and \(3,\)"):
        ag.broadcast_tensors(a, b)


# --- order ----------------------------------------------------------------------------------------

TIED = ag.tensor([3.0, 1.0, 3.0, float("nan"), 1.0])


def test_sort_is_stable_and_puts_nan_last_or_first():
    ascending = TIED.sort()
    assert ascending.indices.tolist() == [1, 4, 0, 2, 3] and math.isnan(ascending.values[-1].item())
    descending = ag.sort(TIED, descending=True, stable=True)
    assert descending.indices.tolist() == [3, 0, 2, 1, 4]  # NaN first, ties in their order
    assert values(TIED.argsort(descending=True)) == descending.indices.tolist()
    values_, indices = ag.tensor([[2.0, 1.0], [0.0, 5.0]]).sort(0)  # a (values, indices) pair
    assert values(values_) == [[0, 1], [2, 5]] and indices.tolist() == [[1, 0], [0, 1]]
    assert indices.dtype == np.int64 and not indices.requires_grad
    assert ag.tensor([True, False, True]).sort(descending=True).values.tolist() == [True, True, False]
    assert ag.tensor(np.array([3, 1, 2], dtype=np.uint8)).argsort(descending=True).tolist() == [0, 2, 1]
    zero_d = ag.tensor(4.0).sort()
    assert zero_d.values.item() == 4.0 and zero_d.indices.item() == 0


def test_topk_and_kthvalue():
    x = ag.tensor([[5.0, 1.0, 4.0], [2.0, 8.0, 0.0]])
    top = x.topk(2)
    assert values(top.values) == [[5, 4], [8, 2]] and top.indices.tolist() == [[0, 2], [1, 0]]
    assert values(ag.topk(x, 1, dim=0, largest=False).values) == [[2, 1, 0]]
    kth = x.kthvalue(2, 1)
    assert values(kth.values) == [4, 2] and kth.indices.tolist() == [2, 0]
    assert ag.kthvalue(x, 1, 0, keepdim=True).values.shape == (1, 3)
    with pytest.raises(RuntimeError, match="k = 4"):
        x.topk(4)
    with pytest.raises(RuntimeError, match=r"k = 0.*from 1 to 3"):
        x.kthvalue(0)


def test_gradients_of_order_reach_the_elements_picked():
    x = ag.tensor([3.0, 1.0, 2.0], requires_grad=True)
    (x.sort().values * ag.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert values(x.grad) == [100, 1, 10]
    x.grad = None
    x.topk(1).values.sum().backward()
    assert values(x.grad) == [1, 0, 0]


def test_unique():
    x = ag.tensor([[3, 1, 2], [1, 3, 3]])
    assert ag.unique(x).tolist() == [1, 2, 3]
    _, inverse, counts = x.unique(return_inverse=True, return_counts=True)
    assert inverse.shape == (2, 3) and inverse.tolist() == [[2, 0, 1], [0, 2, 2]] and counts.tolist() == [2, 1, 3]
    rows, inverse = ag.unique(ag.tensor([[3, 1], [1, 3], [3, 1]]), dim=0, return_inverse=True)
    assert rows.tolist() == [[1, 3], [3, 1]] and inverse.tolist() == [1, 0, 1]
    assert ag.unique(ag.tensor([float("nan"), float("nan")])).shape == (2,)  # NaNs are not merged, as torch
    assert not ag.unique(ag.tensor([1.0, 1.0], requires_grad=True)).requires_grad


# --- products -------------------------------------------------------------------------------------


def test_einsum_equations():
    a, b = ag.arange(6.0).reshape(2, 3), ag.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(ag.einsum("ij,jk->ik", a, b).numpy(), a.numpy() @ b.numpy())
    np.testing.assert_array_equal(ag.einsum("ij,jk", [a, b]).numpy(), a.numpy() @ b.numpy())  # implicit, a list
    assert ag.einsum("ij->ji", a).shape == (3, 2)
    assert ag.einsum("ii", ag.eye(3)).item() == 3.0
    assert values(ag.einsum("ii->i", b[:, :3])) == [0, 5, 10]
    assert ag.einsum("Bi,iA", a, b).shape == (4, 2)  # implicit output in alphabetical (ASCII) order
    assert ag.einsum("...ij,...jk->...ik", ag.ones(5, 2, 3), b).shape == (5, 2, 4)
    assert ag.einsum("i,i", ag.ones(1), ag.ones(3)).item() == 3.0  # a size-1 dim broadcasts
    assert ag.einsum("i j , j k -> i k", a, b).shape == (2, 4)  # spaces are ignored
    assert ag.einsum("ij,j->i", ag.ones(2, 3, dtype=np.int64), ag.ones(3)).dtype == np.float32  # promoted


def test_einsum_errors():
    a = ag.ones(2, 3)
    with pytest.raises(RuntimeError, match="2 operands, but 1"):
        ag.einsum("ij,jk", a)
    with pytest.raises(RuntimeError, match=r"has 2 dims.*'ijk'"):
        ag.einsum("ijk", a)
    with pytest.raises(RuntimeError, match=r"'j'.*size 4.*3 elsewhere"):
        ag.einsum("ij,jk", a, ag.ones(4, 2))
    with pytest.raises(RuntimeError, match="sizes 1 and 3"):
        ag.einsum("ii", ag.ones(1, 3))  # a repeated subscript does not broadcast
    with pytest.raises(RuntimeError, match="distinct subscripts"):
        ag.einsum("ij->ii", a)
    with pytest.raises(RuntimeError, match="distinct subscripts"):
        ag.einsum("ij->k", a)
    with pytest.raises(ValueError, match="not a letter"):
        ag.einsum("i1", a)
    with pytest.raises(RuntimeError, match="at least one operand"):
        ag.einsum("i")


def test_einsum_under_create_graph():
    # the rule's np.einsum on tensors is autograd.einsum, so a second derivative is recorded
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = ag.einsum("ij,jk,ki->", x, x, x)  # trace(x^3)
    (g,) = ag.grad(y, [x], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * (x.detach().numpy() @ x.detach().numpy()).T)
    (h,) = ag.grad(g.sum(), [x])
    assert h.shape == (2, 2) and np.isfinite(h.numpy()).all()


def test_tensordot_outer_kron():
    a, b = ag.arange(6.0).reshape(2, 3), ag.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(ag.tensordot(a, b, 1).numpy(), np.tensordot(a.numpy(), b.numpy(), 1))
    np.testing.assert_array_equal(ag.tensordot(a, a, ([0, 1], [0, 1])).numpy(), (a.numpy() ** 2).sum())
    assert ag.tensordot(a, b, 0).shape == (2, 3, 3, 4)
    with pytest.raises(RuntimeError, match="differ in size"):
        ag.tensordot(a, b, ([1], [1]))
    assert values(ag.outer(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 10.0, 100.0]))) == [[1, 10, 100], [2, 20, 200]]
    with pytest.raises(RuntimeError, match="1-D"):
        ag.outer(a, a)
    assert values(ag.kron(ag.eye(2), ag.tensor([[1.0, 2.0]]))) == [[1, 2, 0, 0], [0, 0, 1, 2]]
    assert ag.kron(ag.ones(2), ag.ones(3, 1)).shape == (3, 2)


def test_batched_and_scaled_matrix_products():
    a, b = ag.ones(2, 3, 4), ag.ones(2, 4, 5)
    assert ag.bmm(a, b).shape == (2, 3, 5)
    with pytest.raises(RuntimeError, match=r"\(2, 3, 4\) and \(4, 5\)"):
        ag.bmm(a, b[0])
    out = ag.addmm(ag.ones(3), ag.ones(2, 4), ag.ones(4, 3), beta=0.5, alpha=2.0)
    assert out.shape == (2, 3) and values(out) == [[8.5] * 3] * 2
    # beta = 0: input is not read, so its NaN does not spread (as torch)
    assert values(ag.addmm(ag.full((2, 3), float("nan")), ag.ones(2, 4), ag.ones(4, 3), beta=0)) == [[4.0] * 3] * 2
    with pytest.raises(RuntimeError, match=r"\(4, 3\) and \(2, 3\)"):
        ag.addmm(ag.ones(4, 3), ag.ones(2, 4), ag.ones(4, 3))
    assert ag.ones(2, 3, 5).baddbmm(a, b, alpha=-1.0).sum().item() == 30.0 - 120.0


def test_cross_and_cdist():
    i, j = ag.tensor([1.0, 0.0, 0.0]), ag.tensor([0.0, 1.0, 0.0])
    assert values(ag.cross(i, j)) == [0, 0, 1]
    assert values(i.cross(j.expand(2, 3), dim=1)) == [[0, 0, 1], [0, 0, 1]]  # broadcast
    assert ag.cross(ag.ones(3, 2), ag.ones(3, 2)).shape == (3, 2)  # default: the first dim of size 3
    with pytest.raises(RuntimeError, match="size 3"):
        ag.cross(ag.ones(2, 3), ag.ones(2, 3), dim=0)
    with pytest.raises(RuntimeError, match="size 3"):
        ag.cross(ag.ones(3, 3), ag.ones(1, 3), dim=0)  # a size-1 dim does not stand for three
    x1, x2 = ag.tensor([[0.0, 0.0], [1.0, 1.0]]), ag.tensor([[3.0, 4.0]])
    np.testing.assert_allclose(ag.cdist(x1, x2).numpy(), [[5.0], [math.sqrt(13)]])
    assert values(ag.cdist(x1, x2, p=1.0)) == [[7], [5]]
    assert values(ag.cdist(x1, x2, p=float("inf"))) == [[4], [3]]
    assert values(ag.cdist(x1, x2, p=0.0)) == [[2], [2]]
    assert ag.cdist(ag.ones(5, 2, 3), ag.ones(4, 3)).shape == (5, 2, 4)
    x = ag.tensor([[1.0, 2.0]], requires_grad=True)
    ag.cdist(x, x.detach()).sum().backward()  # a zero distance has gradient 0, as in torch
    assert values(x.grad) == [[0, 0]]
    with pytest.raises(RuntimeError, match="negative"):
        ag.cdist(x1, x2, p=-1.0)
    with pytest.raises(TypeError, match="floating"):
        ag.cdist(ag.ones(2, 2, dtype=np.int64), x2)
    with pytest.raises(RuntimeError, match=r"\(2, 2\) and \(1, 3\)"):
        ag.cdist(x1, ag.ones(1, 3))


# --- against torch --------------------------------------------------------------------------------

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
Y = RNG.standard_normal((2, 3, 4))
V = RNG.standard_normal(4)
W = RNG.standard_normal(3)
TIES = np.round(RNG.standard_normal((2, 3, 4)))  # many ties, and the order of tied values

TORCH_CASES = {
    "flip": (lambda lib, y: y.flip(0, 2), Y),
    "flip_list": (lambda lib, y: lib.flip(y, [1]), Y),
    "fliplr": (lambda lib, x: lib.fliplr(x), X),
    "flipud": (lambda lib, x: x.flipud(), X),
    "roll": (lambda lib, y: y.roll(1, 2), Y),
    "roll_dims": (lambda lib, y: lib.roll(y, (1, -5), (0, 2)), Y),
    "roll_flat": (lambda lib, y: y.roll(7), Y),
    "rot90": (lambda lib, y: y.rot90(1, (1, 2)), Y),
    "rot90_twice": (lambda lib, y: y.rot90(2, [0, 2]), Y),
    "rot90_back": (lambda lib, y: lib.rot90(y, -1, [2, 0]), Y),
    "repeat": (lambda lib, x: x.repeat(2, 1, 3), X),
    "tile": (lambda lib, y: lib.tile(y, (2, 1)), Y),
    "repeat_interleave": (lambda lib, y: y.repeat_interleave(2, 1), Y),
    "repeat_interleave_flat": (lambda lib, y: lib.repeat_interleave(y, 2), Y),
    "repeat_interleave_counts": (lambda lib, y: y.repeat_interleave(lib.tensor([1, 0, 3]), dim=1), Y),
    "repeat_interleave_indices": (lambda lib: lib.repeat_interleave(lib.tensor([1, 0, 3])),),
    "tril": (lambda lib, y: y.tril(1), Y),
    "triu": (lambda lib, y: lib.triu(y, -1), Y),
    "diag_of_vector": (lambda lib, v: lib.diag(v, -1), V),
    "diag_of_matrix": (lambda lib, x: x.diag(1), X),
    "diagonal": (lambda lib, y: y.diagonal(1, 2, 0), Y),
    "diagonal_negative": (lambda lib, y: lib.diagonal(y, -1, -1, 1), Y),
    "diag_embed": (lambda lib, y: y.diag_embed(1, 0, 2), Y),
    "diag_embed_default": (lambda lib, y: lib.diag_embed(y), Y),
    "trace": (lambda lib, x: x.trace(), X),
    "unfold": (lambda lib, y: y.unfold(2, 2, 1), Y),
    "unfold_step": (lambda lib, y: y.unfold(1, 2, 2), Y),
    "unflatten": (lambda lib, y: y.unflatten(2, (2, -1)), Y),
    "narrow": (lambda lib, y: y.narrow(2, -3, 2), Y),
    "select": (lambda lib, y: y.select(1, -1), Y),
    "meshgrid": (lambda lib, v, w: lib.meshgrid(v, w, indexing="ij"), V, W),
    "meshgrid_xy": (lambda lib, v, w: lib.meshgrid(v, w, v, indexing="xy"), V, W),
    "broadcast_to": (lambda lib, v: v.broadcast_to((2, 3, 4)), V),
    "broadcast_tensors": (lambda lib, v, w: lib.broadcast_tensors(v, w.reshape(3, 1)), V, W),
    "sort": (lambda lib, y: y.sort(1), Y),
    "sort_descending": (lambda lib, y: lib.sort(y, 0, descending=True), Y),
    "sort_stable_ties": (lambda lib, y: lib.sort(y, dim=-1, stable=True), TIES),
    "sort_stable_ties_descending": (lambda lib, y: y.sort(dim=1, descending=True, stable=True), TIES),
    "argsort": (lambda lib, y: y.argsort(2, True), Y),
    "topk": (lambda lib, y: y.topk(2, 1), Y),
    "topk_smallest": (lambda lib, y: lib.topk(y, 3, largest=False), Y),
    "kthvalue": (lambda lib, y: y.kthvalue(2, 2, True), Y),
    "kthvalue_dim": (lambda lib, y: lib.kthvalue(y, 3, 1), Y),
    "unique": (lambda lib: lib.unique(lib.tensor([[3, 1, 2], [1, 3, 3]]), return_inverse=True, return_counts=True),),
    "unique_dim": (lambda lib: lib.unique(lib.tensor([[3, 1], [1, 3], [3, 1]]), dim=0, return_inverse=True,
                                          return_counts=True),),
    "einsum_batched": (lambda lib, x, y: lib.einsum("ij,bjk->bik", x.T, y), X, Y),
    "einsum_ellipsis": (lambda lib, x, y: lib.einsum("...j,...j->...", x, y), X, Y),
    "einsum_diagonal": (lambda lib, x: lib.einsum("ii->i", x[:, :3]), X),
    "einsum_trace": (lambda lib, x: lib.einsum("ii", x[:, :3]), X),
    "einsum_implicit": (lambda lib, x, y: lib.einsum("bij,kj", y, x), X, Y),
    "einsum_sum": (lambda lib, y: lib.einsum("bij->", y), Y),
    "einsum_broadcast": (lambda lib, x, v: lib.einsum("ij,j->ij", x[:1], v), X, V),
    "einsum_three": (lambda lib, x, y, v: lib.einsum("ab,cab,b->c", x, y, v), X, Y, V),
    "einsum_list": (lambda lib, x, v: lib.einsum("ij,j", [x, v]), X, V),
    "tensordot": (lambda lib, x, y: lib.tensordot(y, x, 2), X, Y),
    "tensordot_lists": (lambda lib, x, y: lib.tensordot(y, x, ([1, 2], [0, 1])), X, Y),
    "tensordot_outer": (lambda lib, x, v: lib.tensordot(x, v, 0), X, V),
    "outer": (lambda lib, v, w: lib.outer(v, w), V, W),
    "kron": (lambda lib, x, y: lib.kron(x, y), X, Y),
    "bmm": (lambda lib, y: lib.bmm(y, y.transpose(1, 2)), Y),
    "addmm": (lambda lib, x, v: lib.addmm(v, x.T, x, beta=0.5, alpha=2.0), X, V),
    "baddbmm": (lambda lib, y: y[:, :, :3].baddbmm(y, y.transpose(1, 2), alpha=-1.0), Y),
    "cross": (lambda lib, x, y: lib.cross(x.T, y[0].T, dim=1), X, Y),
    "cdist": (lambda lib, x, y: lib.cdist(x, y), X, Y),
    "cdist_1": (lambda lib, x, y: lib.cdist(x, y, p=1.0), X, Y),
    "cdist_inf": (lambda lib, x, y: lib.cdist(x, y, p=float("inf")), X, Y),
    "cdist_3": (lambda lib, x, y: lib.cdist(y, x, p=3.0), X, Y),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_ops_against_torch(name):
    pytest.importorskip("torch")
    expression, *arrays = TORCH_CASES[name]
    run_both(expression, *arrays)


def test_cross_default_dim_against_torch():
    torch = pytest.importorskip("torch")
    a, b = RNG.standard_normal((4, 3, 3)), RNG.standard_normal((4, 3, 3))
    with pytest.warns(UserWarning):  # torch warns that cross without dim is deprecated; ndgrad does not
        expected = torch.cross(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_allclose(ag.cross(ag.tensor(a), ag.tensor(b)).numpy(), expected)
