"""Which generated definitions a verify failure implicates, and one round's requests.

Pure functions of text. `suspects` maps one failure (`failures.py`) to the definitions
that may be at fault: the code under test first (frames, a name a test could not
import, what a failing statement uses), then the test itself when it is generated.
`assign` merges a round's failures into one request per definition.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath
from types import MappingProxyType

from validators.parsing import parse

from ..repair import Repair
from ..splice import SpliceError, bound_names, definition_target, follow, locate
from .failures import Failure

# How many definitions of the code under test one failure may implicate.
MAX_SUSPECTS = 3

_CANNOT_IMPORT = re.compile(r"cannot import name '(?P<name>\w+)' from '(?P<module>[\w.]+)'")


@dataclass(frozen=True)
class Suspect:
    """A definition (or top-level statement) of a generated file that may be at fault."""

    path: str  # the file, as the spec names it
    repair: Repair  # regenerate, add or statement: what to ask for
    test: bool = False  # the failing test itself

    @property
    def label(self) -> str:
        return self.repair.label


@dataclass(frozen=True)
class Suspects:
    under_test: tuple[Suspect, ...] = ()
    tests: tuple[Suspect, ...] = ()


@dataclass(frozen=True)
class Assignment:
    """One repair request of a verify round: a suspect and the failures it is asked about."""

    suspect: Suspect
    failures: tuple[Failure, ...]


# -- from frames to definitions ----------------------------------------------------------


class GeneratedPaths:
    """Finds the generated file a path in the output stands for.

    Frames are relative to the command's folder (output_dir) or absolute; pytest's test
    ids are relative to its rootdir, which may be a folder above: a path that is not
    one of the files is matched by its trailing parts.
    """

    def __init__(self, output_dirs: Iterable[PurePath], paths: Iterable[str]) -> None:
        self.roots = tuple(PurePosixPath(d.as_posix()) for d in output_dirs)
        self.paths = tuple(paths)

    def find(self, shown: str) -> str | None:
        if not shown:
            return None
        path = PurePosixPath(shown.replace("\\", "/"))
        if path.is_absolute():
            for root in self.roots:
                try:
                    path = PurePosixPath(posixpath.normpath(path)).relative_to(root)
                    break
                except ValueError:
                    continue
            else:
                return None
        rel = posixpath.normpath(str(path))
        if rel in self.paths:
            return rel
        parts = PurePosixPath(rel).parts
        if ".." in parts:
            return None
        ends = [
            p
            for p in self.paths
            if _ends_with(PurePosixPath(p).parts, parts) or _ends_with(parts, PurePosixPath(p).parts)
        ]
        return ends[0] if len(ends) == 1 else None

    def module(self, dotted: str) -> str | None:
        """The generated file that is Python module `dotted` (`todo.models`)."""
        base = dotted.replace(".", "/")
        for candidate in (f"{base}.py", f"{base}/__init__.py"):
            if candidate in self.paths:
                return candidate
        ends = [p for p in self.paths if p.endswith((f"/{base}.py", f"/{base}/__init__.py"))]
        return ends[0] if len(ends) == 1 else None


def _ends_with(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    return 0 < len(shorter) <= len(longer) and tuple(longer[-len(shorter) :]) == tuple(shorter)


def suspects(
    failure: Failure,
    sources: Mapping[str, str],
    paths: GeneratedPaths,
    hand_written: Mapping[str, str] = MappingProxyType({}),
) -> Suspects:
    """The definitions of generated Python files (`sources`: path -> code) that `failure`
    implicates: the code under test, and the test itself. `hand_written` holds test
    files the spec does not generate (by the path their test ids give): read to see
    what a failing test uses, never repaired."""
    frames = [
        (path, f.line) for f in failure.frames if (path := paths.find(f.path)) is not None and path in sources
    ]
    test_path = paths.find(failure.test_path) if failure.test_path else _test_file(frames)
    under: list[Suspect] = []
    in_test: list[Suspect] = []
    for path, line in reversed(frames):  # innermost first
        target = at_line(sources[path], line)
        if target is None:
            continue
        suspect = Suspect(path, target, test=path == test_path)
        group = in_test if suspect.test else under
        if all(s.path != path or s.label != suspect.label for s in group):
            group.append(suspect)
    for found in _CANNOT_IMPORT.finditer(failure.text or failure.message):
        module = paths.module(found.group("module"))
        if module is not None and module in sources and not _defines(sources[module], found.group("name")):
            name = found.group("name")
            under.insert(0, Suspect(module, Repair("add", (), target=name, kind="definition")))
    test_name = failure.test_name
    if test_path is not None and test_path in sources:
        if test_name:
            test = _definition(sources[test_path], test_name)
            if test is not None and all(s.label != test.label for s in in_test):
                in_test.append(Suspect(test_path, test, test=True))
        elif in_test and in_test[-1].repair.action == "regenerate":
            test_name = in_test[-1].repair.target  # a traceback's outermost frame in the test file
        if test_name and not under:
            # The test failed in its own body (an assert): what it used is suspect.
            failing = next((line for path, line in reversed(frames) if path == test_path), None)
            under = [
                Suspect(p, r) for p, r in used_by_test(test_path, sources, test_name, failing, paths.module)
            ]
    elif test_path is None and failure.test_path in hand_written and test_name and not under:
        mine = posixpath.normpath(failure.test_path)
        failing = next((f.line for f in reversed(failure.frames) if posixpath.normpath(f.path) == mine), None)
        readable = {**sources, failure.test_path: hand_written[failure.test_path]}
        under = [
            Suspect(p, r)
            for p, r in used_by_test(failure.test_path, readable, test_name, failing, paths.module)
        ]
    return Suspects(tuple(under[:MAX_SUSPECTS]), tuple(in_test[:MAX_SUSPECTS]))


def _test_file(frames: Sequence[tuple[str, int]]) -> str | None:
    """For a failure without a test id (unittest, a script): the outermost generated
    frame's file when it is named like a test file."""
    if not frames:
        return None
    name = PurePosixPath(frames[0][0]).name
    return frames[0][0] if name.startswith("test_") or name.endswith("_test.py") else None


