"""The double's prompt cache bills what the API's would: reads, writes, the minimum."""

from __future__ import annotations

from typing import Any

from tests.double import count_tokens
from tests.double.cache import PromptCache

MARK = {"type": "ephemeral"}
SYSTEM = "You write code. " * 20
TURN = "def f(x):\n    return x + 1\n" * 30


def request(*turns: str, mark_last: bool = True, model: str = "m") -> dict[str, Any]:
    """A system prompt with a breakpoint, then alternating user/assistant turns, the
    last of them marked (as codegen marks the end of its history)."""
    messages: list[dict[str, Any]] = []
    for i, text in enumerate(turns):
        block: dict[str, Any] = {"type": "text", "text": text}
        if mark_last and i == len(turns) - 1:
            block["cache_control"] = MARK
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": [block]})
    return {
        "model": model,
        "system": [{"type": "text", "text": SYSTEM, "cache_control": MARK}],
        "messages": messages,
    }


def billed(cache: PromptCache, body: dict[str, Any]) -> tuple[int, int, int]:
    texts = [
        m["content"] if isinstance(m["content"], str) else m["content"][0]["text"] for m in body["messages"]
    ]
    total = count_tokens(SYSTEM) + sum(count_tokens(text) for text in texts)
    usage = cache.bill(body, total)
    assert usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens == total
    return usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens


def test_each_call_reads_the_previous_history_and_writes_only_what_is_new() -> None:
    cache = PromptCache()
    s, t, c = count_tokens(SYSTEM), count_tokens(TURN), count_tokens("Continue.")
    assert billed(cache, request(TURN)) == (0, s + t, 0)
    assert billed(cache, request(TURN, TURN, "Continue.")) == (0, t + c, s + t)
    assert billed(cache, request(TURN, TURN, "Continue.", TURN, "Continue.")) == (0, t + c, s + 2 * t + c)


def test_a_prefix_below_the_minimum_is_not_cached() -> None:
    s, t = count_tokens(SYSTEM), count_tokens(TURN)
    cache = PromptCache(min_tokens=s + t + 1)
    assert billed(cache, request(TURN)) == (s + t, 0, 0)
    assert billed(cache, request(TURN)) == (s + t, 0, 0)
    # Once the history reaches the minimum it is written, the short prefix still not.
    long = request(TURN, TURN, "Continue.")
    assert billed(cache, long)[1:] == (s + 2 * t + count_tokens("Continue."), 0)


def test_no_breakpoint_no_caching_and_models_do_not_share() -> None:
    cache = PromptCache()
    plain = request(TURN, mark_last=False)
    plain["system"] = SYSTEM  # a string system prompt carries no breakpoint
    assert billed(cache, plain) == (count_tokens(SYSTEM) + count_tokens(TURN), 0, 0)
    billed(cache, request(TURN, model="a"))
    assert billed(cache, request(TURN, model="b"))[2] == 0
    assert billed(cache, request(TURN, model="a"))[2] > 0


def test_a_changed_block_is_a_miss_from_there_on() -> None:
    cache = PromptCache()
    billed(cache, request(TURN, TURN, "Continue."))
    # The assistant turn sent back changed (stripped): only prefixes that ended at an
    # earlier breakpoint are cached, and of those only the system prompt still matches.
    _, _, read = billed(cache, request(TURN, TURN.rstrip(), "Continue."))
    assert read == count_tokens(SYSTEM)


def test_a_string_content_is_the_text_block_it_stands_for() -> None:
    # codegen marks the last message by turning its string into a block; the next call
    # sends it as a string again, unmarked, and must still read it from the cache.
    cache = PromptCache()
    marked = request(TURN, TURN, "Continue.")
    billed(cache, marked)
    again = request(TURN, TURN, "Continue.", TURN, "Continue.")
    for message in again["messages"][:3]:
        message["content"] = message["content"][0]["text"]
    s, t, c = count_tokens(SYSTEM), count_tokens(TURN), count_tokens("Continue.")
    assert billed(cache, again) == (0, t + c, s + 2 * t + c)


def test_writes_up_to_a_1h_breakpoint_are_reported_as_such() -> None:
    cache = PromptCache()
    body = request(TURN, TURN, "Continue.")
    body["system"][0]["cache_control"] = {"type": "ephemeral", "ttl": "1h"}
    s = count_tokens(SYSTEM)
    usage = cache.bill(body, 10**6)
    assert usage.cache_creation_1h_input_tokens == s
    assert usage.cache_creation_input_tokens == s + 2 * count_tokens(TURN) + count_tokens("Continue.")
