"""Whether a Python file is complete, and where it is not: checks on libcst's tree.

Pure: text in, findings out. The order of work keeps clean files cheap:

1. CPython's own parser (`ast.parse`, fast, in C) says whether the text parses. A
   file that parses, has no required names and that `screening` clears (no stub
   body, no placeholder-like comment where one would count) has no finding, and no
   libcst tree is built: libcst parses at about eight times the cost of `ast`.
2. libcst parses the rest. A file it cannot parse gets one `truncated` or `syntax`
   finding (`truncation.diagnose`), after a comment standing where a body should be,
   or a line of prose saying the rest is left out, has been read past and reported.
3. One pass of `_Inspector` over the statements (expressions are skipped unless a
   comment in brackets could be an elision) collects placeholders, endings and the
   names defined at each scope.
4. Positions are computed only when there is a finding: libcst's position metadata
   costs more than the parse.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import libcst as cst
import libcst.matchers as m
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from validators import placeholders, screening, truncation
from validators.findings import Code, Finding
from validators.parsing import parse
from validators.placeholders import Remark

# Each round re-parses the whole file; a file with more gaps than this is hopeless.
_MAX_GAPS = 20
_SHOWN = 60

_ELLIPSIS = m.Expr(value=m.Ellipsis())
_STRING = m.Expr(value=m.SimpleString() | m.ConcatenatedString())
_NOT_IMPLEMENTED = m.Raise(exc=m.Name("NotImplementedError") | m.Call(func=m.Name("NotImplementedError")))
_STUB = m.Pass() | _ELLIPSIS | _STRING | _NOT_IMPLEMENTED
_NAME_OR_ATTRIBUTE = {
    name: m.Name(name) | m.Attribute(attr=m.Name(name))
    for name in ("Protocol", "ABC", "ABCMeta", "TYPE_CHECKING")
}
# Decorators under which a body of `...` or `raise NotImplementedError` is the point.
_STUB_DECORATORS = frozenset(
    {
        "abstractmethod",
        "abstractproperty",
        "abstractclassmethod",
        "abstractstaticmethod",
        "overload",
    }
)
_CONTAINERS = (
    cst.Module,
    cst.BaseSuite,
    cst.BaseCompoundStatement,
    cst.Else,
    cst.ExceptHandler,
    cst.ExceptStarHandler,
    cst.Finally,
    cst.MatchCase,
)
BlockKind = Literal["module", "class", "function", "other"]
_HEADER_LINE = re.compile(r":[ \t]*(?:#[^\r\n]*)?(?:\r\n|\r|\n)?\Z")


def check(source: str, *, requires: Iterable[str] = (), filename: str = "<string>") -> list[Finding]:
    """Completeness findings for one Python source text, sorted by position.

    `requires` names must be defined: `Name` at module level, `Class.member` inside a
    class (methods, class attributes and `self.x` assignments count). `filename` only
    matters for its suffix: a `.pyi` stub may have stub bodies. Never raises on any
    source text; raises ValueError for a required name that is not a dotted name.
    """
    wanted = _required_names(requires)
    verdict = _cpython_verdict(source)
    if verdict.fatal is not None:
        return [verdict.fatal]
    if verdict.tree is not None and not wanted:
        if not screening.may_have_findings(source, verdict.tree):
            return []
    return _inspect(source, wanted, stubs_allowed=filename.endswith(".pyi"), verdict=verdict)


def _inspect(source: str, wanted: Sequence[str], *, stubs_allowed: bool, verdict: _Verdict) -> list[Finding]:
    """Every check on libcst's tree, without screening (which only saves time)."""
    text = source
    gaps: list[Finding] = []
    while True:
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError as error:
            if verdict.tree is not None:
                # CPython accepts what libcst's grammar does not (a parenthesized
                # annotated target, say): there is no syntax error to report, and no
                # tree to check.
                return []
            gap = _read_past_gap(text, error) if len(gaps) < _MAX_GAPS else None
            if gap is None:
                found = truncation.diagnose(text, error, verdict.error)
                return _merged(gaps, [found])
            text, finding = gap
            gaps.append(finding)
        except cst.CSTValidationError as error:
            # Parsed, but a node libcst refuses to build: `"" b""` mixes str and bytes.
            if verdict.tree is not None:
                return []
            where = verdict.error
            line = where.lineno if where is not None and where.lineno else 1
            column = where.offset if where is not None and where.offset else 1
            found = Finding(
                Code.SYNTAX, line, column, truncation.scope_at(text, line), f"cannot parse: {error}"
            )
            return _merged(gaps, [found])
        except RecursionError:
            return [_unparsable("expressions nested too deeply to parse")]
        else:
            break
    inspector = _Inspector(
        wanted=wanted,
        stubs_allowed=stubs_allowed,
        into_brackets=any(
            Remark.ELISION in placeholders.classify(comment)
            for _, comment in screening.comment_candidates(text)
        ),
    )
    module.visit(inspector)
    pending = inspector.pending + inspector.missing()
    if not pending:
        return _merged(gaps, [])
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return _merged(gaps, [each.locate(positions) for each in pending])


