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
usage.output_tokens is the tokens emitted; the request's estimated input tokens are
billed by a `PromptCache` (`cache.py`): the prefix up to each `cache_control`
breakpoint is written the first time (when it holds at least `min_cache_tokens`, the
model's minimum; reported as 1-hour or 5-minute by the breakpoint's ttl) and read by
every later request that begins with it.

Continuations, read from the request:
- the conversation ends with an assistant message (prefill): if `prefill_accepted` is
  False, a 400 invalid_request_error (`replies.PREFILL_REFUSED`); else the answer goes
  on exactly after the text of the conversation's assistant text blocks. Clients strip
  trailing whitespace from a prefill, so the position comes from that text, which must
  be a prefix of the meant answer (or an answer this author gave).
- it ends with an assistant message after a user turn that follows assistant text, and
  that message begins with the last line of the assistant turn before it (rstripped):
  a new turn prefilled with the line the cut one stopped in (codegen's line prefill).
  The answer goes on from the end of that line, as a prefill of the whole text so far,
  the line read once (`_document`); what the message holds past the line (a finish cut
  inside the last turn) must go on from there in the meant answer. A final message
  that does not begin with that line is read as above (the text of every assistant
  message joined), and is refused when that text is no prefix either.
- it ends with a user message after an assistant turn: the answer continues from where
  the conversation's assistant text left off, opening with a seam (`seams.py`) drawn
  from `Seams.kinds` with a random.Random seeded from the seed, the path, the position
  and the conversation's length, so a run is repeatable whatever the order of requests.
  `continuations` records (path, seam kind) for each. Two exceptions:
  - the user turn quotes the end of the file after `FILE_SO_FAR` (codegen's
    CONTINUE_QUOTED, on every continuation): the quoted text (its last line may be
    partial) is found in the meant answer, the occurrence ending nearest to, and not
    after, the furthest point reached (without its first lines if it is not there
    whole; a 500 when its last line is nowhere), and the answer goes on from just after
    it with the usual seams, never lost (a quote of an end that a wrong join left in
    the repeated text puts it there, as lost as a real model). After `STALLED` (the
    last answer only repeated itself) never ``block_restart``. `quoted` records (path,
    lines quoted, lines found);
  - lost (`Seams.lost`, a probability): after an answer that was wholly a repeat
    (it stopped at index e before the furthest point), a plain "continue" goes on from
    e, the rest of that line or the line retyped (`seams.LOST_KINDS`), typing again
    what earlier answers wrote; `lost` records (path, e, the furthest point).
  After a ``skip_ahead`` the position is past the skipped text, which no later seam
  types again in that conversation; `skips` records (path, the definition left
  unfinished, the one started). A repair by name gets the unfinished one whole.
Assistant text this author wrote is recognised by its full text, so positions survive
seams; text it did not write must be a prefix of the meant answer.

Thinking. When the request enables thinking ("enabled" or "adaptive"), the first
answer opens with a thinking block (signature `wire.signature_for`), optionally
followed by a redacted_thinking block; with `Thinking.cut_while_thinking` that first
answer is only a thinking block cut at max_tokens. Thinking blocks sent back with a
signature that does not match are refused (400), as the API does.

Continuations assume max_tokens of at least ~64: text typed again by a seam is kept
within half the budget so that each continuation makes progress.

Repairs. A first user message that asks "Write the complete definition of `X`" (as
`codegen.prompts.definition_prompt` does) opens a conversation of its own: the meant
answer is `X`'s definition taken from the ORIGINAL target, in a shape drawn from the
seed, the path and the name (`definitions.py`, `DefinitionStyle`), or a sentence
saying it cannot find `X` when the target does not define it once. One that asks for
"the corrected top-level statement that begins at line N" (`statement_prompt`) gets
the original statement(s) the broken one quoted stands for (`statements.py`), at
column 0, or a sentence saying it cannot tell which. Such an answer is cut and
continued like a file's: every meant answer is keyed by (path, purpose), the purpose
being "file", ("definition", name) or ("statement", the broken statement). `repairs`
records (path, "definition", name) or (path, "statement", its first line) for each
first request, and `shapes` the shape of each definition answered.

Laziness (`laziness.py`, off unless `laziness=Laziness(...)`). The file's meant answer
holds the lazy text: some long bodies replaced by placeholders (`placeholders` records
their names). With an early end the first pass answers `early_answer(path)` instead:
the same opening, the lazy code up to a boundary, a blank line, a remark ("The
remaining methods follow the same pattern."), the closing fence, maybe a sentence, and
end_turn (`early_end` records the first line left out). That first pass is cut and
continued like any answer until it reaches its end. After it, a *finish* goes on from
the boundary with the rest of the lazy text and the normal ending, and is recorded in
`repairs` as (path, "finish", ""):
- by user turn: the conversation sends back the assistant turns unchanged, remark
  included; the answer continues from the boundary, opening with a seam as usual;
- by prefill: the assistant text is the meant answer up to the boundary: the first
  pass without its remark and closing fence, rstripped as clients must. While the
  first pass has not ended, a prefill continues it if the author wrote that text or it
  stops short of the boundary; any other prefix of the meant answer is a finish. A
  prefill that holds the remark is no prefix of the file: the author raises
  (LookupError, a 500 to the client, kept in the double's `failures`).
A new conversation for the file (a first request) starts the first pass again.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from . import replies
from .cache import PromptCache
from .definitions import DefinitionShape, DefinitionStyle, shaped_definition
from .laziness import Laziness, LazyText, make_lazy
from .phrases import DEFINITION_REQUEST, FILE_SO_FAR, REPAIR_OPENING, STALLED, STATEMENT_REQUEST
from .seams import (
    LOST_KINDS,
    SEAM_KINDS,
    TOUGH_FENCE_INFOS,
    TOUGH_KINDS,
    Continuation,
    SeamKind,
    applicable_kinds,
    definition_starting_at,
    enclosing_definition,
    plan_continuation,
)
from .statements import meant_statements
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
# After a first pass that stopped early (the code ends with a remark to the same effect).
EARLY_TAIL_PROSE = (
    "The rest of the module follows the same pattern as the code above.",
    "I've written out the main structure; the remaining parts are similar.",
    "Let me know if you would like the remaining parts written out in full.",
)
DEFINITION_LEAD_PROSE = (
    "Here is the complete definition of `{name}`:",
    "Here's `{name}` written out in full:",
    "Sure. The complete {kind} `{name}`, every line of it:",
    "Certainly! Below is the full implementation of `{name}`.",
)
DEFINITION_TAIL_PROSE = (
    "This is the complete `{name}`; nothing else in the file needs to change.",
    "Every line of `{name}` is now written out.",
    "Let me know if anything else needs fixing.",
)
NOT_FOUND = (
    "I cannot find `{name}` in `{path}`: the file does not define it, so there is no definition to write out."
)
STATEMENT_LEAD_PROSE = (
    "Here is the corrected statement:",
    "Here's the statement, complete and valid:",
    "Sure. The corrected code:",
)
STATEMENT_TAIL_PROSE = (
    "The statement is now complete and parses.",
    "Let me know if anything else needs fixing.",
)
NO_STATEMENT = "I cannot tell which part of `{path}` this statement was meant to be, so I cannot correct it."

# What codegen's repairs ask, and what it says on a user-turn continuation: FILE_SO_FAR,
# then the exact end of the file so far in a fenced block (`codegen.prompts`, imported
# by `phrases.py`). The author finds the quoted text in its meant answer and goes on
# from exactly after it, and after STALLED (the last answer only repeated itself) never
# starts a block over.

DEFINITION_STYLE = DefinitionStyle()

FILE = "file"
# What a conversation is for: the file itself, one of its definitions, or a statement.
Purpose = str | tuple[str, str]  # FILE, ("definition", qualified name), ("statement", text)
# Where a conversation about a file is: in a first pass that will end early, at the end
# of it (the next request finishes the file), or writing the meant answer.
Stage = Literal["first", "ended", "rest"]


@dataclass(frozen=True)
class Seams:
    """Which seams user-turn continuations open with, and the seed that picks them.

    `fence_infos`: the info strings a new ``fence`` opens with in a Python file (None:
    ``python`` alone). `lost`: the chance that, after an answer that was wholly a
    repeat (a ``block_restart`` cut before it got back to the cut), a plain "continue"
    finds the model's place by its last message: it goes on from where that answer
    stopped (True: always). The default is the mix the stitcher has always handled;
    `Seams.tough(seed)` turns on everything measured on real models.
    """

    kinds: tuple[SeamKind, ...] = SEAM_KINDS
    seed: int = 0
    fence_infos: tuple[str, ...] | None = None
    lost: float = 0.0

    @classmethod
    def tough(cls, seed: int = 0) -> Seams:
        """Every seam kind (``block_restart``, ``skip_ahead`` too), fences with info
        ``python``, ``python3`` or none, and a model always lost after a repeat."""
        return cls(TOUGH_KINDS, seed, TOUGH_FENCE_INFOS, 1.0)


@dataclass(frozen=True)
class Wrapping:
    """How often the meant answer has prose before the code, a fence, prose after it."""

    prose_before: float = 0.5
    fenced: float = 0.9
    prose_after: float = 0.5


@dataclass(frozen=True)
class Thinking:
    """What the first answer thinks, when the request enables thinking."""

    text: str = (
        "The user wants the complete file `{path}`. I will write every function "
        "in full, in one code block, and keep going if I am cut off."
    )
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
    stage: Stage = "rest"  # "first": indices into the early answer, else the meant one
    # Where the last answer's text stopped in the meant answer, when that is short of
    # `full` (it was wholly a repeat); None: at `full`.
    last: int | None = None
    floor: int = 0  # after a skip_ahead: no seam resumes before this (the skip target)


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
        laziness: Laziness | None = None,
        definitions: DefinitionStyle = DEFINITION_STYLE,
        min_cache_tokens: int = 0,
    ) -> None:
        if not targets:
            raise ValueError("ModuleAuthor needs at least one target")
        self.targets = dict(targets)
        self.prefill_accepted = prefill_accepted
        self.seams = seams
        self.wrapping = wrapping
        self.thinking = thinking
        self.laziness = laziness
        self.definitions = definitions
        self.continuations: list[tuple[str, SeamKind]] = []
        # (path, "definition", name), (path, "statement", its first line) or
        # (path, "finish", "") for each repair served.
        self.repairs: list[tuple[str, str, str]] = []
        self.shapes: dict[tuple[str, str], DefinitionShape] = {}  # (path, name) -> shape
        self.placeholders: dict[str, list[str]] = {}  # path -> names with placeholder bodies
        self.early_end: dict[str, int] = {}  # path -> first line of lazy code left out
        # (path, where the lost answer went on from, the true cut) for each lost answer.
        self.lost: list[tuple[str, int, int]] = []
        # (path, lines quoted, lines found) for each quote read: fewer lines
        # found than quoted means the file's end was not as the author wrote it.
        self.quoted: list[tuple[str, int, int]] = []
        # (path, definition left unfinished, definition started) for each skip_ahead
        # that skipped.
        self.skips: list[tuple[str, str, str]] = []
        self._meant: dict[tuple[str, Purpose], MeantAnswer] = {}
        self._lazy: dict[str, LazyText | None] = {}
        self._early: dict[str, MeantAnswer | None] = {}
        self._ended_early: set[str] = set()  # paths whose first pass has reached its end
        # (path, purpose, assistant text so far without trailing whitespace) -> position.
        self._positions: dict[tuple[str, Purpose, str], _Position] = {}
        self.cache = PromptCache(min_cache_tokens)

    def meant(self, path: str, purpose: Purpose = FILE) -> MeantAnswer:
        """The answer the author means to give for `path`'s file (with laziness, the
        lazy text to its end) or one of its definitions; the same on every call."""
        key = (path, purpose)
        if key not in self._meant:
            if purpose == FILE:
                rng = random.Random(f"{self.seams.seed}|{path}|wrapping")
                lazy = self.lazy(path)
                code = lazy.code if lazy is not None else self.targets[path]
                self._meant[key] = _compose(
                    code, rng, self.wrapping, _fence_info(path), LEAD_PROSE, TAIL_PROSE, {"path": path}
                )
            elif purpose[0] == "definition":
                self._meant[key] = self._definition_answer(path, purpose[1])
            else:
                self._meant[key] = self._statement_answer(path, purpose[1])
        return self._meant[key]

    def lazy(self, path: str) -> LazyText | None:
        """What the lazy author writes for `path`; None without laziness or Python."""
        if path not in self._lazy:
            lazy = None
            if self.laziness is not None and path.endswith(".py"):
                lazy = make_lazy(self.targets[path], path, self.laziness)
            self._lazy[path] = lazy
            if lazy is not None:
                self.placeholders[path] = list(lazy.placeholders)
                if lazy.early_end is not None:
                    self.early_end[path] = lazy.early_end.line
        return self._lazy[path]

    def early_answer(self, path: str) -> MeantAnswer | None:
        """The first pass's answer when it ends early: the meant answer's opening, the
        lazy code up to the boundary, the remark, the closing fence, maybe a sentence."""
        if path not in self._early:
            lazy = self.lazy(path)
            early = None
            if lazy is not None and lazy.early_end is not None:
                meant = self.meant(path)
                code = lazy.early_end.first_pass(lazy.code)
                rng = random.Random(f"{self.seams.seed}|{path}|early")
                tail = "```" if meant.fenced else ""
                if rng.random() < self.wrapping.prose_after:
                    tail += _gap(code, meant.fenced) + rng.choice(EARLY_TAIL_PROSE)
                opening = meant.text[: meant.code_start]
                early = MeantAnswer(
                    opening + code + tail,
                    meant.code_start,
                    meant.code_start + len(code),
                    meant.fenced,
                    meant.fence_info,
                )
            self._early[path] = early
        return self._early[path]

    def __call__(self, request: Request) -> Reply | ErrorReply:
        messages: list[dict[str, Any]] = request["messages"]
        path, purpose = self._target(messages)
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
            if isinstance(purpose, tuple):
                kind, about = purpose
                named = about if kind == "definition" else about.strip().split("\n", 1)[0]
                self.repairs.append((path, kind, named))
            else:
                self._ended_early.discard(path)  # a new conversation: a new first pass
            stage: Stage = "first" if self._early_of(path, purpose) is not None else "rest"
            meant = self._answer_at(path, purpose, stage)
            start, seam, resume = 0, "", 0
            floor, last = 0, None
        else:
            resumed = _resumed_line(messages)
            if resumed is not None:
                key, doc = resumed
                position, finish = self._position(path, purpose, key, True, doc=doc)
            else:
                position, finish = self._position(path, purpose, sent_back, prefill)
            if finish:
                self.repairs.append((path, "finish", ""))
            stage = position.stage
            meant = self._answer_at(path, purpose, stage)
            floor, last = position.floor, position.last
            if prefill:
                start, seam, resume = position.prefill, "", position.prefill
            else:
                start = position.full
                plan, start = self._continue(path, purpose, meant, position, finish, room, messages)
                floor = min(floor, start)
                seam, resume = plan.seam, plan.resume
                self.continuations.append((path, plan.kind))
        text = seam + meant.text[resume:]
        end = take_tokens(text, room)
        answer = text[:end]
        # Typing that only repeats what was written, or only prose, gets no further.
        stopped = resume + end - len(seam)
        reached = start if end <= len(seam) else max(start, stopped)
        if end > len(seam):
            last = stopped if stopped < reached else None
            if not first and not prefill and resume > start:
                floor = resume  # skipped: what lies before is never typed again
                self._record_skip(path, purpose, meant, start, resume)
        after = sent_back + answer
        if stage == "first" and end == len(text):
            # The first pass is over: what comes next finishes the file from the boundary.
            self._ended_early.add(path)
            point = self._boundary(path)
            self._remember(path, purpose, after, _Position(point, point, "ended", floor=min(floor, point)))
        else:
            trailing = len(after) - len(after.rstrip())
            self._remember(
                path, purpose, after, _Position(reached, max(0, reached - trailing), stage, last, floor)
            )
        if answer:
            blocks.append({"type": "text", "text": answer})
        stop = "end_turn" if end == len(text) else "max_tokens"
        return self._reply(request, blocks, stop, used + count_tokens(answer))

    # -- reading the request ---------------------------------------------------

    def _target(self, messages: list[dict[str, Any]]) -> tuple[str, Purpose]:
        prompt = _texts(messages[0])
        found = [(prompt.find(f"`{path}`"), path) for path in self.targets]
        found = [(at, path) for at, path in found if at >= 0]
        if not found:
            raise LookupError(
                "none of the target paths appears in backticks in the first user message: "
                + ", ".join(sorted(self.targets))
            )
        path = min(found)[1]
        definition = DEFINITION_REQUEST.search(prompt)
        if definition:
            return path, ("definition", definition.group(1))
        statement = STATEMENT_REQUEST.search(prompt)
        if statement:
            return path, ("statement", statement.group(1))
        if prompt.startswith(REPAIR_OPENING):
            raise LookupError(
                f'a repair of `{path}` that asks for neither a definition ("Write the '
                'complete definition of `X`") nor a statement ("Write the corrected '
                'top-level statement"): this author cannot tell what to write'
            )
        return path, FILE

    def _position(
        self, path: str, purpose: Purpose, sent_back: str, prefill: bool, doc: str | None = None
    ) -> tuple[_Position, bool]:
        """Where the conversation has got to, and whether this request finishes a file
        whose first pass ended early. `sent_back` is the assistant text as the author
        remembers it; `doc`, when it differs, the same as a model reads it (turns that
        resume a line joined without the line twice)."""
        known = self._positions.get((path, purpose, sent_back.rstrip()))
        if doc is not None:
            sent_back = doc
        stripped = sent_back.rstrip()
        early = self._early_of(path, purpose)
        meant = self.meant(path, purpose)
        probe = stripped if prefill else sent_back
        if early is None:
            if known is not None:
                return known, False
            if meant.text.startswith(probe):
                return _Position(len(probe), len(stripped)), False
            raise self._unknown(path, sent_back)
        point = self._boundary(path)
        if known is not None and known.stage == "ended":
            if prefill:
                raise LookupError(
                    f"a prefill that finishes `{path}` holds the remark that ended its first "
                    "pass; send the answer up to the boundary, without the remark and fence"
                )
            return _Position(point, point, "rest", floor=known.floor), True
        if known is not None and known.stage == "rest":
            return known, False
        if prefill:
            # The text up to the boundary is the same in the first pass and the file; a
            # cut just before the boundary leaves the same prefill as a finish does.
            short = len(stripped) < len(early.text[:point].rstrip())
            if path not in self._ended_early and early.text.startswith(probe):
                if known is not None:
                    return known, False
                if short:
                    return _Position(len(probe), len(stripped), "first"), False
            if meant.text.startswith(probe):
                return _Position(len(probe), len(stripped), "rest"), True
            raise self._unknown(path, sent_back)
        if known is not None:
            return known, False
        if early.text.startswith(probe):
            return _Position(len(probe), len(stripped), "first"), False
        if meant.text.startswith(probe):
            return _Position(len(probe), len(stripped), "rest"), True
        raise self._unknown(path, sent_back)

    @staticmethod
    def _unknown(path: str, sent_back: str) -> LookupError:
        return LookupError(
            f"the assistant text sent back for `{path}` is neither an answer of this author "
            f"nor a prefix of the file; it ends with {sent_back[-80:]!r}"
        )

    def _remember(self, path: str, purpose: Purpose, sent_back: str, position: _Position) -> None:
        stripped = sent_back.rstrip()
        if stripped:
            self._positions[(path, purpose, stripped)] = position

    # -- writing -----------------------------------------------------------------

    def _early_of(self, path: str, purpose: Purpose) -> MeantAnswer | None:
        return self.early_answer(path) if purpose == FILE else None

    def _answer_at(self, path: str, purpose: Purpose, stage: Stage) -> MeantAnswer:
        early = self._early_of(path, purpose)
        return early if stage == "first" and early is not None else self.meant(path, purpose)

    def _boundary(self, path: str) -> int:
        """Where in the meant answer the first pass stopped: the boundary's index."""
        lazy = self.lazy(path)
        assert lazy is not None and lazy.early_end is not None
        return self.meant(path).code_start + lazy.early_end.offset

    def _definition_answer(self, path: str, name: str) -> MeantAnswer:
        rng = random.Random(f"{self.seams.seed}|{path}|{name}|definition")
        shaped = shaped_definition(self.targets[path], name, rng, self.definitions)
        if shaped is None:
            text = _fill(NOT_FOUND, {"name": name, "path": path})
            return MeantAnswer(text, len(text), len(text), False, "")
        self.shapes[(path, name)] = shaped.shape
        style = self.definitions
        wrapping = Wrapping(style.prose_before, style.fenced, style.prose_after)
        return _compose(
            shaped.code,
            rng,
            wrapping,
            _fence_info(path),
            DEFINITION_LEAD_PROSE,
            DEFINITION_TAIL_PROSE,
            {"name": name, "kind": shaped.kind, "path": path},
        )

    def _statement_answer(self, path: str, broken: str) -> MeantAnswer:
        code = meant_statements(self.targets[path], broken)
        if code is None:
            text = _fill(NO_STATEMENT, {"path": path})
            return MeantAnswer(text, len(text), len(text), False, "")
        rng = random.Random(f"{self.seams.seed}|{path}|{broken}|statement")
        style = self.definitions
        wrapping = Wrapping(style.prose_before, style.fenced, style.prose_after)
        return _compose(
            code, rng, wrapping, _fence_info(path), STATEMENT_LEAD_PROSE, STATEMENT_TAIL_PROSE, {"path": path}
        )

    def _continue(
        self,
        path: str,
        purpose: Purpose,
        meant: MeantAnswer,
        position: _Position,
        finish: bool,
        room: int,
        messages: list[dict[str, Any]],
    ) -> tuple[Continuation, int]:
        """How a user-turn continuation begins, and where the file is taken to end: after
        a quote of the file's end, from just after it (the end it quotes: a finish may
        quote an earlier end than the author got to); lost after an answer that was
        wholly a repeat, from where that answer stopped; else from the true cut."""
        tail = None if finish else _quoted_tail(messages[-1])
        kinds = self.seams.kinds
        if tail is not None:
            cut = self._locate(path, meant, tail, position.full)
            if STALLED in _texts(messages[-1]):
                kinds = tuple(k for k in kinds if k != "block_restart")
            # A quote before text it skipped (a finish from an unfinished definition)
            # asks for that text: it may be written now.
            return self._plan(
                path, purpose, meant, cut, room, len(messages), kinds, min(position.floor, cut)
            ), cut
        if position.last is not None and position.floor <= position.last < position.full:
            about = path if purpose == FILE else f"{path}|{purpose[1]}"
            rng = random.Random(f"{self.seams.seed}|{about}|{position.last}|{len(messages)}|lost")
            if rng.random() < self.seams.lost:
                self.lost.append((path, position.last, position.full))
                kinds = tuple(k for k in LOST_KINDS if k in kinds) or ("none",)
                return self._plan(
                    path, purpose, meant, position.last, room, len(messages), kinds, position.floor
                ), position.full
        return self._plan(
            path, purpose, meant, position.full, room, len(messages), kinds, position.floor
        ), position.full

    def _locate(self, path: str, meant: MeantAnswer, tail: str, reached: int) -> int:
        """Just after the quoted end of the file in the meant answer: the occurrence
        that ends nearest to, and not after, `reached`. A quote that is not there whole
        is looked for without its first lines, as a model would find its place by the
        last ones; one whose last line is nowhere is an error."""
        lines = tail.split("\n")
        for dropped in range(len(lines)):
            quote = "\n".join(lines[dropped:])
            if dropped and not quote.strip():
                break
            at = meant.text.rfind(quote, 0, reached)
            if at >= 0:
                self.quoted.append((path, len(lines), len(lines) - dropped))
                return at + len(quote)
        raise LookupError(
            f"the end of the file quoted for `{path}` is nowhere in the answer this author "
            f"means to give (up to where it got); it ends with {tail[-80:]!r}"
        )

    def _record_skip(self, path: str, purpose: Purpose, meant: MeantAnswer, cut: int, resume: int) -> None:
        region = {"code_start": meant.code_start, "code_end": meant.code_end}
        left = enclosing_definition(meant.text, cut, **region) or ""
        started = definition_starting_at(meant.text, resume, **region) or ""
        self.skips.append((path, left, started))

    def _plan(
        self,
        path: str,
        purpose: Purpose,
        meant: MeantAnswer,
        cut: int,
        room: int,
        turn: int,
        kinds: tuple[SeamKind, ...],
        floor: int,
    ) -> Continuation:
        about = path if purpose == FILE else f"{path}|{purpose[1]}"
        rng = random.Random(f"{self.seams.seed}|{about}|{cut}|{turn}")
        max_retype = _chars_of_last_tokens(meant.text, cut, room // 2)
        applicable = applicable_kinds(
            meant.text,
            cut,
            code_start=meant.code_start,
            code_end=meant.code_end,
            fence=meant.fenced,
            max_retype=max_retype,
            floor=floor,
        )
        options = [k for k in applicable if k in kinds] or ["none"]
        kind: SeamKind = rng.choice(options)
        return plan_continuation(
            meant.text,
            cut,
            kind,
            rng,
            code_start=meant.code_start,
            code_end=meant.code_end,
            max_retype=max_retype,
            fence_info=meant.fence_info,
            fence_infos=self.seams.fence_infos,
            floor=floor,
        )

    def _reply(self, request: Request, blocks: list[Block], stop: str, output: int) -> Reply:
        billed = self.cache.bill(request, estimate_input_tokens(request))
        return Reply(
            content=blocks,
            stop_reason=stop,
            input_tokens=billed.input_tokens,
            output_tokens=max(1, output),
            cache_creation_input_tokens=billed.cache_creation_input_tokens,
            cache_read_input_tokens=billed.cache_read_input_tokens,
            cache_creation_1h_input_tokens=billed.cache_creation_1h_input_tokens,
        )


def _compose(
    code: str,
    rng: random.Random,
    wrapping: Wrapping,
    info: str,
    lead_prose: tuple[str, ...],
    tail_prose: tuple[str, ...],
    names: Mapping[str, str],
) -> MeantAnswer:
    """Code with its opening and ending drawn from `rng`: prose, fence, prose."""
    fenced = rng.random() < wrapping.fenced
    lead = ""
    if rng.random() < wrapping.prose_before:
        lead = _fill(rng.choice(lead_prose), names) + "\n\n"
    tail = ""
    if fenced:
        lead += f"```{info}\n"
        if not code.endswith("\n"):
            code += "\n"  # the closing fence goes on a line of its own
        tail = "```"
    if rng.random() < wrapping.prose_after:
        tail += _gap(code, fenced) + _fill(rng.choice(tail_prose), names)
    return MeantAnswer(lead + code + tail, len(lead), len(lead) + len(code), fenced, info)


def _gap(code: str, fenced: bool) -> str:
    """What separates a sentence after the answer from the code or fence before it."""
    return "\n\n" if fenced or not code.endswith("\n") else "\n"


def _fill(template: str, names: Mapping[str, str]) -> str:
    for key, value in names.items():
        template = template.replace("{" + key + "}", value)
    return template


def _fence_info(path: str) -> str:
    return "python" if path.endswith((".py", ".pyi")) else ""


def _texts(message: Mapping[str, Any]) -> str:
    """The text of a message: its string content, or its text blocks joined."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content or () if b.get("type") == "text")


def _quoted_tail(message: Mapping[str, Any]) -> str | None:
    """The end of the file a user turn quotes after `FILE_SO_FAR`: the text of the
    fenced block that follows the phrase, up to its closing fence (the block's last
    fence line). None when the turn does not say it."""
    if message.get("role") != "user":
        return None
    text = _texts(message)
    at = text.find(FILE_SO_FAR)
    if at < 0:
        return None
    opening = re.compile(r"[ \t]*\n+(`{3,})[^`\n]*\n").match(text, at + len(FILE_SO_FAR))
    if opening is None:
        raise LookupError(f"no fenced block after {FILE_SO_FAR!r}")
    fence = opening.group(1)
    closings = list(re.finditer(r"(?m)^" + fence + r"[ \t]*$", text[opening.end() - 1 :]))
    closings = [m for m in closings if m.start() > 0]
    if not closings:
        raise LookupError(f"the block after {FILE_SO_FAR!r} is never closed")
    close = opening.end() - 1 + closings[-1].start()
    return text[opening.end() : close - 1] if close - 1 >= opening.end() else ""


def _resumed_line(messages: list[dict[str, Any]]) -> tuple[str, str] | None:
    """For a final assistant message after a user turn that begins with the last line
    of the assistant turn before (codegen's line prefill): the assistant text as the
    author remembers it and as a model reads it (the line once). None for any other
    request, read as a whole-turn prefill or a user turn."""
    if len(messages) < 3 or messages[-1]["role"] != "assistant" or messages[-2]["role"] != "user":
        return None
    earlier = [m for m in messages[1:-1] if m["role"] == "assistant"]
    if not earlier or not "".join(_texts(m) for m in earlier).strip():
        return None
    previous = _texts(earlier[-1]).rstrip()
    line = previous[previous.rfind("\n") + 1 :]
    written = _texts(messages[-1])
    if not line or not written.startswith(line):
        return None
    rest = written[len(line) :]
    remembered = "".join(_texts(m) for m in earlier).rstrip() + rest
    return remembered, _document(messages[1:-1]).rstrip() + rest


def _document(messages: list[dict[str, Any]]) -> str:
    """The assistant text of a conversation as a model reads it: a turn after a user
    turn that begins with the last line of the turn before resumes that line, so the
    line is read once."""
    text = ""
    previous: str | None = None
    after_user = False
    for message in messages:
        if message["role"] != "assistant":
            after_user = True
            continue
        turn = _texts(message)
        last = (previous or "").rstrip()
        line = last[last.rfind("\n") + 1 :]
        if previous is not None and after_user and line and turn.startswith(line):
            text = text.rstrip() + turn[len(line) :]
        else:
            text += turn
        previous, after_user = turn, False
    return text


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


def _chars_of_last_tokens(text: str, end: int, tokens: int) -> int:
    """Roughly how many characters the last `tokens` tokens before `end` span."""
    window = text[max(0, end - 8 * max(tokens, 1)) : end]
    starts = [m.start() for m in TOKEN.finditer(window)]
    if tokens <= 0 or not starts:
        return 0
    if len(starts) <= tokens:
        return len(window)
    return len(window) - starts[-tokens]
