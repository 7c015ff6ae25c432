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
code, and `resume <= cut`: whatever is typed again is byte-for-byte what was already
written. So no seam ever changes the code the model means; it only adds repeats, prose
and fences, which is exactly what the stitcher has to undo.

The seam kinds (`SEAM_KINDS`), for a cut inside the code:

- ``none``: the exact continuation, from the next character (what prefill gives).
- ``prose``: one line of prose ("Continuing from where I left off:"), a blank line,
  then the code. A cut in the middle of a line retypes that line from its start (after
  a sentence a model starts a fresh line); a cut at a line boundary goes on exactly.
- ``fence``: a new opening fence (```` ```python ````), sometimes preceded by a prose
  line and a blank line, then the code, with the current line retyped from its start
  as for ``prose``. The old fence was never closed; the continuation closes its own.
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

Cuts outside the code:

- before the code starts (inside the prose or the opening fence line): ``none`` goes
  on exactly; ``restart`` starts the whole answer over from its first character.
- inside the closing fence line: ``none`` goes on exactly; ``retype`` types the fence
  line again.
- in the prose after the closing fence: only ``none``.

A kind that does not apply at a cut (`applicable_kinds`) is not planned:
`plan_continuation` raises ValueError, `continuation_text` and `seamed_chunks` fall
back to ``none``. Retyped text is bounded by `max_retype` characters so that a
continuation can always make progress within its token budget.
"""

from __future__ import annotations

import ast
import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from validators.parsing import parse

SeamKind = Literal["none", "prose", "fence", "repeat", "retype", "restart"]
SEAM_KINDS: tuple[SeamKind, ...] = ("none", "prose", "fence", "repeat", "retype", "restart")

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


@dataclass(frozen=True)
class Continuation:
    """How one user-turn continuation begins: `seam`, then the meant text from `resume`."""

    kind: SeamKind
    seam: str  # prose and/or an opening fence; never code
    resume: int  # index into the meant text where typing resumes; <= the cut

    def text(self, meant: str, end: int | None = None) -> str:
        """The continuation's text, up to index `end` of the meant text (default: all)."""
        return self.seam + meant[self.resume : end]


@dataclass(frozen=True)
class SeamedChunk:
    """One answer's text, and how it began: `text == seam + meant[resume:end]`.

    `kind` is None for the first answer (whose `resume` is 0). What the stitcher must
    drop is `seam` and the first `cut - resume` characters after it, where `cut` is
    where the previous answer stopped.
    """

    text: str
    kind: SeamKind | None
    seam: str = ""
    resume: int = 0


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
) -> tuple[SeamKind, ...]:
    """The seam kinds that make sense at `cut` (always including ``none``).

    `fence=False` leaves out the ``fence`` kind (for an answer that has no fences, a
    model would not open one half-way).
    """
    region = _Region.of(meant, code_start, code_end)
    return tuple(
        kind
        for kind in SEAM_KINDS
        if _plan(meant, cut, kind, random.Random(0), region, max_retype, "python", fence)
        is not None
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
) -> Continuation:
    """The continuation of `meant[:cut]` that opens with a seam of `kind`.

    Raises ValueError when `kind` does not apply at this cut (see `applicable_kinds`).
    """
    region = _Region.of(meant, code_start, code_end)
    plan = _plan(meant, cut, kind, rng, region, max_retype, fence_info, True)
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
) -> str:
    """What a user-turn continuation says after `emitted_so_far`, meaning to write `rest`.

    Both are code unless `code_start` says where the code begins in `emitted_so_far`;
    `rest` is taken to be code to its end. Falls back to ``none`` when `kind` does not
    apply at this cut.
    """
    meant = emitted_so_far + rest
    cut = len(emitted_so_far)
    region = _Region.of(meant, code_start, None)
    plan = _plan(meant, cut, kind, rng, region, max_retype, fence_info, True)
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
) -> list[SeamedChunk]:
    """The answers a model gives when `meant` is cut at each of `cuts` (ascending) and
    every continuation is asked for in a user turn.

    The first chunk is `meant[:cuts[0]]`; each later one opens with a seam drawn with
    `rng` from `kinds` (among those that apply at its cut; ``none`` if none do) and
    runs to the next cut, the last one to the end of `meant`.
    """
    region = _Region.of(meant, code_start, code_end)
    if any(b <= a for a, b in zip(cuts, cuts[1:], strict=False)) or any(
        not 0 < c < len(meant) for c in cuts
    ):
        raise ValueError("cuts must be ascending indices strictly inside the text")
    bounds = [*cuts, len(meant)]
    chunks = [SeamedChunk(meant[: bounds[0]], None)]
    for cut, end in zip(bounds, bounds[1:], strict=False):
        plans = [
            plan
            for kind in SEAM_KINDS
            if kind in kinds
            and (plan := _plan(meant, cut, kind, rng, region, max_retype, fence_info, True))
            is not None
        ]
        plan = rng.choice(plans) if plans else Continuation("none", "", cut)
        chunks.append(SeamedChunk(plan.text(meant, end), plan.kind, plan.seam, plan.resume))
    return chunks


def _plan(
    meant: str,
    cut: int,
    kind: SeamKind,
    rng: random.Random,
    region: _Region,
    max_retype: int,
    fence_info: str,
    fence: bool,
) -> Continuation | None:
    """The continuation of `kind` at `cut`, or None where that kind does not apply."""
    if not 0 <= cut <= len(meant):
        raise ValueError(f"cut {cut} outside a text of {len(meant)}")
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
        if not fence or not meant[cut : region.code_end].strip():
            return None
        prose = rng.choice(CONTINUATION_PROSE) + "\n\n" if rng.random() < 0.5 else ""
        return Continuation("fence", f"{prose}```{fence_info}\n", line_start)
    if kind == "retype":
        if not meant[line_start:cut].strip() or cut - line_start > max_retype:
            return None
        return Continuation("retype", "", line_start)
    if kind == "repeat":
        starts = _repeat_starts(meant, region.code_start, line_start, cut, max_retype)
        return Continuation("repeat", "", rng.choice(starts[:3])) if starts else None
    if kind == "restart":
        starts = _restart_starts(meant, region, cut, line_start, max_retype)
        return Continuation("restart", "", rng.choice(starts)) if starts else None
    raise ValueError(f"unknown seam kind {kind!r}")


def _repeat_starts(
    meant: str, code_start: int, line_start: int, cut: int, max_retype: int
) -> list[int]:
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


def _restart_starts(
    meant: str, region: _Region, cut: int, line_start: int, max_retype: int
) -> list[int]:
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


@dataclass(frozen=True)
class _Span:
    start: int  # start of the statement's first line (its first decorator's line)
    end: int  # just after its last character
    is_definition: bool


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

    spans: list[_Span] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or node.end_lineno is None:
            continue
        first = node.lineno
        definition = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            # A restarted definition is typed again from its first decorator.
            first = min([first, *(d.lineno for d in node.decorator_list)])
        end_col = node.end_col_offset if node.end_col_offset is not None else 0
        spans.append(_Span(line_offsets[first - 1], offset(node.end_lineno, end_col), definition))
    return tuple(spans)
