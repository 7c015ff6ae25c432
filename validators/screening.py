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
import io
import re
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from validators import placeholders
from validators.declarations import ABSTRACT_CLASS, STUB_DECORATORS, TYPING_MODULES, stub_is_the_point
from validators.placeholders import Remark

_HASH = re.compile(r"#[^\r\n]*")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def may_have_findings(source: str, tree: ast.Module) -> bool:
    """False only when no check in `python.py` can fire on `source` (without requires)."""
    zones = _Zones()
    zones.read(tree.body, next_line=None, kind="module", top_level=True, exempt=False)
    if zones.unwritten:
        return True
    lines = _Lines(source)
    if zones.function_stubs and _remark_in_stub_function(source, zones.function_stubs, lines):
        return True
    for offset, kinds in remarks(source):
        if not kinds:
            continue
        if Remark.ELISION in kinds:
            return True
        line = lines.of(offset)
        if Remark.ENDING in kinds and zones.in_footer(line):
            return True
        if (Remark.STUB_NOTE in kinds or Remark.ENDING in kinds) and zones.in_stub(line):
            return True
    return False


def _remark_in_stub_function(source: str, stubs: Sequence[_StubFunction], lines: _Lines) -> bool:
    """Whether a function body with no statement of its own may be a placeholder for
    a remark in it: it has one, and none of its remarks says why it is empty."""
    remarked = [
        lines.of(offset)
        for offset, comment in comment_candidates(source)
        if not placeholders.is_pragma(comment)
    ]
    for stub in stubs:
        at = bisect.bisect_left(remarked, stub.first)
        if at < len(remarked) and remarked[at] < stub.before and not _said_on_purpose(source, stub, lines):
            return True
    return False


def _said_on_purpose(source: str, stub: _StubFunction, lines: _Lines) -> bool:
    """Whether the walk would find that the body is empty on purpose, from its
    docstring, its raise or a comment between its header and its last statement (a
    comment below the last statement is not read: the walk may see it elsewhere)."""
    node = stub.node
    if _explains_itself(node):
        return True
    starts = lines.table()
    end = node.body[-1].end_lineno or node.lineno
    snippet = source[starts[node.lineno - 1] : starts[end] if end < len(starts) else len(source)]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(snippet).readline))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return False
    runs = _comment_runs(tokens)
    for run in runs:
        texts = [
            "#" if placeholders.is_pragma(text) or placeholders.is_commented_code(text) else text
            for text in run
        ]
        for _, sentence in placeholders.sentences(texts):
            kinds = placeholders.classify(sentence)
            if Remark.STUB_NOTE in kinds or placeholders.is_commented_code(sentence):
                continue
            if placeholders.empty_on_purpose(sentence):
                return True
    return False


def _comment_runs(tokens: Sequence[tokenize.TokenInfo]) -> list[list[str]]:
    """The comments after a function's header colon, as the walk groups them: runs of
    comment lines at one column, and each comment beside code alone."""
    depth = 0
    colon = None
    for index, token in enumerate(tokens):
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        elif token.type == tokenize.OP and token.string == ":" and depth == 0:
            colon = index
            break
    if colon is None:
        return []
    runs: list[list[str]] = []
    last: tuple[int, int] | None = None
    for token in tokens[colon + 1 :]:
        if token.type != tokenize.COMMENT:
            continue
        line, column = token.start
        own_line = not token.line[:column].strip()
        if own_line and last is not None and last == (line - 1, column):
            runs[-1].append(token.string)
        else:
            runs.append([token.string])
        last = (line, column) if own_line else None
    return runs


def _explains_itself(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """As `stubs._explains_itself`: a docstring that says why the body is empty, or a
    NotImplementedError raised with a message that is no placeholder."""
    first = node.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and placeholders.documents_empty(first.value.value)
    ):
        return True
    for statement in node.body:
        exc = _raised_not_implemented(statement)
        if isinstance(exc, ast.Call) and exc.args:
            message = exc.args[0]
            text = (
                message.value if isinstance(message, ast.Constant) and isinstance(message.value, str) else ""
            )
            if not placeholders.is_placeholder_message(text) or not text:
                return True
    return False


