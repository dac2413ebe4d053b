"""The graph pictures (docs/*.svg) shown in the README and the documentation pages are what the
commands printed above them draw today.

Each picture follows the code that draws it: a ```sh block whose last command runs
``.venv/bin/python`` (``-m autograd.render ...`` or ``-c "...; drawing.render('docs/x', format='svg')"``),
or a ```python block whose last statement is such a ``render`` call. The test reruns that
code so that it writes the DOT source instead of the SVG, and checks that the committed SVG
has the same nodes with the same labels, the same clusters and the same edges. A change in the
engine that renames or fuses ops (``MatmulBackward`` becoming ``LinearBackward``) then fails
here until the picture is regenerated with its command. Graphviz versions lay out, measure and
escape differently, so labels and graph structure are compared, never bytes; no Graphviz is needed.
Commands run from the repository's top folder, so pictures are named by their path from there
(a page in docs/guides/ shows docs/graph.svg as ``../graph.svg``).
"""

from __future__ import annotations

import ast
import html
import posixpath
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
SVG = "{http://www.w3.org/2000/svg}"
PICTURE = re.compile(r"\]\(([\w./-]+\.svg)\)")  # the end of ![alt text](path/to/x.svg)


def _python_command(code: str) -> str:
    """A ```python block as the shell command that runs it."""
    return f".venv/bin/python -c {shlex.quote(code.strip())}"


def _pictures_and_commands(text: str, folder: str) -> list[tuple[str, str]]:
    """(picture, the code that draws it) for every SVG picture in the Markdown ``text`` of a page
    in ``folder`` (relative to the top): the last command of the ```sh block before it, or the
    whole ```python block before it, whichever came last."""
    pairs, block, last_command, fence = [], [], None, None
    for line in text.splitlines():
        if line.startswith("```"):
            commands = [b.strip() for b in block if b.strip() and not b.lstrip().startswith("#")]
            if fence in ("sh", "bash") and commands:
                last_command = commands[-1]
            elif fence == "python":
                last_command = _python_command("\n".join(block))
            fence, block = (None if fence is not None else line.strip()[3:]), []
            continue
        if fence is not None:
            block.append(line)
            continue
        for picture in PICTURE.findall(line):
            pairs.append((posixpath.normpath(posixpath.join(folder, picture)), last_command))
    return pairs


PICTURES = [
    (page, picture, command)
    for page in PAGES
    for picture, command in _pictures_and_commands(page.read_text(encoding="utf-8"),
                                                   page.parent.relative_to(ROOT).as_posix())
]
# Each (picture, command) pair once, with the first page that shows it (for the test's id).
COMMANDS = {(picture, command): page for page, picture, command in reversed(PICTURES)}


def _rendering_call(code: str, picture: str) -> tuple[ast.Module, ast.expr]:
    """Split ``...; drawing.render('docs/x', format='svg', ...)`` into the statements before it and ``drawing``."""
    module = ast.parse(code)
    last = module.body[-1]
    call = last.value if isinstance(last, ast.Expr) else None
    ok = (
        isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "render"
        and [ast.literal_eval(a) for a in call.args] == [picture.removesuffix(".svg")]
        and {k.arg: ast.literal_eval(k.value) for k in call.keywords}.get("format") == "svg"
    )
    assert ok, f"the command for {picture} should end with .render({picture.removesuffix('.svg')!r}, " \
               f"format='svg', ...), not {ast.unparse(last)!r}"
    return ast.Module(body=module.body[:-1], type_ignores=[]), call.func.value


def _dot_source(picture: str, command: str, tmp_path: Path) -> str:
    """Run the command for ``picture`` so that it produces DOT source rather than the SVG."""
    argv = shlex.split(command)
    assert argv[0] == ".venv/bin/python", f"the command for {picture} should run .venv/bin/python: {command}"
    if argv[1:3] == ["-m", "autograd.render"]:
        assert picture in argv, f"the command for {picture} does not write it: {command}"
        dot_file = tmp_path / "picture.gv"  # autograd.render writes DOT text for a .gv output
        args = [str(dot_file) if a == picture else a for a in argv[3:]]
        subprocess.run([sys.executable, "-m", "autograd.render", *args], cwd=ROOT, check=True,
                       capture_output=True, text=True, timeout=120)
        return dot_file.read_text(encoding="utf-8")
    if argv[1] == "-c":
        before, drawing = _rendering_call(argv[2], picture)
        code = f"{ast.unparse(before)}\nimport sys\nsys.stdout.write(({ast.unparse(drawing)}).source)"
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True,
                              timeout=120)
        return done.stdout
    raise AssertionError(f"cannot tell how to rebuild {picture} from its command {command!r}")


def _label_lines(label: str) -> list[str]:
    """The lines of a DOT label as Graphviz prints them, each a <text> element of the SVG."""
    if label.startswith("<") and label.endswith(">"):  # an HTML-like label
        text = re.sub(r"<br\s*/?>", "\n", label[1:-1], flags=re.IGNORECASE)
        lines = html.unescape(re.sub(r"<[^>]+>", "\n", text)).split("\n")
    else:
        if label.startswith('"'):
            label = label[1:-1]
        lines = re.split(r"\\[nlr]", label.replace('\\"', '"'))
        lines = [line.replace("\\\\", "\\") for line in lines]
    return [line.strip() for line in lines if line.strip()]


