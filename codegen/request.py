"""What is sent about one file, apart from its messages: `Request`, built by
`file_request` for a file's build, its repairs and its verify repairs, and the rules
that pick its settings (thinking, the cache, line prefill), each stated once here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import prompts
from .models import ModelInfo
from .spec import FileSpec, Spec
from .stitch import judged_by
from .streaming import Block


@dataclass(frozen=True)
class Request:
    """Everything but the messages: the same for every call of one file."""

    model: str
    system: tuple[dict[str, Any], ...]
    prompt: str | tuple[Block, ...]  # the user message: text, or its blocks
    max_tokens: int
    thinking: dict[str, Any] | None = None
    prefill: bool = True  # what the model table says; PrefillMemory may say otherwise
    # Marks the end of the history so the next call reads it from the cache (None: no
    # caching of the history, e.g. when it is shorter than the model can cache).
    cache_control: dict[str, Any] | None = None
    # Whether the first call marks the prompt too, for its continuations to read. A
    # write costs 1.25x the input price, a read saves 0.9x: worth it where an answer is
    # likely to be cut (a file), not for a repair's one definition.
    cache_prompt: bool = True
    # Continue a cut answer (max_tokens, a context window, a broken stream; not
    # pause_turn) by a line prefill where prefill is allowed and thinking is off: worth
    # it where the cache saves money, i.e. the model has prices.
    line_prefill: bool = False
    language: str = "python"  # the fence of a quote of the file (CONTINUE_QUOTED)
    # Whose parser judges the seams of the answers (`stitch.judged_by`); not sent.
    seams: str = "python"

    @property
    def by_line_prefill(self) -> bool:
        """Whether a cut answer goes on by a line prefill while the model takes prefill:
        asked for, and thinking off (`thinking_off`)."""
        return self.line_prefill and thinking_off(self.thinking)

    def body(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        first = not any(m["role"] == "assistant" for m in messages)
        mark = None if first and not self.cache_prompt else self.cache_control
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": list(self.system),
            "messages": _cache_breakpoint(messages, mark),
        }
        if self.thinking is not None:
            body["thinking"] = self.thinking
        return body


def file_request(spec: Spec, file: FileSpec, info: ModelInfo, prompt: str) -> Request:
    """The settings of every call about `file`: its build, its repairs (each with its
    own prompt) and its verify repairs."""
    breakpoint = prompts.cache_control(file.max_tokens)
    return Request(
        model=spec.model,
        system=tuple(prompts.system_blocks(spec.context, breakpoint)),
        prompt=prompt,
        max_tokens=file.max_tokens,
        thinking=thinking_param(spec.thinking),
        prefill=info.prefill,
        cache_control=breakpoint,
        line_prefill=line_prefill_pays(info),
        language="python" if file.language == "python" else "",
        seams=judged_by(file.checked_as),
    )


def line_prefill_pays(info: ModelInfo) -> bool:
    """Line prefill reads the history from the cache: worth it where that saves money,
    i.e. where the model has prices."""
    return info.prices is not None


def thinking_param(thinking: Any) -> dict[str, Any] | None:
    """The request's `thinking` for the spec's setting (None: the model's default)."""
    if thinking is None:
        return None
    if thinking == "off":
        return {"type": "disabled"}
    if thinking == "adaptive":
        return {"type": "adaptive"}
    return {"type": "enabled", "budget_tokens": int(thinking)}


def thinking_off(thinking: dict[str, Any] | None) -> bool:
    """With thinking on, a prefilled final turn must open with a thinking block, which a
    new turn does not have: a line prefill needs thinking off."""
    return thinking is None or thinking.get("type") == "disabled"


def _cache_breakpoint(
    messages: list[dict[str, Any]], cache_control: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The messages with a cache breakpoint after the last one that the next call will
    send again unchanged: the last message, or the one before a prefill (which grows).

    History is append-only and each answer of a user-turn conversation is its own
    message, so every call's prefix up to this point is the next call's prefix too,
    and is read from the cache. The history itself is never changed: the marked copy
    exists only in the request.
    """
    if cache_control is None:
        return messages
    at = len(messages) - 1
    if messages[at]["role"] == "assistant":
        at -= 1  # a prefill: its text changes with every call
    if at < 0:
        return messages
    marked = messages[at]
    content = marked["content"]
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
    blocks[-1] = {**blocks[-1], "cache_control": cache_control}
    return [*messages[:at], {**marked, "content": blocks}, *messages[at + 1 :]]
