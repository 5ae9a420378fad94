"""The import graph of pipeline/: which pipeline modules a module imports (read with ast, not run).

Used for a stage's code version (the files of its entry modules and everything they import,
:func:`closure`) and by tests/test_architecture.py (no cycles, layers imported one way).
Every import counts: top-level, inside functions and under ``if TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def module_path(name: str) -> Path | None:
    """Source file of dotted module ``name`` (``pipeline.x.y``), or None when it is not one."""
    parts = name.split(".")
    if parts[0] != "pipeline":
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for p in (base.with_suffix(".py"), base / "__init__.py"):
        if p.is_file():
            return p
    return None


def all_modules() -> list[str]:
    """Dotted names of every module of pipeline/ (packages by their ``__init__``)."""
    out = []
    for p in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = p.relative_to(PACKAGE_DIR).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append(".".join(("pipeline", *parts)))
    return out


@cache
def imports_of(name: str) -> tuple[str, ...]:
    """Pipeline modules that module ``name`` imports anywhere in its source, sorted."""
    path = module_path(name)
    if path is None:
        return ()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
    return tuple(sorted(m for m in found if m != name and module_path(m) is not None
                        and not module_path(m).name == "__init__.py"))


def closure(entries: Iterable[str]) -> list[Path]:
    """Source files of ``entries`` and of every pipeline module they import, directly or not."""
    seen: set[str] = set()
    todo = list(entries)
    while todo:
        name = todo.pop()
        if name in seen or module_path(name) is None:
            continue
        seen.add(name)
        todo += imports_of(name)
    return sorted(p for n in seen if (p := module_path(n)) is not None)


def cycles() -> list[list[str]]:
    """Import cycles among pipeline modules (each as a list of module names), empty when none."""
    graph = {m: imports_of(m) for m in all_modules()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for m in graph:
        if m not in index:
            visit(m)
    return found
