"""The documentation site (mkdocs.yml, docs/) builds with ``mkdocs build --strict``: a broken
link, a missing anchor, a page left out of the navigation or a reference to an object that does
not exist fails the build, and so this test. The build also has to show every notebook with its
stored pictures, and an API reference that covers every public name of autograd, nn and optim.
The README's links into docs/ are checked here too, since the site does not see the README.

Serve the site while editing with ``.venv/bin/mkdocs serve``.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="building the documentation site needs the docs extra (in the test extra)")
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "mkdocs.yml"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
HEADING_ID = re.compile(r'<h[1-6] id="([^"]+)"')
LINK = re.compile(r"\]\(([^)\s]+)\)")
TIMEOUT = 300


def _build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    # NO_MKDOCS_2_WARNING: the Material theme's banner about MkDocs 2, printed on every build.
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False,
    )


def _problems(build: subprocess.CompletedProcess[str]) -> str:
    lines = (build.stdout + build.stderr).splitlines()
    return "\n".join(line for line in lines if not line.startswith("INFO")) or f"exit status {build.returncode}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for this module's tests."""
    folder = tmp_path_factory.mktemp("site")
    build = _build(CONFIG, folder)
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{_problems(build)}"
    return folder


def test_the_site_builds_strictly(site: Path) -> None:
    pages = {p.parent.relative_to(site).as_posix() for p in site.rglob("index.html")}
    expected = {".", "getting-started", "errors", "notebooks", "reference", "reference/autograd", "reference/tensor",
                "reference/nn", "reference/optim", "guides/porting", "guides/rendering-graphs",
                "guides/checking-gradients", "guides/reliability", "guides/command", "guides/performance"}
    assert expected <= pages, f"pages missing from the site: {sorted(expected - pages)}"


def test_the_site_is_built_from_the_top_folder_without_leaving_files() -> None:
    """mkdocs.yml keeps the site in site/ (ignored by git) and the notebook plugin's cache off."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    assert (config["docs_dir"], config["site_dir"]) == ("docs", "site"), config
    assert "site/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split(), "site/ is not in .gitignore"
    (jupyter,) = [p["mkdocs-jupyter"] for p in config["plugins"] if isinstance(p, dict) and "mkdocs-jupyter" in p]
    assert jupyter["execute"] is False and jupyter["cache"] is False, jupyter


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem[:2] for n in NOTEBOOKS])
def test_each_notebook_is_a_page_with_its_stored_pictures(site: Path, notebook: Path) -> None:
    page = site / "notebooks" / notebook.stem / "index.html"
    assert page.is_file(), f"{notebook.name} has no page in the site (add it to the nav in mkdocs.yml)"
    stored = json.loads(notebook.read_text(encoding="utf-8"))
    pictures = sum(
        1
        for cell in stored["cells"]
        for out in cell.get("outputs", [])
        if {"image/png", "image/svg+xml"} & set(out.get("data", {}))
    )
    html = page.read_text(encoding="utf-8")
    shown = html.count("data:image/png;base64,") + html.count("<svg")
    assert pictures and shown >= pictures, f"{notebook.name}: {pictures} stored pictures, {shown} on its page"


def _documented(site: Path) -> set[str]:
    return {i for page in (site / "reference").rglob("index.html") for i in HEADING_ID.findall(page.read_text("utf-8"))}


def _public_names(package: types.ModuleType) -> list[str]:
    """The names a user reaches as ``package.name``: ``__all__``, or else every class and function
    the package's own modules define (imported modules and private names left out)."""
    if hasattr(package, "__all__"):
        names = list(package.__all__)
    else:
        names = [n for n, v in vars(package).items() if not n.startswith("_") and (inspect.isclass(v) or callable(v))
                 and getattr(v, "__module__", "").split(".")[0] == package.__name__]
    return [n for n in names if not isinstance(getattr(package, n), types.ModuleType)]


PACKAGES = ["autograd", "autograd.testing", "autograd.render", "nn", "nn.functional", "nn.init", "nn.utils",
            "nn.data", "nn.datasets", "nn.checkpoint", "optim", "optim.lr_scheduler"]


@pytest.mark.parametrize("package", PACKAGES)
def test_the_api_reference_covers_every_public_name(site: Path, package: str) -> None:
    """Each public name has a heading ``module.name`` in docs/reference/, where ``module`` is the
    package or any module inside it (the nn page is made of nn's modules, ``nn.linear.Linear``)."""
    module = importlib.import_module(package)
    top = package.split(".")[0]
    documented = _documented(site)
    by_name: dict[str, set[str]] = {}
    for heading in documented:
        parent, _, name = heading.rpartition(".")
        if parent == top or parent.startswith(top + "."):
            by_name.setdefault(name, set()).add(parent)
    missing = [
        name for name in _public_names(module)
        if not any(isinstance(sys.modules.get(parent), types.ModuleType) for parent in by_name.get(name, ()))
    ]
    assert not missing, (
        f"{package}: {', '.join(missing)} not in the API reference: add a `::: module` line for the module that "
        f"defines them to a page of docs/reference/ (see docs/reference/nn.md)"
    )


def _config_with_docs(docs: Path, tmp_path: Path) -> Path:
    """mkdocs.yml with ``docs`` as its pages (and no navigation), written beside them."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config.pop("nav")
    config["docs_dir"] = str(docs)
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            plugin["mkdocstrings"]["handlers"]["python"]["paths"] = [str(ROOT)]
    path = tmp_path / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


# Pages the strict build must refuse, each with what its complaint names. A reference to a missing
# object stops the build at once, so it gets a build of its own; the link checks report together.
BROKEN_PAGES = {
    "links": {
        "link.md": ("See [the guide](guides/missing.md).", "guides/missing.md"),
        "anchor.md": ("See [the section](#no-such-heading).", "no-such-heading"),
    },
    "reference": {"reference.md": ("::: autograd.no_such_function", "autograd.no_such_function")},
}


@pytest.mark.parametrize("pages", BROKEN_PAGES.values(), ids=BROKEN_PAGES.keys())
def test_broken_pages_fail_the_strict_build(tmp_path: Path, pages: dict[str, tuple[str, str]]) -> None:
    """The configuration itself: a broken link, a missing anchor and a reference to a missing
    object each fail a build with it."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Pages\n\n" + "".join(f"[{n}]({n})\n" for n in pages), encoding="utf-8")
    for name, (text, _) in pages.items():
        (docs / name).write_text(f"# {name}\n\n{text}\n", encoding="utf-8")
    build = _build(_config_with_docs(docs, tmp_path), tmp_path / "site")
    assert build.returncode != 0, f"the strict build passed these pages: {pages}"
    output = build.stdout + build.stderr
    unreported = [name for name, (_, complaint) in pages.items() if complaint not in output]
    assert not unreported, f"the build did not complain about {unreported}:\n{_problems(build)}"


def test_the_readme_links_resolve() -> None:
    """The README is the front page on the code host: its relative links (into docs/) must exist."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = [link.split("#")[0] for link in LINK.findall(readme) if not re.match(r"[a-z]+://", link)]
    assert any(link.startswith("docs/") for link in links), f"the README links to no page of docs/: {links}"
    broken = sorted({link for link in links if link and not (ROOT / link).exists()})
    assert not broken, f"README links to files that do not exist: {broken}"