LABEL = r'label=("(?:[^"\\]|\\.)*"|<.*?>(?=[\s\]])|[^\s\]]+)'
NODE = re.compile(rf"^\s*(\w+) \[{LABEL}", re.MULTILINE)
CLUSTER = re.compile(rf"subgraph (cluster_\w+) \{{\s*graph \[[^\n]*?\b{LABEL}")
EDGE = re.compile(r"^\s*(\w+) -> (\w+)", re.MULTILINE)


def _from_dot(source: str) -> tuple[dict[str, list[str]], dict[str, list[str]], Counter[str]]:
    nodes = {name: _label_lines(label) for name, label in NODE.findall(source)}
    clusters = {name: _label_lines(label) for name, label in CLUSTER.findall(source)}
    edges = Counter(f"{a}->{b}" for a, b in EDGE.findall(source))
    return nodes, clusters, edges


def _from_svg(path: Path) -> tuple[dict[str, list[str]], dict[str, list[str]], Counter[str]]:
    nodes, clusters, edges = {}, {}, Counter()
    for group in ET.parse(path).getroot().iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        if title is None or title.text is None:
            continue
        texts = ["".join(t.itertext()).strip() for t in group.iter(f"{SVG}text")]
        kind = group.get("class")
        if kind == "node":
            nodes[title.text] = [t for t in texts if t]
        elif kind == "cluster":
            clusters[title.text] = [t for t in texts if t]
        elif kind == "edge":
            edges[title.text] += 1
    return nodes, clusters, edges


def _differences(expected: dict[str, list[str]], found: dict[str, list[str]], what: str) -> list[str]:
    return [
        f"{what} {name}: {'missing' if name not in found else found[name]} in the picture, "
        f"{'absent' if name not in expected else expected[name]} in what the command draws"
        for name in sorted(expected.keys() | found.keys())
        if expected.get(name) != found.get(name)
    ]


def _label_counts(nodes: dict[str, list[str]]) -> Counter[str]:
    return Counter(" / ".join(lines) for lines in nodes.values())


def _listed(labels: Counter[str]) -> str:
    return ", ".join(f"{label!r} x{n}" if n > 1 else repr(label) for label, n in sorted(labels.items())) or "none"


def test_the_readme_shows_both_pictures_with_their_commands() -> None:
    """Both pictures are shown with their commands: the README shows the drawn model, and the
    rendering guide shows both, each under the shell command that draws it."""
    pictures = {picture for _, picture, _ in PICTURES}
    assert {"docs/graph.svg", "docs/mlp_graph.svg"} <= pictures, f"pictures on the pages: {sorted(pictures)}"
    assert all(command for _, _, command in PICTURES), f"a picture without a command above it: {PICTURES}"
    in_readme = {picture for page, picture, _ in PICTURES if page == README}
    assert "docs/mlp_graph.svg" in in_readme, f"README pictures: {sorted(in_readme)}"
    guide = ROOT / "docs" / "guides" / "rendering-graphs.md"
    in_guide = {picture for page, picture, _ in PICTURES if page == guide}
    assert {"docs/graph.svg", "docs/mlp_graph.svg"} <= in_guide, f"pictures in {guide.name}: {sorted(in_guide)}"
    missing = sorted({picture for _, picture, _ in PICTURES if not (ROOT / picture).is_file()})
    assert not missing, f"pictures shown on a page but not in the repository: {missing}"


def test_a_picture_is_drawn_by_the_block_before_it() -> None:
    """How a page is read: the command of a picture is the last line of the ```sh block before
    it, or the whole ```python block before it; paths are resolved from the page's folder."""
    page = """```sh
.venv/bin/python -m autograd.render docs/a.svg
# a comment
```

![a](../a.svg)

```python
import nn

nn.draw(m).render("docs/b", format="svg")
```

![b](../b.svg) and ![a again](../a.svg)
"""
    python = '.venv/bin/python -c \'import nn\n\nnn.draw(m).render("docs/b", format="svg")\''
    assert _pictures_and_commands(page, "docs/guides") == [
        ("docs/a.svg", ".venv/bin/python -m autograd.render docs/a.svg"),
        ("docs/b.svg", python),
        ("docs/a.svg", python),
    ]
    assert shlex.split(python)[2] == 'import nn\n\nnn.draw(m).render("docs/b", format="svg")'


@pytest.mark.parametrize(("picture", "command"), list(COMMANDS),
                         ids=[f"{picture}:{page.name}" for (picture, _), page in COMMANDS.items()])
def test_picture_is_what_its_command_draws(picture: str, command: str, tmp_path: Path) -> None:
    expected_nodes, expected_clusters, expected_edges = _from_dot(_dot_source(picture, command, tmp_path))
    assert expected_nodes, f"no nodes found in the DOT source that `{command}` makes"
    nodes, clusters, edges = _from_svg(ROOT / picture)
    problems = []
    drawn, pictured = _label_counts(expected_nodes), _label_counts(nodes)
    if drawn != pictured:  # the readable summary: which labels are new, which are gone
        problems.append(f"node labels only in the picture: {_listed(pictured - drawn)}; "
                        f"only in what the command draws: {_listed(drawn - pictured)}")
    else:  # the same labels, wired or numbered differently
        problems += _differences(expected_nodes, nodes, "node")
    problems += _differences(expected_clusters, clusters, "cluster")
    if edges != expected_edges:
        problems.append(f"edges only in the picture: {sorted((edges - expected_edges).elements())}; "
                        f"only in what the command draws: {sorted((expected_edges - edges).elements())}")
    assert not problems, (
        f"{picture} is not what its command draws now; regenerate it with\n    {command}\n"
        + "\n".join(problems[:20]) + (f"\n... and {len(problems) - 20} more" if len(problems) > 20 else "")
    )
