"""The loop over stop reasons: send, and while the answer is cut, continue it.

How to continue depends on the model. Where prefill works, the cut answer goes back as
the last (assistant) message and the model resumes at the exact next character. From
the 4.6 models on that is a 400; then the cut answer goes back unchanged and a user
turn asks to continue, and the stitcher removes the seams that invites. A refusal of
prefill is remembered per model for the rest of the run.

A prefilled turn is one growing block, and a cache hit ends at a block boundary: sent
whole, the answer so far is paid at the full input price on every call. A *line
prefill* (`Request.line_prefill`) keeps the history append-only instead: the cut turn
goes back unchanged as its own message, a user turn says the next message begins with
its last, unfinished line, and the final assistant message is that line alone. Each
call then reads the previous call's messages from the cache, and the model still
resumes at the next character of the line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from . import prompts
from .client import Answer, Block
from .errors import PrefillRejectedError
from .models import Usage
from .stitch import Chunk, Draft, Join

Status = Literal["complete", "cut", "refused", "failed", "stopped"]


class StopBuild(Exception):
    """Raised by a `before_call` hook to end the conversation before the next call."""


class Streamer(Protocol):
    def stream(self, request: dict[str, Any],
               on_text: Callable[[str], None] | None = None) -> Answer: ...


@dataclass
class PrefillMemory:
    """What this run learnt of each model's prefill (shared by every file of a build):
    which models refuse it, and whose server sends it back before the answer."""

    refused: set[str] = field(default_factory=set)
    # Seen on a whole-turn prefill, where an echo is unmistakable (no model types the
    # whole answer so far again). A line prefill is short: an answer may well begin with
    # its text (`"` continued by `""`), so it is taken as an echo only on these models.
    echoes: set[str] = field(default_factory=set)

    def allows(self, model: str, default: bool) -> bool:
        return default and model not in self.refused


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


@dataclass(frozen=True)
class Generation:
    """What one file's conversation produced."""

    chunks: tuple[Chunk, ...]
    status: Status
    calls: int
    continuations: int
    usage: Usage
    detail: str = ""  # why it stopped, when it is not "complete"
    prefill_used: bool = False
    # The conversation with the last answer as its final assistant turn: a repair
    # that finishes the file goes on from here.
    conversation: tuple[dict[str, Any], ...] = ()
    # User-turn answers that added (almost) nothing to the code: each only repeated
    # what was written (a restart of a block longer than one answer), or was talk.
    stalls: int = 0
    # Cut because MAX_STALLS answers in a row added nothing: this conversation cannot
    # find its place, but a repair in a fresh one may (the code so far is whole lines).
    stuck: bool = False


@dataclass(frozen=True)
class Opening:
    """Where a conversation starts when it is not a fresh request: the messages so far
    and, to resume by prefill, the assistant turn to go on from."""

    messages: tuple[dict[str, Any], ...]
    prefill: tuple[Block, ...] = ()


@dataclass(frozen=True)
class CallEvent:
    """Reported before each call, for progress and budgets."""

    kind: Literal["first", "continue", "retry-empty", "no-prefill"]
    request: dict[str, Any]
    spent: Usage = Usage()  # what this file's earlier calls used


