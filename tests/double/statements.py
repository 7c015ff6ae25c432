"""Top-level statements of a module, found again from a broken copy of one.

When a file does not parse (a continuation joined wrongly), codegen asks in a new
conversation for the top-level statement around the error: "Write the corrected
top-level statement that begins at line N:", then the statement as it stands. A model
that knows the file writes what it meant there. `meant_statements` finds it in the
ORIGINAL module: the statements starting with the broken text's first line (the most
similar of them when several do, line by line with `difflib`), or failing that the most similar
statement if it is similar enough; then as many of the statements that follow as make
the answer most like the broken text (a bad join can run two statements together).

Pure: text in, text out, `ast` to find the statements.
"""

from __future__ import annotations

import difflib

from validators.parsing import parse

from .definitions import first_line

# How like the broken text a statement must be, when no first line matches, to be it.
MIN_SIMILARITY = 0.6
# At most this many statements in one answer.
MAX_RUN = 4


def meant_statements(source: str, broken: str) -> str | None:
    """The original statement(s) that `broken` stands for, as whole lines; None when no
    statement of `source` is like it (or `source` is not Python)."""
    try:
        tree = parse(source)
    except (SyntaxError, ValueError):
        return None
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    body = tree.body
    if not body or not broken.strip():
        return None

    def text(first: int, last: int) -> str:
        return "".join(lines[first_line(body[first]) - 1 : body[last].end_lineno])

    opening = broken.strip().split("\n", 1)[0].strip()
    same = [i for i, s in enumerate(body) if lines[first_line(s) - 1].strip() == opening]
    pool = same or range(len(body))
    start = max(pool, key=lambda i: (_similarity(text(i, i), broken), -i))
    if not same and _similarity(text(start, start), broken) < MIN_SIMILARITY:
        return None
    end = max(
        range(start, min(len(body), start + MAX_RUN)), key=lambda j: (_similarity(text(start, j), broken), -j)
    )
    return text(start, end)


def _similarity(a: str, b: str) -> float:
    """How alike two texts are, line by line (whitespace at the ends of lines ignored)."""
    return difflib.SequenceMatcher(None, _lines(a), _lines(b), autojunk=False).ratio()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]
