"""``Function``: how an op is defined, and ``Context``: the graph node it leaves behind.

Every op, built in or written by a user, is a ``Function`` subclass with a static
``forward`` and ``backward`` side by side. There are two kinds, told apart by the class
attribute ``on_arrays``:

* A user's Function (``on_arrays = False``, as in PyTorch): ``forward(ctx, *args)`` receives
  the tensors themselves, runs with recording off, and returns a tensor or a tuple of them;
  ``backward(ctx, *grads)`` receives tensors and returns one gradient (or None) per
  positional argument of ``forward``. ``ctx.save_for_backward(*tensors)`` keeps inputs or
  outputs for backward, ``ctx.saved_tensors`` gives them back, ``ctx.mark_dirty(*inputs)``
  declares inputs changed in place, ``ctx.mark_non_differentiable(*outputs)`` outputs that
  carry no gradient.
* An op on arrays (``on_arrays = True``, subclass ``Op``; every built-in op is one): forward
  receives the NumPy arrays (or floats) inside the tensors and returns arrays. Backward is
  one rule that runs two ways: on plain arrays when no graph is being built (a first-order
  ``backward()``: no tensor or node is made), and on tensors when one is
  (``create_graph=True``), recorded like any other code, so that derivatives of every order
  come from the same rule. It must therefore be written with NumPy functions and operators
  (``np.exp(x)``, ``np.where(c, g, 0)``, ``g * y``), which ``Tensor`` implements through
  NumPy's dispatch protocols (``numpy_api.py``), never with methods only one of the two has.
  Another op's ``apply`` called with arrays only computes its forward on them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .anomaly import creation_site
from .anomaly import state as _anomaly
from .grad_mode import _state
from .variable import Variable, data_of

__all__ = ["Context", "Function", "Op", "Variable", "data_of"]

_FREED: tuple[Any, ...] = ("freed",)  # what ``_saved`` holds once backward freed the node
_creation = itertools.count()  # nodes are numbered as made: consumers always after producers


class _Rare:
    """The fields few nodes need, behind one slot of the node that is None otherwise:
    several outputs, hooks on outputs, retained gradients, anomaly mode's creation site."""

    __slots__ = ("dirty", "non_differentiable", "output_meta", "pre_hooks", "retained", "site")

    def __init__(self) -> None:
        self.output_meta: list[tuple[Any, Any]] | None = None  # (shape, dtype) per output, if several
        self.pre_hooks: dict[int, list[Any]] | None = None
        self.retained: dict[int, Any] | None = None  # output nr -> the tensor whose .grad to fill
        self.non_differentiable: tuple[Any, ...] = ()  # outputs, as forward returned them
        self.dirty: tuple[Any, ...] = ()  # inputs forward changed in place
        self.site: Any = None