def generate(client: Streamer, request: Request, *, max_continuations: int,
             memory: PrefillMemory,
             before_call: Callable[[CallEvent], None] | None = None,
             on_text: Callable[[str], None] | None = None,
             opening: Opening | None = None) -> Generation:
    """Run one file's conversation to its end: complete, cut for good, refused or failed.

    With an `opening`, the conversation goes on from there (a repair finishing a file);
    the chunks are only what the new answers add, the first joining as `prefill` or
    `user_turn` by how it was asked for.
    """
    prompt = request.prompt if isinstance(request.prompt, str) else list(request.prompt)
    messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
    # The assistant turn being built by prefill (or pause_turn) continuations.
    pending: list[Block] = []
    next_join: Join = "start"
    if opening is not None:
        messages = list(opening.messages)
        if opening.prefill and memory.allows(request.model, request.prefill):
            pending = list(opening.prefill)
            next_join = "prefill"
        elif opening.prefill:
            messages += [{"role": "assistant", "content": _sendable(list(opening.prefill))},
                         {"role": "user", "content": prompts.continue_prompt(
                             _code_of(opening.prefill), request.language)}]
            next_join = "user_turn"
        else:
            next_join = "user_turn"
    chunks: list[Chunk] = []
    usage = Usage()
    calls = continuations = 0
    kind: Literal["first", "continue", "retry-empty", "no-prefill"] = "first"
    prefill_used = False
    window_exceeded = 0
    on_line = False  # `pending` is a line prefill after the cut turn and a user turn
    last: list[Block] = []  # the last answer's content, merged into its turn
    draft = Draft()  # the code so far, to see what each user-turn answer added
    stalls = stalled_in_a_row = 0
    stalled = False  # the last answer added nothing: the next user turn quotes the code

    def finish(status: Status, detail: str = "", stuck: bool = False) -> Generation:
        turn = _sendable(last)
        conversation = tuple(messages + ([{"role": "assistant", "content": turn}] if turn else []))
        return Generation(tuple(chunks), status, calls, continuations, usage, detail, prefill_used,
                          conversation, stalls, stuck)

    while True:
        # The API rejects a final assistant message that ends in whitespace.
        prefill = _without_trailing_space(pending) if pending else []
        outgoing = messages + ([{"role": "assistant", "content": prefill}] if prefill else [])
        body = request.body(outgoing)
        if before_call is not None:
            try:
                before_call(CallEvent(kind, body, usage))
            except StopBuild as halt:
                return finish("stopped", str(halt))
        try:
            answer = client.stream(body, on_text)
        except PrefillRejectedError:
            memory.refused.add(request.model)
            # The code so far: the draft, or the turn a finish opened with.
            ask = prompts.continue_prompt(draft.code or _code_of(pending), request.language)
            if on_line:
                # The cut turn is in the history already: only the user turn changes.
                messages[-1] = {"role": "user", "content": ask}
            else:
                # Same cut answer, sent back unchanged, then a user turn asking to go on.
                messages += [{"role": "assistant", "content": _sendable(pending)},
                             {"role": "user", "content": ask}]
            pending = []
            on_line = False
            next_join = "user_turn"
            kind = "no-prefill"
            continue
        calls += 1
        usage = usage + answer.usage
        if prefill and (not on_line or request.model in memory.echoes):
            unechoed = without_echo(answer, prefill)
            if unechoed is not answer and not on_line:
                memory.echoes.add(request.model)
            answer = unechoed
        if prefill:
            # The model went on after the stripped text: keep that, in the turn and the chunk.
            prefill_used = True
            pending = prefill
            if chunks:
                chunks[-1] = Chunk(chunks[-1].text.rstrip(), chunks[-1].joins)
        stalled = False
        if next_join == "user_turn" and answer.text:
            before = len(draft.code.rstrip())
            chunks.append(Chunk(answer.text, next_join))
            draft.add(chunks[-1])
            stalled = _stalled(len(draft.code.rstrip()) - before, answer.text)
        elif answer.text:
            chunks.append(Chunk(answer.text, next_join))
            draft.add(chunks[-1])
        last = _merged(pending, list(answer.content))

        stop = answer.stop_reason
        if answer.interrupted is None and stop == "refusal":
            category = (answer.stop_details or {}).get("category") or "unspecified"
            return finish("refused", f"the model refused (category: {category})")
        if answer.interrupted is None and stop == "tool_use":
            return finish("failed", "the model asked to use a tool; codegen offers none")
        if answer.interrupted is None and stop in ("end_turn", "stop_sequence"):
            if next_join == "user_turn" and not answer.text.strip() and chunks:
                # Asked to go on after a cut, it ended at once: the file is still cut
                # there (and may parse: `self.close` is a statement). Ask again, quoting.
                stalls += 1
                stalled_in_a_row += 1
                if continuations >= max_continuations or stalled_in_a_row >= MAX_STALLS:
                    return finish("complete")  # it says so: the validators judge the file
                continuations += 1
                kind = "continue"
                if _sendable(list(answer.content)):
                    messages += [{"role": "assistant", "content": _sendable(list(answer.content))}]
                messages += [{"role": "user", "content": prompts.continue_prompt(
                    draft.code, request.language, stalled=True)}]
                continue
            if any(c.text.strip() for c in chunks):
                return finish("complete")
            # An empty end_turn is not a finished file: ask once more, within budget.
            stalls += 1
            stalled_in_a_row += 1
            if continuations >= max_continuations or stalled_in_a_row >= MAX_STALLS:
                return finish("failed", "the model ended its answer without any code")
            continuations += 1
            kind = "retry-empty"
            if _sendable([*pending, *answer.content]):
                messages += [{"role": "assistant", "content": _sendable([*pending, *answer.content])}]
            messages += [{"role": "user", "content": prompts.EMPTY_ANSWER}]
            pending, on_line = [], False
            next_join = "start" if not chunks else "user_turn"
            continue

        # Cut: max_tokens, a context window reached, pause_turn, or a broken stream.
        if stop == "model_context_window_exceeded":
            window_exceeded += 1
            if window_exceeded > 1:
                return finish("failed", "the conversation no longer fits the model's context window")
        else:
            window_exceeded = 0
        if stalled:
            stalls += 1
            stalled_in_a_row += 1
            if stalled_in_a_row >= MAX_STALLS:
                return finish("cut", f"{stalled_in_a_row} answers in a row added nothing to the file: "
                                     "each only repeated what was already written", stuck=True)
        else:
            stalled_in_a_row = 0
        if continuations >= max_continuations:
            reason = answer.interrupted or f"stop reason {stop}"
            return finish("cut", f"still cut after {continuations} continuations ({reason})")
        continuations += 1
        kind = "continue"
        content = _merged(pending, list(answer.content))
        on_line = False
        line = _last_line(content)
        if (request.line_prefill and thinking_off(request.thinking) and stop != "pause_turn"
                and memory.allows(request.model, request.prefill) and line):
            # The cut turn as it was written, then the line it stopped in, resumed.
            messages += [{"role": "assistant", "content": _sendable(content)},
                         {"role": "user", "content": prompts.CONTINUE_LINE}]
            pending = [{"type": "text", "text": line}]
            next_join = "prefill"
            on_line = True
            continue
        if stop == "pause_turn" or memory.allows(request.model, request.prefill):
            # Sent back as the last message with no new user turn: the model resumes.
            if _ends_in_text(content):
                pending = content
                next_join = "prefill"
                continue
        if _sendable(content):
            messages += [{"role": "assistant", "content": _sendable(content)}]
            # The turn quotes where the code really ends (a model asked only to go on
            # goes on from where it thinks it stopped), and says so when the last answer
            # only repeated itself. Always a new turn, never an edit of an earlier one
            # (thinking models check the history).
            messages += [{"role": "user", "content": prompts.continue_prompt(
                draft.code, request.language, stalled=stalled)}]
        pending = []
        next_join = "user_turn" if chunks else "start"