def _merged(gaps: Sequence[Finding], findings: Sequence[Finding]) -> list[Finding]:
    """All findings by position, ties in the order found (required names keep theirs).

    A gap read past is also seen by the tree walk; it is reported once.
    """
    seen = {(gap.line, gap.code) for gap in gaps}
    unique = list(gaps) + [f for f in findings if (f.line, f.code) not in seen]
    return sorted(dict.fromkeys(unique), key=lambda finding: (finding.line, finding.column))


def _required_names(requires: Iterable[str]) -> tuple[str, ...]:
    # One name passed as a string would otherwise be read as its letters.
    if isinstance(requires, str):
        requires = (requires,)
    names = []
    for name in requires:
        if not isinstance(name, str) or not all(part.isidentifier() for part in name.split(".")):
            raise ValueError(f"required name {name!r} is not a dotted Python name")
        names.append(name)
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class _Verdict:
    """What CPython's parser made of the text."""

    tree: ast.Module | None
    error: SyntaxError | None = None
    # A finding that makes handing the text to libcst pointless or unsafe.
    fatal: Finding | None = None


def _cpython_verdict(source: str) -> _Verdict:
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences warn; the validator prints nothing.
            warnings.simplefilter("ignore")
            tree = parse(source)
    except SyntaxError as error:
        if "too many nested parentheses" in str(error.msg):
            # libcst's native parser overflows the C stack on such nesting.
            line, column = error.lineno or 1, error.offset or 1
            return _Verdict(None, error, _unparsable(str(error.msg), line, column))
        return _Verdict(None, error)
    except UnicodeEncodeError as error:
        # A lone surrogate (text decoded with surrogateescape): not UTF-8, not Python.
        line, column = _line_column(source, error.start)
        character = f"U+{ord(source[error.start]):04X}"
        return _Verdict(None, None, _unparsable(f"{character} is not valid UTF-8", line, column))
    except ValueError as error:
        # Null bytes, on Python 3.11: libcst reports them as a tokenizer error.
        return _Verdict(None, SyntaxError(str(error)))
    except (RecursionError, MemoryError):
        # CPython's parser reports nesting past its limits this way; libcst would
        # overflow its stack on the same text, so it is never given it.
        return _Verdict(None, None, _unparsable("expressions nested too deeply to parse"))
    return _Verdict(tree)


