"""The shape of the code, checked: the modules of src/hubbub import each other without cycles,
and hubbub.core imports nothing of the hub above it.

Every import statement counts, also one inside a function or under `if TYPE_CHECKING:`: a
lazy import only hides a cycle, it does not remove it. Importing `a.b.c` also runs the
packages `a` and `a.b`, so those are edges too. Run this file alone to see the graph's
problems: `uv run pytest tests/unit/test_import_graph.py -q`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT = "hubbub"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def hub_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / ROOT).rglob("*.py"))
            if "migrations" not in p.parts}


def _with_packages(name: str) -> Iterator[str]:
    """`a.b.c` and the packages importing it runs: `a`, `a.b`."""
    parts = name.split(".")
    for end in range(1, len(parts) + 1):
        yield ".".join(parts[:end])


def imported_by(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The hub modules `name` imports, anywhere in its file."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's own package upwards
                package = name.split(".") if is_package else name.split(".")[:-1]
                keep = len(package) - (node.level - 1)
                base = ".".join(package[:keep] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            # `from pkg import sub` imports the module pkg.sub when there is one.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            found.update(m for m in _with_packages(target) if m in modules)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = hub_modules()
    return {name: imported_by(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(start: str) -> None:
        # Iterative, so a deep graph cannot hit the recursion limit.
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
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
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def test_the_checker_sees_cycles_and_lazy_imports(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    source = tmp_path / "m.py"
    source.write_text("import os\ndef f():\n    from hubbub.core import crypto\n"
                      "    from . import sibling\n")
    modules = {"hubbub": source, "hubbub.core": source, "hubbub.core.crypto": source,
               "hubbub.x": source, "hubbub.x.sibling": source, "hubbub.x.m": source}
    assert imported_by("hubbub.x.m", source, modules) == {
        "hubbub", "hubbub.core", "hubbub.core.crypto", "hubbub.x", "hubbub.x.sibling"}


def test_no_module_imports_itself_through_others() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles (break each with a third module both use):\n" + "\n".join(
        " <-> ".join(group) for group in found)


def test_core_imports_nothing_above_it() -> None:
    above = {
        f"{name} imports {target}"
        for name, targets in import_graph().items() if name.startswith(f"{ROOT}.core")
        for target in targets
        if target != ROOT and not (target == f"{ROOT}.core" or target.startswith(f"{ROOT}.core."))
    }
    assert sorted(above) == []
