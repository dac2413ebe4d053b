"""The layers of ndgrad, read from the import statements of its packages.

``autograd`` at the bottom; ``nn`` and ``optim`` side by side above it, neither importing the
other; ``ndgrad`` (the command and the torch-shaped namespace) on top; no import cycle; and
nothing outside ``autograd`` uses a private name of it.

An import statement is one of three kinds: run when the module is imported ("import-time"),
run when a function is called ("deferred"), or never run, read only by type checkers (under
``if TYPE_CHECKING:``, "typing"). The layers and the private names are checked on all three.
Cycles are checked twice: among import-time imports (a cycle there can break an import), and
among import-time and deferred ones (deferring an import hides a cycle from Python, not from a
reader). Typing imports are left out of both: types that name each other (a graph node and the
values on its edges) are no dependency at run time.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn", "optim", "ndgrad")
# What each layer may import besides itself.
ALLOWED_LAYERS = {"autograd": set(), "nn": {"autograd"}, "optim": {"autograd"}, "ndgrad": {"autograd", "nn", "optim"}}

# Modules of autograd that the layers above must not reach into, as if their names began with
# "_". None yet: whether ``autograd.function`` and ``autograd.ops`` are public is the lead
# engineer's decision (issue 16); list them here once it is made.
PRIVATE_MODULES: set[str] = set()

# Private names of autograd still used outside it, each until the engine offers a public way.
# Empty it as the engine grows; a name no longer used must be taken out
# (test_allowed_private_uses_are_still_used), so that the list never hides a new use.
ALLOWED_PRIVATE: set[str] = set()


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted ("nn.module")
    target: str  # the imported module, dotted ("autograd.function")
    where: str  # file:line of the statement
    kind: str = "import-time"  # or "deferred", "typing"

    def __str__(self) -> str:
        return f"{self.where}: {self.source} -> {self.target}"


def module_files() -> dict[str, Path]:
    """Every module of the packages by dotted name (a package by its own name)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def import_statements(tree: ast.AST) -> list[tuple[ast.Import | ast.ImportFrom, str]]:
    """Each import statement with its kind: "import-time", "deferred" (in a function) or "typing"."""
    found = []
    stack: list[tuple[ast.AST, str]] = [(tree, "import-time")]
    while stack:
        node, kind = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append((node, kind))
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack += [(child, "typing") for child in node.body]
            stack += [(child, kind) for child in node.orelse]
            continue
        inner = "deferred" if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) else kind
        stack += [(child, "typing" if kind == "typing" else inner) for child in ast.iter_child_nodes(node)]
    return sorted(found, key=lambda pair: pair[0].lineno)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def absolute_module(source: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The dotted name that ``from <node.module> import ...`` in ``source`` refers to."""
    if node.level == 0:
        return node.module or ""
    base = source.split(".")
    if not is_package:
        base.pop()  # a module's relative imports start at its package
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imported_names(source: str, is_package: bool, tree: ast.AST) -> list[tuple[str, int, str]]:
    """Each dotted name a module imports, with its line and kind: ``import a.b`` gives "a.b",
    ``from .x import y`` in package p gives "p.x.y" (a module or a name inside one)."""
    found = []
    for node, kind in import_statements(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, kind) for alias in node.names]
        else:
            base = absolute_module(source, is_package, node)
            found += [(f"{base}.{alias.name}", node.lineno, kind) for alias in node.names]
    return found


def read_imports() -> list[Import]:
    """The imports from one module of the packages to another (standard library and others left out)."""
    files = module_files()
    sources = {module: (path.relative_to(ROOT), path.read_text()) for module, path in files.items()}
    return imports_between(sources)


def imports_between(sources: dict[str, tuple[Path | str, str]]) -> list[Import]:
    """The imports among the modules in ``sources`` (dotted name -> (file, text))."""
    imports = []
    for source, (where, text) in sources.items():
        is_package = Path(where).name == "__init__.py"
        for name, line, kind in imported_names(source, is_package, ast.parse(text)):
            # "autograd.ops.Stack" is the module autograd.ops; "autograd.ops" is itself a module.
            target = name if name in sources else name.rpartition(".")[0]
            if target in sources:
                imports.append(Import(source, target, f"{where}:{line}", kind))
    return imports


def layer(module: str) -> str:
    return module.split(".")[0]


def find_cycles(imports: list[Import]) -> list[list[str]]:
    """The groups of modules that import each other in a circle (strongly connected components
    of more than one module, or a module importing itself), by Tarjan's algorithm without recursion."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        graph.setdefault(imp.source, set()).add(imp.target)
        graph.setdefault(imp.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            child = next(successors, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while not component or component[-1] != node:
                    component.append(stack.pop())
                    on_stack.discard(component[-1])
                if len(component) > 1 or node in graph[node]:
                    cycles.append(sorted(component))
    return cycles


def describe_cycle(cycle: list[str], imports: list[Import]) -> str:
    members = set(cycle)
    edges = dict.fromkeys(
        f"  {imp} ({imp.kind})" for imp in imports if imp.source in members and imp.target in members
    )
    return "modules that import each other: " + ", ".join(cycle) + "\n" + "\n".join(edges)


def cycles_report(kinds: set[str]) -> str:
    imports = [imp for imp in read_imports() if imp.kind in kinds]
    return "\n".join(describe_cycle(c, imports) for c in find_cycles(imports))


def against_layers(imports: list[Import]) -> list[Import]:
    return [
        imp for imp in imports
        if layer(imp.target) != layer(imp.source) and layer(imp.target) not in ALLOWED_LAYERS[layer(imp.source)]
    ]


# --- private names of autograd ---------------------------------------------------------------
def is_private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def first_private(dotted: str) -> str | None:
    """``dotted`` up to its first private part ("autograd.grad_mode._state"), or None."""
    parts = dotted.split(".")
    for k in range(1, len(parts) + 1):
        prefix = ".".join(parts[:k])
        if is_private(parts[k - 1]) or prefix in PRIVATE_MODULES:
            return prefix
    return None


def _attribute_chain(node: ast.Attribute) -> list[str] | None:
    """``a.b.c`` as ["a", "b", "c"]; None when the chain does not start at a plain name."""
    parts: list[str] = []
    value: ast.expr = node
    while isinstance(value, ast.Attribute):
        parts.insert(0, value.attr)
        value = value.value
    return [value.id, *parts] if isinstance(value, ast.Name) else None


def private_uses_in(source: str, is_package: bool, tree: ast.AST) -> list[tuple[int, str]]:
    """(line, private name) for each private name of autograd that a module imports, or reaches
    as an attribute of something it imported from autograd (``ag.grad_mode._state``, ``Tensor._wrap``)."""
    found = set()
    bound = {}  # local name -> the dotted autograd name it stands for
    for node, _ in import_statements(tree):
        for alias, (name, line, _) in zip(node.names, imported_names(source, is_package, ast.Module([node], []))):
            if layer(name) != "autograd":
                continue
            private = first_private(name)
            if private:
                found.add((line, private))
            if isinstance(node, ast.ImportFrom) or alias.asname:
                bound[alias.asname or alias.name] = name
            else:
                bound["autograd"] = "autograd"  # ``import autograd.ops`` binds ``autograd``
    for node in ast.walk(tree):
        chain = _attribute_chain(node) if isinstance(node, ast.Attribute) else None
        if chain and chain[0] in bound:
            private = first_private(".".join([bound[chain[0]], *chain[1:]]))
            if private:
                found.add((node.lineno, private))
    return sorted(found)


def private_uses() -> list[tuple[str, str]]:
    """(file:line, private name) for each use of a private autograd name outside autograd."""
    found = []
    for module, path in module_files().items():
        if layer(module) != "autograd":
            tree = ast.parse(path.read_text(), filename=str(path))
            where = path.relative_to(ROOT)
            uses = private_uses_in(module, path.name == "__init__.py", tree)
            found += [(f"{where}:{line}", name) for line, name in uses]
    return found


# --- the tests --------------------------------------------------------------------------------
def test_no_import_cycle():
    report = cycles_report({"import-time"})
    assert not report, report


def test_no_import_cycle_through_deferred_imports():
    report = cycles_report({"import-time", "deferred"})
    assert not report, report


def test_layers_import_only_downwards():
    # autograd imports none of nn, optim, ndgrad; nn and optim only autograd (not each other).
    wrong = against_layers(read_imports())
    assert not wrong, "imports against the layers:\n" + "\n".join(f"  {imp}" for imp in wrong)


def test_nothing_outside_autograd_uses_its_private_names():
    uses = [(where, name) for where, name in private_uses() if name not in ALLOWED_PRIVATE]
    assert not uses, "private names of autograd used outside it:\n" + "\n".join(f"  {w}: {n}" for w, n in uses)


def test_allowed_private_uses_are_still_used():
    unused = ALLOWED_PRIVATE - {name for _, name in private_uses()}
    assert not unused, f"no longer used: take {sorted(unused)} out of ALLOWED_PRIVATE"


# --- the checks themselves, on made-up modules -------------------------------------------------
def test_cycles_are_found_through_deferred_imports_and_not_through_typing_ones():
    sources = {
        "nn.module": "def draw_graph(self):\n    from .draw import draw\n",
        "nn.draw": "from typing import TYPE_CHECKING\nfrom .rnn import RNNBase\n",
        "nn.rnn": "from . import functional as F\nfrom .module import Module\n",
        "nn.functional": "import math\nfrom autograd import Tensor\nif TYPE_CHECKING:\n    from .rnn import RNN\n",
        "autograd": "",
    }
    imports = imports_between({name: (name.replace(".", "/") + ".py", text) for name, text in sources.items()})
    assert {imp.kind for imp in imports if imp.source == "nn.module"} == {"deferred"}
    assert {imp.kind for imp in imports if imp.source == "nn.functional" and imp.target == "nn.rnn"} == {"typing"}
    deferred = [imp for imp in imports if imp.kind != "typing"]
    assert find_cycles(deferred) == [["nn.draw", "nn.module", "nn.rnn"]]
    described = describe_cycle(["nn.draw", "nn.module", "nn.rnn"], imports)
    assert "nn/module.py:2: nn.module -> nn.draw (deferred)" in described
    assert find_cycles([imp for imp in deferred if imp.kind == "import-time"]) == []
    assert find_cycles(imports) == [["nn.draw", "nn.functional", "nn.module", "nn.rnn"]]
    assert find_cycles([Import("nn.a", "nn.a", "nn/a.py:1")]) == [["nn.a"]]


def test_imports_across_layers_are_found():
    imports = [
        Import("nn.module", "optim.optimizer", "nn/module.py:3"),
        Import("optim.sgd", "nn", "optim/sgd.py:4"),
        Import("autograd.tensor", "ndgrad.cli", "autograd/tensor.py:5"),
        Import("ndgrad.cli", "nn", "ndgrad/cli.py:6"),
        Import("nn.draw", "autograd.ops", "nn/draw.py:7"),
    ]
    wrong = ["nn/module.py:3", "optim/sgd.py:4", "autograd/tensor.py:5"]
    assert [imp.where for imp in against_layers(imports)] == wrong


def test_private_names_are_found():
    text = (
        "import autograd as ag\n"
        "import autograd.ops\n"
        "from autograd import Tensor, _helper\n"
        "from autograd.grad_mode import _state\n"
        "from autograd.function import data_of\n"
        "x = ag.function._state.enabled\n"
        "y = Tensor._wrap(1)\n"
        "z = autograd.ops._table\n"
        "w = ag.tensor(1).__class__, ag.Tensor.sum\n"
        "from .module import _check_name\n"
    )
    assert private_uses_in("nn.thing", False, ast.parse(text)) == [
        (3, "autograd._helper"),
        (4, "autograd.grad_mode._state"),
        (6, "autograd.function._state"),
        (7, "autograd.Tensor._wrap"),
        (8, "autograd.ops._table"),
    ]
    assert first_private("autograd.function.data_of") is None
    PRIVATE_MODULES.add("autograd.function")
    try:
        assert first_private("autograd.function.data_of") == "autograd.function"
    finally:
        PRIVATE_MODULES.discard("autograd.function")
