"""`ScriptedAuthor`: replies given in advance, in order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .wire import ErrorReply, Reply

Request = dict[str, Any]
Scripted = Reply | ErrorReply | Callable[[Request], Reply | ErrorReply]


class ScriptExhausted(AssertionError):
    """More requests came than replies were scripted."""


class ScriptedAuthor:
    """Answers the n-th request with the n-th entry; a callable entry gets the request."""

    def __init__(self, replies: Sequence[Scripted]) -> None:
        self.replies = tuple(replies)
        self.used = 0

    @property
    def remaining(self) -> int:
        return len(self.replies) - self.used

    def __call__(self, request: Request) -> Reply | ErrorReply:
        if self.used >= len(self.replies):
            raise ScriptExhausted(
                f"request {self.used + 1} came, but only {len(self.replies)} replies were scripted"
            )
        entry = self.replies[self.used]
        self.used += 1
        return entry(request) if callable(entry) else entry
