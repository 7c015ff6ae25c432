"""Put one regenerated definition or statement into a file, leaving every other byte.

Pure functions of text. A repair answer comes in whatever shape the model chose: the
definition at column 0 or indented as in its class, wrapped in its `class` statement
(maybe with a placeholder for the other members), after prose or imports, fenced or
not, with its decorators. `find_definition` reads any of these; `replace_definition`,
`insert_definition` and `replace_lines` put the result in place by whole lines, so
the rest of the file stays exactly as it was (black formats the whole file later).

Positions come from `ast` (lines of the `def`/`class`, its first decorator and its
last statement), which is enough to cut whole lines: a compound statement always
starts and ends a line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from validators.parsing import parse

from .literals import string_lines, top_level_start
from .stitch import extract_code

Definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
DefinitionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class Definition:
    """A definition read out of an answer."""

    name: str
    text: str  # its lines, decorators first, shifted so the `def`/`class` is at column 0
    imports: tuple[str, ...] = ()  # module-level import statements the answer put above it


@dataclass(frozen=True)
class Span:
    """Whole lines [first, last] (1-based) of a definition or statement in a file."""

    first: int
    last: int
    indent: str


class SpliceError(ValueError):
    """The answer or the file does not have what the splice needs."""


# -- reading answers ---------------------------------------------------------------


def find_definition(answer: str, qualname: str) -> Definition:
    """The definition of `qualname` (`f`, `Cls`, `Cls.method`) in a repair answer."""
    code = extract_code(answer)
    if not code.strip():
        raise SpliceError("the answer holds no code")
    try:
        tree, lines = _parse_shifted(code)
    except SpliceError:
        # A model asked for one definition may write the whole file over, cut or broken
        # somewhere else: the definition asked for can still be whole in it.
        found = _definition_in_broken(code, qualname)
        if found is None:
            raise
        return found
    parts = qualname.split(".")
    node = _lookup(tree.body, parts) or _lookup_anywhere(tree.body, parts[-1])
    if node is None:
        raise SpliceError(f"the answer does not define `{qualname}`")
    span = _node_span(node, lines)
    text = _shift("".join(lines[span.first - 1 : span.last]), -len(span.indent))
    imports = tuple(
        "".join(lines[s.lineno - 1 : s.end_lineno])
        for s in tree.body
        if isinstance(s, (ast.Import, ast.ImportFrom))
    )
    return Definition(parts[-1], text, imports)


def _definition_in_broken(code: str, qualname: str) -> Definition | None:
    """`qualname`'s definition read out of code that does not parse as a whole: the
    last block opened by `def`/`class` of its name (at any depth) that parses alone,
    with the answer's top-level imports that do."""
    name = qualname.split(".")[-1]
    opening = re.compile(rf"[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+{re.escape(name)}\b")
    lines = code.splitlines(keepends=True)
    for at in reversed([y for y, line in enumerate(lines) if opening.match(line)]):
        first = _first_decorator(lines, at)
        text = _shift("".join(lines[first : _block_end(lines, at) + 1]), -len(_indent_of(lines[at])))
        try:
            tree = parse(text)
        except (SyntaxError, ValueError):
            continue
        if len(tree.body) == 1 and isinstance(tree.body[0], Definitions) and tree.body[0].name == name:
            imports = tuple(line for line in lines if line.startswith(("import ", "from ")) and parses(line))
            return Definition(name, text if text.endswith("\n") else text + "\n", imports)
    return None


def statement_from_answer(answer: str) -> str:
    """The code of an answer that rewrites one top-level statement, at column 0."""
    code = extract_code(answer)
    if not code.strip():
        raise SpliceError("the answer holds no code")
    tree, lines = _parse_shifted(code)
    if not tree.body:
        raise SpliceError("the answer holds no statement")
    first = _node_span(tree.body[0], lines).first
    text = _shift("".join(lines[first - 1 :]), -len(_indent_of(lines[first - 1])))
    return text if text.endswith("\n") else text + "\n"


