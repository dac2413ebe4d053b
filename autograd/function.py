"""``Function``: how an op is defined, and ``Context``: the graph node it leaves behind.

Every op of the engine, built in or written by a user, is a ``Function`` subclass with a
static ``forward`` and ``backward`` side by side:

* ``forward(ctx, *args)`` receives the NumPy arrays (or, for ``Scalar``, the floats) of its
  tensor arguments, other arguments unchanged, and returns an array or a tuple of arrays.
* ``backward(ctx, *grads)`` receives one gradient per output, as tensors, and returns one
  gradient (or None) per positional argument of ``forward``. It is written with tensor
  operations, so with ``create_graph=True`` the engine records it like any other code,
  and derivatives of every order come from the same rule.

``ctx.save_for_backward(*arrays)`` takes arrays that ``forward`` received or returned;
``ctx.saved_tensors`` gives them back in ``backward`` as the tensors they belong to, still
connected to the graph. Anything else saved comes back unchanged, as a constant.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .anomaly import creation_site
from .anomaly import state as _anomaly
from .grad_mode import _state


class Variable:
    """What the engine needs of a graph value; ``Tensor`` and ``Scalar`` both are one.

    ``data`` holds the value, ``grad_fn`` the node that produced it (None for a leaf),
    ``_output_nr`` which output of that node it is, ``_vc`` a one-element list counting
    in-place changes (shared by views of the same memory). The list is made only once
    someone may look at it (a node saves the value, a view or ``detach`` shares its memory):
    most values of a graph never need one, and each object avoided is one the cyclic
    collector does not have to walk again and again while a long graph grows.
    """

    __slots__ = ()
    data: Any
    grad: Any
    grad_fn: Context | None
    requires_grad: bool
    _output_nr: int
    _vc: list[int] | None

    @staticmethod
    def _wrap(data: Any, grad_fn: Context | None = None, output_nr: int = 0) -> Any:
        raise NotImplementedError

    def _counter(self) -> list[int]:
        """The version counter, made on first use."""
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        return vc

    def _edge(self) -> tuple[Any, int, Any, Any]:
        raise NotImplementedError



def data_of(x: Any) -> Any:
    """The array (or float) inside a graph value, anything else as it is.

    NOTE: not ``getattr(x, "data", x)``: an ndarray's ``.data`` is a memoryview, and
    ``memoryview == array`` is one bool (a comparison of buffers), not an elementwise one."""
    return x.data if isinstance(x, Variable) else x

class Context:
    """One recorded op: the ``ctx`` of its Function, and the ``grad_fn`` of its outputs.

    It holds what backward needs (saved values, attributes that forward set) and the
    edges along which gradients flow on: one per positional argument, None where that
    argument needs no gradient, else ``(node_or_leaf, output_nr, shape, dtype)``.
    """

    # Engine fields that most nodes never set live in __dict__, with these class defaults.
    __slots__ = (
        "__dict__", "__weakref__", "_freed", "_out_cls", "_saved", "function", "needs_input_grad", "next_edges",
    )
    _n_outputs = 1
    _output_meta: list[tuple[Any, Any]] | None = None
    _non_differentiable: tuple[Any, ...] = ()
    _pre_hooks: dict[int, list[Any]] | None = None
    _retained: dict[int, Any] | None = None

    # Made by Function.apply, which sets every slot: the op's class (``function``), which
    # inputs need a gradient, the edges, what forward saved (as forward gave it, then resolved
    # into entries once forward has returned), whether backward freed it, and the class of
    # the values it produces.
    function: type[Function]
    needs_input_grad: tuple[bool, ...]
    next_edges: tuple[Any, ...]
    _saved: tuple[Any, ...] | None
    _freed: bool

    # --- the ctx API, used inside forward and backward -----------------------------
    def save_for_backward(self, *values: Any) -> None:
        self._saved = values

    def mark_non_differentiable(self, *outputs: Any) -> None:
        """Outputs (arrays returned by forward) that never carry a gradient, such as indices."""
        self._non_differentiable = outputs

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if self._freed:
            raise self.freed_error()
        assert self._saved is not None
        values = []
        for entry in self._saved:
            kind = entry[0]
            if kind == "const":
                values.append(entry[1])
                continue
            if kind == "var":
                value, vc, version = entry[1], entry[2], entry[3]
            else:  # an output: rebuilt on demand, so that the node holds no cycle to it
                _, data, nr, vc, version = entry
                value = self._out_cls._wrap(data, self, nr)
                if value._vc is not vc:
                    value._vc = vc
            if vc[0] != version:
                raise RuntimeError(
                    f"{self.name()} saved a value of shape {np.shape(value.data)} for backward, "
                    f"but it was modified in place afterwards (version {version} when saved, "
                    f"{vc[0]} now). Use an out-of-place op, or clone() before the in-place change."
                )
            values.append(value)
        return tuple(values)

    # --- engine side -------------------------------------------------------------------
    def name(self) -> str:
        return self.function.__name__ + "Backward"

    def freed_error(self) -> RuntimeError:
        return RuntimeError(
            f"{self.name()}: its saved values were freed by an earlier backward pass. "
            "Pass retain_graph=True to the first backward() (or autograd.grad) "
            "to backpropagate through the same graph again."
        )

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    def register_prehook(self, output_nr: int, hook: Any) -> None:
        """Run ``hook(grad)`` on the gradient of one output before this node's backward."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        self._pre_hooks.setdefault(output_nr, []).append(hook)

    def release(self) -> None:
        """Drop what backward needed; called by the engine unless the graph is retained.

        As in torch, only what holds memory goes (saved tensors and arrays, arrays forward
        set on ctx), and only then is the node freed: one that kept none (an add, a sum of
        a reshape, a product with a number) can be backpropagated through again. The
        engine's own (underscored) fields stay, so hooks, retained values and the drawn
        graph survive.
        """
        freed = False
        saved = self._saved
        if saved:
            for entry in saved:
                if entry[0] != "const" or type(entry[1]) is np.ndarray:
                    self._saved = None
                    freed = True
                    break
        d = self.__dict__
        if d:
            for key in [k for k, v in d.items() if k[0] != "_" and isinstance(v, (np.ndarray, Variable))]:
                del d[key]
                freed = True
        if freed:
            self._freed = True


