"""What the walk knows at each point (`Block`), the findings it collects before
positions are known (`Pending`), and what the rule modules share (`Rules`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import libcst as cst
import libcst.matchers as m
from libcst.metadata import CodeRange

from validators.declarations import TYPING_MODULES
from validators.findings import Code, Finding

BlockKind = Literal["module", "class", "function", "other"]


NAME_OR_ATTRIBUTE = {
    name: m.Name(name) | m.Attribute(attr=m.Name(name))
    for name in ("Protocol", "ABC", "ABCMeta", "TYPE_CHECKING")
}
TYPING_PROTOCOL = m.Name("Protocol") | m.Attribute(
    value=m.OneOf(*(m.Name(name) for name in TYPING_MODULES)), attr=m.Name("Protocol")
)


@dataclass(frozen=True)
class Pending:
    """A finding whose position is not known yet: it is that of `node`."""

    node: cst.CSTNode | None
    code: Code
    scope: str
    message: str
    name: str = ""  # the required name a `missing` finding is about

    def locate(self, positions: Mapping[cst.CSTNode, CodeRange]) -> Finding:
        line, column = 1, 1
        if self.node is not None:
            where = positions[self.node]
            line, column = where.start.line, where.start.column + 1
        return Finding(self.code, line, column, self.scope, self.message, name=self.name)


@dataclass
class Block:
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
    # A function's body: the function, and what its comments say (for stub bodies).
    owner: cst.FunctionDef | None = None
    # The sentences of the comments in a stub body, each with its comment: the remarks
    # that make the body a placeholder (pragmas and code commented out are left out).
    remarks: list[tuple[cst.Comment, str]] = field(default_factory=list)
    # The sentences in a stub body that mark unwritten code ("TODO: implement").
    notes: list[tuple[cst.Comment, str]] = field(default_factory=list)
    # A comment or pragma says the body is empty on purpose ("Nothing to do.").
    on_purpose: bool = False
    # Inside a function (a local definition, or a class or body within one): a stub
    # body there is a test's dummy or a callback, not an unwritten definition.
    local: bool = False
    # A finding was reported for a remark in this body: the body is not reported again.
    reported: bool = False


class Rules:
    """What each rule (a mixin of `walker.Inspector`) reads and writes: the blocks the
    walk is in, innermost last, the findings so far, and the names required."""

    blocks: list[Block]
    pending: list[Pending]
    parents: list[cst.CSTNode]
    wanted: Sequence[str]
    wanted_set: frozenset[str]

    def report(self, node: cst.CSTNode | None, code: Code, scope: str, message: str) -> None:
        self.pending.append(Pending(node, code, scope, message))


SHOWN = 60


def shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."
