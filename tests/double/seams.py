"""What a model adds at the start of a user-turn continuation: seams, as pure functions.

When an answer is cut at max_tokens and the client asks, in a new user turn, to
continue, models do not always resume at the exact next character. This module
generates the realistic variations, so the same generator drives the Messages API
double (`ModuleAuthor`) and property tests of the stitcher.

Vocabulary. The *meant* text is the whole answer the model means to give (possibly
prose, an opening fence, the code, a closing fence, prose). A *cut* is an index into it:
everything before it has been written. A continuation is described by a
`Continuation(kind, seam, resume)`: its text is `seam + meant[resume:]` (then cut again
by the caller wherever the next answer stops). `seam` is only prose and fences, never
code. For every kind but ``skip_ahead``, `resume <= cut`: whatever is typed again is
byte-for-byte what was already written. So no seam ever changes the code the model
means; it only adds repeats, prose and fences, which is exactly what the stitcher has
to undo. ``skip_ahead`` is the one kind that loses code: `resume > cut`, and
`meant[cut:resume]` is never written.

The seam kinds of the default mix (`SEAM_KINDS`), for a cut inside the code:

- ``none``: the exact continuation, from the next character (what prefill gives).
- ``prose``: one line of prose ("Continuing from where I left off:"), a blank line,
  then the code. A cut in the middle of a line retypes that line from its start (after
  a sentence a model starts a fresh line); a cut at a line boundary goes on exactly.
- ``fence``: a new opening fence (```` ```python ````; with `fence_infos`, also
  ```` ```python3 ```` or a bare ```` ``` ````), sometimes preceded by a prose line
  and a blank line, then the code, with the current line retyped from its start as for
  ``prose``. The old fence was never closed; the continuation closes its own.
- ``repeat``: the last k >= 1 complete lines before the cut typed again, then the
  partial current line in full, then on. At least one repeated complete line has
  non-blank content (k grows past blank lines until one does).
- ``retype``: the cut fell inside a line with content (often mid-identifier); the
  continuation types that whole line again, from its first character (indentation
  included), then goes on.
- ``restart``: the continuation starts over from the first line of a statement that
  contains the cut: either the innermost enclosing ``def``/``class`` (from its first
  decorator) or the innermost statement of any kind (a multi-line call, a docstring,
  an ``if`` block). Found with `ast` on the meant code, so only for Python.

The tough kinds (`TOUGH_KINDS` adds them; measured on real models, not in the default
mix), also Python only:

- ``block_restart``: the continuation starts over from the first line (first
  decorator) of an enclosing ``def`` or ``class`` of any length: the method, or the
  whole top-level class of several hundred lines. It is NOT bounded by `max_retype`,
  so the answer may be cut again before it gets back to the cut: the whole answer is
  then a repeat, and adds nothing. Opens with nothing, a prose line, or a new fence.
  Only where such a block starts before the cut's line.
- ``skip_ahead``: only for a cut inside the body of the innermost ``def``/``class``
  holding it (and an answer in a fence). The continuation opens a new fence
  (```` ```python ````, ```` ```python3 ```` or a bare ```` ``` ````, sometimes after
  a prose line) and, more often than not (`SKIP_TO_NEXT`), starts the NEXT definition:
  the first ``def``/``class`` that begins after the cut at the same or a shallower
  indentation than that innermost definition, provided that everything in between
  is the rest of that definition (so nothing else is lost). That definition is left
  unfinished (`enclosing_definition` names it); a client repairs it by name. Otherwise
  (or when there is no such next definition) it goes on like ``fence``, the cut line
  retyped.

Where nothing may be typed again. After a ``skip_ahead``, the skipped text was never
written, so no later seam may retype it: every planning function takes `floor`, the
index before which a seam must not resume (the conversation's last skip target).

Cuts outside the code:

- before the code starts (inside the prose or the opening fence line): ``none`` goes
  on exactly; ``restart`` starts the whole answer over from its first character.
- inside the closing fence line: ``none`` goes on exactly; ``retype`` types the fence
  line again.
- in the prose after the closing fence: only ``none``.

A kind that does not apply at a cut (`applicable_kinds`) is not planned:
`plan_continuation` raises ValueError, `continuation_text` and `seamed_chunks` fall
back to ``none``. Retyped text is bounded by `max_retype` characters (except for
``block_restart``) so that a continuation can always make progress within its token
budget.

Whole conversations (`seamed_chunks`). Besides the seams above, a conversation can
hold what follows an answer that was wholly a repeat (a ``block_restart`` cut before
the cut it restarted from, at index e):

- *lost* (`lost`, a probability): the model finds its place by its LAST message, not
  by the true cut: it goes on from e (``none``: the rest of that partial line; or the
  line retyped: ``retype``, ``prose``, ``fence``), repeating text written two or more
  answers ago, then goes past the true cut;
- otherwise, the client's quote of the end of the file (`codegen.prompts.
  CONTINUE_QUOTED`) puts it back at the true cut, where it goes on with the ordinary
  seams (no ``block_restart`` for that answer when the quote says the last answer
  only repeated itself), so it always adds something.
"""

