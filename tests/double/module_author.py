"""`ModuleAuthor`: plays a model that writes known files, cut and continued like a real one.

Which file. Each request's FIRST user message is searched for every target path in
backticks (codegen asks "Write the file `pkg/mod.py`."); the path whose "`path`"
occurs earliest wins, so paths of dependencies quoted later in the prompt do not.

What it writes. For each target a *meant* answer is composed once, deterministically
from the seed and the path (`Wrapping`): sometimes a line of prose, an opening
```` ```python ```` fence (or no fence at all), the exact target text (plus a final
newline if it lacks one, so the closing fence has its own line), the closing fence,
sometimes a sentence of prose after it. `meant(path)` returns it.

How much. Tokens are counted with `tokens.count_tokens` (runs of up to four word or
whitespace characters, or one other character). An answer holds at most the request's
max_tokens tokens, thinking included; if the rest of the meant answer does not fit, the
text stops after that many tokens with stop_reason "max_tokens", else "end_turn".
usage.output_tokens is the tokens emitted; usage.input_tokens the request's estimated
tokens, with a cached system prompt counted as a cache write the first time and a cache
read afterwards.

Continuations, read from the request:
- the conversation ends with an assistant message (prefill): if `prefill_accepted` is
  False, a 400 invalid_request_error (`replies.PREFILL_REFUSED`); else the answer goes
  on exactly after the text of the conversation's assistant text blocks. Clients strip
  trailing whitespace from a prefill, so the position comes from that text, which must
  be a prefix of the meant answer (or an answer this author gave).
- it ends with a user message after an assistant turn: the answer continues from where
  the conversation's assistant text left off, opening with a seam (`seams.py`) drawn
  from `Seams.kinds` with a random.Random seeded from the seed, the path, the position
  and the conversation's length, so a run is repeatable whatever the order of requests.
  `continuations` records (path, seam kind) for each.
Assistant text this author wrote is recognised by its full text, so positions survive
seams; text it did not write must be a prefix of the meant answer.

Thinking. When the request enables thinking ("enabled" or "adaptive"), the first
answer opens with a thinking block (signature `wire.signature_for`), optionally
followed by a redacted_thinking block; with `Thinking.cut_while_thinking` that first
answer is only a thinking block cut at max_tokens. Thinking blocks sent back with a
signature that does not match are refused (400), as the API does.

Continuations assume max_tokens of at least ~64: text typed again by a seam is kept
within half the budget so that each continuation makes progress.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import replies
from .seams import SEAM_KINDS, Continuation, SeamKind, applicable_kinds, plan_continuation
from .tokens import TOKEN, count_tokens, take_tokens
from .wire import (
    Block,
    ErrorReply,
    Reply,
    estimate_input_tokens,
    redacted_thinking_block,
    signature_for,
    thinking_block,
)

Request = dict[str, Any]

LEAD_PROSE = (
    "Here is the complete `{path}`:",
    "Here's the full implementation of `{path}`:",
    "Sure! Here is the file:",
    "Certainly. Below is the complete module, written out in full.",
)
TAIL_PROSE = (
    "This completes `{path}`.",
    "The module is complete; every function is written out in full.",
    "Let me know if you would like any changes.",
)


@dataclass(frozen=True)
class Seams:
    """Which seams user-turn continuations open with, and the seed that picks them."""

    kinds: tuple[SeamKind, ...] = SEAM_KINDS
    seed: int = 0


@dataclass(frozen=True)
class Wrapping:
    """How often the meant answer has prose before the code, a fence, prose after it."""

    prose_before: float = 0.5
    fenced: float = 0.9
    prose_after: float = 0.5


@dataclass(frozen=True)
class Thinking:
    """What the first answer thinks, when the request enables thinking."""

    text: str = ("The user wants the complete file `{path}`. I will write every function "
                 "in full, in one code block, and keep going if I am cut off.")
    cut_while_thinking: bool = False  # the first answer is all thinking, cut at max_tokens
    redacted: bool = False  # a redacted_thinking block follows the thinking block


@dataclass(frozen=True)
class MeantAnswer:
    """The whole answer the author means to give for one target."""

    text: str
    code_start: int
    code_end: int
    fenced: bool
    fence_info: str

    @property
    def code(self) -> str:
        return self.text[self.code_start : self.code_end]


@dataclass(frozen=True)
class _Position:
    """Where in the meant answer a conversation's assistant text has got to."""

    full: int  # for a user-turn continuation: after everything sent back
    prefill: int  # for a prefill: after that text without its trailing whitespace


