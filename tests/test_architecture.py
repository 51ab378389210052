"""The package's shape: imports point down the layers and never in a circle (counting
imports inside functions too, so a lazy import cannot hide one), and no model knowledge
(any registered model's name, a test of a family) outside ``mnistbench/models``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mnistbench"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every mnistbench module ``path`` imports, wherever the import statement sits."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            # The longest known module that the imported name lies in.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
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
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    graph = _graph()
    # A module importing its own parent package (``mnistbench.data.split`` -> ``mnistbench.data``
    # for a sibling) is no cycle: Python has imported the parent first anyway. Every other
    # edge counts, a package's re-exports of its modules included.
    graph = {a: {b for b in deps if not a.startswith(b + ".")} for a, deps in graph.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


#: The layers, lowest first. A module may import from its own layer's package and from
#: lower layers, never from a higher layer nor from a sibling package of its own layer
#: (harness and report stand side by side and know nothing of each other). The design is
#: in docs/architecture.md.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors",),
    ("files",),
    ("data", "models"),
    ("results",),
    ("analysis",),
    ("harness", "report"),
    # tuning runs trials with the harness's clocks; the report reads a study's saved log
    # (mnistbench.results.study_log), never this package
    ("tuning",),
    ("testing",),
    # text into values, shared by the two edges above it; the core below never parses text
    ("parsing",),
    ("commands", "api"),
    ("cli",),
    ("__main__", ""),
)


def _top(module: str) -> str:
    """The first part below ``mnistbench`` ("" for the package itself)."""
    return module.removeprefix("mnistbench").lstrip(".").split(".")[0]


def _layer(module: str) -> int:
    top = _top(module)
    for level, names in enumerate(LAYERS):
        if top in names:
            return level
    raise AssertionError(f"{module} is in no layer: add its package to LAYERS")


def _upward(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for module, deps in sorted(graph.items()):
        for dep in sorted(deps):
            if module.startswith(dep + "."):  # a module and its own package
                continue
            same_package = _top(module) == _top(dep)
            if _layer(dep) > _layer(module) or (_layer(dep) == _layer(module) and not same_package):
                wrong.append(f"{module} -> {dep}")
    return wrong


def test_every_module_is_in_a_layer():
    for module in _modules():
        _layer(module)


def test_imports_point_down_the_layers():
    graph = _graph()
    # The package's lazy ``mnistbench.run`` / ``load_run`` (PEP 562 __getattr__) are the
    # top of the stack re-exported at its root: the root sits in the top layer.
    assert _upward(graph) == []


def test_the_layer_check_finds_upward_imports():
    assert _upward({"mnistbench.results.store": {"mnistbench.harness.runner"}}) == [
        "mnistbench.results.store -> mnistbench.harness.runner"
    ]
    assert _upward({"mnistbench.report.html": {"mnistbench.harness.runner"}}) == [
        "mnistbench.report.html -> mnistbench.harness.runner"
    ]
    assert _upward({"mnistbench.harness.plan": {"mnistbench.results.store"}}) == []
    assert _upward({"mnistbench.harness.plan": {"mnistbench.harness.runner"}}) == []


def _model_names() -> set[str]:
    from mnistbench.models import registered_models

    return {entry.name for entry in registered_models()}


@pytest.mark.parametrize(
    "path",
    sorted(p for p in PACKAGE.rglob("*.py") if "models" not in p.relative_to(PACKAGE).parts),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_no_model_knowledge_outside_models(path):
    """No model name in code, and no test of a model's family, outside mnistbench/models."""
    tree = ast.parse(path.read_text())
    strings = [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]
    docstrings = {
        ast.get_docstring(n)
        for n in ast.walk(tree)
        if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef)
    }
    names = _model_names()
    named = [s for s in strings if s not in docstrings and s in names]
    assert named == [], f"model names {named} in {path.name}"
    assert not re.search(r"family\s*[!=]=|[!=]=\s*['\"](deep|classical)['\"]", path.read_text())
