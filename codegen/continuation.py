"""The loop over stop reasons: send, and while the answer is cut, continue it.

How to continue depends on the model. Where prefill works, the cut answer goes back as
the last (assistant) message and the model resumes at the exact next character. From
the 4.6 models on that is a 400; then the cut answer goes back unchanged and a user
turn asks to continue, and the stitcher removes the seams that invites. A refusal of
prefill is remembered per model for the rest of the run.

A prefilled turn is one growing block, and a cache hit ends at a block boundary: sent
whole, the answer so far is paid at the full input price on every call. A *line
prefill* (`Request.by_line_prefill`) keeps the history append-only instead: the cut turn
goes back unchanged as its own message, a user turn says the next message begins with
its last, unfinished line, and the final assistant message is that line alone. Each
call then reads the previous call's messages from the cache, and the model still
resumes at the next character of the line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from . import prompts
from .errors import PrefillRejectedError
from .models import Usage
from .request import Request
from .stitch import Chunk, Draft, Join
from .streaming import Answer, Block, Streamer
from .streaming.base import backoff, seconds, tell_wait

Status = Literal["complete", "cut", "refused", "failed", "stopped"]


class StopBuild(Exception):
    """Raised by a `before_call` hook to end the conversation before the next call."""


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


def generate(
    client: Streamer,
    request: Request,
    *,
    max_continuations: int,
    memory: PrefillMemory,
    before_call: Callable[[CallEvent], None] | None = None,
    on_text: Callable[[str], None] | None = None,
    opening: Opening | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Generation:
    """Run one file's conversation to its end: complete, cut for good, refused or failed.

    With an `opening`, the conversation goes on from there (a repair finishing a file);
    the chunks are only what the new answers add, the first joining as `prefill` or
    `user_turn` by how it was asked for.

    An answer broken off by a failure that may pass (`Answer.transient`: an overloaded
    server's `error` event, a dropped connection) is continued after the backoff the
    client gives a failed request, longer for each such answer in a row; `sleep` waits.
    """
    conversation = _Conversation(request, memory, max_continuations, opening)
    broken = 0  # transient breaks in a row
    while True:
        body = conversation.body()
        if before_call is not None:
            try:
                before_call(CallEvent(conversation.kind, body, conversation.usage))
            except StopBuild as halt:
                return conversation.finish("stopped", str(halt))
        try:
            answer = client.stream(body, on_text)
        except PrefillRejectedError:
            conversation.prefill_refused()
            continue
        done = conversation.take(answer)
        if done is not None:
            return done
        broken = broken + 1 if answer.transient else 0
        if broken:
            wait = backoff(broken)
            again = f" ({broken} in a row)" if broken > 1 else ""
            tell_wait(f"{answer.interrupted}{again}: continuing in {seconds(wait)}")
            sleep(wait)


class _Conversation:
    """The state of one `generate`: the messages, the turn being prefilled, the chunks
    and the counts. `take` reads each answer and says how to go on (None) or what the
    conversation came to."""

    def __init__(
        self, request: Request, memory: PrefillMemory, max_continuations: int, opening: Opening | None
    ) -> None:
        self.request, self.memory, self.max_continuations = request, memory, max_continuations
        prompt = request.prompt if isinstance(request.prompt, str) else list(request.prompt)
        self.messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
        # The assistant turn being built by prefill (or pause_turn) continuations.
        self.pending: list[Block] = []
        self.next_join: Join = "start"
        if opening is not None:
            self.messages = list(opening.messages)
            if opening.prefill and memory.allows(request.model, request.prefill):
                self.pending = list(opening.prefill)
                self.next_join = "prefill"
            elif opening.prefill:
                self.messages += [
                    {"role": "assistant", "content": _sendable(list(opening.prefill))},
                    {
                        "role": "user",
                        "content": prompts.continue_prompt(_code_of(opening.prefill), request.language),
                    },
                ]
                self.next_join = "user_turn"
            else:
                self.next_join = "user_turn"
        self.prefill: list[Block] = []  # what the call in flight prefills
        self.chunks: list[Chunk] = []
        self.usage = Usage()
        self.calls = self.continuations = 0
        self.kind: Literal["first", "continue", "retry-empty", "no-prefill"] = "first"
        self.prefill_used = False
        self.window_exceeded = 0
        self.on_line = False  # `pending` is a line prefill after the cut turn and a user turn
        self.last: list[Block] = []  # the last answer's content, merged into its turn
        self.draft = Draft(request.seams)  # the code so far, to see what each user-turn answer added
        self.stalls = self.stalled_in_a_row = 0
        self.stalled = False  # the last answer added nothing: the next user turn quotes the code

    def finish(self, status: Status, detail: str = "", stuck: bool = False) -> Generation:
        turn = _sendable(self.last)
        conversation = tuple(self.messages + ([{"role": "assistant", "content": turn}] if turn else []))
        return Generation(
            tuple(self.chunks),
            status,
            self.calls,
            self.continuations,
            self.usage,
            detail,
            self.prefill_used,
            conversation,
            self.stalls,
            stuck,
        )

    def body(self) -> dict[str, Any]:
        # The API rejects a final assistant message that ends in whitespace.
        self.prefill = _without_trailing_space(self.pending) if self.pending else []
        outgoing = self.messages + ([{"role": "assistant", "content": self.prefill}] if self.prefill else [])
        return self.request.body(outgoing)

    def prefill_refused(self) -> None:
        self.memory.refused.add(self.request.model)
        # The code so far: the draft, or the turn a finish opened with.
        ask = prompts.continue_prompt(self.draft.code or _code_of(self.pending), self.request.language)
        if self.on_line:
            # The cut turn is in the history already: only the user turn changes.
            self.messages[-1] = {"role": "user", "content": ask}
        else:
            # Same cut answer, sent back unchanged, then a user turn asking to go on.
            self.messages += [
                {"role": "assistant", "content": _sendable(self.pending)},
                {"role": "user", "content": ask},
            ]
        self.pending = []
        self.on_line = False
        self.next_join = "user_turn"
        self.kind = "no-prefill"

    def take(self, answer: Answer) -> Generation | None:
        """Read one answer: what the conversation came to, or None to call again."""
        self.calls += 1
        self.usage = self.usage + answer.usage
        answer = self._resumed(answer)
        self.stalled = False
        if self.next_join == "user_turn" and answer.text:
            before = len(self.draft.code.rstrip())
            self.chunks.append(Chunk(answer.text, self.next_join))
            self.draft.add(self.chunks[-1])
            self.stalled = _stalled(len(self.draft.code.rstrip()) - before, answer.text)
        elif answer.text:
            self.chunks.append(Chunk(answer.text, self.next_join))
            self.draft.add(self.chunks[-1])
        self.last = _merged(self.pending, list(answer.content))

        stop = answer.stop_reason
        if answer.interrupted is None and stop == "refusal":
            category = (answer.stop_details or {}).get("category") or "unspecified"
            return self.finish("refused", f"the model refused (category: {category})")
        if answer.interrupted is None and stop == "tool_use":
            return self.finish("failed", "the model asked to use a tool; codegen offers none")
        if answer.interrupted is None and stop in ("end_turn", "stop_sequence"):
            return self._ended(answer)
        return self._cut(answer)

    def _resumed(self, answer: Answer) -> Answer:
        """An answer to a prefill, without the prefill its server sent back first."""
        prefill = self.prefill
        if prefill and (not self.on_line or self.request.model in self.memory.echoes):
            unechoed = without_echo(answer, prefill)
            if unechoed is not answer and not self.on_line:
                self.memory.echoes.add(self.request.model)
            answer = unechoed
        if prefill:
            # The model went on after the stripped text: keep that, in the turn and the chunk.
            self.prefill_used = True
            self.pending = prefill
            if self.chunks:
                self.chunks[-1] = Chunk(self.chunks[-1].text.rstrip(), self.chunks[-1].joins)
        return answer

    def _stall(self) -> None:
        self.stalls += 1
        self.stalled_in_a_row += 1

    def _ended(self, answer: Answer) -> Generation | None:
        """end_turn (or a stop sequence)."""
        request = self.request
        if self.next_join == "user_turn" and not answer.text.strip() and self.chunks:
            # Asked to go on after a cut, it ended at once: the file is still cut
            # there (and may parse: `self.close` is a statement). Ask again, quoting.
            self._stall()
            if self.continuations >= self.max_continuations or self.stalled_in_a_row >= MAX_STALLS:
                return self.finish("complete")  # it says so: the validators judge the file
            self.continuations += 1
            self.kind = "continue"
            if _sendable(list(answer.content)):
                self.messages += [{"role": "assistant", "content": _sendable(list(answer.content))}]
            self.messages += [
                {
                    "role": "user",
                    "content": prompts.continue_prompt(self.draft.code, request.language, stalled=True),
                }
            ]
            return None
        if any(c.text.strip() for c in self.chunks):
            return self.finish("complete")
        # An empty end_turn is not a finished file: ask once more, within budget.
        self._stall()
        if self.continuations >= self.max_continuations or self.stalled_in_a_row >= MAX_STALLS:
            return self.finish("failed", "the model ended its answer without any code")
        self.continuations += 1
        self.kind = "retry-empty"
        turn = _sendable([*self.pending, *answer.content])
        if turn:
            self.messages += [{"role": "assistant", "content": turn}]
        self.messages += [{"role": "user", "content": prompts.EMPTY_ANSWER}]
        self.pending, self.on_line = [], False
        self.next_join = "start" if not self.chunks else "user_turn"
        return None

    def _cut(self, answer: Answer) -> Generation | None:
        """Cut: max_tokens, a context window reached, pause_turn, or a broken stream."""
        stop = answer.stop_reason
        if stop == "model_context_window_exceeded":
            self.window_exceeded += 1
            if self.window_exceeded > 1:
                return self.finish("failed", "the conversation no longer fits the model's context window")
        else:
            self.window_exceeded = 0
        if self.stalled:
            self._stall()
            if self.stalled_in_a_row >= MAX_STALLS:
                return self.finish(
                    "cut",
                    f"{self.stalled_in_a_row} answers in a row added nothing to "
                    "the file: each only repeated what was already written",
                    stuck=True,
                )
        else:
            self.stalled_in_a_row = 0
        if self.continuations >= self.max_continuations:
            reason = answer.interrupted or f"stop reason {stop}"
            return self.finish("cut", f"still cut after {self.continuations} continuations ({reason})")
        self.continuations += 1
        self.kind = "continue"
        self._go_on(_merged(self.pending, list(answer.content)), stop)
        return None

    def _go_on(self, content: list[Block], stop: str | None) -> None:
        """The next call after a cut: a line prefill, the turn prefilled whole, or the turn
        sent back and a user turn asking to go on."""
        request, memory = self.request, self.memory
        self.on_line = False
        line = _last_line(content)
        prefill = memory.allows(request.model, request.prefill)
        if request.by_line_prefill and stop != "pause_turn" and prefill and line:
            # The cut turn as it was written, then the line it stopped in, resumed.
            self.messages += [
                {"role": "assistant", "content": _sendable(content)},
                {"role": "user", "content": prompts.CONTINUE_LINE},
            ]
            self.pending = [{"type": "text", "text": line}]
            self.next_join = "prefill"
            self.on_line = True
            return
        if (stop == "pause_turn" or prefill) and _ends_in_text(content):
            # Sent back as the last message with no new user turn: the model resumes.
            self.pending = content
            self.next_join = "prefill"
            return
        if _sendable(content):
            self.messages += [{"role": "assistant", "content": _sendable(content)}]
            # The turn quotes where the code really ends (a model asked only to go on
            # goes on from where it thinks it stopped), and says so when the last answer
            # only repeated itself. Always a new turn, never an edit of an earlier one
            # (thinking models check the history).
            self.messages += [
                {
                    "role": "user",
                    "content": prompts.continue_prompt(
                        self.draft.code, request.language, stalled=self.stalled
                    ),
                }
            ]
        self.pending = []
        self.next_join = "user_turn" if self.chunks else "start"


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


def _ends_in_text(content: list[Block]) -> bool:
    """A prefill must end in non-blank text (a bare thinking block is no place to resume)."""
    return bool(content) and content[-1].get("type") == "text" and bool(content[-1]["text"].strip())


def _last_line(content: list[Block]) -> str:
    """The last line of a turn's text without trailing whitespace ("" when blank)."""
    text = "".join(b["text"] for b in content if b.get("type") == "text").rstrip()
    return text[text.rfind("\n") + 1 :]


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
