"""The marketplace's layout (issue #26): sub-packages that import each other without a circle, no
`import *`, and no module past 600 lines. Read from the source with ast, without importing it."""

from __future__ import annotations

import ast
import pathlib

import pytest

import ckanext.hhs.marketplace as marketplace

ROOT = pathlib.Path(marketplace.__file__).parent
PACKAGE = marketplace.__name__
MAX_LINES = 600


def _name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


MODULES = {_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _absolute(module: str, node: ast.ImportFrom) -> str:
    """The package or module a `from ... import` names, made absolute."""
    if not node.level:
        return node.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rsplit(".", 1)[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def _imports(module: str) -> set[str]:
    """The marketplace modules a module imports (at its top or inside a function alike)."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            # `from pkg import name`: the submodule pkg.name when there is one, else pkg itself.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in MODULES and t != module}
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each import circle once, as the modules around it (depth-first search; the graph is small)."""
    cycles, seen = [], set()
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycle = path[path.index(target) :] + [target]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    cycles.append(cycle)
            elif target not in state:
                visit(target, [*path, target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


GRAPH = {module: _imports(module) for module in MODULES}


def test_the_import_graph_is_read():
    # The plugin reaches every sub-package's actions and auth functions, and the URL map their views.
    plugin = GRAPH[f"{PACKAGE}.plugin"]
    for part in ("products", "requests", "records", "licences", "needs", "metrics"):
        assert {f"{PACKAGE}.{part}.logic.action", f"{PACKAGE}.{part}.logic.auth"} <= plugin
        assert f"{PACKAGE}.{part}.views" in GRAPH[f"{PACKAGE}.views"]
    assert f"{PACKAGE}.records.versions" in GRAPH[f"{PACKAGE}.requests.logic.action"]


def test_no_import_circle_inside_the_marketplace():
    assert _cycles(GRAPH) == []


def test_a_circle_would_be_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_star_import_and_no_module_past_600_lines(module):
    text = MODULES[module].read_text()
    stars = [
        node.lineno
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names)
    ]
    assert stars == []
    assert len(text.splitlines()) <= MAX_LINES
