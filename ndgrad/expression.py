"""``ndgrad graph --expr``: a small expression over named Scalars or Tensors, built by walking
its syntax tree (never ``eval``). Allowed: numbers, names, ``+ - * / **``, unary ``-``, and a few
functions, called as ``tanh(x)`` or ``x.tanh()``. Anything else is refused, by name.
"""

from __future__ import annotations

import ast
import operator
from typing import Any

import numpy as np

import autograd as ag

FUNCTIONS = ("exp", "log", "relu", "sigmoid", "tanh", "sum", "mean")  # sum and mean: Tensors only
BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.Pow: operator.pow}
ALLOWED = f"numbers, names, + - * / **, unary -, and the functions {', '.join(FUNCTIONS)}"


class ExpressionError(ValueError):
    """An expression or a variable that ``build`` refuses."""


def parse_variables(items: list[str]) -> dict[str, Any]:
    """``["x=2", "w=[1, 2]"]`` -> ``{"x": 2.0, "w": array([1., 2.])}``: numbers, or lists of them."""
    values: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ExpressionError(f"--var {item}: expected NAME=VALUE, such as x=2 or w=[1,2]")
        try:
            value = np.asarray(ast.literal_eval(text.strip()), dtype=np.float64)  # literals only: no code runs
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise ExpressionError(f"--var {item}: the value must be a number or a list of numbers") from None
        values[name] = float(value) if value.ndim == 0 else value
    return values


def build(text: str, values: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Evaluate ``text`` over ``values`` (names not given are 1.0); return the result and the
    variables by name. Scalars, unless a value is a list: then every variable is a Tensor."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"--expr {text!r}: not an expression ({error.msg})") from None
    except RecursionError:
        raise ExpressionError(f"--expr: the expression is nested too deeply ({len(text)} characters)") from None
    # The function of a call (tanh in tanh(x)) is a name in the tree too, but not a variable.
    callees = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    names = sorted({node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and id(node) not in callees})
    unused = sorted(set(values) - set(names))
    if unused:
        raise ExpressionError(f"--var {unused[0]}: {unused[0]!r} does not appear in the expression {text!r}")
    as_tensors = any(isinstance(v, np.ndarray) for v in values.values())
    variables = {
        name: ag.tensor(values.get(name, 1.0), dtype=np.float64, requires_grad=True) if as_tensors
        else ag.Scalar(values.get(name, 1.0), name)
        for name in names
    }
    try:
        result = _Evaluator(text, variables).visit(tree.body)
    except RecursionError:
        raise ExpressionError(f"--expr: the expression is nested too deeply ({len(text)} characters)") from None
    if not isinstance(result, (ag.Scalar, ag.Tensor)):
        raise ExpressionError(f"--expr {text!r}: has no variables, so there is no graph to draw")
    return result, variables


class _Evaluator:
    def __init__(self, text: str, variables: dict[str, Any]) -> None:
        self.text, self.variables = text, variables

    def visit(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)  # floats: 9 ** 9 ** 9 overflows at once instead of computing a huge int
        if isinstance(node, ast.Name):
            return self.variables[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            return self.apply(node, BINARY[type(node.op)], self.visit(node.left), self.visit(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return self.apply(node, operator.neg, self.visit(node.operand))
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.refuse(node, f"is not allowed; use {ALLOWED}")

    def call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Name) and len(node.args) == 1:  # tanh(x)
            name, argument = func.id, node.args[0]
        elif isinstance(func, ast.Attribute) and not node.args:  # x.tanh()
            name, argument = func.attr, func.value
        else:
            raise self.refuse(node, "is not allowed: call a function on one value, as tanh(x) or x.tanh()")
        if name not in FUNCTIONS or node.keywords:
            raise self.refuse(node, f"is not allowed: {name} is not one of {', '.join(FUNCTIONS)}")
        value = self.visit(argument)
        method = getattr(value, name, None)
        if not isinstance(value, (ag.Scalar, ag.Tensor)) or method is None:
            raise self.refuse(node, f"cannot be computed: a {type(value).__name__} has no {name}")
        return self.apply(node, method)

    def apply(self, node: ast.AST, function: Any, *arguments: Any) -> Any:
        try:
            return function(*arguments)
        except (TypeError, ValueError, ArithmeticError) as error:
            raise self.refuse(node, f"cannot be computed: {error}") from None

    def refuse(self, node: ast.AST, why: str) -> ExpressionError:
        token = ast.get_source_segment(self.text, node) or type(node).__name__
        return ExpressionError(f"--expr: {token!r} {why}")
