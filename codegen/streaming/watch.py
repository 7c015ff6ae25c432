"""Limits on one streamed answer, checked as its bytes and events arrive: `Watch`.

The SDK skips the API's `ping` events before codegen sees them, so a server that sends
nothing but pings would hold a stream open for ever; and a server that does not honour
`max_tokens` can send megabytes, which the validators then take minutes to read. The
watch sees the response body's bytes (`Watched` wraps the httpx stream under the SDK)
and the events the SDK makes of them, and stops the stream when either goes too far.

Imported when a stream starts, with httpx2 (see `anthropic.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx2

from ..errors import APIError
from .base import seconds

# An answer may hold this many bytes for each token of max_tokens, plus SIZE_FLOOR: a
# token is 3 to 4 characters of code and rarely passes 8 bytes.
BYTES_PER_TOKEN = 8
SIZE_FLOOR = 16_384


def size_limit(max_tokens: int) -> int:
    """The most bytes of content (text, thinking, tool input) an answer may hold."""
    return max_tokens * BYTES_PER_TOKEN + SIZE_FLOOR


def oversize(max_tokens: int) -> APIError:
    return APIError(
        f"the answer passed {size_limit(max_tokens):,} bytes, more than max_tokens "
        f"{max_tokens:,} allows; the server is not honouring max_tokens"
    )


class Stalled(Exception):
    """No event (pings aside) for the idle timeout: the stream is given up, as broken."""


class Watch:
    """One stream's idle time and size. `arrived` is told of each piece of the body,
    `event` of each event the SDK made of it; either raises once a limit is passed, and
    `stop` keeps what was raised (the SDK wraps an error raised under it)."""

    def __init__(self, timeout: float, max_tokens: int, clock: Callable[[], float]) -> None:
        self.timeout, self.max_tokens, self.clock = timeout, max_tokens, clock
        self.limit = size_limit(max_tokens)
        self.last_event = clock()
        self.content = 0  # bytes of text, thinking and tool input so far
        self.unread = 0  # bytes of the body since the last event
        self.stop: Exception | None = None

    def arrived(self, size: int) -> None:
        self.unread += size
        if self.clock() - self.last_event > self.timeout:
            self._stop(
                Stalled(f"the stream stalled: nothing but pings for {seconds(self.timeout)} (--timeout)")
            )
        # No event is that long: one that would be is more than the whole answer may hold
        # (escaped in JSON, up to 6 bytes a byte), and is not read into memory.
        if self.unread > 6 * self.limit:
            self._stop(oversize(self.max_tokens))

    def event(self, content: str) -> None:
        """An event, `content` the text, thinking or tool input it adds."""
        self.last_event = self.clock()
        self.unread = 0
        if content:
            self.content += len(content.encode("utf-8", "surrogatepass"))
            if self.content > self.limit:
                self._stop(oversize(self.max_tokens))

    def _stop(self, error: Exception) -> None:
        self.stop = error
        raise error


class Watched(httpx2.SyncByteStream):
    """A response body whose pieces the watch sees before the SDK does."""

    def __init__(self, inner: httpx2.SyncByteStream, watch: Watch) -> None:
        self._inner = inner
        self._watch = watch

    def __iter__(self) -> Iterator[bytes]:
        for piece in self._inner:
            self._watch.arrived(len(piece))
            yield piece

    def close(self) -> None:
        self._inner.close()

    def __getattr__(self, name: str) -> Any:
        # What the SDK's tracing looks for on the stream (`stream_observer`) and the like.
        if name == "_inner":
            raise AttributeError(name)
        return getattr(self._inner, name)