from __future__ import annotations

import ast
import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from validators.parsing import parse

SeamKind = Literal["none", "prose", "fence", "repeat", "retype", "restart", "block_restart", "skip_ahead"]
# The default mix (`Seams()`, `seamed_chunks`): what the stitcher has always handled.
SEAM_KINDS: tuple[SeamKind, ...] = ("none", "prose", "fence", "repeat", "retype", "restart")
# The kinds measured on real models on top of those (`Seams.tough`).
NEW_KINDS: tuple[SeamKind, ...] = ("block_restart", "skip_ahead")
TOUGH_KINDS: tuple[SeamKind, ...] = SEAM_KINDS + NEW_KINDS
ALL_SEAM_KINDS = TOUGH_KINDS
# What a lost model opens with at the end of its last answer: the rest of that partial
# line, or the line retyped (no further repeat, no restart).
LOST_KINDS: tuple[SeamKind, ...] = ("none", "prose", "fence", "retype")

# Info strings a new fence opens with in a Python answer. The default ``fence`` kind
# uses the meant answer's own (``python``); `fence_infos` widens it (`Seams.tough`).
# ``skip_ahead`` always draws from all of them.
PYTHON_FENCE_INFOS: tuple[str, ...] = ("python", "python3", "")
TOUGH_FENCE_INFOS = PYTHON_FENCE_INFOS
# How often a ``skip_ahead`` that can skip does ("more often than not").
SKIP_TO_NEXT = 0.7

# Sentences models open a continuation with (one line, no code).
CONTINUATION_PROSE: tuple[str, ...] = (
    "Continuing from where I left off:",
    "Continuing exactly where the previous answer stopped:",
    "Here's the rest of the file:",
    "I'll continue from where I was cut off.",
    "Picking up where I left off:",
    "Continuing the code:",
    "(continued)",
)

DEFAULT_MAX_RETYPE = 2000

# How a chunk of a conversation was asked for (`SeamedChunk.after`): a plain "continue"
# after an answer that made progress, "lost" (a plain "continue" after an answer that
# was wholly a repeat, and the model went on from where that answer ended), or "quote"
# (after such an answer, the client quoted the end of the file: the true cut).
Asked = Literal["start", "continue", "lost", "quote"]


@dataclass(frozen=True)
class Continuation:
    """How one user-turn continuation begins: `seam`, then the meant text from `resume`."""

    kind: SeamKind
    seam: str  # prose and/or an opening fence; never code
    resume: int  # index into the meant text where typing resumes; <= the cut but for skip_ahead

    def text(self, meant: str, end: int | None = None) -> str:
        """The continuation's text, up to index `end` of the meant text (default: all)."""
        return self.seam + meant[self.resume : end]


