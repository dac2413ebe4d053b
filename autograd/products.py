"""Products of tensors beyond matmul: einsum and tensordot, outer and kron, the batched and
scaled matrix products (bmm, addmm, baddbmm), cross products and pairwise distances (cdist).
They are functions of ``autograd`` and, where torch has them, methods of ``Tensor``.

einsum has a rule of its own (ops/einsum.py) once its equation is in normal form; everything
here is composed from it and from ops with rules, so it is differentiable to any order.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from . import ops
from .dtypes import _promoted, _require_floating
from .indexing_ops import _broadcast_shape, _tensor
from .numpy_api import implements
from .shapes import normalize_dim
from .variable import data_of


def einsum(equation: str, *operands: Any) -> Any:
    """The sum of products of ``operands`` that ``equation`` names (``"ij,jk->ik"`` is a matrix
    product), as torch.einsum: ``...`` for broadcast dims, a subscript twice in one operand for
    its diagonal, and without ``->`` the output of the subscripts used once, in alphabetical
    order. Operands may also come as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum: needs at least one operand")
    xs = [_tensor(x) for x in _promoted([_tensor(x) for x in operands])]
    subscripts, output = _parse(equation, [x.ndim for x in xs])
    sizes = _sizes(equation, subscripts, xs)
    for i, x in enumerate(xs):
        xs[i], subscripts[i] = _distinct(equation, i, x, subscripts[i], sizes)
    for i, x in enumerate(xs):
        xs[i], subscripts[i] = _summed_alone(x, subscripts[i], subscripts[:i] + subscripts[i + 1 :], output)
    normal = ",".join("".join(s) for s in subscripts) + "->" + "".join(output)
    return ops.Einsum.apply(normal, *xs)


@implements(np.einsum)
def _einsum_of_values(subscripts: str, *operands: Any, optimize: Any = False) -> Any:
    """``np.einsum`` on values, as Einsum's rule calls it: ``einsum`` (NumPy's ``optimize``, the
    order of contraction, is its own choice there)."""
    return einsum(subscripts, *operands)


