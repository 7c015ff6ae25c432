"""What a failed verify command says, and which generated definitions it implicates.

Pure functions of text. `parse_failures` reads a command's output: pytest's report
(its FAILURES and ERRORS sections, the short test summary, traceback frames in any
`--tb` style) or, for any other command, Python's own tracebacks. `suspects` maps one
failure to the definitions that may be at fault, in two groups:

- the code under test: every frame of the traceback inside a generated file other
  than the failing test's own file (innermost first), the name a test could not
  import (`cannot import name 'x' from 'm'`), or, when the test failed in its own body
  (an `assert` that compared a wrong value), the generated definitions the failing
  statement uses, found through the test module's imports (a hand-written test file is
  read for this too);
- the test itself, when it is a generated file: the test function (or the frames
  inside the test file).

The verify loop repairs the code under test first and the test only when the same
test fails again, since a wrong test is the rarer case.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath
from types import MappingProxyType

from .repair import Repair
from .splice import SpliceError, definition_target, locate

# How many definitions of the code under test one failure may implicate.
MAX_SUSPECTS = 3

_HEADER = re.compile(r"^={3,} (?P<name>.+?) ={3,}$")
_SECTION = re.compile(r"^_{3,} (?P<title>.+?) _{3,}$")
# `FAILED tests/test_m.py::test_f[a b] - assert 1 == 2`, `ERROR tests/test_m.py` (collection).
_SUMMARY = re.compile(r"^(?P<kind>FAILED|ERROR) (?P<id>[^\s(]\S*?\.py(?:::.+?)?)(?: - (?P<message>.*))?$")
# `path.py:12: in name`, `path.py:12: AssertionError`, `path.py:12: ` (pytest's styles);
# not the `E   ...` lines, nor source lines (indented, or marked `>`).
_PYTEST_FRAME = re.compile(r"^(?!E\s)(?P<path>[^\s>][^:]*?\.pyi?):(?P<line>\d+):(?:\s|$)")
_NATIVE_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)')
_CANNOT_IMPORT = re.compile(r"cannot import name '(?P<name>\w+)' from '(?P<module>[\w.]+)'")


@dataclass(frozen=True)
class Frame:
    """One traceback entry: a path as the output shows it, and a 1-based line."""

    path: str
    line: int


@dataclass(frozen=True)
class Failure:
    """One failing test (or one traceback, for a command that is not pytest)."""

    title: str  # "test_add", "TestStack.test_pop", "ERROR collecting tests/test_m.py", "traceback"
    test_id: str = ""  # "tests/test_m.py::TestStack::test_pop" ("" when not known)
    text: str = ""  # the report's section for it (or its summary line)
    frames: tuple[Frame, ...] = ()  # outermost first
    message: str = ""  # the summary's one line: "assert -1 == 3"

    @property
    def key(self) -> str:
        return self.test_id or self.title

    @property
    def test_path(self) -> str:
        """The test's file as the test id names it ("" when there is no id)."""
        return self.test_id.split("::")[0] if self.test_id else ""

    @property
    def test_name(self) -> str:
        """The test's qualified name in its file: `TestStack.test_pop` (no parameters)."""
        if "::" in self.test_id:
            parts = self.test_id.split("::")[1:]
        elif not self.test_id and " " not in self.title and self.title.split(".")[-1].startswith("test"):
            parts = self.title.split(".")  # a section whose summary line was not shown (-rN)
        else:
            return ""
        return ".".join(parts).split("[")[0]


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


# -- reading the output ----------------------------------------------------------------


def parse_failures(output: str) -> tuple[Failure, ...]:
    """The failures a command's output reports: pytest's (by test), else each Python
    traceback in it; () when it holds neither."""
    lines = output.splitlines()
    if any(_SUMMARY.match(line) for line in lines) or any(
            (h := _HEADER.match(line)) and h.group("name") in ("FAILURES", "ERRORS") for line in lines):
        return _pytest_failures(lines)
    return _tracebacks(lines)


