"""Comments that stand for code: "# ... rest of implementation" where code should
be, "# and so on for the others" closing a body, a remark the file ends with."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from validators import placeholders
from validators.findings import Code
from validators.placeholders import Remark
from validators.python.blocks import Rules, shown
from validators.python.stubs import describe_stub


class RemarkRule(Rules):
    """Placeholder remarks, by where they stand."""

    def comments(self, lines: Sequence[cst.EmptyLine], where: str) -> None:
        comments = [line.comment for line in lines if line.comment is not None]
        for index, comment in enumerate(comments):
            self.comment(comment, where, last=index == len(comments) - 1)

    def comment(self, comment: cst.Comment | None, where: str, last: bool = True) -> None:
        if comment is None:
            return
        kinds = placeholders.classify(comment.value)
        if not kinds:
            return
        block = self.blocks[-1]
        said = shown(comment.value)
        end_of_file = where == "footer" and block.at_end
        ending = Remark.ENDING in kinds and where == "footer" and last and block.kind != "other"
        # An ending counts only as the closing remark of a body: "and so forth," opening
        # a paragraph of explanation is prose.
        if (Remark.ELISION in kinds or ending) and end_of_file:
            self.report(
                comment,
                Code.PREMATURE_END,
                block.scope,
                f'the file ends with a remark instead of the rest: "{said}"',
            )
        elif Remark.ELISION in kinds:
            self.report(
                comment, Code.PLACEHOLDER, block.scope, f'"{said}" stands in for code that was left out'
            )
        elif ending:
            what = block.scope or "the module"
            self.report(comment, Code.PLACEHOLDER, block.scope, f'"{said}" stands in for the rest of {what}')
        elif (
            block.stub_only
            and not block.exempt
            and block.kind in ("function", "class")
            and (Remark.STUB_NOTE in kinds or Remark.ENDING in kinds)
        ):
            # A note beside `pass` in an `except` or an `if` is an ordinary note.
            what = describe_stub(block.statements)
            self.report(comment, Code.PLACEHOLDER, block.scope, f'body is only {what}, marked "{said}"')
