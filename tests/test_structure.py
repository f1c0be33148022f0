"""The package's import structure: no import cycle between modules, and dependencies point one way.

The graph is read from the source with ``ast`` (nothing is imported). Every ``import`` statement counts, wherever it
stands: at module level, inside a function, under ``if TYPE_CHECKING``. An import placed inside a function to dodge a
cycle still ties the two modules together (each needs the other to work), so it is a cycle all the same.

An edge ``A -> B`` means module A names module B in an import: ``from .x import y`` points at ``pkg.x.y`` when that is
a module, else at ``pkg.x``; ``import tradeoff.a.b`` points at ``tradeoff.a.b``. A package's ``__init__`` is the node
of that package. Only edges inside ``tradeoff`` are kept.

Layering (the developers' guide): data and theory import nothing of linear, deep or reports; linear and deep import
nothing of reports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("data", "theory", "linear", "deep", "reports")
FORBIDDEN = {
    "data": ("linear", "deep", "reports"),
    "theory": ("linear", "deep", "reports"),
    "linear": ("reports",),
    "deep": ("reports",),
}


def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (source file, is a package) for every module under the five package folders."""
    out = {}
    for top in PACKAGES:
        for f in sorted((REPO / top).rglob("*.py")):
            parts = list(f.relative_to(REPO).with_suffix("").parts)
            is_pkg = parts[-1] == "__init__"
            if is_pkg:
                parts = parts[:-1]
            out["tradeoff." + ".".join(parts)] = (f, is_pkg)
    return out


def _imports(name: str, path: Path, is_pkg: bool, known: set[str]) -> set[str]:
    """The tradeoff modules that module ``name`` imports (see the module docstring for what counts)."""
    package = name if is_pkg else name.rpartition(".")[0]
    targets: set[str] = set()

    def add(mod: str, names=()):
        for n in names or [None]:
            if n is not None and f"{mod}.{n}" in known:  # from pkg import submodule
                targets.add(f"{mod}.{n}")
            elif mod in known:
                targets.add(mod)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            add(mod, [a.name for a in node.names])
    targets.discard(name)
    return targets


def import_graph() -> dict[str, set[str]]:
    """Module -> the tradeoff modules it imports."""
    mods = _modules()
    known = set(mods)
    return {name: _imports(name, path, is_pkg, known) for name, (path, is_pkg) in mods.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted, as the cycles to report."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(components)


def test_the_graph_sees_the_packages_and_their_imports():
    graph = import_graph()
    assert {"tradeoff.theory.distribution", "tradeoff.reports.cli", "tradeoff.deep.attacks.pgd"} <= set(graph)
    # a relative import inside a package and an absolute one across packages are both resolved
    assert "tradeoff.theory.distribution" in graph["tradeoff.theory.accuracy"]
    assert any(t.startswith("tradeoff.theory.") for t in graph["tradeoff.reports.cli.theory"])


def test_find_cycles_names_a_cycle_and_ignores_a_chain():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_import_cycle_between_modules():
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_one_way(package):
    graph = import_graph()
    bad = sorted(
        f"{src} -> {dst}"
        for src, dsts in graph.items()
        if src.startswith(f"tradeoff.{package}.") or src == f"tradeoff.{package}"
        for dst in dsts
        if any(dst == f"tradeoff.{f}" or dst.startswith(f"tradeoff.{f}.") for f in FORBIDDEN[package])
    )
    assert not bad, f"tradeoff.{package} must not import {', '.join(FORBIDDEN[package])}: " + "; ".join(bad)
