"""Numerical gradient checks: compare backward with central finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .engine import grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """An analytical gradient disagrees with the numerical one."""


def _outputs(fn: Callable[..., Any], inputs: Sequence[Any]) -> list[Tensor]:
    out = fn(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def gradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check d fn / d inputs from backward against central differences, element by element.

    ``inputs`` may mix tensors and other arguments; tensors that require grad are checked.
    They must be float64: in float32, differences at eps=1e-6 are mostly rounding noise.
    """
    inputs = list(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; finite differences need float64 "
                "(in float32 a step of 1e-6 is lost to rounding). Pass x.double()."
            )
    outputs = _outputs(fn, inputs)
    for k, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        for j in range(out.numel()):
            onehot = np.zeros(out.shape, dtype=out.dtype)
            onehot.reshape(-1)[j] = 1.0
            targets = [inputs[i] for i in checked]
            analytical = grad(_outputs(fn, inputs)[k], targets, Tensor(onehot), allow_unused=True)
            for i, a in zip(checked, analytical):
                x = inputs[i]
                a_flat = np.zeros(x.numel()) if a is None else a.data.reshape(-1)
                for e in range(x.numel()):
                    numerical = _central_difference(fn, inputs, i, e, k, j, eps)
                    err = abs(a_flat[e] - numerical)
                    if not err <= atol + rtol * abs(numerical):
                        if not raise_exception:
                            return False
                        raise GradcheckError(
                            f"gradient mismatch: output {k} element {j}, input {i} element {e} "
                            f"(shape {x.shape}): numerical {numerical:.8g}, analytical {a_flat[e]:.8g}, "
                            f"abs error {err:.3g}"
                        )
    return True


def _central_difference(fn: Callable[..., Any], inputs: list[Any], i: int, e: int, k: int, j: int, eps: float) -> float:
    flat = inputs[i].data.reshape(-1)
    orig = flat[e]
    values = []
    for step in (eps, -eps):
        flat[e] = orig + step
        values.append(float(_outputs(fn, inputs)[k].data.reshape(-1)[j]))
    flat[e] = orig
    return (values[0] - values[1]) / (2 * eps)


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives: gradcheck of (inputs, v) -> v . J(inputs) for random v,
    which differentiates backward itself (``create_graph=True``)."""
    inputs = list(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    rng = np.random.default_rng(seed)
    outs = _outputs(fn, inputs)
    vs = [Tensor(rng.standard_normal(o.shape), dtype=np.float64, requires_grad=True) for o in outs]

    def first_order(*args: Any) -> tuple[Tensor, ...]:
        xs, v = list(args[: len(inputs)]), list(args[len(inputs) :])
        outputs = _outputs(fn, xs)
        pairs = [(o, g) for o, g in zip(outputs, v) if o.requires_grad]
        gs = grad([o for o, _ in pairs], [xs[i] for i in checked], [g for _, g in pairs],
                  create_graph=True, allow_unused=True)
        return tuple(g if g is not None else xs[i] * 0.0 for g, i in zip(gs, checked))

    return gradcheck(first_order, [*inputs, *vs], eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
