"""Bodies that only stand for code: a required function that is only `pass`, a
function that only raises NotImplementedError with a placeholder message, `...` among
statements. Stub bodies are the point in a .pyi file, under an abstract or overload
decorator, in a Protocol or ABC, under `if TYPE_CHECKING:`."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m

from validators import placeholders
from validators.declarations import ABSTRACT_CLASS, RAISING_IS_THE_POINT, STUB_DECORATORS, stub_is_the_point
from validators.findings import Code
from validators.python.blocks import Block, Rules, shown

ELLIPSIS = m.Expr(value=m.Ellipsis())


STRING = m.Expr(value=m.SimpleString() | m.ConcatenatedString())


NOT_IMPLEMENTED = m.Raise(exc=m.Name("NotImplementedError") | m.Call(func=m.Name("NotImplementedError")))


STUB = m.Pass() | ELLIPSIS | STRING | NOT_IMPLEMENTED


class StubRule(Rules):
    """Stub bodies where code should be."""

    def judge_body(self, block: Block, outer: Block) -> None:
        """Whether a function body that holds no statement of its own stands for one:
        required, plainly unwritten, or a comment in place of the code."""
        node = block.owner
        if node is None or not block.stub_only or block.exempt:
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
        if self._only_raises(node, block, outer, body) or block.reported:
            return
        what = describe_stub(body)
        if block.notes:
            comment, sentence = block.notes[0]
            self.report(
                comment, Code.PLACEHOLDER, block.scope, f'body is only {what}, marked "{shown(sentence)}"'
            )
            return
        class_name = outer.scope.rpartition(".")[2] if outer.kind == "class" else ""
        if (
            block.on_purpose
            or stub_is_the_point(node.name.value, decorator_names(node))
            or _explains_itself(body)
            or (_raises(body) and RAISING_IS_THE_POINT.intersection(decorator_names(node)))
            # A class defined inside a function is a test's fixture: its empty
            # methods are the point.
            or (block.local and outer.kind == "class")
            # A class named as an interface declares what raises NotImplementedError.
            or (ABSTRACT_CLASS.search(class_name) is not None and _raises(body))
        ):
            return
        one_line = isinstance(node.body, cst.SimpleStatementSuite)
        if block.remarks and not one_line:
            # Structure first: a comment in a body with no statement of its own stands
            # for the code, whatever it says, unless it says why the body is empty. A
            # one-line `def f(): pass  # note` is how dummies are written.
            comment, sentence = block.remarks[0]
            self.report(
                comment,
                Code.PLACEHOLDER,
                block.scope,
                f'the body of `{block.scope}` is only {what} and a comment: "{shown(sentence)}"',
            )
            return
        ellipsis = next((small for small in body if m.matches(small, ELLIPSIS)), None)
        # `def f(x: int) -> int: ...` on one line is how an interface is declared; a
        # local definition that is only `...` is a test's dummy or a callback.
        if ellipsis is not None and not (one_line and node.returns is not None) and not block.local:
            self.report(ellipsis, Code.PLACEHOLDER, block.scope, f"the body of `{block.scope}` is only `...`")

    def _only_raises(
        self, node: cst.FunctionDef, block: Block, outer: Block, body: Sequence[cst.CSTNode]
    ) -> bool:
        """Report a function that only raises NotImplementedError the way an unwritten
        one does; whether it was reported."""
        if RAISING_IS_THE_POINT.intersection(decorator_names(node)):
            return False  # (and not reported below: `_explains_itself`)
        for small in body:
            if not m.matches(small, NOT_IMPLEMENTED):
                continue
            assert isinstance(small, cst.Raise)
            if small.cause is not None:
                return False  # `raise NotImplementedError from why`: it says why
            message = _raised_message(small)
            if message and placeholders.is_placeholder_message(message):
                self.report(
                    node,
                    Code.PLACEHOLDER,
                    block.scope,
                    f"`{block.scope}` only raises NotImplementedError({message!r})",
                )
                return True
            if message is None and outer.kind == "module" and not block.remarks and not block.on_purpose:
                # A module-level function that only raises, with no word of why, is
                # not an interface (those are methods): it was never written.
                self.report(
                    node,
                    Code.PLACEHOLDER,
                    block.scope,
                    f"`{block.scope}` only raises NotImplementedError",
                )
                return True
        return False

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
    return any(name in STUB_DECORATORS for name in decorator_names(node))


def first_parameter(node: cst.FunctionDef) -> str | None:
    for decorator in node.decorators:
        if m.matches(decorator.decorator, m.Name("staticmethod")):
            return None
    parameters = [*node.params.posonly_params, *node.params.params]
    return parameters[0].name.value if parameters else None


def decorator_names(node: cst.FunctionDef) -> list[str]:
    names = []
    for decorator in node.decorators:
        target = decorator.decorator
        if isinstance(target, cst.Call):
            target = target.func
        if isinstance(target, cst.Attribute):
            names.append(target.attr.value)
        elif isinstance(target, cst.Name):
            names.append(target.value)
    return names


def _explains_itself(body: Sequence[cst.CSTNode]) -> bool:
    """Whether the body's docstring says why it is empty, or it raises
    NotImplementedError with a message that is no placeholder (the interface idiom)."""
    docstring = _docstring(body)
    if docstring is not None and placeholders.documents_empty(docstring):
        return True
    for small in body:
        if isinstance(small, cst.Raise) and m.matches(small, NOT_IMPLEMENTED):
            if small.cause is not None:  # `from why`: the cause says it
                return True
            message = _raised_message(small)
            if message is not None and not placeholders.is_placeholder_message(message):
                return True
    return False


def _raises(body: Sequence[cst.CSTNode]) -> bool:
    return any(m.matches(small, NOT_IMPLEMENTED) for small in body)


def _docstring(body: Sequence[cst.CSTNode]) -> str | None:
    """The text of a body's first statement when it is a string."""
    first = body[0] if body else None
    if isinstance(first, cst.Expr) and isinstance(first.value, cst.SimpleString | cst.ConcatenatedString):
        evaluated = first.value.evaluated_value
        return evaluated if isinstance(evaluated, str) else None
    return None


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
