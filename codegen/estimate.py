"""`codegen estimate`: expected calls, tokens and cost of generating a spec's files.

The core (`estimate_file`) is pure arithmetic over token counts and the model table.
The shell (`estimate_spec`) builds each file's first request as `build` would, counts
its tokens with a `Counter` (the server's count_tokens, or a local count), and reads
existing outputs for their size. Nothing here sends a Messages request.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from . import prompts
from .errors import MissingCredentialsError, SpecError, UsageError
from .files import read_text, resolve_inside
from .models import ModelInfo, Usage, lookup, retirement
from .pricing import cost
from .request import Request, line_prefill_pays, thinking_param
from .spec import Spec, select_files
from .streaming.anthropic import CountTokensUnavailable, MessagesClient, connection_from_env

# What a file with no output yet is expected to be: about 350 lines of Python. A
# heuristic from the prompt would be a guess dressed up as a measurement; a flat
# default is shown as such in the output, and an existing output replaces it.
DEFAULT_OUTPUT_TOKENS = 4_000
# A local count when the server has no count_tokens (or --local): Claude's tokenizer
# gives about 3 to 4 characters a token on code and English.
CHARS_PER_TOKEN = 3.5
# What a line prefill resends: the line the cut answer stopped in, about 35 characters
# of code.
LINE_TOKENS = 10


@dataclass(frozen=True)
class Estimate:
    """One file: what generating it is expected to take."""

    path: str
    calls: int
    continuations: int
    usage: Usage  # input_tokens: billed at the full rate (neither written nor read from cache)
    cost: float | None  # None: the model table has no prices for the model
    prompt_tokens: int = 0  # the first request's user message (the system prompt apart)
    expected_output: int = 0  # text tokens the file is expected to take
    output_from: str = "default"  # "default" or "existing file"
    local_count: bool = False  # prompt counted locally, not by count_tokens
    cut: bool = False  # would still be cut after max_continuations


@dataclass(frozen=True)
class SpecEstimate:
    spec: Path
    model: str
    files: tuple[Estimate, ...]
    assumptions: tuple[str, ...] = ()

    @property
    def usage(self) -> Usage:
        return Usage.total(f.usage for f in self.files)

    @property
    def calls(self) -> int:
        return sum(f.calls for f in self.files)

    @property
    def cost(self) -> float | None:
        costs = [f.cost for f in self.files]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)


# -- the core: pure ----------------------------------------------------------------


def estimate_file(
    path: str,
    *,
    system_tokens: int,
    prompt_tokens: int,
    output_tokens: int,
    max_tokens: int,
    info: ModelInfo,
    continue_tokens: int,
    max_continuations: int,
    thinking_budget: int = 0,
    system_cached: bool = False,
    history_cached: bool = True,
    line_prefill: bool = False,
) -> Estimate:
    """Calls, tokens and cost of one file's conversation, from its token counts.

    Calls: every answer is assumed to stop exactly at max_tokens, of which a thinking
    budget (when the spec sets one) is all spent on thinking and billed as output, so
    `usable = max_tokens - thinking_budget` text tokens per call and
    `calls = ceil(output_tokens / usable)`, at most `1 + max_continuations` (past that
    the file stays cut: `cut`). No repairs.

    Input of call k (k = 0 .. calls-1), `done = k * usable` text tokens written before it:
    with user turns `S + P + done + k * C` (each answer goes back as a turn followed by
    the "continue" message of C tokens); with a line prefill (`line_prefill` and the
    model table's prefill flag: build's choice for a model with prices and thinking off)
    `S + P + done + k * (C + L)` (each cut answer goes back as its own turn, then the
    "continue" message, then the line it stopped in, L = LINE_TOKENS, which the next
    turn holds again); with a whole-turn prefill `S + P + done` (the answer so far is
    the last, assistant, message). S is the system prompt, P the user prompt. Thinking
    tokens of earlier answers are not counted as input.

    Caching, with the model's min_cache_tokens as the threshold below which a breakpoint
    caches nothing: the system prompt carries a breakpoint (as today), written once by
    the first call of the run (`system_cached` False) and read by every later one; with
    `history_cached`, the history carries one too where build marks it, so call k reads
    call k-1's prefix up to that mark from the cache and writes the rest up to its own.
    The mark is the end of the request with user turns, the "continue" message before a
    line prefill (the line is paid at the full rate), and the prompt before a whole-turn
    prefill (the answer so far, one growing block, is paid at the full rate on every
    call). Without `history_cached`, a continuation re-sends its history at the full
    rate. Cache writes are billed at the price of the lifetime build asks for
    (`prompts.cache_control`: 1 hour from 24,000 max_tokens). A model the table does not
    know (a local server, say) is assumed to cache nothing.
    """
    usable = max(1, max_tokens - thinking_budget)
    needed = max(1, math.ceil(output_tokens / usable))
    calls = min(needed, 1 + max_continuations)
    text_out = min(output_tokens, calls * usable)
    least = info.min_cache_tokens
    head = system_tokens + prompt_tokens
    uncached = written = read = 0
    previous = 0  # the last call's prefix up to its history mark, cached when at least `least`
    for k in range(calls):
        if not info.prefill:
            sent = marked = head + k * (usable + continue_tokens)
        elif line_prefill:
            sent = head + k * (usable + continue_tokens + LINE_TOKENS)
            marked = sent - (LINE_TOKENS if k else 0)
        else:
            sent, marked = head + k * usable, head
        # `hit`: the prefix read from the cache; `end`: where the cached prefix ends
        # after this call (from `hit` to `end` is written).
        if not info.known:
            hit = end = 0
        else:
            if k and history_cached and previous >= least:
                hit = previous
            elif system_tokens >= least and (k or system_cached):
                hit = system_tokens
            else:
                hit = 0
            if history_cached and marked >= least:
                end = max(hit, marked)
            elif system_tokens >= least:
                end = max(hit, system_tokens)
            else:
                end = hit
        read += hit
        written += end - hit
        uncached += sent - end
        previous = marked
    one_hour = prompts.cache_control(max_tokens).get("ttl") == "1h"
    usage = Usage(
        input_tokens=uncached,
        output_tokens=text_out + calls * thinking_budget,
        cache_write_tokens=written,
        cache_read_tokens=read,
        cache_write_1h_tokens=written if one_hour else 0,
    )
    return Estimate(
        path,
        calls,
        calls - 1,
        usage,
        cost(usage, info),
        prompt_tokens=prompt_tokens,
        expected_output=output_tokens,
        cut=needed > calls,
    )


def local_tokens(text: str) -> int:
    """A local token count: characters / CHARS_PER_TOKEN, rounded up."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def request_text(request: dict[str, Any]) -> str:
    """The text of a request body's system prompt and messages, for a local count."""
    system = request.get("system") or []
    parts = [system] if isinstance(system, str) else [b.get("text", "") for b in system]
    for message in request["messages"]:
        content = message["content"]
        parts += (
            [content]
            if isinstance(content, str)
            else [b.get("text", "") or b.get("thinking", "") for b in content]
        )
    return "".join(parts)


