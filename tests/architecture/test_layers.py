"""The core's layers, read from the folder names, enforced: no module imports a layer above its own,
and no two modules import each other (also through others)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "pneumoscan"

#: Lowest first. A module may import its own layer and those below it, never one above.
LAYERS = {
    "errors": 0,
    "offline": 0,
    "hashing": 0,
    "reading": 1,
    "model": 2,
    "scope": 3,
    "results": 4,
    "outputs": 5,
    "prepare": 6,
    "screener": 6,
    "validation": 7,
    "watch": 7,
    "engines": 7,
    "verdicts": 7,
    "node": 8,
    "cli": 9,
    "__main__": 10,
}


def _module(path: Path) -> str:
    parts = path.relative_to(CORE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pneumoscan"):
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}  # "from pkg import module"
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("pneumoscan")}
    return out


MODULES = {_module(p): _imports(p) for p in sorted(CORE.rglob("*.py"))}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # the package itself names the public API


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m)))
def test_no_module_imports_a_layer_above_its_own(module):
    own = LAYERS[_layer(module)]
    above = sorted(name for name in MODULES[module] if _layer(name) and LAYERS.get(_layer(name), -1) > own)
    assert above == [], f"{module} (layer {_layer(module)}) imports {above}"


def test_every_core_package_has_a_layer():
    assert {_layer(m) for m in MODULES if _layer(m)} <= set(LAYERS)


def test_no_import_circle():
    graph = {m: {n for n in deps if n in MODULES and n != m} for m, deps in MODULES.items()}
    for m in graph:  # a package imports its own modules to name them; that is not a circle
        graph[m] = {n for n in graph[m] if not n.startswith(m + ".")}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                pytest.fail("import circle: " + " -> ".join(path[path.index(n) :] + [n]))
            if n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_reading_never_imports_the_scope_gate_and_training_never_imports_convert():
    assert not any(
        _layer(n) == "scope" for m, deps in MODULES.items() if _layer(m) == "reading" for n in deps
    )
    training = Path(__file__).resolve().parents[2] / "training"
    bad = [p.name for p in training.rglob("*.py") if any(i.startswith("convert") for i in _imports_any(p))]
    assert bad == [], f"training imports convert in {bad}"


def _imports_any(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def test_the_package_names_its_public_api_and_each_name_resolves():
    import subprocess
    import sys

    import pneumoscan

    for name in pneumoscan.__all__:
        assert getattr(pneumoscan, name) is not None, name
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pneumoscan; print('numpy' in sys.modules or 'PIL' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"  # importing the package alone loads nothing heavy