@dataclass(frozen=True)
class _StubFunction:
    """A function whose body holds no statement of its own, and where a remark
    standing in it may be: from its `def` line up to the next statement."""

    node: ast.FunctionDef | ast.AsyncFunctionDef
    first: int
    before: float


class _Lines:
    """Line numbers of offsets, the table built on first use."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.starts: list[int] | None = None

    def table(self) -> list[int]:
        """The offset where each line starts (line 1 at index 0)."""
        if self.starts is None:
            self.starts = [0] + [match.end() for match in _NEWLINE.finditer(self.source)]
        return self.starts

    def of(self, offset: int) -> int:
        return bisect.bisect_right(self.table(), offset)


def remarks(source: str) -> Iterator[tuple[int, frozenset[Remark]]]:
    """The kinds of every remark the comments of `source` may make, each with the
    offset of the comment it starts in.

    The walk reads a run of comment lines at one indentation as sentences
    (`placeholders.sentences`); so does this, on the text, and it reads each comment
    line alone as well, in case a `#` inside a string joined a run.
    """
    run: list[tuple[int, str]] = []
    prefix = ""
    end = -1
    for offset, comment in comment_candidates(source):
        yield offset, placeholders.classify(comment)
        start = max(source.rfind("\n", 0, offset), source.rfind("\r", 0, offset)) + 1
        before = source[start:offset]
        own_line = not before.strip()
        text = "#" if placeholders.is_pragma(comment) else comment
        follows = own_line and run and before == prefix and _NEWLINE.fullmatch(source, end, start) is not None
        if not follows:
            yield from _sentences(run)
            run = []
        if own_line:
            run.append((offset, text))
            prefix, end = before, offset + len(comment)
        else:
            yield from _sentences([(offset, text)])
    yield from _sentences(run)


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


def _sentences(run: list[tuple[int, str]]) -> Iterator[tuple[int, frozenset[Remark]]]:
    for index, sentence in placeholders.sentences([text for _, text in run]):
        yield run[index][0], placeholders.classify(sentence)


@dataclass
class _Zones:
    """Line spans where a remark could count, and whether a stub rule fires outright."""

    # (after, before): lines strictly between the last statement of a module, class
    # or function body and the statement that follows it. The footer of that body.
    footers: list[tuple[int, float]] = field(default_factory=list)
    # (first, before): from a def or class line up to the statement that follows it,
    # for bodies made only of `pass`, `...`, docstrings, `raise NotImplementedError`.
    stubs: list[tuple[int, float]] = field(default_factory=list)
    # The same, for functions only (those a remark may make a placeholder).
    function_stubs: list[_StubFunction] = field(default_factory=list)
    # A `...` among real statements, a function whose body is only `...` (outside an
    # interface), or a function that only raises NotImplementedError the way
    # `python.py` reports.
    unwritten: bool = False

    def read(
        self,
        body: Sequence[ast.stmt],
        next_line: float | None,
        kind: str,
        top_level: bool,
        exempt: bool,
        interface: bool = False,
        local: bool = False,
        class_name: str = "",
    ) -> None:
        """`exempt`: stubs are the point in this body, as `walker` decides (this may
        say no where the walk says yes, never the reverse); `interface`: the body is a
        Protocol's or an ABC's; `local`: inside a function; `class_name`: the body is
        that class's."""
        before = next_line if next_line is not None else float("inf")
        if kind != "other":
            last = body[-1].end_lineno if body else 0
            self.footers.append((last or 0, before))
        stub_only = bool(body) and all(_is_stub(statement) for statement in body)
        if not stub_only and any(_is_ellipsis(statement) for statement in body):
            self.unwritten = True
        inner_local = local or kind == "function"
        for index, statement in enumerate(body):
            following = _start(body[index + 1]) if index + 1 < len(body) else before
            if isinstance(statement, _FUNCTIONS):
                declared = exempt or _is_declaration(statement) or interface
                # As `StubRule.judge_body`: the methods of a class defined in a
                # function, and those that raise in a class named as an interface.
                fixture = local and kind == "class"
                named = (
                    kind == "class" and ABSTRACT_CLASS.search(class_name) is not None and _raises(statement)
                )
                self._read_function(statement, following, top_level, declared, inner_local, fixture or named)
            elif isinstance(statement, ast.ClassDef):
                if statement.body and all(_is_stub(each) for each in statement.body):
                    self.stubs.append((statement.lineno, following))
                declares = _declares_interface(statement)
                self.read(
                    statement.body,
                    following,
                    "class",
                    False,
                    exempt,
                    interface=declares,
                    local=inner_local,
                    class_name=statement.name,
                )
            elif isinstance(statement, ast.If) and _is_name(statement.test, "TYPE_CHECKING"):
                self.read(statement.body, following, "other", False, exempt=True, local=inner_local)
                self.read(statement.orelse, following, "other", False, exempt=exempt, local=inner_local)
            else:
                for inner in _suites(statement):
                    self.read(inner, following, "other", False, exempt=exempt, local=inner_local)

    def _read_function(
        self,
        statement: ast.FunctionDef | ast.AsyncFunctionDef,
        following: float,
        top_level: bool,
        exempt: bool,
        local: bool,
        unremarked: bool,
    ) -> None:
        """`unremarked`: no remark in its body makes it a placeholder (as `judge_body`)."""
        if statement.body and all(_is_stub(each) for each in statement.body):
            self.stubs.append((statement.lineno, following))
            if _only_raises(statement, top_level):
                self.unwritten = True
            decorators = [name for decorator in statement.decorator_list for name in _last_names(decorator)]
            declared = exempt or stub_is_the_point(statement.name, decorators)
            one_line = statement.body[0].lineno == statement.lineno
            if not declared and not one_line and not unremarked:
                self.function_stubs.append(_StubFunction(statement, statement.lineno, following))
            annotated_declaration = one_line and statement.returns is not None
            bare = not declared and not local and not annotated_declaration
            if bare and any(_is_ellipsis(each) for each in statement.body):
                self.unwritten = True
        self.read(statement.body, following, "function", top_level=False, exempt=exempt, local=local)

    def in_footer(self, line: int) -> bool:
        return any(after < line < before for after, before in self.footers)

    def in_stub(self, line: int) -> bool:
        return any(first <= line < before for first, before in self.stubs)