def at_line(code: str, line: int) -> Repair | None:
    """What to regenerate for a fault at `line` of `code`: the outermost function around
    it (a method, for a line in a class's method), the class for a line in a class body
    itself, the top-level statement for a line outside any definition; None when the
    code does not parse or has no such line."""
    try:
        tree = parse(code)
    except (SyntaxError, ValueError):
        return None
    scope: list[str] = []
    body: Sequence[ast.stmt] = tree.body
    while True:
        node = next((n for n in body if _first(n) <= line <= (n.end_lineno or n.lineno)), None)
        if node is None:
            break
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope.append(node.name)
            body = node.body
            continue
        if not scope:
            return Repair(
                "statement", (), kind="statement", first=_first(node), last=node.end_lineno or node.lineno
            )
        break
    target = definition_target(code, ".".join(scope))
    if target is None:
        return None
    return Repair("regenerate", (), target=target[0], kind=target[1])


def _first(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _definition(code: str, qualname: str) -> Repair | None:
    """`qualname` (a test: `TestStack.test_pop`) as a regenerate repair, if `code` has it."""
    try:
        target = definition_target(code, qualname)
        if target is None or target[0] != qualname:
            return None
        locate(code, qualname)
    except (SyntaxError, ValueError, SpliceError):
        return None
    return Repair("regenerate", (), target=target[0], kind=target[1])


def _defines(code: str, name: str) -> bool:
    try:
        tree = parse(code)
    except (SyntaxError, ValueError):
        return True  # nothing to add to a file that does not parse
    return name in bound_names(tree.body)


# -- what a failing test uses --------------------------------------------------------------


def used_by_test(
    test_path: str,
    sources: Mapping[str, str],
    test_name: str,
    failing_line: int | None,
    module_file: Callable[[str], str | None],
) -> list[tuple[str, Repair]]:
    """The generated definitions a test uses where it failed, through the test module's
    imports: the functions the failing statement calls (every statement's, without a
    line); for a class the test uses, the methods the statement calls on anything
    (`s.pop()`, with `s = Stack()` earlier: `Stack.pop`), else the class when the
    statement names it."""
    try:
        tree = parse(sources[test_path])
    except (SyntaxError, ValueError):
        return []
    test = _find(tree.body, test_name.split("."))
    if test is None:
        return []
    package = PurePosixPath(test_path).parent.parts
    imported = _imports(tree, package)
    imported.update(_imports(test, package))
    statement = _statement_at(test, failing_line) if failing_line else None
    where: ast.AST = statement or test
    attributes = {n.attr for n in ast.walk(where) if isinstance(n, ast.Attribute)}
    used_anywhere = _used(test, imported)
    used_here = set(_used(where, imported))

    found: list[tuple[str, Repair]] = []
    for module, name in used_anywhere:
        path = module_file(module)
        if path is None or path not in sources or path == test_path:
            continue
        try:
            defined = {
                n.name: n
                for n in parse(sources[path]).body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            }
        except (SyntaxError, ValueError):
            continue
        node = defined.get(name)
        on_statement = (module, name) in used_here
        if isinstance(node, ast.ClassDef):
            methods = [
                m.name
                for m in node.body
                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name in attributes
            ]
            found += [(path, Repair("regenerate", (), target=f"{name}.{m}", kind="method")) for m in methods]
            if not methods and on_statement:
                found.append((path, Repair("regenerate", (), target=name, kind="class")))
        elif node is not None and on_statement:
            found.append((path, Repair("regenerate", (), target=name, kind="function")))
    unique: list[tuple[str, Repair]] = []
    for path, repair in found:
        if all((p, r.label) != (path, repair.label) for p, r in unique):
            unique.append((path, repair))
    return unique


def _used(where: ast.AST, imported: Mapping[str, tuple[str, str | None]]) -> list[tuple[str, str]]:
    """(module, name) of what `where` reads through imports: `f` after `from m import f`,
    `m.f` after `import m` (or `import pkg.m as m`), in the order first read."""
    used: list[tuple[str, str]] = []
    for node in ast.walk(where):
        if isinstance(node, ast.Name) and node.id in imported:
            module, name = imported[node.id]
            if name is not None:
                used.append((module, name))
        elif isinstance(node, ast.Attribute):
            chain = _chain(node)
            for split in range(1, len(chain)):
                module_name = imported.get(".".join(chain[:split]))
                if module_name is not None and module_name[1] is None:
                    used.append((module_name[0], chain[split]))
                    break
    return list(dict.fromkeys(used))


def _chain(node: ast.Attribute) -> tuple[str, ...]:
    """`a.b.c` as ("a", "b", "c"); () when it does not start at a name."""
    parts = [node.attr]
    value = node.value
    while isinstance(value, ast.Attribute):
        parts.append(value.attr)
        value = value.value
    return (value.id, *reversed(parts)) if isinstance(value, ast.Name) else ()


def _find(body: Sequence[ast.stmt], parts: Sequence[str]) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    node = follow(body, parts)
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def _statement_at(test: ast.AST, line: int) -> ast.stmt | None:
    """The innermost statement of `test`'s body on `line`."""
    best: ast.stmt | None = None
    for node in ast.walk(test):
        if (
            isinstance(node, ast.stmt)
            and node is not test
            and node.lineno <= line <= (node.end_lineno or node.lineno)
        ):
            if best is None or node.lineno >= best.lineno:
                best = node
    return best


def _imports(scope: ast.AST, package: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """Local name -> (module, name in it; None for the module itself), for the imports
    directly in `scope`'s body."""
    out: dict[str, tuple[str, str | None]] = {}
    for node in getattr(scope, "body", ()):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - (node.level - 1)]) if node.level > 1 else list(package)
                module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                out[alias.asname or alias.name] = (module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = (alias.name, None)
                else:
                    # `import pkg.mod` binds `pkg`; `pkg.mod.f` is read through the chain.
                    out[alias.name] = (alias.name, None)
    return out


# -- one round's requests --------------------------------------------------------------------


def assign(
    failures: Sequence[Failure],
    sources: Mapping[str, str],
    paths: GeneratedPaths,
    tried: frozenset[tuple[str, str, str]] = frozenset(),
    allowed: Callable[[str], bool] = lambda path: True,
    hand_written: Mapping[str, str] = MappingProxyType({}),
) -> list[Assignment]:
    """The repair requests of one round: for each failure, the code under test that was
    not yet asked about it, else the test itself; merged so that each definition gets
    one request with every failure that implicates it. `tried` holds (failure key,
    path, label) of requests already sent."""
    merged: dict[tuple[str, str], tuple[Suspect, list[Failure]]] = {}
    for failure in failures:
        found = suspects(failure, sources, paths, hand_written)
        for group in (found.under_test, found.tests):
            fresh = [s for s in group if allowed(s.path) and (failure.key, s.path, s.label) not in tried]
            if fresh:
                for suspect in fresh:
                    entry = merged.setdefault((suspect.path, suspect.label), (suspect, []))
                    entry[1].append(failure)
                break
    return [Assignment(suspect, tuple(found)) for suspect, found in merged.values()]