# -- the shell: counting, reading outputs --------------------------------------------


class Counter(Protocol):
    """Input tokens of a Messages request body."""

    def count(self, request: dict[str, Any]) -> tuple[int, bool]:
        """(tokens, whether they were counted locally)."""
        ...

    @property
    def note(self) -> str:
        """How the tokens were counted, for the assumptions."""
        ...


class LocalCounter:
    """--local: no network at all."""

    note = f"prompts counted locally ({CHARS_PER_TOKEN} characters a token): --local"

    def count(self, request: dict[str, Any]) -> tuple[int, bool]:
        return local_tokens(request_text(request)), True


class ServerCounter:
    """The server's count_tokens; a local count, said so, where the server has none."""

    def __init__(self, client: MessagesClient, where: str) -> None:
        self._client = client
        self._where = where
        self.unavailable: str | None = None  # why the server could not count

    def count(self, request: dict[str, Any]) -> tuple[int, bool]:
        if self.unavailable is None:
            try:
                return self._client.count_tokens(request), False
            except CountTokensUnavailable as exc:
                self.unavailable = str(exc)
        return local_tokens(request_text(request)), True

    @property
    def note(self) -> str:
        if self.unavailable is None:
            return f"prompts counted by count_tokens at {self._where}"
        return (
            f"local count: count_tokens is not available ({self.unavailable}); prompts "
            f"counted locally ({CHARS_PER_TOKEN} characters a token)"
        )


@contextmanager
def open_counter(*, local: bool, http_client: Any = None) -> Iterator[Counter]:
    """A LocalCounter, or a ServerCounter over a client from the environment."""
    if local:
        yield LocalCounter()
        return
    try:
        connection = connection_from_env()
    except MissingCredentialsError as exc:
        raise UsageError(f"{exc.message}; or estimate with local counts: --local") from None
    client = MessagesClient(connection, http_client=http_client)
    try:
        yield ServerCounter(client, connection.describe)
    finally:
        client.close()


