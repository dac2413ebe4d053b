"""One expression run on ndgrad and on torch, compared: values, shapes, dtypes and the gradients
of every input. Tests call it after ``pytest.importorskip("torch")``.

``expression(lib, *tensors)`` is written once against the shared API (``lib.gather(x, 1, i)``,
``x.flip(0)``), with ``lib`` ``autograd`` or ``torch``; float arrays become tensors that require
grad, integer and bool arrays plain tensors (indices, masks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd as ag


def _leaves(lib: Any, arrays: tuple[np.ndarray, ...]) -> list[Any]:
    return [lib.tensor(a, requires_grad=np.asarray(a).dtype.kind == "f") for a in arrays]


def _flat(out: Any) -> list[Any]:
    if isinstance(out, (tuple, list)):
        return [t for item in out for t in _flat(item)]
    return [out]


def run_both(expression: Callable[..., Any], *arrays: Any, rtol: float = 1e-10, atol: float = 1e-12) -> list[Any]:
    """Check ``expression`` on ndgrad against torch; returns ndgrad's outputs."""
    import torch

    ours_in, theirs_in = _leaves(ag, arrays), _leaves(torch, arrays)
    ours, theirs = _flat(expression(ag, *ours_in)), _flat(expression(torch, *theirs_in))
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    for k, (o, t) in enumerate(zip(ours, theirs)):
        assert tuple(o.shape) == tuple(t.shape), f"output {k}: shape {tuple(o.shape)}, torch {tuple(t.shape)}"
        assert str(o.dtype) == str(t.dtype).removeprefix("torch."), f"output {k}: dtype {o.dtype}, torch {t.dtype}"
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"output {k}")
    floats = [(o, t) for o, t in zip(ours, theirs) if o.dtype.kind == "f" and t.requires_grad]
    wanted = [i for i, a in enumerate(arrays) if np.asarray(a).dtype.kind == "f"]
    if floats and wanted:
        rng = np.random.default_rng(1)
        weights = [rng.standard_normal(tuple(o.shape)) for o, _ in floats]
        sum(((o * ag.tensor(w)).sum() for (o, _), w in zip(floats, weights)), ag.tensor(0.0)).backward()
        sum(((t * torch.tensor(w)).sum() for (_, t), w in zip(floats, weights)), torch.tensor(0.0)).backward()
        for i in wanted:
            ours_grad = ours_in[i].grad
            theirs_grad = theirs_in[i].grad
            expected = np.zeros(np.shape(arrays[i])) if theirs_grad is None else theirs_grad.numpy()
            got = np.zeros(np.shape(arrays[i])) if ours_grad is None else ours_grad.numpy()
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")
    return ours