def _parse_shifted(code: str) -> tuple[ast.Module, list[str]]:
    """Parse code that may be indented as a whole (a method as it sits in its class).
    Positions found in the shifted copy are used to cut the answer's own lines."""
    lines = code.splitlines(keepends=True)
    first_code = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), "")
    indent = len(_indent_of(first_code))
    source = _shift(code, -indent) if indent else code
    try:
        tree = parse(source)
    except SyntaxError as exc:
        raise SpliceError(f"the answer's code does not parse: line {exc.lineno}: {exc.msg}") from None
    return tree, lines


def defines(code: str, qualname: str) -> bool:
    """Whether `code` (which parses) defines `qualname` by `def` or `class` at its own
    scope: `f` at module level, `Cls.method` in class `Cls`."""
    return follow(parse(code).body, qualname.split(".")) is not None


def _lookup(body: Sequence[ast.stmt], parts: Sequence[str]) -> ast.stmt | None:
    """`parts` followed down from `body` through classes (the answer may wrap the
    definition in any tail of its enclosing classes: `class B:` for `A.B.m`)."""
    for start in range(len(parts)):
        node = follow(body, parts[start:])
        if node is not None:
            return node
    return None


def follow(body: Sequence[ast.stmt], parts: Sequence[str]) -> ast.stmt | None:
    for node in body:
        if isinstance(node, Definitions) and node.name == parts[0]:
            if len(parts) == 1:
                return node
            if isinstance(node, ast.ClassDef):
                found = follow(node.body, parts[1:])
                if found is not None:
                    return found
    return None


def _lookup_anywhere(body: Sequence[ast.stmt], name: str) -> ast.stmt | None:
    """The only definition of `name` inside any class of the answer (a model may wrap a
    method in a class named differently, e.g. after a rename)."""
    found = [n for n in _walk_classes(body) if n.name == name]
    return found[0] if len(found) == 1 else None


def _walk_classes(body: Sequence[ast.stmt]) -> Iterator[DefinitionNode]:
    for node in body:
        if isinstance(node, ast.ClassDef):
            for inner in node.body:
                if isinstance(inner, Definitions):
                    yield inner
            yield from _walk_classes(node.body)


# -- locating in the file -----------------------------------------------------------


def locate(code: str, qualname: str) -> Span:
    """The lines of `qualname`'s definition in `code` (which must parse)."""
    lines = code.splitlines(keepends=True)
    node = follow(parse(code).body, qualname.split("."))
    if node is None:
        raise SpliceError(f"the file does not define `{qualname}`")
    return _node_span(node, lines)


def definition_target(code: str, scope: str) -> tuple[str, str] | None:
    """The definition to regenerate for a finding inside `scope` (`A.f.inner`): the
    outermost function on the path (`A.f`), or the class when the finding sits in a
    class body itself. Returns (qualified name, "function" | "method" | "class")."""
    if not scope:
        return None
    body: Sequence[ast.stmt] = parse(code).body
    taken: list[str] = []
    kind = ""
    for part in scope.split("."):
        node = next((n for n in body if isinstance(n, Definitions) and n.name == part), None)
        if node is None:
            break
        taken.append(part)
        if isinstance(node, ast.ClassDef):
            kind, body = "class", node.body
            continue
        kind = "method" if len(taken) > 1 else "function"
        break
    if not taken:
        return None
    return ".".join(taken), kind


def _node_span(node: ast.stmt, lines: Sequence[str]) -> Span:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    last = node.end_lineno or node.lineno
    indent = _indent_of(lines[first - 1])
    # Comments after the last statement that are indented into the body belong to it
    # (`pass` then `# ... rest of implementation`).
    probe = last
    while probe < len(lines):
        line = lines[probe]
        if not line.strip():
            probe += 1
            continue
        if line.lstrip().startswith("#") and len(_indent_of(line)) > len(indent):
            probe += 1
            last = probe
            continue
        break
    return Span(first, last, indent)


