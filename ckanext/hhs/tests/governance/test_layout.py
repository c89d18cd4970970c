"""The layout issue #26 asks for, checked on the source text (nothing is imported or run): no import
circles anywhere in ckanext/hhs, and the governance parts as sub-packages without `import *`, filename
suffixes or oversized modules."""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[2]  # ckanext/hhs
GOVERNANCE = PACKAGE / "governance"
PARTS = ("metrics", "duplicates", "quality", "gaps")
MAX_LINES = 600


def _name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parents[1]).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, pathlib.Path]:
    """Every module of ckanext/hhs but the tests, by dotted name."""
    return {_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "tests" not in p.relative_to(PACKAGE).parts}


def _imports(name: str, path: pathlib.Path, modules: set[str]) -> set[str]:
    """The modules of `modules` that `name` imports anywhere in its text (in functions too: an import
    deferred into a function still makes the two modules depend on each other), but under
    `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    nodes = list(tree.body)
    while nodes:
        node = nodes.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
            continue
        nodes.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = alias.name
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target:
                    found.add(target)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                if f"{source}.{alias.name}" in modules:
                    found.add(f"{source}.{alias.name}")
                elif source in modules:
                    found.add(source)
    found.discard(name)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_import_circles_in_ckanext_hhs():
    sources = _sources()
    graph = {name: _imports(name, path, set(sources)) for name, path in sources.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_sees_a_circle():
    """The check above finds what it looks for: a deferred import back counts."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_import_reader_resolves_relative_and_deferred_imports(tmp_path):
    module = tmp_path / "views.py"
    module.write_text(
        "from . import pages\nfrom .metrics import views as m\n\ndef f():\n    from .. import text\n",
        encoding="utf-8",
    )
    modules = {"ckanext.hhs.text", "ckanext.hhs.governance.pages", "ckanext.hhs.governance.metrics.views"}
    found = _imports("ckanext.hhs.governance.views", module, modules)
    assert found == {"ckanext.hhs.governance.pages", "ckanext.hhs.governance.metrics.views", "ckanext.hhs.text"}


@pytest.mark.parametrize("part", PARTS)
def test_each_governance_part_is_a_feature_shaped_sub_package(part):
    folder = GOVERNANCE / part
    for required in ("__init__.py", "model.py", "views.py", "logic/__init__.py", "logic/action.py", "logic/auth.py"):
        assert (folder / required).is_file(), f"{part}/{required}"
    assert (folder / "logic" / "schema.py").is_file()


def test_governance_has_no_star_imports_suffixed_files_or_oversized_modules():
    for path in sorted(GOVERNANCE.rglob("*.py")):
        where = path.relative_to(GOVERNANCE)
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        stars = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names)]
        assert not stars, f"{where}: import *"
        assert not any(path.stem.endswith(f"_{part}") for part in PARTS), f"{where}: a filename suffix"
        assert len(text.splitlines()) <= MAX_LINES, f"{where}: over {MAX_LINES} lines"
