"""Comments that stand for code: "# ... rest of implementation" where code should
be, "# and so on for the others" closing a body, a remark the file ends with, and any
remark in a function body that holds no statement of its own.

A run of comment lines is read as one text and split into its sentences
(`placeholders.sentences`): the second line of an ordinary two-line comment is no
remark of its own."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst
import libcst.matchers as m

from validators import placeholders
from validators.findings import Code
from validators.placeholders import Remark
from validators.python.blocks import Block, Rules, shown
from validators.python.stubs import NOT_IMPLEMENTED, describe_stub

RAISES_NOT_IMPLEMENTED = m.SimpleStatementLine(body=[NOT_IMPLEMENTED])


def comment_blocks(lines: Sequence[cst.EmptyLine]) -> Iterator[list[cst.Comment]]:
    """The runs of consecutive comment lines at one indentation."""
    run: list[cst.Comment] = []
    where: tuple[bool, str] | None = None
    for line in lines:
        here = (line.indent, line.whitespace.value)
        if line.comment is None or here != where:
            if run:
                yield run
            run = []
        if line.comment is not None:
            run.append(line.comment)
        where = here
    if run:
        yield run


class RemarkRule(Rules):
    """Placeholder remarks, by where they stand."""

    def comments(self, lines: Sequence[cst.EmptyLine], where: str) -> None:
        blocks = list(comment_blocks(lines))
        for number, block in enumerate(blocks):
            self._remark_block(block, where, last=number == len(blocks) - 1)

    def comment(self, comment: cst.Comment | None, where: str) -> None:
        if comment is not None:
            self._remark_block([comment], where, last=True)

    def _remark_block(self, comments: list[cst.Comment], where: str, last: bool) -> None:
        block = self.blocks[-1]
        judged = block.owner is not None and block.stub_only and not block.exempt
        texts = []
        for comment in comments:
            if placeholders.is_pragma(comment.value):
                # `# type: ignore[empty-body]` tells mypy the body is empty on purpose.
                block.on_purpose = block.on_purpose or "empty-body" in comment.value
                texts.append("#")  # ends a sentence, as a line with no words does
            elif judged and placeholders.is_commented_code(comment.value):
                texts.append("#")  # `# self.close()` is code put away, not a remark
            else:
                texts.append(comment.value)
        said = placeholders.sentences(texts)
        for number, (index, sentence) in enumerate(said):
            self._remark(comments[index], sentence, where, last=last and number == len(said) - 1)

    def _remark(self, comment: cst.Comment, sentence: str, where: str, last: bool) -> None:
        block = self.blocks[-1]
        kinds = placeholders.classify(sentence)
        said = shown(sentence)
        end_of_file = where == "footer" and block.at_end
        ending = Remark.ENDING in kinds and where == "footer" and last and block.kind != "other"
        # An ending counts only as the closing remark of a body: "and so forth," opening
        # a paragraph of explanation is prose.
        if (Remark.ELISION in kinds or ending) and end_of_file:
            self._report(
                block,
                comment,
                Code.PREMATURE_END,
                f'the file ends with a remark instead of the rest: "{said}"',
            )
        elif Remark.ELISION in kinds:
            self._report(block, comment, Code.PLACEHOLDER, f'"{said}" stands in for code that was left out')
        elif block.owner is not None and block.stub_only and not block.exempt:
            # A function body with no statement of its own is judged as a whole, once
            # every remark in it is known (`StubRule.judge_body`).
            self._note_in_stub_body(block, comment, sentence, kinds, where)
        elif ending:
            what = block.scope or "the module"
            self._report(block, comment, Code.PLACEHOLDER, f'"{said}" stands in for the rest of {what}')
        elif (
            block.stub_only
            and not block.exempt
            and block.kind == "class"
            and (Remark.STUB_NOTE in kinds or Remark.ENDING in kinds)
        ):
            # A note beside `pass` in an `except` or an `if` is an ordinary note.
            what = describe_stub(block.statements)
            self._report(block, comment, Code.PLACEHOLDER, f'body is only {what}, marked "{said}"')

    def _note_in_stub_body(
        self, block: Block, comment: cst.Comment, sentence: str, kinds: frozenset[Remark], where: str
    ) -> None:
        """Keep a remark of a function body with no statement of its own: a note that
        marks unwritten code, a remark that says why the body is empty, or any other
        (code commented out is no remark)."""
        if Remark.STUB_NOTE in kinds and placeholders.for_subclasses(sentence):
            block.on_purpose = True  # "Subclasses should implement this method."
        elif Remark.STUB_NOTE in kinds:
            block.notes.append((comment, sentence))
        elif placeholders.is_commented_code(sentence):
            return
        elif (
            placeholders.empty_on_purpose(sentence)
            # A comment beside `raise NotImplementedError` is about why it raises.
            or (
                where == "trailing"
                and block.current is not None
                and m.matches(block.current, RAISES_NOT_IMPLEMENTED)
            )
        ):
            block.on_purpose = True
        else:
            block.remarks.append((comment, sentence))

    def _report(self, block: Block, comment: cst.Comment, code: Code, message: str) -> None:
        block.reported = True
        self.report(comment, code, block.scope, message)