def drop_repeats(code: str, after: int) -> str:
    """`code` without each definition that starts after line `after` and repeats, line
    for line, one of the same name in the same scope that starts at or before it. A
    model asked to go on from the end of a file often writes the last definitions over
    before the one it was asked for; the copies would be redefinitions. Unchanged when
    the code does not parse."""
    try:
        tree = parse(code)
    except (SyntaxError, ValueError):
        return code
    lines = code.splitlines(keepends=True)
    drop: list[Span] = []

    def scan(body: Sequence[ast.stmt]) -> None:
        seen: dict[str, list[str]] = {}
        for node in body:
            if not isinstance(node, Definitions):
                continue
            span = _node_span(node, lines)
            text = [line.strip() for line in lines[span.first - 1 : span.last] if line.strip()]
            if span.first > after and seen.get(node.name) == text:
                drop.append(span)
                continue
            if span.first <= after:
                seen[node.name] = text
            if isinstance(node, ast.ClassDef):
                scan(node.body)

    scan(tree.body)
    for span in sorted(drop, key=lambda s: -s.first):
        first = span.first
        # The blank lines before the copy go with it.
        while first > 1 and not lines[first - 2].strip():
            first -= 1
        del lines[first - 1 : span.last]
    return "".join(lines)


# -- splicing -----------------------------------------------------------------------


def replace_definition(code: str, qualname: str, definition: Definition) -> str:
    """`code` with `qualname`'s definition replaced by `definition`."""
    span = locate(code, qualname)
    return replace_lines(code, span.first, span.last, _shift(definition.text, len(span.indent)))


def insert_definition(code: str, qualname: str, definition: Definition) -> str:
    """`code` with a definition it lacks added at its scope: the end of its class, or
    at module level where what it needs at import time is already defined and
    before the first statement that needs it."""
    tree = parse(code)
    lines = code.splitlines(keepends=True)
    parts = qualname.split(".")
    if len(parts) > 1:
        owner = follow(tree.body, parts[:-1])
        if not isinstance(owner, ast.ClassDef):
            raise SpliceError(f"the file has no class `{'.'.join(parts[:-1])}` to add `{qualname}` to")
        span = _node_span(owner, lines)
        member_indent = _indent_of(lines[owner.body[0].lineno - 1])
        text = _shift(definition.text, len(member_indent))
        return _insert_after(code, span.last, text)
    after = _module_position(tree, lines, definition)
    if after is None:  # before the first statement: after the docstring and imports
        return _insert_after(code, 0, definition.text)
    return _insert_after(code, after, definition.text)


def replace_lines(code: str, first: int, last: int, text: str) -> str:
    """`code` with lines [first, last] (1-based, inclusive) replaced by `text`."""
    lines = code.splitlines(keepends=True)
    if not 1 <= first <= last <= len(lines):
        raise SpliceError(f"lines {first}-{last} are not in the file")
    if not text.endswith("\n"):
        text += "\n"
    tail = lines[last - 1]
    if not tail.endswith("\n") and last == len(lines):
        text = text[:-1]  # the file had no final newline; keep it that way
    return "".join(lines[: first - 1]) + text + "".join(lines[last:])


def merge_imports(code: str, imports: Sequence[str]) -> str:
    """`code` with the imports a repair brought that it does not already have, after
    its last module-level import (or its docstring and `__future__` imports)."""
    tree = parse(code)
    have = {ast.dump(s) for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))}
    bound = bound_names(tree.body)
    new: list[str] = []
    for statement in imports:
        try:
            parsed = parse(_shift(statement, -len(_indent_of(statement)))).body
        except SyntaxError:
            continue
        if not parsed or ast.dump(parsed[0]) in have:
            continue
        if bound_names(parsed) <= bound:
            continue  # every name it binds is bound already (maybe by another import)
        have.add(ast.dump(parsed[0]))
        bound |= bound_names(parsed)
        text = _shift(statement, -len(_indent_of(statement)))
        new.append(text if text.endswith("\n") else text + "\n")
    if not new:
        return code
    lines = code.splitlines(keepends=True)
    imports_at = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
    if imports_at:
        after = max(s.end_lineno or s.lineno for s in imports_at)
    elif tree.body and _is_docstring(tree.body[0]):
        after = tree.body[0].end_lineno or 1
    else:
        after = 0
    if after and not lines[after - 1].endswith("\n"):
        lines[after - 1] += "\n"
    return "".join(lines[:after]) + "".join(new) + "".join(lines[after:])


