"""Which parsed files cannot have a finding, decided without libcst.

libcst builds its tree at about eight times the cost of CPython's `ast.parse`, and
most files have nothing for the checks in `python.py` to look at. This module
over-approximates every one of those checks, on the `ast` tree CPython already built
and on the comment text, so that `check` can skip libcst when the answer is no.

It may say yes for a file without findings (libcst then decides); it must never say
no for a file with one. Each test below names the check it stands in for, and
`tests/validators/test_screening.py` compares the two on real code.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from validators import placeholders
from validators.placeholders import Remark

_HASH = re.compile(r"#[^\r\n]*")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def may_have_findings(source: str, tree: ast.Module) -> bool:
    """False only when no check in `python.py` can fire on `source` (without requires)."""
    zones = _Zones()
    zones.read(tree.body, next_line=None, kind="module", top_level=True)
    if zones.unwritten:
        return True
    line_starts: list[int] | None = None
    for offset, comment in comment_candidates(source):
        kinds = placeholders.classify(comment)
        if not kinds:
            continue
        if Remark.ELISION in kinds:
            return True
        if line_starts is None:
            line_starts = [0] + [match.end() for match in _NEWLINE.finditer(source)]
        line = bisect.bisect_right(line_starts, offset)
        if Remark.ENDING in kinds and zones.in_footer(line):
            return True
        if (Remark.STUB_NOTE in kinds or Remark.ENDING in kinds) and zones.in_stub(line):
            return True
    return False


def comment_candidates(source: str) -> Iterator[tuple[int, str]]:
    """Every text from a `#` to the end of its line, with its offset.

    Each comment is one of them; so are some string contents, which is harmless.
    """
    for match in _HASH.finditer(source):
        run = match.group()
        start = 0
        # A '#' inside a string may come first; the comment is then a later suffix.
        while start != -1:
            yield match.start() + start, run[start:]
            start = run.find("#", start + 1)


@dataclass
class _Zones:
    """Line spans where a remark could count, and whether a stub rule fires outright."""

    # (after, before): lines strictly between the last statement of a module, class
    # or function body and the statement that follows it. The footer of that body.
    footers: list[tuple[int, float]] = field(default_factory=list)
    # (first, before): from a def or class line up to the statement that follows it,
    # for bodies made only of `pass`, `...`, docstrings, `raise NotImplementedError`.
    stubs: list[tuple[int, float]] = field(default_factory=list)
    # A `...` among real statements, or a function that only raises
    # NotImplementedError the way `python.py` reports.
    unwritten: bool = False

    def read(self, body: Sequence[ast.stmt], next_line: float | None, kind: str, top_level: bool) -> None:
        before = next_line if next_line is not None else float("inf")
        if kind != "other":
            last = body[-1].end_lineno if body else 0
            self.footers.append((last or 0, before))
        stub_only = bool(body) and all(_is_stub(statement) for statement in body)
        if not stub_only and any(_is_ellipsis(statement) for statement in body):
            self.unwritten = True
        for index, statement in enumerate(body):
            following = _start(body[index + 1]) if index + 1 < len(body) else before
            if isinstance(statement, _DEFINITIONS):
                inner_kind = "class" if isinstance(statement, ast.ClassDef) else "function"
                if statement.body and all(_is_stub(each) for each in statement.body):
                    self.stubs.append((statement.lineno, following))
                    if isinstance(statement, _FUNCTIONS) and _only_raises(statement, top_level):
                        self.unwritten = True
                self.read(statement.body, following, inner_kind, top_level=False)
            else:
                for inner in _suites(statement):
                    self.read(inner, following, "other", top_level=False)

    def in_footer(self, line: int) -> bool:
        return any(after < line < before for after, before in self.footers)

    def in_stub(self, line: int) -> bool:
        return any(first <= line < before for first, before in self.stubs)


def _start(statement: ast.stmt) -> int:
    """The first line of a statement, decorators included."""
    decorators: list[ast.expr] = getattr(statement, "decorator_list", None) or []
    return min([statement.lineno] + [decorator.lineno for decorator in decorators])


def _suites(statement: ast.stmt) -> Iterator[Sequence[ast.stmt]]:
    """The statement lists nested in a compound statement other than def and class."""
    for name in ("body", "orelse", "finalbody"):
        value = getattr(statement, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            yield value
    for handler in getattr(statement, "handlers", None) or []:
        yield handler.body
    for case in getattr(statement, "cases", None) or []:
        yield case.body


def _is_ellipsis(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and statement.value.value is Ellipsis
    )


def _is_stub(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr):
        value = statement.value
        return isinstance(value, ast.Constant) and (value.value is Ellipsis or isinstance(value.value, str))
    return _raised_not_implemented(statement) is not None


def _raised_not_implemented(statement: ast.stmt) -> ast.expr | None:
    """The `NotImplementedError` expression a `raise` statement raises, if it does."""
    if not isinstance(statement, ast.Raise) or statement.exc is None:
        return None
    exc = statement.exc
    target = exc.func if isinstance(exc, ast.Call) else exc
    if isinstance(target, ast.Name) and target.id == "NotImplementedError":
        return exc
    return None


def _only_raises(function: ast.FunctionDef | ast.AsyncFunctionDef, top_level: bool) -> bool:
    """Whether `python.py` would report this stub function for how it raises."""
    for statement in function.body:
        exc = _raised_not_implemented(statement)
        if exc is None:
            continue
        if not isinstance(exc, ast.Call) or not exc.args:
            if top_level:
                return True
            continue
        message = exc.args[0]
        if (
            isinstance(message, ast.Constant)
            and isinstance(message.value, str)
            and message.value
            and placeholders.is_placeholder_message(message.value)
        ):
            return True
    return False