@dataclass(frozen=True)
class SeamedChunk:
    """One answer's text, and how it began: `text == seam + meant[resume:end]`.

    `kind` is None for the first answer (whose `resume` is 0). Where `pos` is how far
    the answers before it got in the meant text (the largest `end` before it), what the
    stitcher must drop is `seam` and the first `min(pos, end) - resume` characters
    after it; when `end <= pos` the answer was wholly a repeat and adds nothing. For
    ``skip_ahead`` (`resume > pos`) nothing is typed again and `meant[pos:resume]` is
    never written. `after` says how the answer was asked for (see `Asked`).
    """

    text: str
    kind: SeamKind | None
    seam: str = ""
    resume: int = 0
    end: int | None = None  # where the answer stopped in the meant text
    after: Asked = "continue"


@dataclass(frozen=True)
class _Region:
    """Where the code sits inside the meant text."""

    code_start: int
    code_end: int

    @staticmethod
    def of(meant: str, code_start: int, code_end: int | None) -> _Region:
        end = len(meant) if code_end is None else code_end
        if not 0 <= code_start <= end <= len(meant):
            raise ValueError(f"bad code region {code_start}..{end} in a text of {len(meant)}")
        return _Region(code_start, end)


@dataclass(frozen=True)
class _Options:
    """What shapes a plan besides the kind and the cut."""

    max_retype: int = DEFAULT_MAX_RETYPE
    fence_info: str = "python"
    fence: bool = True  # the answer is fenced: a new fence may be opened
    fence_infos: tuple[str, ...] | None = None  # for ``fence``; None: (fence_info,)
    floor: int = 0  # no seam resumes before this index

    def fence_choices(self, kind: SeamKind) -> tuple[str, ...]:
        if self.fence_info != "python":
            return (self.fence_info,)
        if kind == "skip_ahead":
            return self.fence_infos or PYTHON_FENCE_INFOS
        return self.fence_infos or (self.fence_info,)


def cut_points(source: str, n: int, rng: random.Random) -> list[int]:
    """Up to `n` distinct cut indices strictly inside `source`, ascending.

    Any index may be chosen: mid-identifier, inside indentation, inside a string, at a
    line boundary; that is what max_tokens does to a real answer.
    """
    if len(source) < 2 or n <= 0:
        return []
    return sorted(rng.sample(range(1, len(source)), min(n, len(source) - 1)))


def applicable_kinds(
    meant: str,
    cut: int,
    *,
    code_start: int = 0,
    code_end: int | None = None,
    fence: bool = True,
    max_retype: int = DEFAULT_MAX_RETYPE,
    floor: int = 0,
) -> tuple[SeamKind, ...]:
    """The seam kinds that make sense at `cut` (always including ``none``), in the
    order of `ALL_SEAM_KINDS`.

    `fence=False` leaves out the ``fence`` and ``skip_ahead`` kinds (for an answer
    that has no fences, a model would not open one half-way). `floor`: no seam may
    resume before it (the text before was skipped, see the module docstring).
    """
    region = _Region.of(meant, code_start, code_end)
    options = _Options(max_retype, "python", fence, None, floor)
    return tuple(
        kind
        for kind in ALL_SEAM_KINDS
        if _plan(meant, cut, kind, random.Random(0), region, options) is not None
    )


def plan_continuation(
    meant: str,
    cut: int,
    kind: SeamKind,
    rng: random.Random,
    *,
    code_start: int = 0,
    code_end: int | None = None,
    max_retype: int = DEFAULT_MAX_RETYPE,
    fence_info: str = "python",
    fence_infos: Sequence[str] | None = None,
    floor: int = 0,
) -> Continuation:
    """The continuation of `meant[:cut]` that opens with a seam of `kind`.

    `fence_infos`: the info strings a new ``fence`` may open with in a Python answer
    (default: `fence_info` alone). Raises ValueError when `kind` does not apply at
    this cut (see `applicable_kinds`).
    """
    region = _Region.of(meant, code_start, code_end)
    options = _Options(max_retype, fence_info, True, _infos(fence_infos), floor)
    plan = _plan(meant, cut, kind, rng, region, options)
    if plan is None:
        raise ValueError(f"seam {kind!r} does not apply at index {cut}")
    return plan