def _is_name(node: ast.expr, *names: str) -> bool:
    """`name` or `anything.name`, for one of `names`."""
    if isinstance(node, ast.Attribute):
        return node.attr in names
    return isinstance(node, ast.Name) and node.id in names


def _last_names(decorator: ast.expr) -> list[str]:
    """The last part of a decorator's name, as `stubs.decorator_names` reads it."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        return [target.attr]
    return [target.id] if isinstance(target, ast.Name) else []


def _is_declaration(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """An abstract method or an overload, as `stubs.is_declaration` decides."""
    return any(
        _is_name(decorator.func if isinstance(decorator, ast.Call) else decorator, *STUB_DECORATORS)
        for decorator in node.decorator_list
    )


def _raises(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(_raised_not_implemented(statement) is not None for statement in node.body)


def _is_typing_protocol(node: ast.expr) -> bool:
    """`Protocol`, `typing.Protocol`: as `blocks.TYPING_PROTOCOL` matches."""
    if isinstance(node, ast.Attribute):
        return (
            node.attr == "Protocol" and isinstance(node.value, ast.Name) and node.value.id in TYPING_MODULES
        )
    return isinstance(node, ast.Name) and node.id == "Protocol"


def _declares_interface(node: ast.ClassDef) -> bool:
    """A Protocol or an ABC, as `walker` decides."""
    return any(
        _is_name(base, "ABC", "ABCMeta")
        or _is_typing_protocol(base)
        or (isinstance(base, ast.Subscript) and _is_typing_protocol(base.value))
        for base in node.bases
    ) or any(keyword.arg == "metaclass" and _is_name(keyword.value, "ABCMeta") for keyword in node.keywords)


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
