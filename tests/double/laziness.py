"""Laziness: what a model leaves out of a long file on its first write.

Asked for a long file, real models sometimes write less: a long function gets a
placeholder for a body ("# ... rest of implementation ..." then `pass`), and the answer
stops early, between two statements, with a remark that the rest "follows the same
pattern". codegen finds both with `validators.check` and repairs them: a placeholder by
asking for that definition alone, an early end by asking for the rest of the file.
`make_lazy` turns a target text into what such a model writes, deterministically from
`Laziness.seed` and the path.

Placeholders. Up to `Laziness.placeholders` functions or methods lose their body
(a docstring stays) to one of `PLACEHOLDER_BODIES`, each of which `validators.check`
reports as a `placeholder` with the function's qualified name as its scope. Long
bodies are likelier (drawn with weights by length, at least `min_body_lines` lines).
Only functions at module level or in a class body (classes nest to any depth) are
chosen, never one inside a function; nor one whose body a checker rightly leaves alone
(abstract methods, overloads, members of a Protocol or ABC), one whose name is not
unique, or one with a line of a string further left than itself (see
`definitions.shifts_back`: no splice that moves lines could put it back exactly).

Early end. The first answer stops at a boundary between two module-level statements,
or between two members of a class, at 50-85% of the code when there is one there (else
the boundary nearest two thirds). A blank line and a remark at that level's
indentation take the place of the rest (`MODULE_REMARKS`, `MEMBER_REMARKS`; each is
reported as `premature-end` at the end of a file). The rest, when asked for, is the
same lazy text on from the boundary: placeholders after it stay.

Pure: text in, text out, `ast` to find bodies and boundaries.
"""

from __future__ import annotations

import ast
import random
from dataclasses import dataclass

from validators.parsing import parse

from .definitions import Definition, definitions, first_line, indent_of, shifts_back

# Bodies that stand for code not written; `{i}` is the body's indentation.
PLACEHOLDER_BODIES: tuple[str, ...] = (
    "{i}# ... rest of implementation ...\n{i}pass\n",
    "{i}pass  # TODO: implement\n",
    "{i}...  # same as above\n",
    "{i}# ... existing code ...\n{i}...\n",
    '{i}raise NotImplementedError("TODO: implement")\n',
    "{i}pass  # implementation omitted for brevity\n",
)
# What the first answer ends with instead of the rest of the module ...
MODULE_REMARKS: tuple[str, ...] = (
    "# ... the rest of the module is similar ...",
    "# The remaining functions follow the same pattern.",
    "# (remaining functions omitted for brevity)",
)
# ... or of a class.
MEMBER_REMARKS: tuple[str, ...] = (
    "# The remaining methods follow the same pattern.",
    "# ... other methods follow the same pattern ...",
    "# (remaining methods omitted for brevity)",
)
# Decorators under which a stub body is the point, so a checker does not report one.
_DECLARATIONS = frozenset(
    {"abstractmethod", "abstractproperty", "abstractclassmethod", "abstractstaticmethod", "overload"}
)
_INTERFACES = frozenset({"Protocol", "ABC", "ABCMeta"})


@dataclass(frozen=True)
class Laziness:
    """How lazy the author's first write of a file is (ModuleAuthor(laziness=...))."""

    placeholders: int = 2  # at most this many bodies replaced by a placeholder
    early_end: bool = True  # the first answer stops early with a remark
    min_body_lines: int = 8  # a body shorter than this is never replaced
    seed: int = 0
    early_end_range: tuple[float, float] = (0.5, 0.85)  # where, as a share of the code


@dataclass(frozen=True)
class EarlyEnd:
    """Where the first answer stops: `offset` into the lazy code (a line start)."""

    offset: int
    line: int  # 1-based: the first line of the lazy code the first answer leaves out
    remark: str  # the remark line, indented, without its newline

    def first_pass(self, code: str) -> str:
        """The code of the first answer: up to the boundary, a blank line, the remark."""
        return code[: self.offset] + "\n" + self.remark + "\n"


@dataclass(frozen=True)
class LazyText:
    """What a lazy author means to write for one file."""

    code: str  # the whole file as the lazy author writes it: with placeholders
    placeholders: tuple[str, ...]  # qualified names whose bodies are placeholders, in order
    early_end: EarlyEnd | None


@dataclass(frozen=True)
class _Body:
    qualname: str
    start: int  # 1-based first line replaced (after a docstring, if any)
    end: int  # 1-based last line replaced: the function's last
    indent: str

    @property
    def lines(self) -> int:
        return self.end - self.start + 1


