"""Where string literals lie in Python text that need not parse.

Stitching and splicing read blocks by indentation, since a file cut short or glued
wrongly does not parse. A docstring's text at column 0 (`'''\nA problem occurred.`)
would end such a block early; these lines are told apart with the tokenizer, which
reads a prefix of a file line by line and stops where it stops making sense.
"""

from __future__ import annotations

import re
import tokenize
from collections.abc import Sequence

_TOP_LEVEL_DEFINITION = re.compile(r"(@|def\s|async\s+def\s|class\s)")
_DEFINITION = re.compile(r"[ \t]*(@|def\s|async\s+def\s|class\s)")
# Python 3.12 tokenizes f-strings into parts; 3.11 gives one STRING token.
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


def top_level_start(lines: Sequence[str], line: int) -> int:
    """The index of the last line at or before `line` that opens a definition at column
    0 (its decorator included), else 0: where the top-level block holding `line`
    begins, so that a search stays within it rather than read the whole file."""
    return next(
        (x for x in range(min(line, len(lines) - 1), -1, -1) if _TOP_LEVEL_DEFINITION.match(lines[x])), 0
    )


def string_lines(lines: Sequence[str], start: int = 0) -> set[int]:
    """The indexes of the lines from `start` on that lie inside a string literal begun
    on an earlier line (its closing line included). `start` must not be inside a
    string. Reading stops at the first fault; a string still open there (the text was
    cut inside it) runs to the end.

    A line that opens a definition is never counted in a string: an earlier answer cut
    inside a docstring (then skipped ahead) leaves a string open that turns every later
    quote around, and the definitions after it must still be seen."""
    rows = iter(line + "\n" for line in lines[start:])
    inside: set[int] = set()
    opened: list[int] = []  # the first row of each f-string still open (3.12)
    try:
        for token in tokenize.generate_tokens(lambda: next(rows, "")):
            if token.type == tokenize.STRING:
                first, last = token.start[0], token.end[0]
            elif _FSTRING_START is not None and token.type == _FSTRING_START:
                opened.append(token.start[0])
                continue
            elif _FSTRING_END is not None and token.type == _FSTRING_END and opened:
                first, last = opened.pop(), token.end[0]
            else:
                continue
            inside.update(range(start + first, start + last))  # rows are 1-based
    except tokenize.TokenError as exc:
        where = exc.args[1] if len(exc.args) > 1 else None
        if "string" in str(exc.args[0]) and isinstance(where, tuple):
            inside.update(range(start + where[0], len(lines)))
    except (SyntaxError, ValueError):
        pass  # a dedent to no known depth: what was read so far stands
    return {x for x in inside if not _DEFINITION.match(lines[x])}