def _insert_after(code: str, line: int, text: str) -> str:
    """`text` as its own block after line `line` (0: at the top), blank lines around it."""
    lines = code.splitlines(keepends=True)
    if line and not lines[line - 1].endswith("\n"):
        lines[line - 1] += "\n"
    follows_blank = line < len(lines) and not lines[line].strip()
    block = ("\n\n" if line else "") + text.rstrip("\n") + "\n"
    if line < len(lines) and not follows_blank:
        block += "\n\n"
    return "".join(lines[:line]) + block + "".join(lines[line:])


def _module_position(tree: ast.Module, lines: Sequence[str], definition: Definition) -> int | None:
    """The line after which a new module-level definition goes (None: at the top)."""
    try:
        new = parse(definition.text).body
    except SyntaxError as exc:
        raise SpliceError(f"the definition does not parse: line {exc.lineno}: {exc.msg}") from None
    needs = set().union(*(_import_time_names(s) for s in new)) if new else set()
    body = tree.body
    users = [i for i, s in enumerate(body) if definition.name in _import_time_names(s)]
    if users:
        # Before the first statement that needs it at import time.
        first_user = users[0]
        return _node_span(body[first_user - 1], lines).last if first_user else _top_of_module(body)
    last_needed = max((i for i, s in enumerate(body) if bound_names([s]) & needs), default=-1)
    end = len(body)
    if body and _is_main_guard(body[-1]):
        end -= 1
    at = max(end, last_needed + 1)
    return _node_span(body[at - 1], lines).last if at else _top_of_module(body)


def _top_of_module(body: Sequence[ast.stmt]) -> int | None:
    """After the docstring and imports at the top, if any."""
    last = None
    for s in body:
        if _is_docstring(s) or isinstance(s, (ast.Import, ast.ImportFrom)):
            last = s.end_lineno
        else:
            break
    return last


def _import_time_names(node: ast.stmt) -> set[str]:
    """Names a statement reads when the module is imported (not inside function bodies)."""
    names: set[str] = set()

    def visit(n: ast.AST) -> None:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for part in [*n.decorator_list, *n.args.defaults, *n.args.kw_defaults]:
                if part is not None:
                    visit(part)
            return
        if isinstance(n, ast.Lambda):
            return
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            names.add(n.id)
        for child in ast.iter_child_nodes(n):
            visit(child)

    visit(node)
    return names