class ModuleAuthor:
    """An author for `MessagesDouble` that writes `targets` (path -> exact text)."""

    def __init__(
        self,
        targets: Mapping[str, str],
        *,
        prefill_accepted: bool = True,
        seams: Seams = Seams(),
        wrapping: Wrapping = Wrapping(),
        thinking: Thinking = Thinking(),
    ) -> None:
        if not targets:
            raise ValueError("ModuleAuthor needs at least one target")
        self.targets = dict(targets)
        self.prefill_accepted = prefill_accepted
        self.seams = seams
        self.wrapping = wrapping
        self.thinking = thinking
        self.continuations: list[tuple[str, SeamKind]] = []
        self._meant: dict[str, MeantAnswer] = {}
        # (path, assistant text so far without trailing whitespace) -> position.
        self._positions: dict[tuple[str, str], _Position] = {}
        self._cached_prefixes: set[str] = set()

    def meant(self, path: str) -> MeantAnswer:
        """The answer the author means to give for `path` (the same on every call)."""
        if path not in self._meant:
            rng = random.Random(f"{self.seams.seed}|{path}|wrapping")
            self._meant[path] = _compose(path, self.targets[path], rng, self.wrapping)
        return self._meant[path]

    def __call__(self, request: Request) -> Reply | ErrorReply:
        messages: list[dict[str, Any]] = request["messages"]
        path = self._target(messages)
        meant = self.meant(path)
        bad_signature = _bad_signature(messages)
        if bad_signature:
            return ErrorReply(400, "invalid_request_error", bad_signature)
        prefill = messages[-1]["role"] == "assistant"
        if prefill and not self.prefill_accepted:
            return replies.prefill_refused()

        sent_back = "".join(_texts(m) for m in messages[1:] if m["role"] == "assistant")
        first = not any(m["role"] == "assistant" for m in messages)
        budget: int = request["max_tokens"]
        blocks: list[Block] = []
        if first and _thinking_enabled(request):
            if self.thinking.cut_while_thinking:
                thought = _cut_thought(self.thinking.text.replace("{path}", path), budget)
                return self._reply(request, [thinking_block(thought)], "max_tokens", budget)
            blocks.append(thinking_block(self.thinking.text.replace("{path}", path)))
            if self.thinking.redacted:
                blocks.append(redacted_thinking_block())
        used = sum(count_tokens(b.get("thinking", "")) for b in blocks)
        room = max(1, budget - used)

        if first:
            start, seam, resume = 0, "", 0
        else:
            position = self._position(path, meant, sent_back, prefill)
            if prefill:
                start, seam, resume = position.prefill, "", position.prefill
            else:
                start = position.full
                plan = self._plan(path, meant, start, room, len(messages))
                seam, resume = plan.seam, plan.resume
                self.continuations.append((path, plan.kind))
        text = seam + meant.text[resume:]
        end = take_tokens(text, room)
        answer = text[:end]
        # Typing that only repeats what was written, or only prose, gets no further.
        reached = start if end <= len(seam) else max(start, resume + end - len(seam))
        self._remember(path, sent_back + answer, reached)
        if answer:
            blocks.append({"type": "text", "text": answer})
        stop = "end_turn" if end == len(text) else "max_tokens"
        return self._reply(request, blocks, stop, used + count_tokens(answer))

    # -- reading the request ---------------------------------------------------

    def _target(self, messages: list[dict[str, Any]]) -> str:
        prompt = _texts(messages[0])
        found = [(prompt.find(f"`{path}`"), path) for path in self.targets]
        found = [(at, path) for at, path in found if at >= 0]
        if not found:
            raise LookupError(
                "none of the target paths appears in backticks in the first user message: "
                + ", ".join(sorted(self.targets))
            )
        return min(found)[1]

    def _position(self, path: str, meant: MeantAnswer, sent_back: str, prefill: bool) -> _Position:
        known = self._positions.get((path, sent_back.rstrip()))
        if known is not None:
            return known
        probe = sent_back.rstrip() if prefill else sent_back
        if meant.text.startswith(probe):
            return _Position(len(probe), len(sent_back.rstrip()))
        raise LookupError(
            f"the assistant text sent back for `{path}` is neither an answer of this author "
            f"nor a prefix of the file; it ends with {sent_back[-80:]!r}"
        )

    def _remember(self, path: str, sent_back: str, reached: int) -> None:
        stripped = sent_back.rstrip()
        if stripped:
            trailing = len(sent_back) - len(stripped)
            self._positions[(path, stripped)] = _Position(reached, max(0, reached - trailing))

    # -- writing -----------------------------------------------------------------

    def _plan(self, path: str, meant: MeantAnswer, cut: int, room: int,
              turn: int) -> Continuation:
        rng = random.Random(f"{self.seams.seed}|{path}|{cut}|{turn}")
        max_retype = _chars_of_last_tokens(meant.text, cut, room // 2)
        kinds = applicable_kinds(meant.text, cut, code_start=meant.code_start,
                                 code_end=meant.code_end, fence=meant.fenced,
                                 max_retype=max_retype)
        options = [k for k in kinds if k in self.seams.kinds] or ["none"]
        kind: SeamKind = rng.choice(options)
        return plan_continuation(meant.text, cut, kind, rng, code_start=meant.code_start,
                                 code_end=meant.code_end, max_retype=max_retype,
                                 fence_info=meant.fence_info)

    def _reply(self, request: Request, blocks: list[Block], stop: str, output: int) -> Reply:
        total = estimate_input_tokens(request)
        system = request.get("system")
        cached = _cached_prefix(system)
        write = read = 0
        if cached:
            # The system prompt is marked for caching: written once, read afterwards.
            tokens = min(total, count_tokens(cached))
            if cached in self._cached_prefixes:
                read = tokens
            else:
                self._cached_prefixes.add(cached)
                write = tokens
        return Reply(content=blocks, stop_reason=stop, input_tokens=total - write - read,
                     output_tokens=max(1, output), cache_creation_input_tokens=write,
                     cache_read_input_tokens=read)


def _compose(path: str, code: str, rng: random.Random, wrapping: Wrapping) -> MeantAnswer:
    fenced = rng.random() < wrapping.fenced
    lead = ""
    if rng.random() < wrapping.prose_before:
        lead = rng.choice(LEAD_PROSE).replace("{path}", path) + "\n\n"
    info = "python" if path.endswith((".py", ".pyi")) else ""
    tail = ""
    if fenced:
        lead += f"```{info}\n"
        if not code.endswith("\n"):
            code += "\n"  # the closing fence goes on a line of its own
        tail = "```"
    if rng.random() < wrapping.prose_after:
        gap = "\n\n" if fenced or not code.endswith("\n") else "\n"
        tail += gap + rng.choice(TAIL_PROSE).replace("{path}", path)
    return MeantAnswer(lead + code + tail, len(lead), len(lead) + len(code), fenced, info)


def _texts(message: Mapping[str, Any]) -> str:
    """The text of a message: its string content, or its text blocks joined."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content or () if b.get("type") == "text")


def _thinking_enabled(request: Request) -> bool:
    thinking = request.get("thinking")
    return isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "adaptive")


def _bad_signature(messages: list[dict[str, Any]]) -> str | None:
    """The API's complaint about a thinking block changed on its way back, if any."""
    for i, message in enumerate(messages):
        content = message.get("content")
        if message.get("role") != "assistant" or isinstance(content, str):
            continue
        for j, block in enumerate(content or ()):
            if block.get("type") == "thinking" and block.get("signature") != signature_for(
                block.get("thinking", "")
            ):
                return f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
    return None


def _cut_thought(thought: str, budget: int) -> str:
    """A train of thought longer than `budget` tokens, cut after `budget` of them."""
    long = thought
    while count_tokens(long) <= budget:
        long += " " + thought
    return long[: take_tokens(long, budget)]


def _cached_prefix(system: Any) -> str:
    """The system text up to its last cache_control breakpoint ("" when none)."""
    if not isinstance(system, list):
        return ""
    text = ""
    cached = ""
    for block in system:
        text += block.get("text", "")
        if block.get("cache_control"):
            cached = text
    return cached


def _chars_of_last_tokens(text: str, end: int, tokens: int) -> int:
    """Roughly how many characters the last `tokens` tokens before `end` span."""
    window = text[max(0, end - 8 * max(tokens, 1)) : end]
    starts = [m.start() for m in TOKEN.finditer(window)]
    if tokens <= 0 or not starts:
        return 0
    if len(starts) <= tokens:
        return len(window)
    return len(window) - starts[-tokens]
