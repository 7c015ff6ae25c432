"""The one walk over libcst's tree that every rule shares: which block each statement
is in (module, class, function, other), its scope, whether stubs are the point there,
whether it ends the file. Expressions are skipped unless a comment in brackets could be
an elision."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m

from validators.python.blocks import NAME_OR_ATTRIBUTE, TYPING_PROTOCOL, Block, BlockKind, Pending
from validators.python.names import Definitions, NameRule
from validators.python.remarks import RemarkRule
from validators.python.stubs import StubRule, first_parameter, is_declaration, is_stub

CONTAINERS = (
    cst.Module,
    cst.BaseSuite,
    cst.BaseCompoundStatement,
    cst.Else,
    cst.ExceptHandler,
    cst.ExceptStarHandler,
    cst.Finally,
    cst.MatchCase,
)


class Inspector(StubRule, RemarkRule, NameRule, cst.CSTVisitor):
    """One pass over the statements: it keeps the block stack, and each rule (a mixin,
    one module each) reads the block it is in: stubs, remarks, required names."""

    def __init__(self, *, wanted: Sequence[str], stubs_allowed: bool, into_brackets: bool):
        super().__init__()
        self.wanted = wanted
        self.wanted_set = frozenset(wanted)
        self.stubs_allowed = stubs_allowed
        self.into_brackets = into_brackets
        self.pending: list[Pending] = []
        self.definitions = Definitions()
        self.blocks: list[Block] = []
        self.parents: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.BaseStatement) and self.blocks:
            self.blocks[-1].current = node
        descend = super().on_visit(node)
        self.parents.append(node)
        # Only bodies hold statements. Whitespace, names and expressions are skipped,
        # unless a comment in brackets could be an elision.
        return descend and (self.into_brackets or isinstance(node, CONTAINERS))

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.parents.pop()
        super().on_leave(original_node)

    def visit_Module(self, node: cst.Module) -> None:
        self._enter(node, node.body, kind="module", scope="", exempt=self.stubs_allowed, at_end=True)
        self.comments(node.header, "line")
        self.comments(node.footer, "footer")
        self.misplaced_ellipses(node.body)

    def leave_Module(self, original_node: cst.Module) -> None:
        self.blocks.pop()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._enter_suite(node, node.body)
        self.comment(node.header.comment, "header")
        self.misplaced_ellipses(node.body)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        # The footer is read last, so that a body's remarks are in the order written.
        self.comments(original_node.footer, "footer")
        self._leave_suite()

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._enter_suite(node, node.body)
        self.comment(node.trailing_whitespace.comment, "header")

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self._leave_suite()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.comments(node.leading_lines, "line")
        self.comment(node.trailing_whitespace.comment, "trailing")
        if self.wanted:
            for statement in node.body:
                self.define(statement)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._leading(node)
        self.comments(node.lines_after_decorators, "line")
        if self.wanted:
            self.definitions.add(self.blocks[-1].scope, node.name.value, node, "function")

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._leading(node)
        self.comments(node.lines_after_decorators, "line")
        if self.wanted:
            self.definitions.add(self.blocks[-1].scope, node.name.value, node, "class")

    def visit_For(self, node: cst.For) -> None:
        self._leading(node)
        if self.wanted:
            self.define_target(node.target)

    def visit_With(self, node: cst.With) -> None:
        self._leading(node)
        if self.wanted:
            for item in node.items:
                if item.asname is not None:
                    self.define_target(item.asname.name)

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
        self.comments(node.leading_lines, "line")

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self.comments(node.leading_lines, "line")

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self.comments(node.leading_lines, "line")

    def visit_Finally(self, node: cst.Finally) -> None:
        self.comments(node.leading_lines, "line")

    def visit_MatchCase(self, node: cst.MatchCase) -> None:
        self.comments(node.leading_lines, "line")

    def visit_ParenthesizedWhitespace(self, node: cst.ParenthesizedWhitespace) -> None:
        self.comment(node.first_line.comment, "bracket")
        self.comments(node.empty_lines, "bracket")

    def _leading(self, node: cst.BaseCompoundStatement) -> None:
        self.comments(node.leading_lines, "line")
        if isinstance(node, cst.FunctionDef | cst.ClassDef):
            for decorator in node.decorators:
                self.comments(decorator.leading_lines, "line")

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
            and m.matches(owner.test, NAME_OR_ATTRIBUTE["TYPE_CHECKING"])
            and node is owner.body
        )
        exempt = outer.exempt or typing_only
        if isinstance(owner, cst.FunctionDef) and not exempt:
            exempt = is_declaration(owner) or (outer.kind == "class" and self._class_declares_interface())
        self._enter(node, statements, kind=kind, scope=scope, exempt=exempt, at_end=at_end)
        block = self.blocks[-1]
        block.typing_only = typing_only
        block.local = outer.local or outer.kind == "function"
        if kind == "function" and isinstance(owner, cst.FunctionDef):
            if outer.kind == "class":
                block.self_name = first_parameter(owner)
                block.class_scope = outer.scope
            block.owner = owner
        elif kind == "other":
            block.self_name, block.class_scope = outer.self_name, outer.class_scope

    def _leave_suite(self) -> None:
        block = self.blocks.pop()
        if block.owner is not None:
            self.judge_body(block, self.blocks[-1])

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
        stub_only = bool(statements) and all(is_stub(each) for each in statements)
        self.blocks.append(
            Block(
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
                    m.matches(base.value, TYPING_PROTOCOL)
                    or m.matches(base.value, m.Subscript(value=TYPING_PROTOCOL))
                    or m.matches(base.value, NAME_OR_ATTRIBUTE["ABC"])
                    or m.matches(base.value, NAME_OR_ATTRIBUTE["ABCMeta"])
                    for base in node.bases
                ) or any(
                    keyword.keyword is not None
                    and keyword.keyword.value == "metaclass"
                    and m.matches(keyword.value, NAME_OR_ATTRIBUTE["ABCMeta"])
                    for keyword in node.keywords
                )
        return False


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