def _parse(equation: str, ndims: list[int]) -> tuple[list[list[str]], list[str]]:
    """Each operand's subscripts and the output's, with ``...`` spelled out in letters the
    equation does not use (an operand's ellipsis dims are the last of all ellipsis dims)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    specs = lhs.split(",")
    if len(specs) != len(ndims):
        raise RuntimeError(f"einsum: the equation {equation!r} names {len(specs)} operands, but {len(ndims)} were "
                           "given")
    for spec in (*specs, rhs):
        named = spec.replace("...", "", 1)
        if named and not (named.isascii() and named.isalpha()):
            raise ValueError(f"einsum: {equation!r} has a subscript that is not a letter (or a second ellipsis, or "
                             "a second '->')")
    free = [c for c in string.ascii_letters if c not in eq]
    spans = [ndim - len(spec.replace("...", "")) if "..." in spec else 0 for spec, ndim in zip(specs, ndims)]
    n_ellipsis = max(spans)
    subscripts = []
    for i, (spec, ndim) in enumerate(zip(specs, ndims)):
        head, dots, tail = spec.partition("...")
        letters = [*head, *free[n_ellipsis - spans[i] : n_ellipsis], *tail] if dots else list(spec)
        if spans[i] < 0 or len(letters) != ndim:
            raise RuntimeError(f"einsum: operand {i} has {ndim} dims, but {spec!r} in {equation!r} names "
                               f"{len(spec.replace('...', ''))}")
        subscripts.append(letters)
    used = [c for letters in subscripts for c in letters]
    if arrow:
        head, dots, tail = rhs.partition("...")
        output = [*head, *free[:n_ellipsis], *tail] if dots else list(rhs)
        if len(set(output)) != len(output) or not set(output) <= set(used):
            raise RuntimeError(f"einsum: the output of {equation!r} must name distinct subscripts of the operands")
    else:
        output = free[:n_ellipsis] + sorted(c for c in set(used) if used.count(c) == 1 and c not in free)
    return subscripts, output


def _sizes(equation: str, subscripts: list[list[str]], xs: list[Any]) -> dict[str, int]:
    """The size of each subscript: the same in every dim it names, or 1 there (broadcast)."""
    sizes: dict[str, int] = {}
    for letters, x in zip(subscripts, xs):
        for c, n in zip(letters, x.shape):
            if sizes.get(c, 1) == 1:
                sizes[c] = n
    for i, (letters, x) in enumerate(zip(subscripts, xs)):
        for c, n in zip(letters, x.shape):
            if n not in (1, sizes[c]):
                raise RuntimeError(f"einsum: subscript {c!r} of {equation!r} has size {n} in operand {i} (shape "
                                   f"{x.shape}) but {sizes[c]} elsewhere")
    return sizes


def _distinct(equation: str, i: int, x: Any, letters: list[str], sizes: dict[str, int]) -> tuple[Any, list[str]]:
    """An operand with each subscript once: a repeated one is a diagonal, and a size-1 dim
    that broadcasts against a larger one elsewhere is dropped (the product broadcasts it)."""
    for c in dict.fromkeys(letters):
        while letters.count(c) > 1:
            p = letters.index(c)
            q = letters.index(c, p + 1)
            if x.shape[p] != x.shape[q]:
                raise RuntimeError(f"einsum: subscript {c!r} repeats in operand {i} of {equation!r}, but its dims have "
                                   f"sizes {x.shape[p]} and {x.shape[q]}")
            x = x.diagonal(0, p, q)
            letters = [d for k, d in enumerate(letters) if k not in (p, q)] + [c]
    keep = [k for k, c in enumerate(letters) if not (x.shape[k] == 1 and sizes[c] > 1)]
    if len(keep) < len(letters):
        x = x.reshape(tuple(x.shape[k] for k in keep))
        letters = [letters[k] for k in keep]
    return x, letters


def _summed_alone(x: Any, letters: list[str], others: list[list[str]], output: list[str]) -> tuple[Any, list[str]]:
    """An operand with the subscripts no other operand and not the output names summed over."""
    elsewhere = set(output).union(*others)
    alone = tuple(k for k, c in enumerate(letters) if c not in elsewhere)
    if not alone:
        return x, letters
    return x.sum(alone), [c for c in letters if c in elsewhere]


def tensordot(a: Any, b: Any, dims: Any = 2) -> Any:
    """The sum of products over the last ``dims`` dims of ``a`` and the first of ``b`` (or over the
    dims given as two lists, ``([1, 0], [0, 1])``)."""
    x, y = _tensor(a), _tensor(b)
    if isinstance(dims, (int, np.integer)):
        if dims < 0 or dims > min(x.ndim, y.ndim):
            raise RuntimeError(f"tensordot: cannot contract {dims} dims of shapes {x.shape} and {y.shape}")
        pairs: tuple[list[int], ...] = (list(range(x.ndim - dims, x.ndim)), list(range(dims)))
    else:
        pairs = tuple([int(d) for d in np.atleast_1d(np.asarray(data_of(side)))] for side in dims)
        if len(pairs) != 2 or len(pairs[0]) != len(pairs[1]):
            raise RuntimeError(f"tensordot: dims must be an int or two lists of the same length, got {dims!r}")
    da = [normalize_dim(d, x.ndim, "tensordot") for d in pairs[0]]
    db = [normalize_dim(d, y.ndim, "tensordot") for d in pairs[1]]
    for p, q in zip(da, db):
        if x.shape[p] != y.shape[q]:
            raise RuntimeError(f"tensordot: dim {p} of shape {x.shape} and dim {q} of shape {y.shape} differ in size")
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(x.ndim)]
    sb = [sa[da[db.index(k)]] if k in db else next(letters) for k in range(y.ndim)]
    out = [c for k, c in enumerate(sa) if k not in da] + [c for k, c in enumerate(sb) if k not in db]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), x, y)


def outer(input: Any, vec2: Any) -> Any:  # noqa: A002
    """The outer product of two 1-D tensors: ``out[i, j] = input[i] * vec2[j]``."""
    x, y = _tensor(input), _tensor(vec2)
    if x.ndim != 1 or y.ndim != 1:
        raise RuntimeError(f"outer: needs two 1-D tensors, got shapes {x.shape} and {y.shape}")
    return x.reshape(-1, 1) * y.reshape(1, -1)


def kron(input: Any, other: Any) -> Any:  # noqa: A002
    """The Kronecker product: each element of ``input`` times the whole of ``other``, in blocks."""
    x, y = _tensor(input), _tensor(other)
    ndim = max(x.ndim, y.ndim)
    sx, sy = (1,) * (ndim - x.ndim) + tuple(x.shape), (1,) * (ndim - y.ndim) + tuple(y.shape)
    product = x.reshape(tuple(n for s in sx for n in (s, 1))) * y.reshape(tuple(n for s in sy for n in (1, s)))
    return product.reshape(tuple(a * b for a, b in zip(sx, sy)))


def bmm(input: Any, mat2: Any) -> Any:  # noqa: A002
    """Batched matrix product of two 3-D tensors (b, n, m) and (b, m, p): no broadcasting."""
    x, y = _tensor(input), _tensor(mat2)
    if x.ndim != 3 or y.ndim != 3 or x.shape[0] != y.shape[0] or x.shape[2] != y.shape[1]:
        raise RuntimeError(f"bmm: needs (b, n, m) and (b, m, p) tensors, got shapes {x.shape} and {y.shape}")
    return x.matmul(y)


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1) -> Any:  # noqa: A002
    """``beta * input + alpha * (mat1 @ mat2)`` for matrices, ``input`` broadcast (ignored if ``beta`` is 0)."""
    x, y = _tensor(mat1), _tensor(mat2)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[0]:
        raise RuntimeError(f"addmm: needs (n, m) and (m, p) matrices, got shapes {x.shape} and {y.shape}")
    return _scaled_sum("addmm", input, x.matmul(y), beta, alpha)


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: float = 1, alpha: float = 1) -> Any:  # noqa: A002
    """``beta * input + alpha * bmm(batch1, batch2)``, ``input`` broadcast (ignored if ``beta`` is 0)."""
    return _scaled_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def _scaled_sum(op: str, input: Any, product: Any, beta: float, alpha: float) -> Any:  # noqa: A002
    x = _tensor(input)
    if _broadcast_shape(op, x.shape, product.shape) != product.shape:
        raise RuntimeError(f"{op}: input of shape {x.shape} does not broadcast to the product's shape {product.shape}")
    out = product if alpha == 1 else product * alpha
    if beta == 0:  # as in torch: input is not read, so a NaN or inf in it does not spread
        return out
    return out + (x if beta == 1 else x * beta)


def cross(input: Any, other: Any, dim: int | None = None) -> Any:  # noqa: A002
    """The cross product of 3-vectors along ``dim`` (by default the first dim of size 3), the
    two tensors broadcast together."""
    x, y = _tensor(input), _tensor(other)
    shape = _broadcast_shape("cross", x.shape, y.shape)
    padded = [(1,) * (len(shape) - t.ndim) + tuple(t.shape) for t in (x, y)]
    if dim is None:
        if 3 not in shape:
            raise RuntimeError(f"cross: no dim of size 3 in shapes {x.shape} and {y.shape}")
        axis = shape.index(3)
    else:
        axis = normalize_dim(dim, len(shape), "cross")
    if any(p[axis] != 3 for p in padded):
        raise RuntimeError(f"cross: dim {axis} of shapes {x.shape} and {y.shape} (aligned at the right) must have "
                           "size 3 in both")
    x, y = x.expand(*shape), y.expand(*shape)
    # component i is x[i+1] y[i+2] - x[i+2] y[i+1] (indices mod 3): rolled copies, multiplied
    return x.roll(-1, axis) * y.roll(-2, axis) - x.roll(-2, axis) * y.roll(-1, axis)


def cdist(x1: Any, x2: Any, p: float = 2.0, compute_mode: str | None = None) -> Any:
    """The p-norm distances between the rows of ``x1`` (..., P, M) and of ``x2`` (..., R, M),
    as a (..., P, R) tensor; leading dims broadcast.

    NOTE: from the differences of every pair, not from ``|a|^2 + |b|^2 - 2 a.b`` (torch's choice
    for many rows), which loses the small distances to rounding; the gradient of a zero
    distance is 0, as in torch."""
    a, b = _tensor(x1), _tensor(x2)
    _require_floating(a, "cdist")
    _require_floating(b, "cdist")
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"cdist: needs (..., P, M) and (..., R, M) tensors, got shapes {a.shape} and {b.shape}")
    if p < 0:
        raise RuntimeError(f"cdist: p must not be negative, got {p}")
    diff = a.unsqueeze(-2) - b.unsqueeze(-3)
    if p == 0:  # how many coordinates differ: a count, constant
        return a._wrap(np.count_nonzero(diff._data, axis=-1).astype(diff.dtype))
    return diff.norm(p, -1)

