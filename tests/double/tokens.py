"""A deterministic stand-in for the tokenizer: how the double counts and cuts tokens.

A token is a run of up to four word characters, a run of up to four whitespace
characters, or one other character (`TOKEN`). The alternatives partition any text,
so `take_tokens` can cut anywhere a real tokenizer might: in the middle of an
identifier, inside indentation, between two brackets. On Python source this gives
about three characters per token, close to what the real API reports.
"""

from __future__ import annotations

import re

TOKEN = re.compile(r"\w{1,4}|\s{1,4}|[^\w\s]")


def count_tokens(text: str) -> int:
    """How many tokens `text` is."""
    return len(TOKEN.findall(text))


def take_tokens(text: str, n: int) -> int:
    """The index where the first `n` tokens of `text` end (len(text) if it is shorter)."""
    if n <= 0:
        return 0
    for count, match in enumerate(TOKEN.finditer(text), start=1):
        if count == n:
            return match.end()
    return len(text)


def split_tokens(text: str, min_chars: int) -> list[str]:
    """`text` in consecutive pieces of whole tokens, each at least `min_chars` long
    (the last may be shorter): the deltas a stream sends it in."""
    pieces: list[str] = []
    current = ""
    for match in TOKEN.finditer(text):
        current += match.group()
        if len(current) >= min_chars:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces
