"""The shape of the code: no module of codegen or validators imports another's private
name, and the imports a module runs when it loads form no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("codegen", "validators")


def _modules(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(module: str, path: Path, *, at_load: bool) -> list[tuple[str, str, int]]:
    """(module imported, name imported or "", line) for each import of `module`; with
    `at_load`, only those run when it loads (module level, not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if at_load:
        nodes = _run_at_load(tree.body)
    else:
        nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    out = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [(alias.name, "", node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, path, node)
            out += [(source, alias.name, node.lineno) for alias in node.names]
    return out


def private_imports(modules: dict[str, Path]) -> list[str]:
    private = []
    for module, path in modules.items():
        for source, name, line in _imports(module, path, at_load=False):
            if source in modules and source != module and name.startswith("_") and not name.startswith("__"):
                private.append(f"{module}:{line}: {name} from {source}")
    return private


def import_cycles(modules: dict[str, Path]) -> list[str]:
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for source, name, _ in _imports(module, path, at_load=True):
            # `from pkg import mod` imports the module pkg.mod; `from pkg.mod import f`, pkg.mod.
            target = f"{source}.{name}" if f"{source}.{name}" in modules else source
            if target in modules and target != module:
                edges[module].add(target)
                # Loading pkg.mod loads pkg first (unless pkg is the importer's own package).
                parent = target.rpartition(".")[0]
                if parent in modules and not module.startswith(parent + ".") and parent != module:
                    edges[module].add(parent)
    cycles: list[str] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    return cycles


def _run_at_load(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """The imports among statements run when a module loads: not in a function, not
    under `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            found += _run_at_load(node.orelse)
        else:
            for field in ("body", "orelse", "finalbody", "handlers"):
                found += _run_at_load(getattr(node, field, []))
    return found


def test_no_module_imports_a_private_name_of_another() -> None:
    assert private_imports(_modules()) == []


def test_the_imports_run_at_load_form_no_cycle() -> None:
    assert import_cycles(_modules()) == []


def test_the_checks_see_a_cycle_and_a_private_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .sub.b import _helper\n")
    (package / "sub" / "__init__.py").write_text("from .. import a\n")
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..a import x\n"
        "def _helper():\n    from ..a import _late\n"
    )
    modules = _modules(tmp_path, ("pkg",))
    assert private_imports(modules) == ["pkg.a:1: _helper from pkg.sub.b", "pkg.sub.b:5: _late from pkg.a"]
    # a loads pkg.sub.b, which loads pkg.sub first, which loads a; b's own imports of a
    # (for types, in a function) run later or never.
    assert import_cycles(modules) == ["pkg.a -> pkg.sub -> pkg.a"]
