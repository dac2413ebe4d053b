"""Einsum: a sum of products named by subscripts, ``np.einsum`` forward and backward.

The op takes an equation in a normal form, which ``autograd.einsum`` (products.py) brings any
equation to by composition first: no ellipsis, no subscript twice in one operand (those are
diagonals, taken first), and every subscript of an operand also in the output or in another
operand (the others are summed first). Then the gradient of each operand is one einsum of the
output's gradient with the other operands, back to that operand's subscripts: every subscript
it needs is there, and that einsum is in normal form itself. Under ``create_graph`` the rule's
``np.einsum`` on tensors is ``autograd.einsum`` (see numpy_api.py), so higher orders follow.

NOTE: an own rule rather than a composition of transposes, reshapes and matmuls: one node,
and NumPy's contraction order (``optimize``), for any number of operands.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Op


class Einsum(Op):
    @staticmethod
    def forward(ctx: Any, equation: str, *operands: Any) -> Any:
        ctx.equation = equation
        ctx.save_for_backward(*operands)
        # optimize: contract through BLAS where NumPy can (its own loop otherwise)
        return np.einsum(equation, *operands, optimize=len(operands) > 1)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        inputs, output = ctx.equation.split("->")
        subscripts = inputs.split(",")
        operands = ctx.saved_tensors
        grads: list[Any] = [None]
        for i, own in enumerate(subscripts):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [k for k in range(len(operands)) if k != i]
            equation = ",".join([output, *(subscripts[k] for k in others)]) + "->" + own
            grads.append(np.einsum(equation, g, *(operands[k] for k in others), optimize=bool(others)))
        return tuple(grads)
