"""What a C-family text leaves open at its end: a comment, a string, brackets, `#if`s.

tree-sitter's recovery from a file cut inside a block comment or a template string is
poor: it reads the comment's words as code and reports `}` missing where the comment
starts, mid-file. A lexer that knows only comments, strings and brackets says where
the open comment or string began, so the errors from there on count as the cut; and
for C and C++, where real headers fail to parse, it confirms that a cut leaves
something open before an error at the end is called `truncated`.

Approximate on purpose: JavaScript regex literals and C++ raw strings are not
recognised. It is read only for files whose tree already has an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """The lexical rules of a language: its quotes, and which of them span lines."""

    # (opening quote, whether the string may span lines), longest first.
    quotes: tuple[tuple[bytes, bool], ...]
    # `'x'` is a character (C, Go, Rust, Java) rather than a string; in Rust a lone `'`
    # starts a lifetime.
    char_literals: bool = True
    directives: bool = False  # C preprocessor `#if` ... `#endif`


@dataclass(frozen=True)
class Scan:
    """What is open at the end of a text."""

    # Where the comment or string the text ends inside begins, and which it is.
    opened: int | None = None
    what: str = ""
    brackets: int = 0  # brackets opened and not closed (outside comments and strings)
    directives: int = 0  # `#if`s not closed by an `#endif`

    @property
    def open(self) -> bool:
        return self.opened is not None or self.brackets > 0 or self.directives > 0


_CHAR = re.compile(rb"'(?:\\.[^'\n]{0,8}|[^\\'\n])'")
_DIRECTIVE = re.compile(rb"[ \t]*#[ \t]*(if|ifdef|ifndef|elif|elifdef|elifndef|else|endif)\b")


def scan(data: bytes, family: Family) -> Scan:
    """Comments, strings and brackets of `data`, and what is open at its end."""
    alternatives = [
        b"//",
        rb"/\*",
        *(re.escape(quote) for quote, _ in family.quotes),
        b"'",
        rb"[{}()\[\]]",
        b"\n",
    ]
    token = re.compile(b"|".join(alternatives))
    depth = 0
    # One entry per `#if` open: whether its current branch is an `#else` or `#elif`.
    # Brackets are counted in the first branch only: `#if A { #else { #endif` opens one.
    branches: list[bool] = []
    position = 0
    at_line_start = True
    while True:
        if family.directives and at_line_start:
            _follow_directive(_DIRECTIVE.match(data, position), branches)
        found = token.search(data, position)
        if found is None:
            break
        kind = found.group()
        at_line_start = kind == b"\n"
        if kind in (b"//", b"/*", b"'") or any(kind == quote for quote, _ in family.quotes):
            after = _past(kind, data, found.start(), family)
            if after is None:
                what = "comment" if kind == b"/*" else "string"
                return Scan(found.start(), what, depth, len(branches))
            position = after
            continue
        position = found.end()
        if not any(branches):
            depth += 1 if kind in b"{([" else -1 if kind in b"})]" else 0
    return Scan(None, "", depth, len(branches))


def _follow_directive(directive: re.Match[bytes] | None, branches: list[bool]) -> None:
    if directive is None:
        return
    word = directive.group(1)
    if word == b"endif":
        if branches:
            branches.pop()
    elif word.startswith(b"if"):
        branches.append(False)
    elif branches:
        branches[-1] = True


def _past(kind: bytes, data: bytes, start: int, family: Family) -> int | None:
    """The offset after the comment, string or character that starts at `start` with
    `kind`; None when the text ends inside it."""
    position = start + len(kind)
    if kind == b"//":
        end = data.find(b"\n", position)
        return len(data) if end == -1 else end
    if kind == b"/*":
        end = data.find(b"*/", position)
        return None if end == -1 else end + 2
    quotes = dict(family.quotes)
    if kind in quotes:
        return _string_end(data, position, kind, quotes[kind])
    # `'` in a language where it is not a quote: a character, or a Rust lifetime.
    char = _CHAR.match(data, start) if family.char_literals else None
    return char.end() if char is not None else position


def _string_end(data: bytes, position: int, quote: bytes, spans_lines: bool) -> int | None:
    """The offset after the string's closing quote; None when the text ends inside it.

    A one-line string that meets a newline ends there (it is broken, not open).
    """
    while position < len(data):
        char = data[position : position + 1]
        if char == b"\\":
            position += 2
        elif data.startswith(quote, position):
            return position + len(quote)
        elif char == b"\n" and not spans_lines:
            return position
        else:
            position += 1
    return None
