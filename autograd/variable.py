"""``Variable``: everything the engine asks of a value, in one place.

``Tensor`` and ``Scalar`` are both Variables. ``Function.apply`` and the backward walk
(``engine.py``) touch a value only through the attributes and methods listed here, so a
reader who wants to know what "a value in the graph" means needs only this class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .function import Context


class Variable:
    """A value that can sit in the graph.

    Fields the engine reads and writes:

    * ``_data``: the raw value (a NumPy array for a Tensor, a float for a Scalar).
    * ``grad_fn``: the node that produced it, None for a leaf.
    * ``_output_nr``: which output of ``grad_fn`` it is.
    * ``requires_grad``: whether a gradient flows to it.
    * ``_vc``: the version counter, a one-element list counting in-place changes, shared by
      views of the same memory; None until someone may look at it (a node saves the value,
      or a view shares its memory). A second element marks a counter shared by a view and
      its base.
    * ``_hooks``: the hooks of a leaf, None if it has none.

    And one that readers of the graph (the renderer) show: ``grad``, the gradient kept so far
    (a Tensor's is a Tensor or None, a Scalar's a float).
    """

    __slots__ = ()
    _data: Any
    grad_fn: Context | None
    requires_grad: bool
    _output_nr: int
    _vc: list[int] | None
    _hooks: list[Any] | None
    grad: Any

    @staticmethod
    def _wrap(data: Any, grad_fn: Context | None = None, output_nr: int = 0) -> Any:
        """A value of this kind around the raw result ``data`` of an op, no checks, no copy."""
        raise NotImplementedError

    @staticmethod
    def _zeros(shape: Any, dtype: Any) -> Any:
        """A raw zero gradient (for an output of a multi-output node that received none)."""
        raise NotImplementedError

    @staticmethod
    def _sum_to(g: Any, shape: Any, op: str) -> Any:
        """The gradient ``g`` (raw or a value) summed over broadcast dims to ``shape``."""
        raise NotImplementedError

    def _accumulate_grad(self, g: Any, create_graph: bool, owned: bool = False) -> None:
        """Add a gradient that reached this leaf (or retained non-leaf) into ``.grad``;
        ``owned``: nobody else holds ``g``, so it may be kept without a copy."""
        raise NotImplementedError

    def _seed_grad(self, gradient: Any, create_graph: bool) -> Any:
        """The gradient backward starts from: ``gradient`` checked, or ones."""
        raise NotImplementedError

    def _counter(self) -> list[int]:
        """The version counter, made on first use."""
        vc = self._vc
        if vc is None:
            # Variable has no slots of its own; every subclass declares a ``_vc`` slot or class field.
            vc = self._vc = [0]  # type: ignore[misc]
        return vc


def data_of(x: Any) -> Any:
    """The raw value inside a Variable, anything else as it is."""
    return x._data if isinstance(x, Variable) else x


# The Tensor class, handed over by tensor.py once it is defined: the modules the class is
# assembled from (indexing_ops, summaries, generator, ...) make tensors from data through
# these two functions, since tensor.py imports them and they cannot import it.
_TENSOR: list[Any] = []


def new_tensor(data: Any) -> Any:
    """A Tensor made from ``data`` (copied, float32 for Python floats), as ``Tensor(data)``."""
    return _TENSOR[0](data)


def wrap_array(array: Any) -> Any:
    """A Tensor around ``array`` itself, outside the graph."""
    return _TENSOR[0]._wrap(array)
