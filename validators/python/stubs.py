"""Bodies that only stand for code: a required function that is only `pass`, a
function that only raises NotImplementedError with a placeholder message, `...` among
statements. Stub bodies are the point in a .pyi file, under an abstract or overload
decorator, in a Protocol or ABC, under `if TYPE_CHECKING:`."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m

from validators import placeholders
from validators.findings import Code
from validators.python.blocks import Block, Rules

ELLIPSIS = m.Expr(value=m.Ellipsis())


STRING = m.Expr(value=m.SimpleString() | m.ConcatenatedString())


NOT_IMPLEMENTED = m.Raise(exc=m.Name("NotImplementedError") | m.Call(func=m.Name("NotImplementedError")))


STUB = m.Pass() | ELLIPSIS | STRING | NOT_IMPLEMENTED


STUB_DECORATORS = frozenset(
    {
        "abstractmethod",
        "abstractproperty",
        "abstractclassmethod",
        "abstractstaticmethod",
        "overload",
    }
)


class StubRule(Rules):
    """Stub bodies where code should be."""

    def stub_function(self, node: cst.FunctionDef, block: Block, outer: Block) -> None:
        """A function whose body only stands for one: required, or plainly unwritten."""
        if not block.stub_only or block.exempt:
            return
        body = [
            small
            for line in block.statements
            for small in (line.body if isinstance(line, cst.SimpleStatementLine) else [line])
        ]
        if block.scope in self.wanted_set:
            what = describe_stub(body)
            self.report(
                node,
                Code.PLACEHOLDER,
                block.scope,
                f"`{block.scope}` is required but its body is only {what}",
            )
            return
        for small in body:
            if not m.matches(small, NOT_IMPLEMENTED):
                continue
            assert isinstance(small, cst.Raise)
            message = _raised_message(small)
            if message and placeholders.is_placeholder_message(message):
                self.report(
                    node,
                    Code.PLACEHOLDER,
                    block.scope,
                    f"`{block.scope}` only raises NotImplementedError({message!r})",
                )
            elif message is None and outer.kind == "module":
                # A module-level function that only raises, with no word of why, is
                # not an interface (those are methods): it was never written.
                self.report(
                    node,
                    Code.PLACEHOLDER,
                    block.scope,
                    f"`{block.scope}` only raises NotImplementedError",
                )

    def misplaced_ellipses(self, statements: Sequence[cst.BaseStatement]) -> None:
        """`...` as a statement among real ones stands for code left out."""
        block = self.blocks[-1]
        if block.stub_only or block.exempt:
            return
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine) and any(
                m.matches(small, ELLIPSIS) for small in statement.body
            ):
                self.report(
                    statement,
                    Code.PLACEHOLDER,
                    block.scope,
                    "`...` among statements stands in for code not written",
                )


def is_stub(statement: cst.CSTNode) -> bool:
    if isinstance(statement, cst.SimpleStatementLine):
        return all(m.matches(small, STUB) for small in statement.body)
    return m.matches(statement, STUB)


def describe_stub(statements: Sequence[cst.CSTNode]) -> str:
    smalls = [
        small
        for each in statements
        for small in (each.body if isinstance(each, cst.SimpleStatementLine) else [each])
    ]
    for matcher, words in (
        (NOT_IMPLEMENTED, "`raise NotImplementedError`"),
        (ELLIPSIS, "`...`"),
        (m.Pass(), "`pass`"),
    ):
        if any(m.matches(small, matcher) for small in smalls):
            return words
    return "a docstring"


def is_declaration(node: cst.FunctionDef) -> bool:
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
        if name in STUB_DECORATORS:
            return True
    return False


def first_parameter(node: cst.FunctionDef) -> str | None:
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