def make_lazy(source: str, path: str, laziness: Laziness) -> LazyText | None:
    """The lazy version of `source`; None when it is not Python this can read."""
    try:
        tree = parse(source)
    except (SyntaxError, ValueError):
        return None
    rng = random.Random(f"{laziness.seed}|{path}|laziness")
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    chosen = _choose(_bodies(tree, lines, laziness.min_body_lines), laziness.placeholders, rng)
    for body in sorted(chosen, key=lambda b: b.start, reverse=True):
        lines[body.start - 1 : body.end] = [rng.choice(PLACEHOLDER_BODIES).format(i=body.indent)]
    code = "".join(lines)
    names = tuple(b.qualname for b in sorted(chosen, key=lambda b: b.start))
    early = _early_end(code, rng, laziness) if laziness.early_end else None
    return LazyText(code, names, early)


def _bodies(tree: ast.Module, lines: list[str], min_lines: int) -> list[_Body]:
    """The bodies that may become placeholders, in the order of the file."""
    counts: dict[str, int] = {}
    for site in definitions(tree):
        counts[site.qualname] = counts.get(site.qualname, 0) + 1
    found: list[_Body] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if not isinstance(node, Definition):
                continue
            name = f"{prefix}.{node.name}" if prefix else node.name
            if isinstance(node, ast.ClassDef) and not _interface(node):
                visit(node.body, name)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                candidate = _body(node, name, lines)
                if (
                    candidate is not None
                    and counts.get(name) == 1
                    and candidate.lines >= min_lines
                    and not _declaration(node)
                ):
                    found.append(candidate)

    visit(tree.body, "")
    return found


def _body(node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, lines: list[str]) -> _Body | None:
    """The lines of a function's body after its docstring; None when the body shares a
    line with the header or the docstring, or the function would not shift back."""
    statements = node.body
    first = statements[0]
    if first.lineno <= node.lineno:
        return None
    indent = lines[first.lineno - 1][: first.col_offset]
    if indent.strip() or not indent:
        return None
    start = first_line(first)
    if _is_docstring(first):
        if len(statements) == 1 or first_line(statements[1]) <= (first.end_lineno or 0):
            return None
        start = (first.end_lineno or first.lineno) + 1
    end = node.end_lineno or node.lineno
    definition = "".join(lines[first_line(node) - 1 : end])
    if not shifts_back(definition, len(indent_of(lines[first_line(node) - 1]))):
        return None
    return _Body(qualname, start, end, indent)


def _choose(bodies: list[_Body], n: int, rng: random.Random) -> list[_Body]:
    """Up to `n` bodies, the longer the likelier."""
    pool = list(bodies)
    chosen: list[_Body] = []
    while pool and len(chosen) < n:
        pick = rng.choices(range(len(pool)), weights=[b.lines for b in pool])[0]
        chosen.append(pool.pop(pick))
    return chosen


def _early_end(code: str, rng: random.Random, laziness: Laziness) -> EarlyEnd | None:
    """Where the first answer stops, and its remark; None without a boundary."""
    tree = parse(code)
    lines = code.splitlines(keepends=True)
    starts = [0]
    for text in lines:
        starts.append(starts[-1] + len(text))
    boundaries: list[tuple[int, int, str, bool]] = []  # (offset, line, indent, in a class)

    def visit(body: list[ast.stmt], in_class: bool) -> None:
        for before, after in zip(body, body[1:], strict=False):
            end = before.end_lineno or before.lineno
            following = first_line(after)
            if following > end:
                indent = indent_of(lines[following - 1])
                boundaries.append((starts[end], end + 1, indent, in_class))
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, True)

    visit(tree.body, False)
    if not boundaries:
        return None
    low, high = (share * len(code) for share in laziness.early_end_range)
    inside = [b for b in sorted(boundaries) if low <= b[0] <= high]
    offset, line, indent, in_class = (
        rng.choice(inside) if inside else min(sorted(boundaries), key=lambda b: abs(b[0] - 2 * len(code) / 3))
    )
    remark = indent + rng.choice(MEMBER_REMARKS if in_class else MODULE_REMARKS)
    return EarlyEnd(offset, line, remark)


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _declaration(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Decorated as an abstract method or an overload: a stub body is the point."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in _DECLARATIONS:
            return True
    return False


def _interface(node: ast.ClassDef) -> bool:
    """A Protocol or an ABC: its members may be stubs, so a checker lets them be."""
    names = [*node.bases, *(k.value for k in node.keywords if k.arg == "metaclass")]
    for base in names:
        target = base.value if isinstance(base, ast.Subscript) else base
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in _INTERFACES:
            return True
    return False