def _pytest_failures(lines: Sequence[str]) -> tuple[Failure, ...]:
    sections: list[tuple[str, list[str]]] = []
    summary: list[tuple[str, str, str]] = []  # (kind, id, message)
    part = ""
    current: list[str] | None = None  # the lines of the section being read
    for line in lines:
        header = _HEADER.match(line)
        if header is not None:
            part, current = header.group("name"), None
            continue
        if part in ("FAILURES", "ERRORS"):
            section = _SECTION.match(line)
            if section is not None:
                current = []
                sections.append((section.group("title"), current))
            elif current is not None:
                current.append(line)
            continue
        found = _SUMMARY.match(line)
        if found is not None and part in ("short test summary info", ""):
            summary.append((found.group("kind"), found.group("id"), found.group("message") or ""))

    failures: list[Failure] = []
    matched: set[int] = set()
    for title, body in sections:
        at = next((i for i, (kind, test_id, _) in enumerate(summary)
                   if i not in matched and _same_test(title, kind, test_id)), None)
        test_id, message, verdict = "", "", []
        if at is not None:
            matched.add(at)
            kind, test_id, message = summary[at]
            verdict = [f"{kind} {test_id}" + (f" - {message}" if message else "")]
        text = "\n".join([f"___ {title} ___", *body]).rstrip() + "\n".join(["", *verdict])
        failures.append(Failure(title, test_id, text, _frames(body), message))
    for i, (kind, test_id, message) in enumerate(summary):
        if i not in matched:  # --tb=no or --tb=line: the summary is all there is
            line = f"{kind} {test_id}" + (f" - {message}" if message else "")
            failures.append(Failure(test_id.split("::")[-1], test_id, line, (), message))
    return tuple(failures)


def _same_test(title: str, kind: str, test_id: str) -> bool:
    """Whether a section titled `title` reports the summary line (`kind`, `test_id`)."""
    for prefix in ("ERROR at setup of ", "ERROR at teardown of "):
        if title.startswith(prefix):
            return kind == "ERROR" and ".".join(test_id.split("::")[1:]) == title.removeprefix(prefix)
    if title.startswith("ERROR collecting "):
        return kind == "ERROR" and test_id == title.removeprefix("ERROR collecting ")
    return kind == "FAILED" and ".".join(test_id.split("::")[1:]) == title


def _frames(body: Iterable[str]) -> tuple[Frame, ...]:
    frames = []
    for line in body:
        found = _PYTEST_FRAME.match(line) or _NATIVE_FRAME.match(line)
        if found is not None:
            frames.append(Frame(found.group("path"), int(found.group("line"))))
    return tuple(frames)


def _tracebacks(lines: Sequence[str]) -> tuple[Failure, ...]:
    """Each `Traceback (most recent call last):` block, up to its exception line."""
    failures = []
    i = 0
    while i < len(lines):
        if lines[i].strip() != "Traceback (most recent call last):":
            i += 1
            continue
        start = i
        i += 1
        while i < len(lines) and (lines[i].startswith((" ", "\t")) or not lines[i].strip()):
            i += 1
        end = min(i + 1, len(lines))  # the exception line itself
        block = lines[start:end]
        message = block[-1].strip() if len(block) > 1 else ""
        failures.append(Failure("traceback", "", "\n".join(block), _frames(block), message))
        i = end
    return tuple(failures)


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
        ends = [p for p in self.paths if _ends_with(PurePosixPath(p).parts, parts)
                or _ends_with(parts, PurePosixPath(p).parts)]
        return ends[0] if len(ends) == 1 else None

    def module(self, dotted: str) -> str | None:
        """The generated file that is Python module `dotted` (`todo.models`)."""
        base = dotted.replace(".", "/")
        for candidate in (f"{base}.py", f"{base}/__init__.py"):
            if candidate in self.paths:
                return candidate
        ends = [p for p in self.paths
                if p.endswith((f"/{base}.py", f"/{base}/__init__.py"))]
        return ends[0] if len(ends) == 1 else None