def estimate_spec(spec: Spec, counter: Counter, *, only: Sequence[str] = ()) -> SpecEstimate:
    """Estimate every file of `spec` (or those named by --only) as generated afresh."""
    info = lookup(spec.model)
    retired, _ = retirement(info)
    if retired:
        raise SpecError(str(spec.path), "model", retired)
    selected = select_files(spec, tuple(only))
    thinking = thinking_param(spec.thinking)
    budget = spec.thinking if isinstance(spec.thinking, int) else 0
    system = tuple(prompts.system_blocks(spec.context))
    # The system prompt alone: count_tokens needs a message, so a one-character one.
    alone = Request(
        spec.model, system, ".", spec.max_tokens, thinking, info.prefill, line_prefill=line_prefill_pays(info)
    )
    system_tokens, _ = counter.count(alone.body([{"role": "user", "content": "."}]))
    # Line prefill as build asks for it (`Request.by_line_prefill`), where the model takes prefill.
    line_prefill = alone.prefill and alone.by_line_prefill
    # A user turn quotes the end of the code: counted as QUOTED_LINES lines of 40 characters.
    typical_end = "\n".join(["    " + "x" * 36] * prompts.QUOTED_LINES)
    continue_tokens = local_tokens(
        prompts.CONTINUE_LINE if line_prefill else prompts.continue_prompt(typical_end, "python")
    )

    expected: dict[str, int] = {}
    notes: list[str] = []
    files: list[Estimate] = []
    for file in spec.files:
        # Dependencies not written yet go into the prompt at their expected size.
        dependencies, unwritten = [], 0
        for dep in file.depends_on:
            text = read_text(resolve_inside(spec.output_dir, dep))
            if text is None:
                size = expected.get(dep, DEFAULT_OUTPUT_TOKENS)
                unwritten += size
                if file.path in selected:
                    notes.append(
                        f"{file.path}: {dep} is not written yet: counted at its expected {size:,} tokens"
                    )
            else:
                dependencies.append((dep, text))
        existing = read_text(resolve_inside(spec.output_dir, file.path))
        output = DEFAULT_OUTPUT_TOKENS if existing is None else local_tokens(existing)
        expected[file.path] = output
        if file.path not in selected:
            continue
        prompt = prompts.file_prompt(file.path, file.prompt, file.requires, dependencies)
        request = Request(spec.model, system, prompt, file.max_tokens, thinking, info.prefill)
        first, local = counter.count(request.body([{"role": "user", "content": prompt}]))
        estimate = estimate_file(
            file.path,
            system_tokens=system_tokens,
            prompt_tokens=max(1, first - system_tokens) + unwritten,
            output_tokens=output,
            max_tokens=file.max_tokens,
            info=info,
            continue_tokens=continue_tokens,
            max_continuations=spec.max_continuations,
            thinking_budget=budget,
            system_cached=bool(files),
            line_prefill=line_prefill,
        )
        files.append(
            replace(
                estimate, output_from="default" if existing is None else "existing file", local_count=local
            )
        )
        if estimate.cut:
            notes.append(
                f"{file.path}: needs more than max_continuations "
                f"({spec.max_continuations}) continuations: it would stay cut"
            )
    return SpecEstimate(
        spec.path,
        spec.model,
        tuple(files),
        tuple(_assumptions(spec, info, files, system_tokens, counter.note, line_prefill) + notes),
    )


def _assumptions(
    spec: Spec, info: ModelInfo, files: list[Estimate], system_tokens: int, counted: str, line_prefill: bool
) -> list[str]:
    out = [counted]
    fresh = [f.path for f in files if f.output_from == "default"]
    existing = [f.path for f in files if f.output_from != "default"]
    if fresh:
        out.append(
            f"{DEFAULT_OUTPUT_TOKENS:,} output tokens for a file with no output yet "
            f"(the default): {', '.join(fresh)}"
        )
    if existing:
        out.append(f"output as long as the existing file (counted locally): {', '.join(existing)}")
    out.append(
        "every answer stops at max_tokens; no repairs; every file generated afresh "
        "(build skips outputs that are up to date)"
    )
    if line_prefill:
        out.append(
            f"continued by line prefill ({spec.model} accepts prefill): each cut answer "
            "goes back as a turn, then a 'continue' message, then the line it stopped in "
            f"(taken as {LINE_TOKENS} tokens)"
        )
    elif info.prefill:
        out.append(
            f"continued by prefill ({spec.model} accepts it): each call re-sends the "
            "prompt and the answer so far"
        )
    else:
        out.append(
            f"continued in user turns ({spec.model} refuses prefill): each call re-sends "
            "the prompt, every answer so far and a 'continue' message"
        )
    if not info.known:
        out.append(f"{spec.model} is not in the model table: no prices (cost unknown), no caching assumed")
    elif system_tokens >= info.min_cache_tokens:
        out.append(
            f"the system prompt ({system_tokens:,} tokens) is cached: written by the "
            "first call, read by every later one"
        )
    else:
        out.append(
            f"the system prompt ({system_tokens:,} tokens) is below {spec.model}'s "
            f"caching minimum ({info.min_cache_tokens:,}): not cached"
        )
    if info.known:
        if info.prefill and not line_prefill:
            out.append(
                "the prompt carries a cache breakpoint, read by each continuation where it "
                f"is at least {info.min_cache_tokens:,} tokens; the answer so far, the "
                "prefill, is re-sent at the full rate on every call (with thinking on, "
                "a prefill is the whole turn)"
            )
        else:
            where = "before the line prefill" if line_prefill else "at its end"
            out.append(
                f"every request's history carries a cache breakpoint {where}: each call "
                f"writes its input to the cache where it is at least "
                f"{info.min_cache_tokens:,} tokens, and a continuation reads the previous "
                "call's from it"
            )
    if isinstance(spec.thinking, int):
        out.append(
            f"thinking spends its whole budget ({spec.thinking:,} tokens) in every call, billed as output"
        )
    elif spec.thinking != "off":
        out.append("thinking tokens, if the model thinks, are not counted")
    return out
