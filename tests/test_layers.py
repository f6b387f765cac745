"""The layout's rules, checked on the source (docs/architecture.md, "Layers"): no module imports a
module of a higher layer, no import circle, transforms import nothing from csi, and every SQL
statement lives in the warehouse package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("transforms", "schemas", "csi")
# low to high; a module may import its own layer and the layers below it
LAYERS: tuple[tuple[str, ...], ...] = (
    ("transforms",),
    ("schemas",),
    ("csi.vocab", "csi.secrets", "csi.clock", "csi.faults", "csi.events", "csi.settings",
     "csi.catalog", "csi.text_config"),
    ("csi.ingest", "csi.validation", "csi.generate"),
    ("csi.warehouse",),
    ("csi.quality",),
    ("csi.alerts", "csi.report", "csi.backtest_report"),
    ("csi.pipeline",),
    ("csi.flows",),
    ("csi.cli",),
)
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|CREATE\s+(TABLE|VIEW|INDEX)"
                 r"|DROP\s+(TABLE|VIEW)|ALTER\s+TABLE|COPY\s)", re.DOTALL)  # our SQL is written in capitals


def modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = modules()


def _is_empty_package(name: str) -> bool:
    """An __init__ with nothing but a docstring: importing it runs no code of ours."""
    path = MODULES[name]
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return path.name == "__init__.py" and all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
                                              for n in body)


def layer_of(name: str) -> int:
    best, level = -1, None
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, level = len(prefix), i
    if level is None:
        raise AssertionError(f"{name}: in no layer of tests/test_layers.py (add it where it belongs)")
    return level


def imports(name: str) -> set[str]:
    """Project modules `name` imports, at the top or inside functions."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base
                                                                                                else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name and not _is_empty_package(target):
                found.add(target)
    return found


GRAPH = {name: imports(name) for name in MODULES}


def test_every_module_has_a_layer():
    assert [m for m in MODULES if not _is_empty_package(m) and layer_of(m) < 0] == []


def test_no_module_imports_a_module_above_it():
    upward = sorted(f"{m} -> {t}" for m, ts in GRAPH.items() for t in ts if layer_of(t) > layer_of(m))
    assert upward == []


def test_transforms_import_nothing_from_csi():
    assert sorted(f"{m} -> {t}" for m, ts in GRAPH.items() if m.startswith("transforms")
                  for t in ts if not t.startswith("transforms")) == []


def test_no_import_circle():
    """Tarjan's strongly connected components of the import graph: each must be one module
    (a package's __init__ re-exporting its own modules aside)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if MODULES[w].name == "__init__.py" and v.startswith(w + "."):
                continue  # a module importing its package's re-exports is no circle of code
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            strong(name)
    assert circles == []


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            out.append((node.lineno, text))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            out.append((node.lineno, node.value))
    return out


@pytest.mark.parametrize("package", ["csi", "transforms", "schemas"])
def test_sql_lives_only_in_the_warehouse_package(package):
    found = []
    for name, path in MODULES.items():
        if not name.startswith(package) or name.startswith("csi.warehouse"):
            continue
        found += [f"{path.relative_to(ROOT)}:{line}: {text[:60]!r}" for line, text in _strings(path) if SQL.search(text)]
    assert found == []
