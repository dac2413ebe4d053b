"""The built-in ops, each an ``Op`` (a ``Function`` on arrays) with its forward and backward side
by side. Public: an op of another package (``nn``) may call them in its own rules."""

from .einsum import Einsum
from .elementwise import (
    Abs,
    Add,
    Cast,
    Clamp,
    Clone,
    Cos,
    Div,
    Exp,
    Log,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Relu,
    Sigmoid,
    Sin,
    Sqrt,
    Sub,
    Tanh,
    Where,
)
from .linalg import Linear, Matmul, linear_grads
from .math import (
    Acos,
    Acosh,
    Asin,
    Asinh,
    Atan,
    Atan2,
    Atanh,
    Cosh,
    Erf,
    Erfc,
    Erfinv,
    Expm1,
    Hypot,
    LocallyConstant,
    Log1p,
    Log2,
    Log10,
    LogAddExp,
    Remainder,
    Sinh,
    Tan,
)
from .reduce import LogSoftmax, LogSumExp, Max, Min, Prod, Softmax, Sum
from .scan import Cumprod, Cumsum, LogCumSumExp
from .shape import Cat, CopyFrom, Expand, Fill, GetItem, IndexAdd, Permute, Reshape, SetItem, Stack, SumToShape, Unbind

__all__ = [
    "Abs", "Add", "Cast", "Cat", "Clamp", "Clone", "CopyFrom", "Cos", "Div", "Exp", "Expand", "Fill",
    "GetItem", "IndexAdd", "Linear", "Log", "LogSoftmax", "LogSumExp", "Matmul", "Max", "Maximum", "Min",
    "Minimum", "Mul", "Neg", "Permute", "Pow", "Prod", "Relu", "Reshape", "SetItem", "Sigmoid",
    "Sin", "Softmax", "Sqrt", "Stack", "Sub", "Sum", "SumToShape", "Tanh", "Unbind", "Where",
    "Cumprod", "Cumsum", "LogCumSumExp",  # scans
    "Einsum",  # products
    "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atan2", "Atanh", "Cosh", "Erf", "Erfc", "Erfinv", "Expm1",  # math
    "Hypot", "LocallyConstant", "Log1p", "Log2", "Log10", "LogAddExp", "Remainder", "Sinh", "Tan",
    "linear_grads",
]
