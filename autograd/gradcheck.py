"""Numerical gradient checks: the gradients backward computes, compared with central
finite differences, plus the properties every backward must have.

``gradcheck(fn, inputs)`` checks, for every tensor in ``inputs`` that requires grad:

* the Jacobian: element by element against central differences (``mode="full"``), or as
  one random projection v^T J u per input and output pair (``mode="fast"``, rerun in
  full mode on failure so that the report names the element);
* that backward is linear in the upstream gradient (a zero upstream gradient gives zero)
  and gives the same result when run twice;
* that gradients have the input's shape and dtype;
* that neither ``fn`` nor its backward changed an input;
* that no ``.grad`` left by ``backward()`` shares memory with another ``.grad``, an input
  or the upstream gradient (an in-place update of one would silently change the other).

``gradgradcheck`` runs the same checks on the gradients themselves, which tests the
second-order rules (backward differentiated through ``create_graph=True``).

Inputs are perturbed in place and restored exactly, so ``fn`` may also use them through a
closure (``gradcheck(lambda x, *params: layer(x), [x, *layer.parameters()])``).

Example, a softplus with its own backward::

    class Softplus(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.logaddexp(0.0, x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x.sigmoid()

    x = autograd.randn(3, 4, dtype=autograd.float64, requires_grad=True)
    autograd.gradcheck(Softplus.apply, [x])       # raises GradcheckError when wrong
    autograd.gradgradcheck(Softplus.apply, [x])
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .engine import grad
from .function import Context
from .tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(AssertionError):
    """A gradient check failed; the message says which check, where, and by how much.

    ``check`` names the check: ``"jacobian"``, ``"zero_upstream"``, ``"linearity"``,
    ``"reentrant"``, ``"shape"``, ``"dtype"``, ``"mutation"``, ``"grad_memory"``,
    ``"grad_accumulation"``, ``"forward"`` or ``"backward"`` (backward raised). For a
    Jacobian mismatch the other attributes locate the entry with the largest error: indices
    into the outputs and inputs of the checked function, multi-indices of the elements (None
    in fast mode when the full rerun found nothing), the two values and the worst errors.
    In ``gradgradcheck`` the checked function's outputs are the gradients of the checked
    inputs, in order, and its inputs are ``fn``'s followed by one upstream gradient per
    output that requires grad.
    """

    def __init__(
        self,
        message: str,
        *,
        check: str,
        output_index: int | None = None,
        input_index: int | None = None,
        output_element: tuple[int, ...] | None = None,
        input_element: tuple[int, ...] | None = None,
        numerical: float | None = None,
        analytical: float | None = None,
        abs_error: float | None = None,
        rel_error: float | None = None,
    ) -> None:
        super().__init__(message)
        self.check = check
        self.output_index = output_index
        self.input_index = input_index
        self.output_element = output_element
        self.input_element = input_element
        self.numerical = numerical
        self.analytical = analytical
        self.abs_error = abs_error
        self.rel_error = rel_error


class _Default(float):
    """A default tolerance: it prints as the number, but gradcheck can tell that the caller
    did not choose it (float32 inputs are accepted only with tolerances chosen for them)."""


_EPS, _ATOL, _RTOL = _Default(1e-6), _Default(1e-5), _Default(1e-3)
_SHOW_JACOBIAN = 36  # print both Jacobian blocks in a failure report up to this many entries


def gradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any] | Tensor,
    *,
    eps: float = _EPS,
    atol: float = _ATOL,
    rtol: float = _RTOL,
    mode: str = "full",
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check the gradients of ``fn(*inputs)`` against central finite differences.

    ``fn`` returns a tensor or a tuple/list of them; its floating-point tensor outputs are
    checked (integer outputs, such as the indices of ``max(dim)``, and non-tensors are
    skipped). Every tensor in ``inputs`` with ``requires_grad`` is checked; everything
    else is passed through unchanged. An entry passes when
    ``|numerical - analytical| <= atol + rtol * |numerical|``.

    Checks run in float64: a float32 input (or output) is refused, since a step of 1e-6 is
    mostly rounding noise in float32, unless ``eps``, ``atol`` and ``rtol`` are all passed
    explicitly (for float32, something like eps=1e-3, atol=1e-2, rtol=1e-2).

    Returns True when every check passes. On failure raises ``GradcheckError`` (or returns
    False when ``raise_exception=False``). ``seed`` fixes the random upstream gradients and
    directions used by the linearity checks and by fast mode.
    """
    __tracebackhide__ = True
    checker = _Checker(fn, inputs, eps, atol, rtol, mode, seed)
    return checker.run(raise_exception)


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any] | Tensor,
    *,
    eps: float = _EPS,
    atol: float = _ATOL,
    rtol: float = _RTOL,
    mode: str = "full",
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check second-order gradients: ``gradcheck`` of ``(inputs, v) -> v . J(inputs)``.

    ``v`` holds one random upstream gradient per differentiable output of ``fn`` (fixed
    by ``seed``). The gradients are computed with ``create_graph=True``, so this checks
    that backward is itself correctly differentiable, with respect to the inputs and to
    ``v``. Arguments and failures as in ``gradcheck``; the report names the gradient that
    is wrong ("the gradient of input 0") and what it was differentiated against.
    """
    __tracebackhide__ = True
    args = _as_list(inputs)
    checked = _checked(args, "gradgradcheck")
    outputs = _as_outputs(fn(*args))
    diff = [k for k, o in enumerate(outputs) if _is_float_tensor(o) and o.requires_grad]
    if not diff:
        raise ValueError("gradgradcheck: none of fn's outputs requires grad, so there are no gradients to check")
    rng = np.random.default_rng(seed)
    vs = [Tensor(rng.standard_normal(outputs[k].shape).astype(outputs[k].dtype), requires_grad=True) for k in diff]
    n = len(args)

    def first_order(*xs_and_vs: Any) -> tuple[Tensor, ...]:
        xs, v = xs_and_vs[:n], xs_and_vs[n:]
        outs = _as_outputs(fn(*xs))
        grads = grad(
            [outs[k] for k in diff], [xs[i] for i in checked], list(v), create_graph=True, allow_unused=True
        )
        # An input the outputs do not depend on has a zero gradient, which depends on nothing.
        return tuple(g if g is not None else xs[i] * 0.0 for g, i in zip(grads, checked))

    def input_name(i: int) -> str:
        return f"input {i}" if i < n else f"the upstream gradient of output {diff[i - n]}"

    def output_name(k: int) -> str:
        return f"the gradient of input {checked[k]}"

    checker = _Checker(
        first_order,
        [*args, *vs],
        eps,
        atol,
        rtol,
        mode,
        seed,
        title="gradgradcheck (second order)",
        input_name=input_name,
        output_name=output_name,
    )
    return checker.run(raise_exception)


# --- the checks ----------------------------------------------------------------------------


def _as_list(inputs: Any) -> list[Any]:
    if isinstance(inputs, Tensor):
        return [inputs]
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"inputs must be a tensor or a list/tuple of arguments, got {type(inputs).__name__}")
    return list(inputs)


def _as_outputs(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _is_float_tensor(x: Any) -> bool:
    return isinstance(x, Tensor) and x.dtype.kind == "f"


def _checked(args: list[Any], title: str) -> list[int]:
    checked = [i for i, x in enumerate(args) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        kinds = ", ".join(type(a).__name__ for a in args) or "none"
        raise ValueError(
            f"{title}: no input requires grad (inputs: {kinds}); mark the tensors to check with requires_grad=True"
        )
    return checked


def _first_difference(a: np.ndarray, b: np.ndarray) -> tuple[int, ...] | None:
    """The first index where two arrays of one shape differ (NaN equals NaN), or None."""
    same = a == b
    if a.dtype.kind in "fc":
        same |= np.isnan(a) & np.isnan(b)
    if same.all():
        return None
    return tuple(int(v) for v in np.argwhere(~same)[0])


def _num(value: Any) -> str:
    return repr(value.item() if hasattr(value, "item") else value)


def _fmt(index: tuple[int | np.integer, ...]) -> str:
    return str(tuple(int(i) for i in index))


class _Checker:
    """One run of the checks on one function: it holds the inputs, names them in reports,
    and perturbs them in place (always restoring the exact original values)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        inputs: Any,
        eps: float,
        atol: float,
        rtol: float,
        mode: str,
        seed: int,
        *,
        title: str = "gradcheck",
        input_name: Callable[[int], str] | None = None,
        output_name: Callable[[int], str] | None = None,
    ) -> None:
        if mode not in ("full", "fast"):
            raise ValueError(f"{title}: mode must be 'full' or 'fast', got {mode!r}")
        if not eps > 0:
            raise ValueError(f"{title}: eps must be positive, got {eps}")
        self.fn, self.mode, self.title = fn, mode, title
        self.eps, self.atol, self.rtol = float(eps), float(atol), float(rtol)
        self.explicit = not any(isinstance(v, _Default) for v in (eps, atol, rtol))
        self.rng = np.random.default_rng(seed)
        self.inputs = _as_list(inputs)
        self.checked = _checked(self.inputs, title)
        self.input_name = input_name or (lambda i: f"input {i}")
        self.output_name = output_name or (lambda k: f"output {k}")
        # The same tensor may be passed twice; autograd.grad wants each target once.
        self.targets: list[Tensor] = []
        self.slot: dict[int, int] = {}
        for i in self.checked:
            x = self.inputs[i]
            for s, t in enumerate(self.targets):
                if t is x:
                    self.slot[i] = s
                    break
            else:
                self.slot[i] = len(self.targets)
                self.targets.append(x)
        for i in self.checked:
            self._check_precision(self.input_name(i), self.inputs[i].dtype)

    def _check_precision(self, what: str, dtype: np.dtype) -> None:
        if dtype != np.float64 and not self.explicit:
            raise TypeError(
                f"{self.title}: {what} has dtype {dtype}, but finite differences need float64: with eps=1e-6 "
                f"a {dtype} difference is mostly rounding noise. Convert with .double() (and build the function "
                "in float64), or pass eps, atol and rtol explicitly, chosen for this dtype."
            )

    def fail(self, message: str, **fields: Any) -> GradcheckError:
        return GradcheckError(f"{self.title}: {message}", **fields)

    # --- running fn and its backward ---------------------------------------------------
    def call(self) -> list[Any]:
        return _as_outputs(self.fn(*self.inputs))

    def values(self, outs: list[Any]) -> list[np.ndarray]:
        """The checked outputs as flat float64 copies (an output may be a view of an input)."""
        vals = []
        for k in self.diff:
            o = outs[k]
            if not isinstance(o, Tensor) or o.shape != self.shapes[k]:
                got = o.shape if isinstance(o, Tensor) else type(o).__name__
                raise self.fail(
                    f"{self.output_name(k)} has shape {self.shapes[k]} at the given inputs but {got} at "
                    "slightly changed ones; the checked outputs must keep their shape", check="forward"
                )
            vals.append(np.array(o._data, dtype=np.float64).reshape(-1))
        return vals

    def vjp(self, outs: list[Any], upstream: dict[int, np.ndarray]) -> list[np.ndarray]:
        """Gradients of the checked inputs, via autograd.grad, for the given upstream gradients."""
        pairs = [(outs[k], Tensor(u)) for k, u in upstream.items() if outs[k].requires_grad]
        found: Sequence[Any] = [None] * len(self.targets)
        if pairs:
            try:
                found = grad(
                    [o for o, _ in pairs], self.targets, [u for _, u in pairs], retain_graph=True, allow_unused=True
                )
            except Exception as error:
                raise self.fail(f"backward raised {type(error).__name__}: {error}", check="backward") from error
        result = []
        for i in self.checked:
            x, g = self.inputs[i], found[self.slot[i]]
            if g is None:
                result.append(np.zeros(x.shape))
                continue
            self._check_like(g, x, f"the gradient of {self.input_name(i)}", i)
            result.append(np.array(g._data, dtype=np.float64))
        return result

    def _check_like(self, g: Any, x: Tensor, what: str, i: int | None) -> None:
        if not isinstance(g, Tensor):
            raise self.fail(f"{what} is a {type(g).__name__}, not a tensor", check="shape", input_index=i)
        if g.shape != x.shape:
            raise self.fail(f"{what} has shape {g.shape}, but the input has shape {x.shape}", check="shape",
                            input_index=i)
        if g.dtype != x.dtype:
            raise self.fail(f"{what} has dtype {g.dtype}, but the input has dtype {x.dtype}", check="dtype",
                            input_index=i)

    def upstream(self) -> dict[int, np.ndarray]:
        return {k: self.rng.standard_normal(self.shapes[k]).astype(self.dtypes[k]) for k in self.diff}

    # --- the run ---------------------------------------------------------------------------
    def run(self, raise_exception: bool) -> bool:
        __tracebackhide__ = True  # pytest shows the report, not the checker's frames
        try:
            self._run()
        except GradcheckError as error:
            if raise_exception:
                # The message says everything; the frames inside the checker would only bury it.
                raise error.with_traceback(None)  # noqa: B904
            return False
        return True

    def _run(self) -> None:
        snapshot = {i: np.array(x._data, copy=True) for i, x in enumerate(self.inputs) if isinstance(x, Tensor)}
        outs = self.call()
        self.diff = [k for k, o in enumerate(outs) if _is_float_tensor(o)]
        if not self.diff:
            kinds = ", ".join(f"{type(o).__name__} {getattr(o, 'dtype', '')}".strip() for o in outs)
            raise ValueError(f"{self.title}: fn returned no floating-point tensor to check (got {kinds})")
        self.shapes = {k: outs[k].shape for k in self.diff}
        self.dtypes = {k: outs[k].dtype for k in self.diff}
        for k in self.diff:
            self._check_precision(self.output_name(k), outs[k].dtype)
        base = self.values(outs)
        self._check_unchanged(snapshot, "fn")

        u = self.upstream()
        gu = self._check_backward_properties(outs, u)
        self._check_unchanged(snapshot, "backward")
        self._check_grad_fields(u, gu, base)

        if self.mode == "full":
            self._check_jacobian(outs)
        else:
            self._check_projections(outs)

    def _check_unchanged(self, snapshot: dict[int, np.ndarray], who: str) -> None:
        for i, before in snapshot.items():
            now = self.inputs[i]._data
            if now.shape != before.shape:
                raise self.fail(f"{who} changed the shape of input {i} from {before.shape} to {now.shape}",
                                check="mutation", input_index=i)
            idx = _first_difference(before, now)
            if idx is not None:
                raise self.fail(
                    f"{who} modified input {i} in place: element {_fmt(idx)} was {_num(before[idx])}, is now "
                    f"{_num(now[idx])}. An op must leave its inputs alone (write x * 2, not x *= 2, in forward)",
                    check="mutation", input_index=i, input_element=idx,
                )

    def _check_backward_properties(self, outs: list[Any], u: dict[int, np.ndarray]) -> list[np.ndarray]:
        """A zero upstream gradient gives zero, backward twice gives the same, and mixing upstream
        gradients mixes the results; returns the gradients for ``u``."""
        zero = self.vjp(outs, {k: np.zeros_like(v) for k, v in u.items()})
        for i, g in zip(self.checked, zero):
            if np.any(g != 0):  # NaN counts as nonzero
                worst = np.unravel_index(int(np.nanargmax(np.where(np.isnan(g), np.inf, np.abs(g)))), g.shape)
                raise self.fail(
                    f"with a zero upstream gradient, backward gives the gradient of {self.input_name(i)} the value "
                    f"{_num(g[worst])} at element {_fmt(worst)}; backward must scale with the upstream gradient it "
                    "receives (does it ignore it?)", check="zero_upstream", input_index=i,
                    input_element=tuple(int(v) for v in worst),
                )
        gu = self.vjp(outs, u)
        again = self.vjp(outs, u)
        for i, first, second in zip(self.checked, gu, again):
            idx = _first_difference(first, second)
            if idx is not None:
                raise self.fail(
                    f"running backward twice with the same upstream gradient gave different gradients of "
                    f"{self.input_name(i)}: element {_fmt(idx)} was {_num(first[idx])}, then {_num(second[idx])} "
                    "(does backward change saved state?)", check="reentrant", input_index=i, input_element=idx,
                )
        w = self.upstream()
        a, b = self.rng.uniform(0.5, 2.0), -self.rng.uniform(0.5, 2.0)
        gw = self.vjp(outs, w)
        mixed = self.vjp(outs, {k: (a * u[k] + b * w[k]).astype(u[k].dtype) for k in u})
        for i, x, y, m in zip(self.checked, gu, gw, mixed):
            expected = a * x + b * y
            bad = ~(np.abs(m - expected) <= self.atol + self.rtol * np.abs(expected))
            if bad.any():
                idx = tuple(int(v) for v in np.argwhere(bad)[0])
                raise self.fail(
                    f"backward is not linear in the upstream gradient: for {self.input_name(i)}, element "
                    f"{_fmt(idx)}, backward({a:.3g} u + {b:.3g} w) = {_num(m[idx])} but {a:.3g} backward(u) + "
                    f"{b:.3g} backward(w) = {_num(expected[idx])}", check="linearity", input_index=i,
                    input_element=idx,
                )
        return gu

    def _check_grad_fields(self, u: dict[int, np.ndarray], gu: list[np.ndarray], base: list[np.ndarray]) -> None:
        """Run backward() proper and inspect the ``.grad`` it leaves on every leaf of the graph.
        The leaves' earlier ``.grad`` values are put back afterwards."""
        outs = self.call()
        for k, (first, again) in enumerate(zip(base, self.values(outs))):
            flat = _first_difference(first, again)
            if flat is not None:
                (j,) = flat
                idx = np.unravel_index(j, self.shapes[self.diff[k]])
                raise self.fail(
                    f"fn gave different values for the same inputs: {self.output_name(self.diff[k])}, element "
                    f"{_fmt(idx)}, was {_num(first[j])}, then {_num(again[j])}; finite differences need a "
                    "deterministic fn",
                    check="forward",
                )
        roots = [(k, outs[k], Tensor(u[k])) for k in self.diff if outs[k].requires_grad]
        if not roots:
            return
        leaves = _graph_leaves([o for _, o, _ in roots])
        kept = [(leaf, leaf.grad) for leaf in leaves]
        try:
            for leaf in leaves:
                leaf.grad = None
            for _, out, up in roots:
                try:
                    out.backward(up, retain_graph=True)
                except Exception as error:
                    raise self.fail(f"backward() raised {type(error).__name__}: {error}", check="backward") from error
            self._inspect_grads(leaves, {k: up for k, _, up in roots}, gu)
        finally:
            for leaf, g in kept:
                leaf.grad = g

    def _inspect_grads(self, leaves: list[Tensor], upstream: dict[int, Tensor], gu: list[np.ndarray]) -> None:
        def name(leaf: Tensor) -> str:
            for i in self.checked:
                if self.inputs[i] is leaf:
                    return self.input_name(i)
            return f"a tensor of shape {leaf.shape} that fn uses"

        grads = [(leaf, leaf.grad) for leaf in leaves if leaf.grad is not None]
        for leaf, g in grads:
            self._check_like(g, leaf, f".grad of {name(leaf)}", None)
        for n, (leaf, g) in enumerate(grads):
            others = [(f".grad of {name(o)}", og._data) for o, og in grads[n + 1 :]]
            others += [(name(o), o._data) for o in leaves]
            others += [(f"the upstream gradient of {self.output_name(k)}", up._data) for k, up in upstream.items()]
            for what, array in others:
                if np.shares_memory(g._data, array):
                    raise self.fail(
                        f".grad of {name(leaf)} shares memory with {what}; an in-place update of one "
                        "(an optimizer step, zero_()) would change the other", check="grad_memory",
                    )
        for i, expected in zip(self.checked, gu):
            x = self.inputs[i]
            if x.grad_fn is not None or x.grad is None:
                continue
            got = np.asarray(x.grad._data, dtype=np.float64)
            bad = ~(np.abs(got - expected) <= self.atol + self.rtol * np.abs(expected))
            if bad.any():
                idx = tuple(int(v) for v in np.argwhere(bad)[0])
                raise self.fail(
                    f"backward() left {_num(got[idx])} in .grad of {self.input_name(i)} at element {_fmt(idx)}, but "
                    f"autograd.grad gives {_num(expected[idx])} for the same upstream gradient",
                    check="grad_accumulation", input_index=i, input_element=idx,
                )

    # --- Jacobians ---------------------------------------------------------------------------
    def _shifted_values(self, i: int, plus: np.ndarray, minus: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """Output differences f(plus) - f(minus), with input ``i`` set to each in place, and the
        step actually taken (after rounding to the input's dtype); the exact original is restored."""
        data = self.inputs[i]._data
        original = np.array(data, copy=True)
        try:
            try:
                data[...] = plus
            except ValueError as error:
                raise ValueError(
                    f"{self.title}: cannot perturb {self.input_name(i)} in place ({error}); pass a writable copy, "
                    "e.g. x.detach().clone().requires_grad_()"
                ) from None
            hi = np.array(data, dtype=np.float64)
            f_plus = self.values(self.call())
            data[...] = minus
            lo = np.array(data, dtype=np.float64)
            f_minus = self.values(self.call())
        finally:
            data[...] = original
        return [p - m for p, m in zip(f_plus, f_minus)], hi - lo

    def _numerical_jacobian(self) -> dict[tuple[int, int], np.ndarray]:
        cols: dict[tuple[int, int], np.ndarray] = {}
        for i in self.checked:
            x = self.inputs[i]
            for k in self.diff:
                cols[k, i] = np.zeros((int(np.prod(self.shapes[k])), x.numel()))
            for e, idx in enumerate(np.ndindex(x.shape)):
                plus, minus = np.array(x._data, copy=True), np.array(x._data, copy=True)
                plus[idx] += self.eps
                minus[idx] -= self.eps
                diffs, step = self._shifted_values(i, plus, minus)
                if step[idx] == 0:
                    raise ValueError(
                        f"{self.title}: eps={self.eps:g} is lost to rounding at element {_fmt(idx)} of "
                        f"{self.input_name(i)} (value {_num(x._data[idx])}, dtype {x.dtype}); use a larger eps"
                    )
                for k, d in zip(self.diff, diffs):
                    cols[k, i][:, e] = d / step[idx]
        return cols

    def _analytical_jacobian(self, outs: list[Any]) -> dict[tuple[int, int], np.ndarray]:
        rows: dict[tuple[int, int], np.ndarray] = {}
        for k in self.diff:
            m = int(np.prod(self.shapes[k]))
            for i in self.checked:
                rows[k, i] = np.zeros((m, self.inputs[i].numel()))
            for j in range(m if outs[k].requires_grad else 0):
                onehot = np.zeros(m, dtype=self.dtypes[k])
                onehot[j] = 1
                for i, g in zip(self.checked, self.vjp(outs, {k: onehot.reshape(self.shapes[k])})):
                    rows[k, i][j] = g.reshape(-1)
        return rows

    def _check_jacobian(self, outs: list[Any]) -> None:
        analytical = self._analytical_jacobian(outs)
        numerical = self._numerical_jacobian()
        for k in self.diff:
            for i in self.checked:
                self._compare_block(k, i, numerical[k, i], analytical[k, i])

    def _compare_block(self, k: int, i: int, num: np.ndarray, ana: np.ndarray) -> None:
        err = np.abs(num - ana)
        allowed = self.atol + self.rtol * np.abs(num)
        bad = ~(err <= allowed)
        if not bad.any():
            return
        # Show the failing entry with the largest error (NaN counts as the largest).
        j, e = np.unravel_index(int(np.argmax(np.where(bad, np.nan_to_num(err, nan=np.inf), -1.0))), err.shape)
        out_idx = tuple(int(v) for v in np.unravel_index(j, self.shapes[k]))
        in_idx = tuple(int(v) for v in np.unravel_index(e, self.inputs[i].shape))
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(err == 0, 0.0, err / np.abs(num))
        worst_abs, worst_rel = float(np.nanmax(np.where(np.isnan(err), np.inf, err))), float(np.nanmax(rel))
        lines = [
            f"d({self.output_name(k)})/d({self.input_name(i)}) disagrees with central differences in "
            f"{int(bad.sum())} of {bad.size} entries",
            f"  largest error at output element {_fmt(out_idx)}, input element {_fmt(in_idx)}: numerical "
            f"{num[j, e]:.10g}, analytical {ana[j, e]:.10g}",
            f"  worst abs error {worst_abs:.3g}, worst rel error {worst_rel:.3g} (allowed: atol {self.atol:g} + "
            f"rtol {self.rtol:g} * |numerical|, eps {self.eps:g})",
        ]
        if num.size <= _SHOW_JACOBIAN:
            show = functools.partial(np.array2string, prefix="  ", precision=6, suppress_small=True, max_line_width=110)
            lines.append("  numerical Jacobian (a row per output element, a column per input element):")
            lines.append("  " + show(num))
            lines.append("  analytical Jacobian:")
            lines.append("  " + show(ana))
        raise self.fail(
            "\n".join(lines), check="jacobian", output_index=k, input_index=i, output_element=out_idx,
            input_element=in_idx, numerical=float(num[j, e]), analytical=float(ana[j, e]), abs_error=worst_abs,
            rel_error=worst_rel,
        )

    def _check_projections(self, outs: list[Any]) -> None:
        """Fast mode: compare v^T J u for random unit vectors u (per input) and v (per output)."""
        vs = {}
        for k in self.diff:
            v = self.rng.standard_normal(self.shapes[k])
            vs[k] = v / max(float(np.linalg.norm(v)), 1e-300)
        grads = {k: self.vjp(outs, {k: vs[k].astype(self.dtypes[k])}) for k in self.diff}
        for n, i in enumerate(self.checked):
            x = self.inputs[i]
            u = self.rng.standard_normal(x.shape)
            u /= max(float(np.linalg.norm(u)), 1e-300)
            diffs, delta = self._shifted_values(i, x._data + self.eps * u, x._data - self.eps * u)
            for k, d in zip(self.diff, diffs):
                scale = 2 * self.eps
                numerical = float(vs[k].reshape(-1) @ d) / scale
                analytical = float(grads[k][n].reshape(-1) @ delta.reshape(-1)) / scale
                err = abs(numerical - analytical)
                if not err <= self.atol + self.rtol * abs(numerical):
                    self._report_fast_failure(outs, k, i, numerical, analytical, err)

    def _report_fast_failure(self, outs: list[Any], k: int, i: int, num: float, ana: float, err: float) -> None:
        summary = (
            f"fast mode: v^T J u for {self.output_name(k)} and {self.input_name(i)} is {num:.10g} by central "
            f"differences but {ana:.10g} from backward (abs error {err:.3g})"
        )
        try:
            self._check_jacobian(outs)
        except GradcheckError as precise:
            raise GradcheckError(
                f"{precise}\n  (found by {summary}; the element-by-element rerun above locates it)",
                check=precise.check, output_index=precise.output_index, input_index=precise.input_index,
                output_element=precise.output_element, input_element=precise.input_element,
                numerical=precise.numerical, analytical=precise.analytical, abs_error=precise.abs_error,
                rel_error=precise.rel_error,
            ) from None
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = err / abs(num) if num else float("inf")
        raise self.fail(
            f"{summary}, yet every Jacobian entry passed when rerun in full mode: the projection adds up "
            "rounding errors; loosen atol/rtol or use mode='full'",
            check="jacobian", output_index=k, input_index=i, numerical=num, analytical=ana, abs_error=err,
            rel_error=rel,
        )


def _graph_leaves(roots: list[Tensor]) -> list[Tensor]:
    """Every leaf tensor that backward from ``roots`` would write a ``.grad`` into."""
    leaves: dict[int, Tensor] = {}
    seen: set[int] = set()
    stack: list[Context] = []
    for r in roots:
        if r.grad_fn is None:
            leaves[id(r)] = r
        else:
            stack.append(r.grad_fn)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in node.edges():
            if edge is None:
                continue
            if isinstance(edge[0], Context):
                stack.append(edge[0])
            else:
                leaves[id(edge[0])] = edge[0]
    return list(leaves.values())