# A file whose answers add nothing this many times in a row is given up as cut: the
# model cannot find its place, and each try costs a whole answer.
MAX_STALLS = 3


def _stalled(added: int, text: str) -> bool:
    """Whether an answer of `text` that grew the code by `added` characters made no
    real progress: under an eighth of what it wrote was new (an exact continuation
    adds nearly all of it, a restart that reached the cut and went on a fair share)."""
    return added * 8 < len(text)


def _code_of(blocks: Sequence[Block]) -> str:
    """The code in an assistant turn's text (a prefill the model refused), its last
    line as cut."""
    draft = Draft()
    draft.add(Chunk("".join(b["text"] for b in blocks if b.get("type") == "text")))
    return draft.code


def _cache_breakpoint(messages: list[dict[str, Any]],
                      cache_control: dict[str, Any] | None) -> list[dict[str, Any]]:
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
    return [*messages[:at], {**marked, "content": blocks}, *messages[at + 1:]]


def _ends_in_text(content: list[Block]) -> bool:
    """A prefill must end in non-blank text (a bare thinking block is no place to resume)."""
    return bool(content) and content[-1].get("type") == "text" and bool(content[-1]["text"].strip())


def thinking_off(thinking: dict[str, Any] | None) -> bool:
    """With thinking on, a prefilled final turn must open with a thinking block, which a
    new turn does not have: a line prefill needs thinking off."""
    return thinking is None or thinking.get("type") == "disabled"


def _last_line(content: list[Block]) -> str:
    """The last line of a turn's text without trailing whitespace ("" when blank)."""
    text = "".join(b["text"] for b in content if b.get("type") == "text").rstrip()
    return text[text.rfind("\n") + 1:]


def _merged(pending: list[Block], new: list[Block]) -> list[Block]:
    """The turn so far with an answer that continued it: text that goes on from the
    last text block joins it (a blank piece alone would be an invalid block)."""
    out = list(pending)
    for block in new:
        if out and block.get("type") == "text" and out[-1].get("type") == "text":
            out[-1] = {**out[-1], "text": out[-1]["text"] + block["text"]}
        else:
            out.append(block)
    return out


def _sendable(content: list[Block]) -> list[Block]:
    """Without whitespace-only text blocks, which the API rejects."""
    return [b for b in content if b.get("type") != "text" or b["text"].strip()]


def _without_trailing_space(pending: list[Block]) -> list[Block]:
    """The pending assistant turn, its last text block without trailing whitespace."""
    last = pending[-1]
    return [*pending[:-1], {**last, "text": last["text"].rstrip()}]


def without_echo(answer: Answer, prefill: list[Block]) -> Answer:
    """The answer without the prefill repeated at its start.

    Some servers (llama.cpp's llama-server) send the assistant prefill back before what
    they add to it. A model resuming at the next character never types the whole answer
    so far again, so an answer opening with all of the prefill's text is such an echo:
    joined as it is, the file would hold that text twice.
    """
    echo = "".join(b["text"] for b in prefill if b.get("type") == "text")
    if not echo:
        return answer
    if answer.interrupted and answer.text and echo.startswith(answer.text):
        # The stream broke inside the echo: nothing new arrived.
        echo = answer.text
    elif not answer.text.startswith(echo):
        return answer
    content: list[Block] = []
    left = len(echo)
    for block in answer.content:
        if left and block.get("type") == "text":
            cut = min(left, len(block["text"]))
            left -= cut
            block = {**block, "text": block["text"][cut:]}
        content.append(block)
    return replace(answer, content=tuple(content))