def continuation_text(
    emitted_so_far: str,
    rest: str,
    kind: SeamKind,
    rng: random.Random,
    *,
    code_start: int = 0,
    max_retype: int = DEFAULT_MAX_RETYPE,
    fence_info: str = "python",
    fence_infos: Sequence[str] | None = None,
) -> str:
    """What a user-turn continuation says after `emitted_so_far`, meaning to write `rest`.

    Both are code unless `code_start` says where the code begins in `emitted_so_far`;
    `rest` is taken to be code to its end. Falls back to ``none`` when `kind` does not
    apply at this cut.
    """
    meant = emitted_so_far + rest
    cut = len(emitted_so_far)
    region = _Region.of(meant, code_start, None)
    options = _Options(max_retype, fence_info, True, _infos(fence_infos))
    plan = _plan(meant, cut, kind, rng, region, options)
    if plan is None:
        plan = Continuation("none", "", cut)
    return plan.text(meant)


def seamed_chunks(
    meant: str,
    cuts: Sequence[int],
    rng: random.Random,
    kinds: Sequence[SeamKind] = SEAM_KINDS,
    *,
    code_start: int = 0,
    code_end: int | None = None,
    max_retype: int = DEFAULT_MAX_RETYPE,
    fence_info: str = "python",
    fence_infos: Sequence[str] | None = None,
    lost: float = 0.0,
    max_answer: int | None = None,
) -> list[SeamedChunk]:
    """The answers a model gives when `meant` is cut at each of `cuts` (ascending) and
    every continuation is asked for in a user turn.

    The first chunk is `meant[:cuts[0]]`; each later one opens with a seam drawn with
    `rng` from `kinds` (among those that apply at its cut; ``none`` if none do) and
    runs to the next cut past where it resumes, the last one to the end of `meant`.

    `max_answer` (characters of the meant text): no answer holds more. A longer one
    stops short, and the next answer goes on towards the same cut; bounded seams then
    retype at most half of it, so only a ``block_restart`` can stop before it gets back
    to the cut: an answer wholly a repeat. After one, the next answer is *lost* with
    probability `lost` (it goes on from where that answer stopped, `after="lost"`),
    else it is back at the true cut (the client quoted the file's end, `after="quote"`)
    and opens with any seam but ``block_restart``. With neither a ``block_restart`` nor
    `max_answer`, the chunks are exactly one per cut, as they always were.

    `chunk.end` is where each chunk stops in `meant`; `positions(chunks)` says how far
    the answers before each one got.
    """
    region = _Region.of(meant, code_start, code_end)
    if any(b <= a for a, b in zip(cuts, cuts[1:], strict=False)) or any(not 0 < c < len(meant) for c in cuts):
        raise ValueError("cuts must be ascending indices strictly inside the text")
    if max_answer is not None and max_answer < 1:
        raise ValueError("max_answer must be at least 1")
    if not cuts:
        return [SeamedChunk(meant, None, end=len(meant), after="start")]
    bounded = max_retype if max_answer is None else min(max_retype, max_answer // 2)
    options = _Options(bounded, fence_info, True, _infos(fence_infos))
    targets = [*cuts[1:], len(meant)]
    chunks = [SeamedChunk(meant[: cuts[0]], None, end=cuts[0], after="start")]
    pos = last = cuts[0]  # how far the answers got; where the last one stopped
    floor = 0
    repeated = False  # the last answer was wholly a repeat
    limit = 8 * (len(cuts) + 1) + (0 if max_answer is None else 8 * len(meant) // max_answer)
    while pos < len(meant):
        if len(chunks) > limit:
            raise RuntimeError("seamed_chunks made no progress")  # a bug, never expected
        after: Asked = "continue"
        at, allowed = pos, tuple(kinds)
        if repeated:
            if rng.random() < lost:
                after, at = "lost", last
                allowed = tuple(k for k in LOST_KINDS if k in kinds) or ("none",)
            else:
                after, allowed = "quote", tuple(k for k in kinds if k != "block_restart")
        plan_options = _Options(options.max_retype, options.fence_info, True, options.fence_infos, floor)
        plans = [
            plan
            for kind in ALL_SEAM_KINDS
            if kind in allowed and (plan := _plan(meant, at, kind, rng, region, plan_options)) is not None
        ]
        plan = rng.choice(plans) if plans else Continuation("none", "", at)
        end = next(t for t in targets if t > max(pos, plan.resume))
        if max_answer is not None:
            end = min(end, plan.resume + max_answer)
        chunks.append(SeamedChunk(plan.text(meant, end), plan.kind, plan.seam, plan.resume, end, after))
        if plan.resume > pos:
            floor = plan.resume  # skipped: nothing before it is typed again
        repeated = end <= pos
        pos, last = max(pos, end), end
    return chunks


def positions(chunks: Sequence[SeamedChunk]) -> list[int]:
    """For each chunk, how far the answers before it got in the meant text (0 for the
    first): what is written when it begins."""
    out, pos = [], 0
    for chunk in chunks:
        out.append(pos)
        end = chunk.end if chunk.end is not None else chunk.resume + len(chunk.text) - len(chunk.seam)
        pos = max(pos, end)
    return out


def enclosing_definition(
    meant: str, index: int, *, code_start: int = 0, code_end: int | None = None
) -> str | None:
    """The qualified name (``Class.method``) of the innermost def/class holding
    `index` (a definition holds what comes after its first character, up to its end),
    or None."""
    region = _Region.of(meant, code_start, code_end)
    relative = index - region.code_start
    holding = [
        s
        for s in _statement_spans(meant[region.code_start : region.code_end])
        if s.is_definition and s.start < relative <= s.end
    ]
    return min(holding, key=lambda s: s.end - s.start).name if holding else None


def definition_starting_at(
    meant: str, index: int, *, code_start: int = 0, code_end: int | None = None
) -> str | None:
    """The qualified name of the def/class whose first line starts at `index`."""
    region = _Region.of(meant, code_start, code_end)
    relative = index - region.code_start
    starting = [
        s
        for s in _statement_spans(meant[region.code_start : region.code_end])
        if s.is_definition and s.start == relative
    ]
    return max(starting, key=lambda s: s.end - s.start).name if starting else None


def _infos(fence_infos: Sequence[str] | None) -> tuple[str, ...] | None:
    return tuple(fence_infos) if fence_infos else None


def _plan(
    meant: str,
    cut: int,
    kind: SeamKind,
    rng: random.Random,
    region: _Region,
    options: _Options,
) -> Continuation | None:
    """The continuation of `kind` at `cut`, or None where that kind does not apply."""
    if not 0 <= cut <= len(meant):
        raise ValueError(f"cut {cut} outside a text of {len(meant)}")
    plan = _plan_any(meant, cut, kind, rng, region, options)
    if plan is not None and plan.resume < options.floor:
        return None
    return plan


def _plan_any(
    meant: str,
    cut: int,
    kind: SeamKind,
    rng: random.Random,
    region: _Region,
    options: _Options,
) -> Continuation | None:
    max_retype, floor = options.max_retype, options.floor
    if kind == "none":
        return Continuation("none", "", cut)
    if cut < region.code_start:
        # Still in the prose or the opening fence: a model asked to go on writes its
        # answer again rather than finishing a half-written sentence or fence line.
        return Continuation("restart", "", 0) if kind == "restart" else None
    if cut > region.code_end:
        fence_line_end = meant.find("\n", region.code_end)
        in_fence_line = fence_line_end == -1 or cut <= fence_line_end
        if kind == "retype" and in_fence_line and meant[region.code_end : cut].strip():
            return Continuation("retype", "", region.code_end)
        return None

    line_start = max(region.code_start, meant.rfind("\n", 0, cut) + 1)
    if kind == "prose":
        return Continuation("prose", rng.choice(CONTINUATION_PROSE) + "\n\n", line_start)
    if kind == "fence":
        # Opening a new block just before the closing fence would leave an empty block.
        if not options.fence or not meant[cut : region.code_end].strip():
            return None
        return Continuation("fence", _fence_seam(rng, options.fence_choices(kind)), line_start)
    if kind == "retype":
        if not meant[line_start:cut].strip() or cut - line_start > max_retype:
            return None
        return Continuation("retype", "", line_start)
    if kind == "repeat":
        starts = _repeat_starts(meant, max(region.code_start, floor), line_start, cut, max_retype)
        return Continuation("repeat", "", rng.choice(starts[:3])) if starts else None
    if kind == "restart":
        starts = [s for s in _restart_starts(meant, region, cut, line_start, max_retype) if s >= floor]
        return Continuation("restart", "", rng.choice(starts)) if starts else None
    if kind == "block_restart":
        starts = [s for s in _block_starts(meant, region, cut, line_start) if s >= floor]
        if not starts:
            return None
        start = rng.choice(starts)
        shape = rng.randrange(3)
        seam = ""
        if shape == 1 or (shape == 2 and not options.fence):
            seam = rng.choice(CONTINUATION_PROSE) + "\n\n"
        elif shape == 2:
            seam = _fence_seam(rng, options.fence_choices("fence"))
        return Continuation("block_restart", seam, start)
    if kind == "skip_ahead":
        if not options.fence or not meant[cut : region.code_end].strip():
            return None
        skip = _skip_target(meant, region, cut)
        if skip is None:
            return None
        seam = _fence_seam(rng, options.fence_choices(kind))
        target = skip if skip > cut and rng.random() < SKIP_TO_NEXT else line_start
        return Continuation("skip_ahead", seam, target)
    raise ValueError(f"unknown seam kind {kind!r}")


def _fence_seam(rng: random.Random, infos: tuple[str, ...]) -> str:
    """A new opening fence, half the time after a line of prose."""
    prose = rng.choice(CONTINUATION_PROSE) + "\n\n" if rng.random() < 0.5 else ""
    info = infos[0] if len(infos) == 1 else rng.choice(infos)
    return f"{prose}```{info}\n"


def _repeat_starts(meant: str, code_start: int, line_start: int, cut: int, max_retype: int) -> list[int]:
    """Where a repeat of k = 1, 2, ... complete lines starts, for the k whose repeated
    lines hold some non-blank content and fit in `max_retype`."""
    starts: list[int] = []
    start = line_start
    while start > code_start and cut - start <= max_retype:
        start = max(code_start, meant.rfind("\n", 0, start - 1) + 1)
        if cut - start > max_retype:
            break
        if meant[start:line_start].strip():
            starts.append(start)
    return starts


def _restart_starts(meant: str, region: _Region, cut: int, line_start: int, max_retype: int) -> list[int]:
    """Line starts of the innermost def/class and the innermost statement holding `cut`."""
    spans = _statement_spans(meant[region.code_start : region.code_end])
    relative = cut - region.code_start
    holding = [s for s in spans if s.start < relative <= s.end]
    candidates: list[int] = []
    for pool in ([s for s in holding if s.is_definition], holding):
        if pool:
            innermost = min(pool, key=lambda s: s.end - s.start)
            start = region.code_start + innermost.start
            if cut - start <= max_retype and start not in candidates:
                candidates.append(start)
    # A restart that begins on the current line is only a retype; prefer a real one.
    earlier = [s for s in candidates if s < line_start]
    return earlier or candidates


def _block_starts(meant: str, region: _Region, cut: int, line_start: int) -> list[int]:
    """First-line starts of every def/class holding `cut` that begins before the cut's
    line, innermost first, whatever their length."""
    spans = _statement_spans(meant[region.code_start : region.code_end])
    relative = cut - region.code_start
    holding = sorted(
        (s for s in spans if s.is_definition and s.start < relative <= s.end), key=lambda s: s.end - s.start
    )
    starts: list[int] = []
    for span in holding:
        start = region.code_start + span.start
        if start < line_start and start not in starts:
            starts.append(start)
    return starts


def _skip_target(meant: str, region: _Region, cut: int) -> int | None:
    """For a cut inside the body of the innermost def/class holding it: where the next
    definition at its indentation or shallower starts (its first decorator's line), if
    the text skipped holds nothing but the rest of that innermost definition; the cut's
    own line start when there is no such definition; None when the cut is not in such
    a body."""
    spans = _statement_spans(meant[region.code_start : region.code_end])
    relative = cut - region.code_start
    holding = [s for s in spans if s.is_definition and s.start < relative <= s.end]
    if not holding:
        return None
    innermost = min(holding, key=lambda s: s.end - s.start)
    if innermost.body_start < 0 or relative < innermost.body_start:
        return None
    line_start = max(region.code_start, meant.rfind("\n", 0, cut) + 1)
    later = [s for s in spans if s.is_definition and s.start > relative and s.indent <= innermost.indent]
    if not later:
        return line_start
    target = min(later, key=lambda s: s.start)
    for span in spans:
        # Everything that begins in the skipped text must lie inside the definition
        # left unfinished, so that a repair of it by name brings all of it back.
        if relative < span.start < target.start and not (
            innermost.start <= span.start and span.end <= innermost.end
        ):
            return line_start
    return region.code_start + target.start


@dataclass(frozen=True)
class _Span:
    start: int  # start of the statement's first line (its first decorator's line)
    end: int  # just after its last character
    is_definition: bool
    indent: int = 0  # the column its first line starts at (definitions)
    body_start: int = -1  # start of its body's first line, when that is a later line
    name: str = ""  # qualified name (definitions)


@functools.lru_cache(maxsize=16)
def _statement_spans(code: str) -> tuple[_Span, ...]:
    """Every statement of `code` as character offsets; () when it is not Python."""
    try:
        tree = parse(code)
    except (SyntaxError, ValueError):
        return ()
    # ast counts lines by "\n" and columns in UTF-8 bytes; convert both to characters.
    lines = code.split("\n")
    line_offsets = [0]
    for line in lines:
        line_offsets.append(line_offsets[-1] + len(line) + 1)

    def offset(lineno: int, col: int) -> int:
        line = lines[lineno - 1]
        if not line.isascii():
            col = len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))
        return line_offsets[lineno - 1] + col

    names: dict[int, str] = {}

    def name_definitions(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names[id(child)] = prefix + child.name
                name_definitions(child, prefix + child.name + ".")
            else:
                name_definitions(child, prefix)

    name_definitions(tree, "")
    spans: list[_Span] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or node.end_lineno is None:
            continue
        first = node.lineno
        end_col = node.end_col_offset if node.end_col_offset is not None else 0
        end = offset(node.end_lineno, end_col)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            # A restarted definition is typed again from its first decorator.
            first = min([first, *(d.lineno for d in node.decorator_list)])
            body_line = node.body[0].lineno if node.body else node.lineno
            body_start = line_offsets[body_line - 1] if body_line > node.lineno else -1
            indent = len(lines[first - 1]) - len(lines[first - 1].lstrip())
            spans.append(
                _Span(line_offsets[first - 1], end, True, indent, body_start, names.get(id(node), node.name))
            )
        else:
            spans.append(_Span(line_offsets[first - 1], end, False))
    return tuple(spans)
