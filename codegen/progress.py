"""What a build reports while it runs: typed events, and the observers that take them.

The build (`codegen.build`) emits events; an observer shows them: `PlainLines` here (a
line per state change, for logs and pipes), `report.terminal.LiveProgress` on a terminal.
With --jobs > 1 events come from several threads at once, so every observer must be
thread safe. Nothing here imports rich or touches a terminal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

# Claude's tokenizer gives about 3 to 4 characters a token on code; text streamed in
# is counted at this rate until the answer's usage gives the real count.
CHARS_PER_TOKEN = 3.5

CallKind = Literal["first", "continue", "retry-empty", "no-prefill"]


@dataclass(frozen=True)
class Waiting:
    """The file is in the build and has not started (its dependencies or a free job)."""

    path: str


@dataclass(frozen=True)
class Calling:
    """A call of one of the file's conversations is about to be sent."""

    path: str
    kind: CallKind
    count: int = 0  # continuations so far in this conversation, this one included
    limit: int = 0  # max_continuations
    doing: str = ""  # the repair this conversation is for ("" for the file itself)
    model: str = ""


@dataclass(frozen=True)
class Tokens:
    """Output tokens the file has produced so far, across its calls."""

    path: str
    tokens: int
    # Part of it is the answer in flight, counted from its characters (the API gives
    # the real count when the answer ends; thinking is counted only then).
    estimated: bool


@dataclass(frozen=True)
class Repairing:
    path: str
    what: str  # the repair's label: "complete definition of `f`", ...


@dataclass(frozen=True)
class Finished:
    path: str
    status: str  # a FileStatus: written, unchanged, incomplete, refused, failed, ...
    detail: str = ""


@dataclass(frozen=True)
class Note:
    """A line to show as it is: a warning, or --verbose detail about an answer."""

    path: str
    message: str


Event = Waiting | Calling | Tokens | Repairing | Finished | Note
Observer = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The observer of a build nobody watches."""


def describe(event: Event) -> str | None:
    """The event as the text after `path: ` on a plain line; None for token counts,
    which change too often to print a line each."""
    if isinstance(event, Waiting):
        return "waiting"
    if isinstance(event, Calling):
        what = f"{event.doing}: " if event.doing else ""
        if event.kind == "first":
            return f"{what}streaming"
        if event.kind == "no-prefill":
            return f"{event.model} refuses prefill: continuing in a user turn"
        how = "continuing" if event.kind == "continue" else "asking again (empty answer)"
        return f"{what}{how} ({event.count}/{event.limit})"
    if isinstance(event, Repairing):
        return f"repairing: {event.what}"
    if isinstance(event, Finished):
        return event.status
    if isinstance(event, Note):
        return event.message
    return None


def token_count(tokens: int, estimated: bool) -> str:
    """ "1,234 tokens", or "~1,234 tokens" when part of it is counted by characters."""
    return f"{'~' if estimated else ''}{tokens:,} token{'s' if tokens != 1 else ''}"


class PlainLines:
    """`path: state` for every state change, one whole line at a time."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        text = describe(event)
        if text is None:
            return
        with self._lock:
            self._write(f"{event.path}: {text}\n")