class _Unrecorded:
    """The ctx forward receives when nothing is recorded. One object serves every call:
    saving does nothing and attributes set on it are dropped, since no backward will run."""

    needs_input_grad = (False,) * 64

    def __setattr__(self, name: str, value: Any) -> None:
        pass

    def save_for_backward(self, *values: Any) -> None:
        pass

    def mark_non_differentiable(self, *outputs: Any) -> None:
        pass


_UNRECORDED = _Unrecorded()


class Function:
    """Base class of every op. Subclass it, write ``forward`` and ``backward``, call ``apply``.

    Example (softplus)::

        class Softplus(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return np.logaddexp(0.0, x)

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * x.sigmoid()

        y = Softplus.apply(t)
    """

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def explain(shapes: list[tuple[int, ...]], error: Exception) -> Exception:
        """Turn an error NumPy raised inside forward into one that names the operands."""
        if "broadcast" in str(error):
            listed = " and ".join(str(s) for s in shapes)
            return ValueError(f"shapes {listed} do not broadcast (trailing dims must be equal or 1)")
        # NumPy raises subclasses (UFuncTypeError, AxisError) whose constructors take other arguments.
        kind = (
            TypeError if isinstance(error, TypeError) else IndexError if isinstance(error, IndexError) else ValueError
        )
        return kind(f"operands of shapes {shapes}: {error}")

    @classmethod
    def _explained(cls, error: Exception, args: tuple[Any, ...]) -> Exception:
        # Arrays count as operands too (`ndarray + tensor` reaches here with the array as is).
        shapes = [tuple(np.shape(getattr(a, "data", a))) for a in args if isinstance(a, (Variable, np.ndarray))]
        explained = cls.explain(shapes, error)
        if explained is error:
            return error
        return type(explained)(f"{cls.__name__}: {explained}")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        out_cls = None
        raw = []
        if _state.enabled:
            # Edges are made as the arguments are read: only for an argument that requires
            # grad, which means the op is recorded, so no edge is made in vain.
            record = False
            needs = []
            edges = []
            for a in args:
                if isinstance(a, Variable):
                    if out_cls is None:
                        out_cls = a.__class__
                    raw.append(a.data)
                    if a.requires_grad:
                        record = True
                        needs.append(True)
                        edges.append(a._edge())
                        continue
                else:
                    raw.append(a)
                needs.append(False)
                edges.append(None)
        else:
            # The loop above without needs and edges: under no_grad (and in every backward
            # without create_graph) nothing is recorded, and this is the hot path there.
            record = False
            for a in args:
                if isinstance(a, Variable):
                    if out_cls is None:
                        out_cls = a.__class__
                    raw.append(a.data)
                else:
                    raw.append(a)
        if out_cls is None:
            raise TypeError(
                f"{cls.__name__}.apply needs at least one Tensor or Scalar argument, "
                f"got {tuple(type(a).__name__ for a in args)}"
            )
        if not record:
            try:
                out = cls.forward(_UNRECORDED, *raw, **kwargs)
            except (ValueError, IndexError, TypeError) as error:
                raise cls._explained(error, args) from error
            if type(out) is tuple:
                return tuple(_share_version(out_cls._wrap(o), o, args) for o in out)
            result = out_cls._wrap(out)
            if type(out) is np.ndarray and out.base is not None:
                _share_version(result, out, args)
            return result

        # NOTE: the fields are set here rather than in an __init__: one call fewer per
        # recorded op, which shows on small tensors.
        ctx = _new(Context)
        ctx.function = cls
        ctx.needs_input_grad = tuple(needs)
        ctx.next_edges = tuple(edges)
        ctx._saved = ()
        ctx._freed = False
        ctx._out_cls = out_cls
        if _anomaly.enabled:
            ctx._anomaly_site = creation_site(args)
        try:
            out = cls.forward(ctx, *raw, **kwargs)
        except (ValueError, IndexError, TypeError) as error:
            raise cls._explained(error, args) from error
        if type(out) is tuple:
            ctx._n_outputs = len(out)
            outputs = tuple(_share_version(out_cls._wrap(o, ctx, i), o, args) for i, o in enumerate(out))
            ctx._output_meta = [(np.shape(o), getattr(o, "dtype", None)) for o in out]
            for i, o in enumerate(out):
                if any(o is nd for nd in ctx._non_differentiable):
                    outputs[i].grad_fn = None
                    outputs[i].requires_grad = False
            result = outputs
        else:
            result = out_cls._wrap(out, ctx, 0)
            if type(out) is np.ndarray and out.base is not None:
                _share_version(result, out, args)
            outputs, out = (result,), (out,)
        if ctx._saved:
            ctx._saved = _resolve_saved(ctx._saved, args, out, outputs)
        return result


_new = object.__new__


def _share_version(value: Any, data: Any, args: tuple[Any, ...]) -> Any:
    """A result that is a NumPy view of an input shares that input's version counter,
    so that an in-place change through either one is seen by whoever saved the other."""
    if type(data) is np.ndarray and data.base is not None:
        for a in args:
            if isinstance(a, Variable) and type(a.data) is np.ndarray:
                root = a.data if a.data.base is None else a.data.base
                if data.base is root:
                    # A second entry marks the counter as shared by a view and its base.
                    vc = a._counter()
                    if len(vc) == 1:
                        vc.append(1)
                    value._vc = vc
                    break
    return value


_NOTHING = ("const", None)


def _resolve_saved(
    to_save: tuple[Any, ...], args: tuple[Any, ...], raw_out: tuple[Any, ...], outputs: tuple[Any, ...]
) -> tuple[tuple[Any, ...], ...]:
    """Turn the arrays forward saved back into references to the graph values they are.

    Returned as a tuple: once it holds only constants, the collector stops tracking it.
    NOTE: ``Variable._counter()`` is inlined below, one call fewer per saved value."""
    saved = []
    used: list[int] = []
    n = len(args)
    for k, item in enumerate(to_save):
        if item is None:
            saved.append(_NOTHING)
            continue
        for i, o in enumerate(raw_out):
            if item is o:
                vc = outputs[i]._vc
                if vc is None:
                    vc = outputs[i]._vc = [0]
                saved.append(("out", o, i, vc, vc[0]))
                break
        else:
            # Two arguments can share one array (x * x.detach()): the argument in the same
            # position as the saved value is the one meant, so it is tried first.
            a = args[k] if k < n else None
            if isinstance(a, Variable) and a.data is item and k not in used:
                pos = k
            else:
                a = None
                for j in range(n):
                    b = args[j]
                    if isinstance(b, Variable) and b.data is item and j not in used:
                        a, pos = b, j
                        break
            if a is None:
                saved.append(("const", item))
            else:
                used.append(pos)
                vc = a._vc
                if vc is None:
                    vc = a._vc = [0]
                saved.append(("var", a, vc, vc[0]))
    return tuple(saved)
