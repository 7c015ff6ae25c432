"""The seed approach codegen is measured against: the "please continue" loop.

Stream the answer; while it stops at max_tokens, send it back as an assistant turn,
ask "Continue." in a user turn, and concatenate the text of every answer, at most
`max_continuations` times (as codegen's cap). It sends the same system prompt and file
request as codegen, without cache_control (a plain loop marks no cache breakpoint) and
never by prefill; it repairs nothing, so a placeholder or an early end stays.

`cleaned` is the variant that also strips code fences and lines of prose from the start
and end of every answer: the cleanup a careful user of the loop writes.
"""

from __future__ import annotations

import keyword
from collections.abc import Sequence
from dataclasses import dataclass

import anthropic
from anthropic.types import MessageParam

from codegen.models import Usage

CONTINUE = "Continue."

# Statements begin with these; a line that does is code, whatever follows.
_KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
_CODE_CHARACTERS = frozenset('=()[]{}#"')


@dataclass(frozen=True)
class SeedRun:
    """One file written by the seed loop: every answer's text, what the calls cost."""

    chunks: tuple[str, ...]
    calls: int
    usage: Usage
    stop_reason: str | None  # of the last answer

    @property
    def raw(self) -> str:
        """The seed loop's file: the answers concatenated as they came."""
        return "".join(self.chunks)

    @property
    def cleaned(self) -> str:
        """The variant's file: each answer without its fences and prose, concatenated."""
        return "".join(clean_answer(chunk) for chunk in self.chunks)


def seed_loop(
    sdk: anthropic.Anthropic, *, model: str, system: str, prompt: str, max_tokens: int, max_continuations: int
) -> SeedRun:
    """Run the loop for one file through the real SDK."""
    messages: list[MessageParam] = [{"role": "user", "content": prompt}]
    chunks: list[str] = []
    usage = Usage()
    calls = 0
    while True:
        with sdk.messages.stream(
            model=model, max_tokens=max_tokens, system=system, messages=messages
        ) as stream:
            message = stream.get_final_message()
        calls += 1
        u = message.usage
        usage = usage + Usage(
            u.input_tokens,
            u.output_tokens,
            u.cache_creation_input_tokens or 0,
            u.cache_read_input_tokens or 0,
        )
        text = "".join(b.text for b in message.content if b.type == "text")
        chunks.append(text)
        # An empty answer cannot be sent back (the API rejects a blank turn): the loop ends.
        if message.stop_reason != "max_tokens" or calls > max_continuations or not text.strip():
            return SeedRun(tuple(chunks), calls, usage, message.stop_reason)
        messages += [{"role": "assistant", "content": text}, {"role": "user", "content": CONTINUE}]


# -- the naive cleanup: pure -----------------------------------------------------------


def clean_answer(answer: str) -> str:
    """`answer` without the fence lines and prose lines that open or close it (with the
    blank lines that separate prose from the code)."""
    lines = answer.splitlines(keepends=True)
    start = 0
    while start < len(lines) and (is_fence(lines[start]) or is_prose(lines[start])):
        prose = is_prose(lines[start])
        start += 1
        while prose and start < len(lines) and not lines[start].strip():
            start += 1
    end = len(lines)
    while end > start and (
        is_fence(lines[end - 1])
        or is_prose(lines[end - 1])
        or (not lines[end - 1].strip() and _prose_below(lines, end))
    ):
        end -= 1
    return "".join(lines[start:end])


def _prose_below(lines: Sequence[str], end: int) -> bool:
    """Whether the line just removed at `end` was prose or a fence (so a blank line
    above it separated it from the code)."""
    return end < len(lines) and (is_fence(lines[end]) or is_prose(lines[end]))


def is_fence(line: str) -> bool:
    return line.lstrip().startswith("```")


def is_prose(line: str) -> bool:
    """A line of English, not code: at column 0, from a capital letter, three words or
    more, ending like a sentence, no brackets, double quotes, `=` or `#`, no keyword first; or
    one word in parentheses, like "(continued)"."""
    text = line.strip()
    if not text or line[0].isspace():
        return False
    if text.startswith("(") and text.endswith(")") and text[1:-1].isalpha():
        return True
    words = text.split()
    return (
        text[0].isupper()
        and len(words) >= 3
        and text[-1] in ".:!?"
        and words[0].rstrip(".:!?,") not in _KEYWORDS
        and not any(c in _CODE_CHARACTERS for c in text)
    )