class Context:
    """One recorded op: the ``ctx`` of its Function during forward and backward, and the
    ``grad_fn`` of its outputs.

    ``next_edges`` has one entry per positional argument: None where that argument needs no
    gradient, else ``(node_or_leaf, output_nr, shape, dtype)`` (a Scalar's node holds its
    arguments instead; see ``edges()``). ``_seq`` numbers nodes in creation order, which the
    backward walk follows in reverse.
    """

    __slots__ = (
        "__dict__", "__weakref__", "_out_cls", "_partials", "_rare", "_saved", "_seq", "function",
        "needs_input_grad", "next_edges",
    )
    function: type[Function]
    needs_input_grad: tuple[bool, ...]
    next_edges: tuple[Any, ...]
    _saved: Any
    _seq: int
    _rare: _Rare | None
    _partials: tuple[float | None, ...] | None  # a Scalar op's local derivatives, as floats (None: no share)
    _out_cls: Any

    # --- the ctx API, used inside forward and backward -----------------------------
    def save_for_backward(self, *values: Any) -> None:
        self._saved = values

    def mark_non_differentiable(self, *outputs: Any) -> None:
        """Outputs (as forward returns them) that never carry a gradient, such as indices."""
        self._rare_fields().non_differentiable = outputs

    def mark_dirty(self, *inputs: Any) -> None:
        """Inputs that forward changed in place (and returns): they take this node's history."""
        self._rare_fields().dirty = inputs

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """What forward saved: raw arrays for an op on arrays in a first-order backward,
        tensors (connected to the graph) otherwise."""
        saved = self._saved
        if saved is _FREED:
            raise self.freed_error()
        as_values = _state.enabled or not self.function.on_arrays
        values = []
        for entry in saved:
            kind = entry[0]
            if kind == "const":
                values.append(entry[1])
                continue
            if kind == "var":
                value, vc, version = entry[1], entry[2], entry[3]
                if vc[0] != version:
                    raise self._modified_error(value, vc, version)
                values.append(value if as_values else value._data)
            else:  # an output: rebuilt on demand, so that the node holds no cycle to it
                _, data, nr, vc, version = entry
                if vc[0] != version:
                    raise self._modified_error(data, vc, version)
                if as_values:
                    value = self._out_cls._wrap(data, self, nr)
                    if value._vc is not vc:
                        value._vc = vc
                    values.append(value)
                else:
                    values.append(data)
        return tuple(values)

    def _modified_error(self, value: Any, vc: list[int], version: int) -> RuntimeError:
        return RuntimeError(
            f"{self.name()} saved a value of shape {np.shape(data_of(value))} for backward, "
            f"but it was modified in place afterwards (version {version} when saved, "
            f"{vc[0]} now). Use an out-of-place op, or clone() before the in-place change."
        )

    # --- what readers of the graph use (renderer, anomaly mode, gradcheck) ------------
    def name(self) -> str:
        return self.function.__name__ + "Backward"

    @property
    def n_outputs(self) -> int:
        rare = self._rare
        return 1 if rare is None or rare.output_meta is None else len(rare.output_meta)

    @property
    def output_meta(self) -> list[tuple[Any, Any]] | None:
        """(shape, dtype) of each output of a node with several, else None."""
        return None if self._rare is None else self._rare.output_meta

    @property
    def freed(self) -> bool:
        return self._saved is _FREED

    def edges(self) -> list[tuple[Any, int, Any, Any, Any] | None]:
        """One entry per positional argument of forward: None, or ``(node_or_leaf, output_nr,
        shape, dtype, value)`` with ``value`` the Scalar itself for a Scalar's node, else None."""
        if self._partials is None:
            return [None if e is None else (e[0], e[1], e[2], e[3], e[4] if len(e) > 4 else None)
                    for e in self.next_edges]
        return [(a.grad_fn or a, 0, None, None, a) if isinstance(a, Variable) and a.requires_grad else None
                for a in self.next_edges]

    def saved_entries(self) -> tuple[Any, ...] | None:
        """What forward saved, as (kind, ...) entries; None once backward freed them."""
        if self._saved is _FREED:
            return None
        return () if self._partials is not None else self._saved

    def retained(self) -> dict[int, Any]:
        """Output nr -> the tensor whose gradient is kept there (``retain_grad``)."""
        return {} if self._rare is None or self._rare.retained is None else self._rare.retained

    def creation_site(self) -> Any:
        return None if self._rare is None else self._rare.site

    def freed_error(self) -> RuntimeError:
        return RuntimeError(
            f"{self.name()}: its saved values were freed by an earlier backward pass. "
            "Pass retain_graph=True to the first backward() (or autograd.grad) "
            "to backpropagate through the same graph again."
        )

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    def _rare_fields(self) -> _Rare:
        rare = self._rare
        if rare is None:
            rare = self._rare = _Rare()
        return rare

    def register_prehook(self, output_nr: int, hook: Any) -> list[Any]:
        """Run ``hook(grad)`` on the gradient of one output before this node's backward;
        returns the list it was added to (for a handle that removes it)."""
        rare = self._rare_fields()
        if rare.pre_hooks is None:
            rare.pre_hooks = {}
        hooks = rare.pre_hooks.setdefault(output_nr, [])
        hooks.append(hook)
        return hooks

    def retain(self, output_nr: int, value: Any) -> None:
        rare = self._rare_fields()
        if rare.retained is None:
            rare.retained = {}
        rare.retained[output_nr] = value

    def forget_retained(self, output_nr: int) -> Any:
        if self._rare is None or not self._rare.retained:
            return None
        return self._rare.retained.pop(output_nr, None)

    def release(self) -> None:
        """Drop what backward needed; called by the engine unless the graph is retained.

        As in torch, only what was saved for backward goes, and only if it holds memory (a
        tensor or an array): a node that saved none (an add, a sum of a reshape, a product
        with a number) can be backpropagated through again. Attributes forward set on ctx
        live as long as the node, as in torch; hooks, retained values and what the renderer
        draws survive.
        """
        saved = self._saved
        if saved and saved is not _FREED:
            for entry in saved:
                if entry[0] != "const" or type(entry[1]) is np.ndarray:
                    self._saved = _FREED
                    return


def new_node(function: Any, edges: tuple[Any, ...], needs: tuple[bool, ...], partials: Any, out_cls: Any,
             args: tuple[Any, ...]) -> Context:
    """A node for one op: ``Function.apply`` makes them, and ``Scalar``'s arithmetic.

    NOTE: the fields are set here rather than in an ``__init__`` that takes keywords: a
    plain call with positions is the cheapest way to fill a slotted object in Python."""
    node = _new(Context)
    node.function = function
    node.next_edges = edges
    node.needs_input_grad = needs
    node._saved = ()
    node._seq = next(_creation)
    node._rare = None
    node._partials = partials
    node._out_cls = out_cls
    if _anomaly.enabled:
        node._rare_fields().site = creation_site(args)
    return node


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

    def mark_dirty(self, *inputs: Any) -> None:
        pass


_UNRECORDED = _Unrecorded()
_new = object.__new__


class Function:
    """Base class of every op. Subclass it, write ``forward`` and ``backward``, call ``apply``.

    Example (softplus, as a user writes it)::

        class Softplus(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return (x.exp() + 1).log()

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * x.sigmoid()

        y = Softplus.apply(t)
    """

    on_arrays = False

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
        shapes = [tuple(np.shape(data_of(a))) for a in args if isinstance(a, (Variable, np.ndarray))]
        explained = cls.explain(shapes, error)
        if explained is error:
            return error
        return type(explained)(f"{cls.__name__}: {explained}")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run the op on ``args`` and, if an argument requires grad and recording is on,
        record a node for it. Called with no Tensor or Scalar at all, an op on arrays just
        computes its forward (that is how one rule calls another on plain arrays)."""
        on_arrays = cls.on_arrays
        out_cls: type[Variable] | None = None
        record = False
        raw: list[Any] = []
        needs: list[bool] = []
        edges: list[Any] = []
        recording = _state.enabled
        for a in args:
            if isinstance(a, Variable):
                if out_cls is None:
                    out_cls = a.__class__
                data = a._data
                raw.append(data)
                if recording and a.requires_grad:
                    record = True
                    needs.append(True)
                    node: Context | Variable | None = a.grad_fn
                    if node is None:
                        if type(data) is np.ndarray and data.dtype.kind != "f":
                            raise _integer_leaf_error(data.dtype)
                        node = a
                    # NOTE: the edge is built here, not by a method of the value: one call
                    # fewer per argument of every op. A Scalar's edge also holds the Scalar.
                    edges.append((node, a._output_nr, data.shape, data.dtype) if type(data) is np.ndarray
                                 else (node, a._output_nr, None, None, a))
                    continue
            else:
                raw.append(a)
            needs.append(False)
            edges.append(None)
        fargs = raw if on_arrays else args
        if not record:
            if out_cls is None and not on_arrays:
                raise TypeError(
                    f"{cls.__name__}.apply needs at least one Tensor or Scalar argument, "
                    f"got {tuple(type(a).__name__ for a in args)}"
                )
            return cls._run_unrecorded(out_cls, fargs, args, kwargs)

        ctx = new_node(cls, tuple(edges), tuple(needs), None, out_cls, args)
        if on_arrays:
            try:
                out = cls.forward(ctx, *fargs, **kwargs)
            except (ValueError, IndexError, TypeError) as error:
                raise cls._explained(error, args) from error
        else:
            out = _forward_of_users_function(cls, ctx, args, kwargs)
        if type(out) is tuple:
            return _record_outputs(ctx, out, args, out_cls, on_arrays)
        rare = ctx._rare
        if not on_arrays or (rare is not None and (rare.non_differentiable or rare.dirty)):
            return _record_outputs(ctx, (out,), args, out_cls, on_arrays)[0]
        assert out_cls is not None  # an argument requires grad, so one is a Variable
        result = out_cls._wrap(out, ctx, 0)
        if type(out) is np.ndarray and out.base is not None:
            _share_version(result, out, args)
        if ctx._saved:
            ctx._saved = _resolve_saved(ctx._saved, raw, args, (out,), (result,))
        return result

    @classmethod
    def _run_unrecorded(cls, out_cls: Any, fargs: Sequence[Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not cls.on_arrays:
            out = _forward_of_users_function(cls, _UNRECORDED, args, kwargs)
            if type(out) is tuple:
                return tuple(o if isinstance(o, Variable) else out_cls._wrap(o) for o in out)
            return out if isinstance(out, Variable) else out_cls._wrap(out)
        try:
            out = cls.forward(_UNRECORDED, *fargs, **kwargs)
        except (ValueError, IndexError, TypeError) as error:
            raise cls._explained(error, args) from error
        if out_cls is None:  # a rule calling an op on plain arrays: arrays in, arrays out
            return out
        if type(out) is tuple:
            return tuple(_share_version(out_cls._wrap(o), o, args) for o in out)
        result = out_cls._wrap(out)
        if type(out) is np.ndarray and out.base is not None:
            _share_version(result, out, args)
        return result


class Op(Function):
    """An op on arrays: the kind every built-in op is (see the module's docstring)."""

    on_arrays = True


def _forward_of_users_function(cls: type[Function], ctx: Context | _Unrecorded, args: tuple[Any, ...],
                               kwargs: dict[str, Any]) -> Any:
    """A user's forward runs on the tensors themselves, with recording off, as in torch."""
    prev = _state.enabled
    _state.enabled = False
    try:
        return cls.forward(ctx, *args, **kwargs)
    except (ValueError, IndexError, TypeError) as error:
        raise cls._explained(error, args) from error
    finally:
        _state.enabled = prev


def _record_outputs(ctx: Context, out: tuple[Any, ...], args: tuple[Any, ...], out_cls: Any,
                    on_arrays: bool) -> Any:
    """The outputs of a recorded node (several, or one of a user's Function)."""
    rare = ctx._rare
    dirty = rare.dirty if rare is not None else ()
    nondiff = rare.non_differentiable if rare is not None else ()
    if rare is not None:
        rare.dirty = rare.non_differentiable = ()  # what they name is resolved here, not kept
    returned = out  # as forward returned them: what save_for_backward and the marks refer to
    raw_out = tuple(data_of(o) for o in out)
    if len(out) > 1:
        rare = ctx._rare_fields()
        rare.output_meta = [(np.shape(o), getattr(o, "dtype", None)) for o in raw_out]
    outputs: list[Any] = []
    for i, (o, data) in enumerate(zip(returned, raw_out)):
        earlier = next((k for k in range(i) if returned[k] is o), None)
        if earlier is not None:  # the same object returned twice is one output, as in torch
            outputs.append(outputs[earlier])
            continue
        if any(o is d_ for d_ in dirty):
            # An input changed in place: it takes this node's history, as after ``x.mul_(2)``.
            o._counter()[0] += 1
            o.grad_fn, o._output_nr, o.requires_grad = ctx, i, True
            outputs.append(o)
            continue
        value = out_cls._wrap(data, ctx, i)
        if not on_arrays and isinstance(o, Variable) and o._vc is not None:
            value._vc = o._vc
        elif type(data) is np.ndarray and data.base is not None:
            _share_version(value, data, args)
        if any(o is n for n in nondiff):
            value.grad_fn = None
            value.requires_grad = False
        outputs.append(value)
    if ctx._saved:
        raw_args = [data_of(a) for a in args]
        ctx._saved = _resolve_saved(ctx._saved, raw_args, args, returned, tuple(outputs))
    return tuple(outputs)


def _share_version(value: Any, data: Any, args: tuple[Any, ...]) -> Any:
    """A result that is a NumPy view of an input shares that input's version counter,
    so that an in-place change through either one is seen by whoever saved the other."""
    if type(data) is np.ndarray and data.base is not None:
        for a in args:
            if isinstance(a, Variable) and type(a._data) is np.ndarray:
                root = a._data if a._data.base is None else a._data.base
                if data.base is root:
                    vc = a._counter()
                    if len(vc) == 1:
                        vc.append(1)  # a second entry marks the counter as shared by a view and its base
                    value._vc = vc
                    if a.grad_fn is None and a.requires_grad:
                        value._base = a  # a view of a leaf that requires grad: it must not change in place
                    break
    return value


_NOTHING = ("const", None)


def _resolve_saved(
    to_save: tuple[Any, ...], raw_args: list[Any], args: tuple[Any, ...], returned: tuple[Any, ...],
    outputs: tuple[Any, ...],
) -> tuple[tuple[Any, ...], ...]:
    """Turn what forward saved back into references to the graph values they are.

    ``to_save`` holds what forward saw: arrays for an op on arrays, tensors for a user's
    Function. Returned as a tuple: once it holds only constants, the collector stops
    tracking it. NOTE: ``Variable._counter()`` is inlined below, one call fewer per saved value."""
    saved: list[tuple[Any, ...]] = []
    used: list[int] = []
    n = len(args)
    for k, item in enumerate(to_save):
        if item is None:
            saved.append(_NOTHING)
            continue
        for i, o in enumerate(returned):
            if item is o:
                value = outputs[i]
                vc = value._vc
                if vc is None:
                    vc = value._vc = [0]
                if value.grad_fn is None:  # a non-differentiable output: a constant of the graph
                    saved.append(("var", value, vc, vc[0]))
                else:
                    saved.append(("out", value._data, value._output_nr, vc, vc[0]))
                break
        else:
            # Two arguments can share one array (x * x.detach()): the argument in the same
            # position as the saved value is the one meant, so it is tried first.
            pos = -1
            if k < n and isinstance(args[k], Variable) and (raw_args[k] is item or args[k] is item) and k not in used:
                pos = k
            else:
                for j in range(n):
                    b = args[j]
                    if isinstance(b, Variable) and (raw_args[j] is item or b is item) and j not in used:
                        pos = j
                        break
            if pos < 0:
                saved.append(("const", item))
            else:
                used.append(pos)
                a = args[pos]
                vc = a._vc
                if vc is None:
                    vc = a._vc = [0]
                saved.append(("var", a, vc, vc[0]))
    return tuple(saved)


def _integer_leaf_error(dtype: Any) -> TypeError:
    return TypeError(f"only floating-point tensors can require grad, this one has dtype {dtype}")