def _ends_with(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    return 0 < len(shorter) <= len(longer) and tuple(longer[-len(shorter):]) == tuple(shorter)


def suspects(failure: Failure, sources: Mapping[str, str], paths: GeneratedPaths,
             hand_written: Mapping[str, str] = MappingProxyType({})) -> Suspects:
    """The definitions of generated Python files (`sources`: path -> code) that `failure`
    implicates: the code under test, and the test itself. `hand_written` holds test
    files the spec does not generate (by the path their test ids give): read to see
    what a failing test uses, never repaired."""
    frames = [(path, f.line) for f in failure.frames
              if (path := paths.find(f.path)) is not None and path in sources]
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
            under = [Suspect(p, r) for p, r in used_by_test(test_path, sources, test_name, failing,
                                                           paths.module)]
    elif test_path is None and failure.test_path in hand_written and test_name and not under:
        mine = posixpath.normpath(failure.test_path)
        failing = next((f.line for f in reversed(failure.frames) if posixpath.normpath(f.path) == mine), None)
        readable = {**sources, failure.test_path: hand_written[failure.test_path]}
        under = [Suspect(p, r) for p, r in used_by_test(failure.test_path, readable, test_name, failing,
                                                       paths.module)]
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
        tree = ast.parse(code)
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
            return Repair("statement", (), kind="statement", first=_first(node),
                          last=node.end_lineno or node.lineno)
        break
    target = definition_target(code, ".".join(scope))
    if target is None:
        return None
    return Repair("regenerate", (), target=target[0], kind=target[1])


def _first(node: ast.stmt) -> int:
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])


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
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return True  # nothing to add to a file that does not parse
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Import, ast.ImportFrom)):
            if name in _bound_by(node):
                return True
    return False


def _bound_by(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.Import):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, ast.ImportFrom):
        return {a.asname or a.name for a in node.names}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


# -- what a failing test uses --------------------------------------------------------------


def used_by_test(test_path: str, sources: Mapping[str, str], test_name: str, failing_line: int | None,
                 module_file: Callable[[str], str | None]) -> list[tuple[str, Repair]]:
    """The generated definitions a test uses where it failed, through the test module's
    imports: the functions the failing statement calls (every statement's, without a
    line); for a class the test uses, the methods the statement calls on anything
    (`s.pop()`, with `s = Stack()` earlier: `Stack.pop`), else the class when the
    statement names it."""
    try:
        tree = ast.parse(sources[test_path])
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
            defined = {n.name: n for n in ast.parse(sources[path]).body
                       if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        except (SyntaxError, ValueError):
            continue
        node = defined.get(name)
        on_statement = (module, name) in used_here
        if isinstance(node, ast.ClassDef):
            methods = [m.name for m in node.body
                       if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name in attributes]
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
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == parts[0]:
            if len(parts) == 1:
                return None if isinstance(node, ast.ClassDef) else node
            if isinstance(node, ast.ClassDef):
                return _find(node.body, parts[1:])
    return None


def _statement_at(test: ast.AST, line: int) -> ast.stmt | None:
    """The innermost statement of `test`'s body on `line`."""
    best: ast.stmt | None = None
    for node in ast.walk(test):
        if (isinstance(node, ast.stmt) and node is not test
                and node.lineno <= line <= (node.end_lineno or node.lineno)):
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


def assign(failures: Sequence[Failure], sources: Mapping[str, str], paths: GeneratedPaths,
           tried: frozenset[tuple[str, str, str]] = frozenset(),
           allowed: Callable[[str], bool] = lambda path: True,
           hand_written: Mapping[str, str] = MappingProxyType({})) -> list[Assignment]:
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


def clip(text: str, limit: int) -> str:
    """`text` in at most `limit` characters (for a limit of 100 or more): its start and,
    twice as long, its end (where a report's verdict is), cut at line breaks where one
    is near, with a line saying what was left out."""
    if len(text) <= limit:
        return text
    room = limit - 40  # the line that says what was cut
    head, tail = text[: room // 3], text[len(text) - (room - room // 3):]
    if (at := head.rfind("\n")) > len(head) // 2:
        head = head[: at + 1]
    if 0 <= (at := tail.find("\n")) < len(tail) // 2:
        tail = tail[at + 1 :]
    left_out = text[len(head) : len(text) - len(tail)]
    lines = left_out.count("\n")
    what = f"{lines:,} lines" if lines > 1 else f"{len(left_out):,} characters"
    return f"{head.rstrip(chr(10))}\n[... {what} cut ...]\n{tail}"