def _unparsable(reason: str, line: int = 1, column: int = 1) -> Finding:
    return Finding(Code.SYNTAX, line, column, "", f"cannot parse: {reason}")


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of an offset."""
    lines = truncation.lines_of(text[:offset])
    if not lines or lines[-1].endswith(("\n", "\r")):
        return len(lines) + 1, 1
    return len(lines), len(lines[-1]) + 1


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _read_past_gap(text: str, error: cst.ParserSyntaxError) -> tuple[str, Finding] | None:
    """A finding for what makes `text` fail to parse in the middle, when it is a
    placeholder, and the text with it turned into something that parses; else None.

    Two shapes are recognised, each kept on its line so positions stay true: a line
    of prose saying the rest is left out ("The remaining methods follow the same
    pattern."), which is commented out; and a block whose body is only comments, one
    of them a placeholder ("# ... rest of the method ..."), which gets a `pass`.
    A gap at the very end of the file is left to `truncation`: the file was cut.
    """
    if truncation.stops_at_end(text, error):
        return None
    position = truncation.error_position(text, error)
    if position is None:
        return None
    lines = truncation.lines_of(text)
    index = position[0] - 1
    patched = _prose_gap(text, lines, index) or _comment_body_gap(text, lines, index)
    if patched is None:
        return None
    new_text, finding = patched
    # A patch that does not move the error past the gap misread the text.
    try:
        cst.parse_module(new_text)
    except cst.ParserSyntaxError as after:
        moved = truncation.error_position(new_text, after)
        if moved is not None and moved[0] <= position[0]:
            return None
    except (cst.CSTValidationError, RecursionError):
        return None
    return new_text, finding


def _prose_gap(text: str, lines: list[str], index: int) -> tuple[str, Finding] | None:
    if index >= len(lines):
        return None
    content = lines[index].strip()
    if not content or content.startswith("#") or not placeholders.is_prose_ending(content):
        return None
    rest = lines[index + 1 :]
    at_end = all(not each.strip() or each.lstrip().startswith("#") for each in rest)
    column = len(lines[index]) - len(lines[index].lstrip()) + 1
    line = index + 1
    if at_end:
        finding = Finding(
            Code.PREMATURE_END,
            line,
            column,
            truncation.scope_at(text, line),
            f'the file ends with prose instead of the rest of the code: "{_shown(content)}"',
        )
    else:
        finding = Finding(
            Code.PLACEHOLDER,
            line,
            column,
            truncation.scope_at(text, line),
            f'a line of prose stands in for code not written: "{_shown(content)}"',
        )
    return "".join(lines[:index] + ["#" + lines[index]] + rest), finding


def _comment_body_gap(text: str, lines: list[str], index: int) -> tuple[str, Finding] | None:
    comments: list[int] = []
    header = min(index, len(lines)) - 1
    while header >= 0 and (not lines[header].strip() or lines[header].lstrip().startswith("#")):
        if lines[header].strip():
            comments.append(header)
        header -= 1
    if header < 0 or not comments or not _HEADER_LINE.search(lines[header]):
        return None
    comments.reverse()
    remarks = [each for each in comments if placeholders.classify(lines[each])]
    if not remarks:
        return None
    first = comments[0]
    header_indent = _indent(lines[header])
    body_indent = _indent(lines[first])
    if len(body_indent) <= len(header_indent):
        body_indent = header_indent + "    "
    new_lines = list(lines)
    new_lines[first] = body_indent + "pass  " + lines[first].lstrip()
    remark = remarks[0]
    line = remark + 1
    column = len(_indent(lines[remark])) + 1
    scope = truncation.scope_at(text, header + 2)
    where = f"the body of {scope}" if scope else "a block's body"
    finding = Finding(
        Code.PLACEHOLDER,
        line,
        column,
        scope,
        f'a comment stands where {where} should be: "{_shown(lines[remark].strip())}"',
    )
    return "".join(new_lines), finding


def _top_module(module: cst.Attribute | cst.Name | None) -> str:
    """`os` out of `os.path`."""
    while isinstance(module, cst.Attribute):
        module = module.value  # type: ignore[assignment]
    return module.value if isinstance(module, cst.Name) else ""


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


@dataclass(frozen=True)
class _Pending:
    """A finding whose position is not known yet: it is that of `node`."""

    node: cst.CSTNode | None
    code: Code
    scope: str
    message: str

    def locate(self, positions: Mapping[cst.CSTNode, CodeRange]) -> Finding:
        line, column = 1, 1
        if self.node is not None:
            where = positions[self.node]
            line, column = where.start.line, where.start.column + 1
        return Finding(self.code, line, column, self.scope, self.message)


@dataclass
class _Block:
    """What the inspector knows about the body it is in."""

    kind: BlockKind  # "other": the body of an if, for, while, try, with or match
    scope: str
    statements: Sequence[cst.BaseStatement] | Sequence[cst.BaseSmallStatement]
    stub_only: bool
    # Stub bodies are legitimate here: a .pyi file, an abstract or overload
    # declaration, a Protocol or ABC, `if TYPE_CHECKING:`.
    exempt: bool
    # Nothing follows this block in the file: a remark in its footer ends the file.
    at_end: bool
    # In a method: the name of its first parameter and the class's scope.
    self_name: str | None = None
    class_scope: str | None = None
    typing_only: bool = False
    current: cst.CSTNode | None = None


@dataclass
class _Definitions:
    nodes: dict[str, tuple[cst.CSTNode, str]] = field(default_factory=dict)
    # Scopes with `from x import *` of the project's own modules (relative, or not in
    # the standard library): any name may come from there.
    starred: set[str] = field(default_factory=set)

    def add(self, scope: str, name: str, node: cst.CSTNode, kind: str = "name") -> None:
        self.nodes.setdefault(f"{scope}.{name}" if scope else name, (node, kind))


class _Inspector(cst.CSTVisitor):
    """One pass over the statements: placeholders, endings, definitions."""

    def __init__(self, *, wanted: Sequence[str], stubs_allowed: bool, into_brackets: bool):
        super().__init__()
        self.wanted = wanted
        self.wanted_set = frozenset(wanted)
        self.stubs_allowed = stubs_allowed
        self.into_brackets = into_brackets
        self.pending: list[_Pending] = []
        self.definitions = _Definitions()
        self.blocks: list[_Block] = []
        self.parents: list[cst.CSTNode] = []

    # -- traversal -----------------------------------------------------------------

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.BaseStatement) and self.blocks:
            self.blocks[-1].current = node
        descend = super().on_visit(node)
        self.parents.append(node)
        # Only bodies hold statements. Whitespace, names and expressions are skipped,
        # unless a comment in brackets could be an elision.
        return descend and (self.into_brackets or isinstance(node, _CONTAINERS))

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.parents.pop()
        super().on_leave(original_node)

    def visit_Module(self, node: cst.Module) -> None:
        self._enter(node, node.body, kind="module", scope="", exempt=self.stubs_allowed, at_end=True)
        self._comments(node.header, "line")
        self._comments(node.footer, "footer")
        self._misplaced_ellipses(node.body)

    def leave_Module(self, original_node: cst.Module) -> None:
        self.blocks.pop()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._enter_suite(node, node.body)
        self._comment(node.header.comment, "header")
        self._comments(node.footer, "footer")
        self._misplaced_ellipses(node.body)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self.blocks.pop()

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._enter_suite(node, node.body)
        self._comment(node.trailing_whitespace.comment, "header")

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self.blocks.pop()

    # -- statements ----------------------------------------------------------------

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._comments(node.leading_lines, "line")
        self._comment(node.trailing_whitespace.comment, "trailing")
        if self.wanted:
            for statement in node.body:
                self._define(statement)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._leading(node)
        self._comments(node.lines_after_decorators, "line")
        if self.wanted:
            self.definitions.add(self.blocks[-1].scope, node.name.value, node, "function")

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._leading(node)
        self._comments(node.lines_after_decorators, "line")
        if self.wanted:
            self.definitions.add(self.blocks[-1].scope, node.name.value, node, "class")

    def visit_For(self, node: cst.For) -> None:
        self._leading(node)
        if self.wanted:
            self._define_target(node.target)

    def visit_With(self, node: cst.With) -> None:
        self._leading(node)
        if self.wanted:
            for item in node.items:
                if item.asname is not None:
                    self._define_target(item.asname.name)

    def visit_If(self, node: cst.If) -> None:
        self._leading(node)

    def visit_While(self, node: cst.While) -> None:
        self._leading(node)

    def visit_Try(self, node: cst.Try) -> None:
        self._leading(node)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._leading(node)

    def visit_Match(self, node: cst.Match) -> None:
        self._leading(node)

    def visit_Else(self, node: cst.Else) -> None:
        self._comments(node.leading_lines, "line")

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._comments(node.leading_lines, "line")

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._comments(node.leading_lines, "line")

    def visit_Finally(self, node: cst.Finally) -> None:
        self._comments(node.leading_lines, "line")

    def visit_MatchCase(self, node: cst.MatchCase) -> None:
        self._comments(node.leading_lines, "line")

    def visit_ParenthesizedWhitespace(self, node: cst.ParenthesizedWhitespace) -> None:
        self._comment(node.first_line.comment, "bracket")
        self._comments(node.empty_lines, "bracket")

    def _leading(self, node: cst.BaseCompoundStatement) -> None:
        self._comments(node.leading_lines, "line")
        if isinstance(node, cst.FunctionDef | cst.ClassDef):
            for decorator in node.decorators:
                self._comments(decorator.leading_lines, "line")

    # -- blocks --------------------------------------------------------------------

    def _enter_suite(
        self,
        node: cst.BaseSuite,
        statements: Sequence[cst.BaseStatement] | Sequence[cst.BaseSmallStatement],
    ) -> None:
        # Hooks run before the node is pushed: the last parent is the suite's owner.
        owner = self.parents[-1] if self.parents else None
        outer = self.blocks[-1]
        kind: BlockKind = "other"
        scope = outer.scope
        if isinstance(owner, cst.FunctionDef | cst.ClassDef):
            kind = "function" if isinstance(owner, cst.FunctionDef) else "class"
            name = owner.name.value
            scope = f"{outer.scope}.{name}" if outer.scope else name
        statement = outer.current
        at_end = (
            outer.at_end
            and statement is not None
            and len(outer.statements) > 0
            and statement is outer.statements[-1]
            and _last_suite(statement) is node
        )
        typing_only = outer.typing_only or (
            isinstance(owner, cst.If)
            and m.matches(owner.test, _NAME_OR_ATTRIBUTE["TYPE_CHECKING"])
            and node is owner.body
        )
        exempt = outer.exempt or typing_only
        if isinstance(owner, cst.FunctionDef) and not exempt:
            exempt = _is_declaration(owner) or (outer.kind == "class" and self._class_declares_interface())
        self._enter(node, statements, kind=kind, scope=scope, exempt=exempt, at_end=at_end)
        block = self.blocks[-1]
        block.typing_only = typing_only
        if kind == "function" and isinstance(owner, cst.FunctionDef):
            if outer.kind == "class":
                block.self_name = _first_parameter(owner)
                block.class_scope = outer.scope
            self._stub_function(owner, block, outer)
        elif kind == "other":
            block.self_name, block.class_scope = outer.self_name, outer.class_scope

    def _enter(
        self,
        node: cst.CSTNode,
        statements: Sequence[cst.BaseStatement] | Sequence[cst.BaseSmallStatement],
        *,
        kind: BlockKind,
        scope: str,
        exempt: bool,
        at_end: bool,
    ) -> None:
        stub_only = bool(statements) and all(_is_stub(each) for each in statements)
        self.blocks.append(
            _Block(
                kind=kind,
                scope=scope,
                statements=statements,
                stub_only=stub_only,
                exempt=exempt,
                at_end=at_end,
            )
        )

    def _class_declares_interface(self) -> bool:
        """Whether the class whose body is being read is a Protocol or an ABC."""
        for node in reversed(self.parents):
            if isinstance(node, cst.ClassDef):
                return any(
                    m.matches(base.value, _NAME_OR_ATTRIBUTE["Protocol"])
                    or m.matches(base.value, m.Subscript(value=_NAME_OR_ATTRIBUTE["Protocol"]))
                    or m.matches(base.value, _NAME_OR_ATTRIBUTE["ABC"])
                    or m.matches(base.value, _NAME_OR_ATTRIBUTE["ABCMeta"])
                    for base in node.bases
                ) or any(
                    keyword.keyword is not None
                    and keyword.keyword.value == "metaclass"
                    and m.matches(keyword.value, _NAME_OR_ATTRIBUTE["ABCMeta"])
                    for keyword in node.keywords
                )
        return False

    # -- checks --------------------------------------------------------------------

    def _stub_function(self, node: cst.FunctionDef, block: _Block, outer: _Block) -> None:
        """A function whose body only stands for one: required, or plainly unwritten."""
        if not block.stub_only or block.exempt:
            return
        body = [
            small
            for line in block.statements
            for small in (line.body if isinstance(line, cst.SimpleStatementLine) else [line])
        ]
        if block.scope in self.wanted_set:
            what = _describe_stub(body)
            self._report(
                node,
                Code.PLACEHOLDER,
                block.scope,
                f"`{block.scope}` is required but its body is only {what}",
            )
            return
        for small in body:
            if not m.matches(small, _NOT_IMPLEMENTED):
                continue
            assert isinstance(small, cst.Raise)
            message = _raised_message(small)
            if message and placeholders.is_placeholder_message(message):
                self._report(
                    node,
                    Code.PLACEHOLDER,
                    block.scope,
                    f"`{block.scope}` only raises NotImplementedError({message!r})",
                )
            elif message is None and outer.kind == "module":
                # A module-level function that only raises, with no word of why, is
                # not an interface (those are methods): it was never written.
                self._report(
                    node,
                    Code.PLACEHOLDER,
                    block.scope,
                    f"`{block.scope}` only raises NotImplementedError",
                )

    def _misplaced_ellipses(self, statements: Sequence[cst.BaseStatement]) -> None:
        """`...` as a statement among real ones stands for code left out."""
        block = self.blocks[-1]
        if block.stub_only or block.exempt:
            return
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine) and any(
                m.matches(small, _ELLIPSIS) for small in statement.body
            ):
                self._report(
                    statement,
                    Code.PLACEHOLDER,
                    block.scope,
                    "`...` among statements stands in for code not written",
                )

    def _comments(self, lines: Sequence[cst.EmptyLine], where: str) -> None:
        comments = [line.comment for line in lines if line.comment is not None]
        for index, comment in enumerate(comments):
            self._comment(comment, where, last=index == len(comments) - 1)

    def _comment(self, comment: cst.Comment | None, where: str, last: bool = True) -> None:
        if comment is None:
            return
        kinds = placeholders.classify(comment.value)
        if not kinds:
            return
        block = self.blocks[-1]
        shown = _shown(comment.value)
        end_of_file = where == "footer" and block.at_end
        if Remark.ELISION in kinds:
            if end_of_file:
                self._report(
                    comment,
                    Code.PREMATURE_END,
                    block.scope,
                    f'the file ends with a remark instead of the rest: "{shown}"',
                )
            else:
                self._report(
                    comment,
                    Code.PLACEHOLDER,
                    block.scope,
                    f'"{shown}" stands in for code that was left out',
                )
        elif Remark.ENDING in kinds and where == "footer" and last and block.kind != "other":
            # Only the closing remark of a body: "and so forth," opening a paragraph
            # of explanation is prose.
            if end_of_file:
                self._report(
                    comment,
                    Code.PREMATURE_END,
                    block.scope,
                    f'the file ends with a remark instead of the rest: "{shown}"',
                )
            else:
                what = block.scope or "the module"
                self._report(
                    comment,
                    Code.PLACEHOLDER,
                    block.scope,
                    f'"{shown}" stands in for the rest of {what}',
                )
        elif (
            block.stub_only
            and not block.exempt
            and block.kind in ("function", "class")
            and (Remark.STUB_NOTE in kinds or Remark.ENDING in kinds)
        ):
            # A note beside `pass` in an `except` or an `if` is an ordinary note.
            what = _describe_stub(block.statements)
            self._report(comment, Code.PLACEHOLDER, block.scope, f'body is only {what}, marked "{shown}"')

    def _report(self, node: cst.CSTNode | None, code: Code, scope: str, message: str) -> None:
        self.pending.append(_Pending(node, code, scope, message))

    # -- definitions ---------------------------------------------------------------

    def _define(self, statement: cst.BaseSmallStatement) -> None:
        block = self.blocks[-1]
        if isinstance(statement, cst.Assign):
            for target in statement.targets:
                self._define_target(target.target)
        elif isinstance(statement, cst.AnnAssign | cst.AugAssign):
            self._define_target(statement.target)
        elif isinstance(statement, cst.Import):
            for alias in statement.names:
                bound: cst.BaseExpression = alias.asname.name if alias.asname is not None else alias.name
                # `import os.path` binds `os`.
                while isinstance(bound, cst.Attribute):
                    bound = bound.value
                if isinstance(bound, cst.Name):
                    self.definitions.add(block.scope, bound.value, statement)
        elif isinstance(statement, cst.ImportFrom):
            if isinstance(statement.names, cst.ImportStar):
                # `from typing import *` (a small model's habit) defines none of the
                # names a spec requires: only a module of the project may.
                if statement.relative or _top_module(statement.module) not in sys.stdlib_module_names:
                    self.definitions.starred.add(block.scope)
                return
            for alias in statement.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                if isinstance(bound, cst.Name):
                    self.definitions.add(block.scope, bound.value, statement)
        elif isinstance(statement, cst.TypeAlias):
            self.definitions.add(block.scope, statement.name.value, statement)

    def _define_target(self, target: cst.BaseExpression) -> None:
        block = self.blocks[-1]
        if isinstance(target, cst.Name):
            self.definitions.add(block.scope, target.value, target)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._define_target(element.value)
        elif isinstance(target, cst.StarredElement):
            self._define_target(target.value)
        elif (
            isinstance(target, cst.Attribute)
            and block.self_name is not None
            and block.class_scope is not None
            and m.matches(target.value, m.Name(block.self_name))
        ):
            # `self.items = []` in a method defines the member `Class.items`.
            self.definitions.add(block.class_scope, target.attr.value, target)

    def missing(self) -> list[_Pending]:
        """A finding for each required name not defined at its scope."""
        found = []
        nodes = self.definitions.nodes
        for name in self.wanted:
            if name in nodes:
                continue
            parts = name.split(".")
            known = 0
            for length in range(len(parts) - 1, 0, -1):
                if ".".join(parts[:length]) in nodes:
                    known = length
                    break
            parent = ".".join(parts[:known])
            if parent in self.definitions.starred:
                continue
            if not parent:
                where = "at module level"
                node = None
            else:
                node, kind = nodes[parent]
                where = f"in {kind} {parent}" if kind != "name" else f"in {parent}"
                if isinstance(node, cst.FunctionDef | cst.ClassDef):
                    node = node.name
            missing_part = parts[known]
            detail = "" if known == len(parts) - 1 else f" ({missing_part} is not defined)"
            found.append(
                _Pending(
                    node,
                    Code.MISSING,
                    parent,
                    f"required name `{name}` is not defined {where}{detail}",
                )
            )
        return found


def _is_stub(statement: cst.CSTNode) -> bool:
    if isinstance(statement, cst.SimpleStatementLine):
        return all(m.matches(small, _STUB) for small in statement.body)
    return m.matches(statement, _STUB)


def _describe_stub(statements: Sequence[cst.CSTNode]) -> str:
    smalls = [
        small
        for each in statements
        for small in (each.body if isinstance(each, cst.SimpleStatementLine) else [each])
    ]
    for matcher, words in (
        (_NOT_IMPLEMENTED, "`raise NotImplementedError`"),
        (_ELLIPSIS, "`...`"),
        (m.Pass(), "`pass`"),
    ):
        if any(m.matches(small, matcher) for small in smalls):
            return words
    return "a docstring"


def _is_declaration(node: cst.FunctionDef) -> bool:
    """Whether a decorator makes a stub body the point: abstract methods, overloads."""
    for decorator in node.decorators:
        target = decorator.decorator
        if isinstance(target, cst.Call):
            target = target.func
        name = (
            target.attr.value
            if isinstance(target, cst.Attribute)
            else (target.value if isinstance(target, cst.Name) else "")
        )
        if name in _STUB_DECORATORS:
            return True
    return False


def _first_parameter(node: cst.FunctionDef) -> str | None:
    for decorator in node.decorators:
        if m.matches(decorator.decorator, m.Name("staticmethod")):
            return None
    parameters = [*node.params.posonly_params, *node.params.params]
    return parameters[0].name.value if parameters else None


def _raised_message(node: cst.Raise) -> str | None:
    """The message of `raise NotImplementedError(...)`: None without one, the text
    of a literal, and "" for a computed one (which explains, so is no placeholder)."""
    if not isinstance(node.exc, cst.Call) or not node.exc.args:
        return None
    value = node.exc.args[0].value
    if isinstance(value, cst.SimpleString | cst.ConcatenatedString):
        evaluated = value.evaluated_value
        return evaluated if isinstance(evaluated, str) else ""
    return ""


def _last_suite(statement: cst.CSTNode) -> cst.CSTNode | None:
    """The body a compound statement ends with: the one its trailing comments follow."""
    if isinstance(statement, cst.If):
        return _last_suite(statement.orelse) if statement.orelse is not None else statement.body
    if isinstance(statement, cst.Else):
        return statement.body
    if isinstance(statement, cst.Try | cst.TryStar):
        if statement.finalbody is not None:
            return statement.finalbody.body
        if statement.orelse is not None:
            return statement.orelse.body
        return statement.handlers[-1].body if statement.handlers else statement.body
    if isinstance(statement, cst.For | cst.While):
        return statement.orelse.body if statement.orelse is not None else statement.body
    if isinstance(statement, cst.Match):
        return statement.cases[-1].body if statement.cases else None
    if isinstance(statement, cst.FunctionDef | cst.ClassDef | cst.With):
        return statement.body
    return None
