"""The package's shape: dependencies point one way, no import cycles, no giant functions.

design (docs/design.md): ``data`` <- ``impact``, ``value`` <- ``report`` <- ``cli``;
``impact`` and ``value`` never import each other. Every import counts, including those
inside functions and under ``TYPE_CHECKING``, so a cycle cannot hide behind a lazy import.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "sroi"
MAX_FUNCTION_LINES = 200


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PKG.rglob("*.py")}


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> set[str]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                head = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*head, base] if base else head)
            names = [base, *(f"{base}.{a.name}" for a in node.names)]
        for name in names:
            target = _resolve(name)
            if target and target != module and target.startswith("sroi"):
                found.add(target)
    return found


GRAPH = {m: _imports(m) for m in MODULES}


def _is_ancestor_package(a: str, b: str) -> bool:
    return b.startswith(a + ".")


def _cycles() -> list[list[str]]:
    # Tarjan's strongly connected components. An edge into one's own parent package's
    # __init__ (a re-export) is ignored only if that __init__ does not import back.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
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
                out.append(sorted(comp))

    for v in GRAPH:
        if v not in index:
            visit(v)
    return out


def _without_package_reexports() -> dict[str, set[str]]:
    # A package __init__ that re-exports its own submodules (``from .x import y``) and a
    # submodule that imports a sibling are not a cycle of code; an __init__ importing a
    # submodule that imports the __init__ back would be. Drop edges from a package __init__
    # to its own descendants.
    return {
        m: {
            t
            for t in targets
            if not (MODULES[m].name == "__init__.py" and _is_ancestor_package(m, t))
        }
        for m, targets in GRAPH.items()
    }


def test_no_import_cycles() -> None:
    global GRAPH
    saved = GRAPH
    GRAPH = _without_package_reexports()
    try:
        assert _cycles() == []
    finally:
        GRAPH = saved


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("sroi.data", ("sroi.impact", "sroi.value", "sroi.report", "sroi.cli")),
        ("sroi.impact", ("sroi.value", "sroi.report", "sroi.cli")),
        ("sroi.value", ("sroi.impact", "sroi.report", "sroi.cli")),
        ("sroi.meta", ("sroi.data", "sroi.impact", "sroi.value", "sroi.report", "sroi.cli")),
        ("sroi.report", ("sroi.cli",)),
    ],
)
def test_dependencies_point_one_way(layer: str, forbidden: tuple[str, ...]) -> None:
    bad = sorted(
        f"{m} imports {t}"
        for m, targets in GRAPH.items()
        if m == layer or m.startswith(layer + ".")
        for t in targets
        if any(t == f or t.startswith(f + ".") for f in forbidden)
    )
    assert bad == []


def test_no_function_over_the_limit() -> None:
    long = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{module}.{node.name}: {n} lines")
    assert long == []


def test_no_guessing_at_our_own_interfaces() -> None:
    # The report layer and the CLI call the library with its real signatures.
    # No signature sniffing, no recognising an exception by its class name, no "module
    # missing" imports by name.
    patterns = (r"inspect\.signature", r"\)\.__name__\s*==", r"import_module\(")
    offenders = []
    for module, path in MODULES.items():
        if not (module.startswith("sroi.report") or module == "sroi.cli"):
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{module}: {p}" for p in patterns if re.search(p, text)]
    assert offenders == []