def bound_names(body: Sequence[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for s in body:
        if isinstance(s, Definitions):
            names.add(s.name)
        elif isinstance(s, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in s.names}
        elif isinstance(s, ast.ImportFrom):
            names |= {a.asname or a.name for a in s.names}
        elif isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = s.targets if isinstance(s, ast.Assign) else [s.target]
            for t in targets:
                names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)


# -- definitions found by indentation ------------------------------------------------

_DEFINITION_LINE = re.compile(r"^([ \t]*)(async[ \t]+def|def|class)[ \t]+([A-Za-z_]\w*)")


@dataclass(frozen=True)
class Region:
    """A definition's lines in a file that may not parse, found by indentation."""

    name: str  # qualified: `Stack.peek`
    kind: str  # function | method | class
    first: int  # 1-based, its first decorator
    last: int


def definition_around(code: str, line: int) -> Region | None:
    """The definition to regenerate for a fault at `line` of a file that need not
    parse: the outermost function whose block holds the line (a method with its
    class's name), else the innermost class; None at module level.

    Read from the indentation: a line opens a block for the lines below it that are
    indented further. The lines inside a string (a docstring's text at column 0) are
    not read.
    """
    lines = code.splitlines()
    if not 1 <= line <= len(lines):
        return None
    line = _decorated(lines, line)
    in_string = string_lines(lines[:line], top_level_start(lines, line - 1))
    chain: list[tuple[int, str, str]] = []  # (line index, name, keyword), innermost first
    limit: int | None = None
    for x in range(line - 1, -1, -1):
        text = lines[x].strip()
        # A comment says nothing of the blocks around it, but where the fault is.
        if not text or (text.startswith("#") and x < line - 1) or (x in in_string and x < line - 1):
            continue
        depth = len(lines[x]) - len(lines[x].lstrip())
        if limit is not None and depth >= limit:
            continue
        limit = depth
        found = _DEFINITION_LINE.match(lines[x])
        if found:
            chain.append((x, found.group(3), found.group(2)))
        if depth == 0:
            break
    if not chain:
        return None
    path: list[str] = []
    at = chain[-1][0]
    kind = "class"
    for x, name, keyword in reversed(chain):  # outermost first
        path.append(name)
        at = x
        if keyword != "class":
            kind = "method" if len(path) > 1 else "function"
            break
    return Region(".".join(path), kind, _first_decorator(lines, at) + 1, _block_end(lines, at) + 1)


def _decorated(lines: Sequence[str], line: int) -> int:
    """The `def`/`class` line below a decorator at `line` (1-based), or `line`: a fault
    at a decorator is in the definition it decorates (a finding there says where that
    definition starts), not in the block around it."""
    depth = _indent_of(lines[line - 1])
    at = line - 1
    while at < len(lines) and lines[at].lstrip().startswith("@") and _indent_of(lines[at]) == depth:
        at += 1
    if (
        at != line - 1
        and at < len(lines)
        and _DEFINITION_LINE.match(lines[at])
        and _indent_of(lines[at]) == depth
    ):
        return at + 1
    return line


def definition_named(code: str, qualname: str) -> Region | None:
    """Where `qualname` is defined in a file that need not parse (the first such)."""
    lines = code.splitlines()
    parts = qualname.split(".")
    for x, text in enumerate(lines):
        found = _DEFINITION_LINE.match(text)
        if found and found.group(3) == parts[-1]:
            region = definition_around(code, x + 1)
            if region is not None and region.name == qualname:
                return region
    return None


def broken_definition(code: str, error_line: int) -> Region | None:
    """The definition that keeps `code` from parsing, near `error_line`: the one whose
    removal makes the rest parse. The parser often notices an unfinished definition
    only at the next one (`def peek(s` then `def __len__`), so the definition above
    the error line is tried first."""
    lines = code.splitlines(keepends=True)
    above = next(
        (
            x
            for x in range(error_line - 1, 0, -1)
            if lines[x - 1].strip() and not lines[x - 1].lstrip().startswith("#")
        ),
        0,
    )
    candidates = [
        r
        for r in (definition_around(code, above) if above else None, definition_around(code, error_line))
        if r is not None
    ]
    for region in candidates:
        if parses("".join(lines[: region.first - 1] + lines[region.last :])):
            return region
    return None


def replace_region(code: str, region: Region, definition: Definition) -> str:
    """`code` with `region`'s lines replaced by `definition`, at the region's depth."""
    lines = code.splitlines(keepends=True)
    indent = _indent_of(lines[region.first - 1])
    return replace_lines(code, region.first, region.last, _shift(definition.text, len(indent)))


def _first_decorator(lines: Sequence[str], at: int) -> int:
    depth = len(lines[at]) - len(lines[at].lstrip())
    while (
        at > 0
        and lines[at - 1].lstrip().startswith("@")
        and len(lines[at - 1]) - len(lines[at - 1].lstrip()) == depth
    ):
        at -= 1
    return at


def _block_end(lines: Sequence[str], at: int) -> int:
    """The last line (0-based) of the block opened at `at`: before the next line with
    content as shallow as its opening line (closing brackets of its signature aside).

    Not read past strings: in a file cut inside a docstring, every later triple quote
    is read the wrong way round, and the block would swallow the rest of the file. (A
    string's text at column 0 ends the block early; a splice there fails its own
    check rather than harm the file.)"""
    depth = len(lines[at]) - len(lines[at].lstrip())
    last = at
    for y in range(at + 1, len(lines)):
        text = lines[y].strip()
        if not text:
            continue
        if len(lines[y]) - len(lines[y].lstrip()) <= depth and not text.startswith((")", "]", "}")):
            break
        last = y
    return last


# -- broken statements --------------------------------------------------------------

# Lines at column 0 that go on a statement rather than start one.
_CONTINUES = re.compile(r"^(else|elif|except|finally)\b|^[)\]}]")


def broken_statement(code: str, error_line: int) -> Span | None:
    """The top-level statement that keeps `code` from parsing, near `error_line`:
    the one whose removal makes the rest parse (the parser often notices a fault
    only at the next statement)."""
    lines = code.splitlines(keepends=True)
    starts = _statement_starts(lines)
    if not starts:
        return None
    spans = [
        Span(s, (starts[i + 1] - 1) if i + 1 < len(starts) else len(lines), "") for i, s in enumerate(starts)
    ]
    at = max((i for i, s in enumerate(spans) if s.first <= error_line), default=0)
    for i in (at, at - 1, at + 1):
        if 0 <= i < len(spans):
            span = _trimmed(spans[i], lines)
            rest = "".join(lines[: span.first - 1] + lines[span.last :])
            if parses(rest):
                return span
    return None


def statement_around(code: str, line: int) -> Span | None:
    """The top-level statement whose lines hold `line`, whether or not its removal
    makes the file parse (two faults at once, say)."""
    lines = code.splitlines(keepends=True)
    starts = _statement_starts(lines)
    at = max((i for i, s in enumerate(starts) if s <= line), default=None)
    if at is None:
        return None
    last = starts[at + 1] - 1 if at + 1 < len(starts) else len(lines)
    return _trimmed(Span(starts[at], last, ""), lines)


def _statement_starts(lines: Sequence[str]) -> list[int]:
    starts: list[int] = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line[0] in " \t#" or _CONTINUES.match(line):
            continue
        if starts and lines[starts[-1] - 1].startswith("@") and number == _next_code(lines, starts[-1]):
            continue  # the `def` under its decorator
        if starts and starts[-1] == number - 1 and lines[number - 2].startswith("@") and line.startswith("@"):
            continue  # stacked decorators
        starts.append(number)
    return starts


def _next_code(lines: Sequence[str], after: int) -> int:
    for number in range(after + 1, len(lines) + 1):
        if lines[number - 1].strip() and not lines[number - 1].lstrip().startswith("#"):
            return number
    return 0


def _trimmed(span: Span, lines: Sequence[str]) -> Span:
    """Without the blank and comment lines that end it (they separate statements)."""
    last = span.last
    while last > span.first and (not lines[last - 1].strip() or lines[last - 1].startswith("#")):
        last -= 1
    return Span(span.first, last, "")


def parses(code: str) -> bool:
    """Whether `code` parses as Python."""
    try:
        parse(code, "<repair>")
    except (SyntaxError, ValueError):
        return False
    return True


# -- indentation --------------------------------------------------------------------


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))] if line.strip() else ""


def _shift(text: str, by: int) -> str:
    """Every non-blank line moved right (`by` > 0) or left by `by` columns.

    Lines inside multi-line strings move too: a model that writes a method at column
    0 writes its docstring there as well. Moving left never removes anything but
    spaces, so a string line already at column 0 stays there.
    """
    if by == 0:
        return text
    out = []
    pad = " " * by if by > 0 else ""
    for line in text.splitlines(keepends=True):
        if not line.strip():
            out.append(line)
            continue
        if by > 0:
            out.append(pad + line)
        else:
            spaces = len(line) - len(line.lstrip(" "))
            out.append(line[min(spaces, -by) :])
    return "".join(out)
