"""Code out of answers, and answers cut at max_tokens joined back into one file.

Pure functions of text: no I/O, no clock, no SDK.

A file arrives as a list of chunks. After a prefill continuation the model goes on
from the exact last character, so those chunks are plain concatenation. After a
user-turn continuation ("continue where you stopped") models add seams: a sentence of
prose, a new code fence, the last lines repeated, the current function started over,
the cut line typed again in full. `stitch` removes them so the result is the file the
model meant.

Where a seam can be read two ways (a cut inside the indentation looks like a retyped
line; a partial line may be a prefix of its own continuation), every reading is tried,
most likely first, and the first combination that parses wins.
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from validators import treesitter
from validators.parsing import parse

from .literals import string_lines, top_level_start

Join = Literal["start", "prefill", "user_turn", "answer"]


@dataclass(frozen=True)
class Chunk:
    """The text of one answer (its `text` blocks joined) and how it follows the last one.

    `prefill`: the answer continues the previous text character for character (this
    also covers `pause_turn`). `user_turn`: the answer came after a "continue" message
    and may carry seams. `answer`: like `user_turn`, but the answer came to a request
    that quoted where the text before it ends and asked for what follows (a repair's
    finish): a new definition right after a whole line is what was asked for there,
    not a sign of a skip.
    """

    text: str
    joins: Join = "start"


@dataclass(frozen=True)
class Stitched:
    code: str
    # False when the answer opened a code fence and never closed it: the file was cut.
    fence_closed: bool
    # The joined file parses (only meaningful for Python).
    parses: bool
    # Lines (1-based) cut inside a definition that a continuation left for the next
    # one: it opened a new fence and skipped ahead. The definition is unfinished even
    # where the file parses (`    retur` is a name).
    unfinished: tuple[int, ...] = ()
    # The same after a cut at the end of a line (the last line with content, 1-based):
    # the definition may be whole, or the answer may have skipped the rest of it; the
    # text cannot tell, so the definition is worth asking for by name.
    unsure: tuple[int, ...] = ()


_PARTIAL_FENCE = re.compile(r"^(`{1,3}|~{1,3})$")
_FENCE = re.compile(r"^(```+|~~~+)[ \t]*([\w.+#-]*)[ \t]*$")
# Phrases models open a continuation with. The strong ones are stripped even inside a
# string literal; the weak ones ("Here is ...:") are common docstring text too.
_STRONG_PREAMBLE = re.compile(
    r"^\s*(\(continued\)|(continu(ed|ing|ation)\b|picking up\b|resuming\b|"
    r"i'll continue\b|let me continue\b|(here('s| is) )?(the )?rest of the (file|code|module)\b).*[:.])\s*$",
    re.IGNORECASE,
)
_WEAK_PREAMBLE = re.compile(r"^\s*(here('s| is| are)|sure,?|certainly,?)\s+[a-z].*[:.!]\s*$", re.IGNORECASE)
_SENTENCE = re.compile(r"^[A-Z][A-Za-z']*[,!.:]?( +[^\s]+){2,}$")
_PREFACE = re.compile(r"^[A-Z][^=]*\s[^=]*[.:!]$")
# "Done." or "That's all!" after a closing fence.
_SHORT_REMARK = re.compile(r"^[A-Z][\w' ,]*[.!]$")
_PLAIN_WORD = re.compile(r"^[a-z]+('[a-z]+)?[,.:;!?]?$")
_MAX_READINGS = 256
# A tree-sitter parse costs about ten times `ast.parse`, and each try joins every seam
# again: fewer tries, so that a file with a mistake of its own mid-file stays quick.
_MAX_TREE_READINGS = 24


@dataclass(frozen=True)
class _Piece:
    """The code of one group. `fresh`: it came after prose or a new fence, so it starts
    on a new line, and a cut line is typed again in full there."""

    code: str
    fresh: bool = False
    asked_after: bool = False  # the group is an `answer` chunk (see `Chunk`)


def stitch(chunks: Sequence[Chunk], *, python: bool = True, language: str = "") -> Stitched:
    """Join the chunks of one answer into the code it carries. `language` (when not
    `python`): a tree-sitter language whose parser judges the seams as Python's does
    (`validators.check_source`); "" or any other: the most likely join is taken."""
    draft = Draft(judged_by("python" if python else language))
    for chunk in chunks:
        draft.add(chunk)
    return draft.stitched()


def judged_by(language: str | None) -> str:
    """The language whose parser judges a seam of code in `language`: itself for Python
    and the tree-sitter languages of `_JUDGED`, else "" (none: the likeliest reading)."""
    return language if language == "python" or language in _JUDGED else ""


@dataclass(frozen=True)
class _Fold:
    """The code read out of the groups so far (each group: the answers of one turn)."""

    pieces: tuple[_Piece, ...] = ()
    fence_open: bool = False
    closed: bool = True  # the fence was closed, or never opened
    code: str | None = None  # the most likely join of the pieces so far
    ever_opened: bool = False
    groups: int = 0


def _fold(
    state: _Fold,
    earlier: Sequence[str],
    raw: str,
    *,
    last: bool,
    asked_after: bool = False,
    language: str = "python",
) -> _Fold:
    """`state` with one more group, `raw`, read; `earlier` are the groups before it."""
    n = state.groups
    if n and state.ever_opened and not state.fence_open and state.closed and not has_fence(raw):
        return replace(state, groups=n + 1)  # the code block was closed: this is talk
    pieces, code = list(state.pieces), state.code
    fence_open, closed = state.fence_open, state.closed
    if n and fence_open and not (code or "").strip() and has_fence(raw):
        # Cut right after the opening fence, and the answer began again with a fence of
        # its own (and maybe its preface): it starts there.
        pieces, code, fence_open, closed = [], None, False, True
    elif n and not state.ever_opened and _starts_answer_over(list(earlier), raw):
        # What came before the first fence was prose cut short ("Here is the fi"): the
        # answer starts at this fence.
        raw = "".join(earlier) + raw
        pieces, code = [], None
    piece, fence_open, closed = _extract(raw, prefix=code, fence_open=fence_open, last=last)
    piece = replace(piece, asked_after=asked_after)
    ever_opened = state.ever_opened or fence_open or not closed or has_fence(raw)
    pieces.append(piece)
    # The most likely reading so far is enough to know where a string is open.
    code = piece.code if code is None else _first_reading(code, piece, language)
    return _Fold(tuple(pieces), fence_open, closed, code, ever_opened, n + 1)


class Draft:
    """The code of one answer so far, as its chunks arrive: what `stitch` makes of them,
    without reading the earlier ones again. A continuation loop asks it, after each
    answer, how much that answer added (a restart may add nothing at all).

    Each group of chunks is read once, when the code is asked for; only the last group
    is read again when a chunk extends it.
    """

    def __init__(self, language: str = "python") -> None:
        self._language = language  # whose parser judges the seams (`judged_by`)
        self._groups: list[str] = []
        self._asked_after: list[bool] = []  # each group began with an `answer` chunk
        self._folds: list[_Fold] = [_Fold()]  # _folds[k]: after the first k groups

    def add(self, chunk: Chunk) -> None:
        text = chunk.text.replace("\r\n", "\n")
        groups = self._groups
        new_turn = chunk.joins in ("user_turn", "answer")
        if groups and not (new_turn and not _finishes_fence_line(groups[-1], text)):
            groups[-1] += text  # an exact continuation
            del self._folds[len(groups) :]
            return
        if groups:
            # Cut inside the closing fence ("``") and the fence typed again in full.
            partial = groups[-1][groups[-1].rfind("\n") + 1 :]
            if _PARTIAL_FENCE.match(partial) and text.startswith(("```", "~~~")):
                groups[-1] = groups[-1][: len(groups[-1]) - len(partial)]
                del self._folds[len(groups) :]
        groups.append(text)
        self._asked_after.append(chunk.joins == "answer")

    @property
    def code(self) -> str:
        """The most likely code so far (not tidied: as the next chunk joins it)."""
        self._read_up_to(len(self._groups))
        return self._folds[-1].code or ""

    def _read_up_to(self, groups: int) -> None:
        while len(self._folds) <= groups:
            self._folds.append(self._read(len(self._folds) - 1, last=False))

    def _read(self, k: int, *, last: bool) -> _Fold:
        """The fold after group `k`, read on from the fold before it."""
        return _fold(
            self._folds[k],
            self._groups[:k],
            self._groups[k],
            last=last,
            asked_after=self._asked_after[k],
            language=self._language,
        )

    def stitched(self) -> Stitched:
        """The whole answer's code: the last group read as the end of the answer, and
        the seams read again together where the most likely joins do not parse."""
        if not self._groups:
            return Stitched("", False, False)
        k = len(self._groups) - 1
        self._read_up_to(k)  # every group but the last, read as it came
        state = self._read(k, last=True)
        # Unfenced code may end in a remark cut across chunks ("Let" + " me know ..."):
        # judged on the joined text.
        finish = (lambda code: code) if state.ever_opened else (lambda code: _strip_trailing_prose(code, str))
        code, parses, skipped = _best_join(list(state.pieces), language=self._language, finish=finish)
        tidy = _tidy(code)
        shift = len(code) - len(code.lstrip("\n"))  # blank lines _tidy drops at the top
        lines = tidy.count("\n")

        def kept(sure: bool) -> tuple[int, ...]:
            return tuple(n - shift for n, s in skipped if s == sure and 0 < n - shift <= lines)

        return Stitched(
            tidy, fence_closed=state.closed, parses=parses, unfinished=kept(True), unsure=kept(False)
        )


def has_fence(raw: str) -> bool:
    """Whether an answer puts its code in a fence (a line of ``` or ~~~)."""
    return any(_FENCE.match(line) for line in raw.split("\n"))


def _starts_answer_over(earlier: list[str], raw: str) -> bool:
    """No fence yet, this group opens one, and all before it is prose."""
    lines = raw.split("\n")
    at = next((i for i, line in enumerate(lines) if _FENCE.match(line)), None)
    if at is None:
        return False
    before = "".join(earlier) + "\n".join(lines[:at])
    return all(not line.strip() or _is_prose(line) or _is_preface(line) for line in before.split("\n"))


def _is_preface(line: str) -> bool:
    """A sentence that introduces a code block: "Sure! Here's `module.py`."."""
    text = line.strip()
    return bool(_PREFACE.match(text)) and not _parses(text)


def extract_code(answer: str) -> str:
    """The code in one complete answer, whatever prose or fences surround it."""
    piece = _extract(answer.replace("\r\n", "\n"), prefix=None, fence_open=False, last=True)[0]
    return _tidy(piece.code)


def _finishes_fence_line(before: str, text: str) -> bool:
    """The cut fell inside a fence line ("```py") and `text` goes on from there ("thon")."""
    partial = before.rpartition("\n")[2]
    head = text.split("\n", 1)[0]
    return partial.startswith("`") and not _FENCE.match(head) and bool(_FENCE.match(partial + head))


def _extract(raw: str, *, prefix: str | None, fence_open: bool, last: bool) -> tuple[_Piece, bool, bool]:
    """(code, fence still open, fence closed or never opened) for one group's text.

    `prefix` is the code before this group when the group continues it.
    """
    continuing = prefix is not None
    in_string = continuing and _ends_inside_string(prefix or "")
    partial = (prefix or "").rpartition("\n")[2]
    lines = raw.split("\n")
    start = 0
    opened = fence_open
    # Where a continuation's code starts when prose came first: after the prose line
    # and the one blank line that sets it apart. Further blank lines are the code's own.
    after_prose = 0

    # Skip what comes before the code: prose, an opening fence, blank lines around them.
    i = 0
    if not continuing:
        # A first answer with a fence: the code is in it, whatever is said before.
        i = next((n for n, line in enumerate(lines) if _FENCE.match(line)), 0)
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            # Inside a string the text after a bare fence reads as prose, and is code.
            if (
                not continuing
                or fence.group(2)
                or _code_follows(lines, i + 1)
                or (in_string and any(x.strip() and not _FENCE.match(x) for x in lines[i + 1 : i + 2]))
            ):
                # An opening fence (a continuation that re-opens the block included).
                start, opened = i + 1, True
                break
            # A bare fence first thing in a continuation closes the block: no more code.
            return _Piece(""), False, True
        if not line.strip():
            i += 1
            continue
        if _is_preamble(line, lines, i, in_string) or (
            # One sentence of prose, not a second: the line after it is where the code
            # goes on, and it may finish the cut line ("Exception as e:" is no prose).
            not in_string and not after_prose and _is_prose(line) and _is_prose(partial + line)
        ):
            i += 1
            if i < len(lines) and not lines[i].strip():
                i += 1
            after_prose = i
            continue
        start = after_prose if continuing else i
        break
    else:
        # Only blank lines (or prose): in a continuation the whitespace is still code.
        return (
            _Piece("\n".join(lines[after_prose:]) if continuing else "", after_prose > 0),
            opened,
            not opened,
        )
    fresh = continuing and start > 0

    body = lines[start:]

    def joined(code: str) -> str:
        return _first_reading(prefix, _Piece(code, fresh)) if prefix else code

    # Find the closing fence; a fence-like line inside a string literal is code, but for
    # the last fence of the whole answer with nothing but talk after it (a join read
    # wrongly may leave a string open that the model closed: the fence is no string).
    end = None
    for j, line in enumerate(body):
        fence = _FENCE.match(line)
        if (
            fence
            and not fence.group(2)
            and ((last and _only_talk(body[j + 1 :])) or not _ends_inside_string(joined("\n".join(body[:j]))))
        ):
            end = j
            break
    if end is not None:
        return _Piece("\n".join(body[:end]) + "\n", fresh), False, True
    code = "\n".join(body)
    if last:
        # Unfenced code, or a fence the model never closed, may end in a remark
        # ("This completes `m.py`.").
        code = _strip_trailing_prose(code, joined)
    return _Piece(code, fresh), opened, not opened


def _only_talk(lines: list[str]) -> bool:
    """Whether `lines` hold no more than a remark or two: blank lines and prose."""
    return all(not x.strip() or _is_prose(x) or bool(_SHORT_REMARK.match(x.strip())) for x in lines)


def _is_preamble(line: str, lines: list[str], i: int, in_string: bool) -> bool:
    """ "Continuing from where I left off:" and the like.

    Inside a string literal such a line could be the string's own text, so there it
    counts only when a code fence follows it.
    """
    if _STRONG_PREAMBLE.match(line):
        return True
    if not _WEAK_PREAMBLE.match(line):
        return False
    if not in_string:
        return True
    nxt = next((x for x in lines[i + 1 :] if x.strip()), "")
    return bool(_FENCE.match(nxt))


def _code_follows(lines: list[str], i: int) -> bool:
    """Whether code (not a closing remark) follows a bare fence at lines[i-1]."""
    for line in lines[i:]:
        if _FENCE.match(line):
            return False
        if line.strip():
            text = line.strip()
            if line[:1].isspace() or text[0] in "\"'":
                return True  # indented, or a string: prose after a block is neither
            if _is_prose(text) or _SHORT_REMARK.match(text):
                return False
            return _parses(text) or any(c in text for c in "=()[]{}:#@")
    return False


def _is_prose(line: str) -> bool:
    """A sentence, not a statement: mostly lowercase words, and not valid Python."""
    text = line.strip()
    if not text or text.startswith(("#", "@", '"', "'")) or text.endswith(("\\", ",", "(", "[", "{")):
        return False
    if _STRONG_PREAMBLE.match(text) or _WEAK_PREAMBLE.match(text):
        return True
    if not _SENTENCE.match(text):
        return False
    words = text.split()
    # Lowercase words that are not keywords: "completes", not "as" in "Exception as e:".
    plain = sum(1 for w in words if _PLAIN_WORD.match(w) and not keyword.iskeyword(w.rstrip(",.:;!?")))
    if plain < 1 or plain * 3 < len(words):
        return False
    try:
        parse(text)
    except SyntaxError:
        return True
    return False


def _strip_trailing_prose(code: str, joined: Callable[[str], str]) -> str:
    lines = code.rstrip("\n").split("\n")
    while lines and (not lines[-1].strip() or _is_prose(lines[-1])):
        if lines[-1].strip() and _ends_inside_string(joined("\n".join(lines[:-1]))):
            break
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def _ends_inside_string(code: str) -> bool:
    """Whether `code` stops inside a multi-line string literal."""
    if '"""' not in code and "'''" not in code:
        return False
    try:
        for _ in tokenize.generate_tokens(io.StringIO(code).readline):
            pass
    except tokenize.TokenError as exc:
        return "string" in str(exc)
    except (SyntaxError, ValueError):
        return False
    return False


# ---------------------------------------------------------------- joining


def join_readings(prev: str, new: str, *, fresh: bool = False) -> Iterator[str]:
    """Every plausible join of `new` after `prev`, the most likely first.

    `fresh`: `new` came after prose or a new fence, on a line of its own.
    """
    if not prev:
        yield new
        return
    if not new:
        yield prev
        return
    readings = _readings(prev, new, fresh)
    if new.startswith("\n") and new.strip():
        # A blank line a model put between its prose and the code, not the code's own.
        readings += _readings(prev, new.lstrip("\n"), fresh)
    seen: set[str] = set()
    for r in readings:
        if r not in seen:
            seen.add(r)
            yield r


def _readings(prev: str, new: str, fresh: bool) -> list[str]:
    p = prev.split("\n")
    n = new.split("\n")
    partial = p[-1]
    placed = _placements(p, n)
    # What goes past the cut, placed by alignment, comes first; then a repeat that is
    # surely one (long, or a restart of a block the cut is in); then the joins at the
    # tail; a short repeat last (a line written twice may be meant).
    readings = ["\n".join(p[:-1] + n[at:]) for at in placed.past_cut]
    if placed.repeat == "sure":
        readings.append(prev)
    readings += _tail_readings(prev, new, fresh, p, n, partial)
    if placed.repeat == "maybe":
        readings.append(prev)
    return readings


@dataclass(frozen=True)
class _Placement:
    """Where a continuation sits on the text so far, by its lines.

    `past_cut`: for each placement that runs to the end of the text so far, the index of
    the line of the continuation where it reaches the cut (that line types the cut line
    again in full), the longest overlap first. `repeat`: the continuation lies wholly inside the
    text so far (or starts as a copy of a block there and turns away from it before
    reaching the cut): "sure" when that cannot be new code by chance, "maybe" else.
    """

    past_cut: tuple[int, ...] = ()
    repeat: Literal["sure", "maybe"] | None = None


# A repeat of at least this many non-blank lines is no coincidence.
_SURE_REPEAT_LINES = 3


def _placements(p: list[str], n: list[str]) -> _Placement:
    """Every place where `n` (a continuation's lines) opens as a copy of lines of `p`
    (the text so far, its last line cut): a restart of the enclosing block or of the
    whole file, or a resumption from somewhere before the cut (a model that goes on
    from its own last message, itself a repeat). The first line may be the tail of a
    line of `p` (that message stopped inside it).

    Linear in the length of `p` but for runs of equal lines: each candidate start is
    followed only while the lines agree.
    """
    complete = len(p) - 1  # p[-1] is the cut line, possibly ""
    partial = p[-1]
    first = n[0].rstrip()
    if complete <= 0 or (len(n) == 1 and not first.strip()):
        return _Placement()
    enclosing = _enclosing_starts(p)
    # The continuation types the cut line again: code copied elsewhere in the file (a
    # docstring two classes share) is then more likely written again than repeated.
    goes_on = bool(partial.strip()) and n[0].startswith(partial)
    past: list[int] = []
    sure = maybe = False
    for i in range(complete):
        line = p[i].rstrip()
        # (An empty first line is the end of any line: the last message stopped there.)
        if line != first and not line.endswith(first):
            continue
        j = 1
        while j < len(n) and i + j < complete and n[j].rstrip() == p[i + j].rstrip():
            j += 1
        matched = [n[0].strip() if line != first else line.strip(), *(x.strip() for x in n[1:j])]
        content = sum(1 for x in matched if x)
        evidence = sum(len(x) for x in matched)
        if i + j == complete and j < len(n) and n[j].startswith(partial):
            # Runs to the cut (and maybe stops there: the last lines typed again). A
            # short tail of a line ("x)") is found in many places: the cut line counts.
            if (content or partial.strip()) and (line == first or evidence + len(partial.strip()) >= 10):
                past.append(j)
            continue
        if line != first and evidence < 10:
            continue
        if not content:
            continue
        # Lies inside `p`: every line matched, the last maybe cut short. Or a copy of a
        # block the cut is in that turns away from it: a restart written differently.
        inside = j == len(n) or (j == len(n) - 1 and p[i + j].startswith(n[j]))
        # The copy holds, whole, the `def` or `class` line of a block the cut is in (a
        # decorator alone is too common to tell).
        block = any(x in enclosing for x in range(i, i + j))
        # Or the `def`/`class` line of a top-level definition: a module never defines
        # the same name twice with the same lines (an answer to "the rest of the file"
        # that typed an earlier function again, and stopped).
        top = any(p[x].startswith(("def ", "async def ", "class ")) for x in range(i, i + j))
        if inside and (block or top or (content >= _SURE_REPEAT_LINES and not goes_on)):
            sure = True
        elif inside:
            maybe = True
        elif block and not goes_on:
            sure = True  # opens with the very `def` or `class` line the cut is under
    return _Placement(tuple(past), "sure" if sure else "maybe" if maybe else None)


def _enclosing_starts(p: list[str]) -> set[int]:
    """The `def`/`class` lines of `p` that open a definition the cut is in, at every
    depth: where a model restarts a block it was writing (from its decorators). Found
    by indentation, reading back from the cut, since `p` does not parse; the lines
    inside a string (a docstring's text at column 0) say nothing of it."""
    starts: set[int] = set()
    limit: int | None = None
    top = top_level_start(p, len(p) - 1)
    in_string = string_lines(p, top)
    for x in range(len(p) - 1, -1, -1):
        text = p[x].lstrip()
        if not text or x in in_string:
            continue
        indent = len(p[x]) - len(text)
        if limit is not None and indent >= limit:
            continue
        limit = indent
        if text.startswith(("def ", "async def ", "class ")):
            starts.add(x)
        if indent == 0:
            break
    return starts


def _tail_readings(prev: str, new: str, fresh: bool, p: list[str], n: list[str], partial: str) -> list[str]:
    """The joins of `new` right at the end of `prev`: exactly, or with the cut line
    typed again."""
    readings: list[str] = []
    concat = prev + new
    if not partial:
        return readings + [concat]
    if not partial.strip() and new.startswith("\n"):
        # Cut in the indentation of a line not begun, and the answer goes on from the
        # end of the line before (what the quote of whole lines asks for): the
        # indentation was never a line. Kept, it is a blank line, which in a docstring
        # changes the string.
        readings.append("\n".join(p[:-1]) + new)
    retyped = "\n".join(p[:-1] + [new]) if n[0].startswith(partial) else None
    if fresh:
        # After prose or a fence a model starts a new line: the cut line typed again,
        # or (the cut line being whole) the next one. Not the rest of a cut inside the
        # indentation: a new line is typed with its own, and `def g` glued to `   `
        # would nest g, which may well parse.
        glued = concat if partial.strip() else None
        return readings + [r for r in (retyped, prev + "\n" + new, glued) if r is not None]
    if retyped is None:
        return readings + [concat]
    # `new` begins with the whole cut line. After an indented `    "`, an exact
    # continuation cannot begin with `    "` again: the line was typed again. At column
    # 0 a short run of one character is different: after `_`, `__all__` is the line
    # typed again or an exact `_all__`; and a cut inside the indentation most likely
    # goes on from the next character. There the exact continuation comes first,
    # unless `new` opens with exactly the cut whitespace and that is a whole depth
    # (four-space steps, or tabs) the file already indents to: tokenizers take such a
    # run whole, so a cut after `    ` then `    x = 1` is the line typed again at its
    # own depth, not an exact `x = 1` at twice it. (After `\n\n  `, `  x` is the rest
    # of a four-space indent: a tokenizer may join newlines with the spaces after them.)
    content = partial.strip()
    indented = partial[:1].isspace() and bool(content)
    whole_indent = (
        not content
        and n[0][len(partial) :][:1] not in (" ", "\t")
        and ("\t" in partial or len(partial) % 4 == 0)
        and _indents_to(p[:-1], partial)
    )
    # A cut inside the indentation, and a line that opens deeper than the cut: typed
    # again when the file indents to its own depth but never to the depth the exact
    # join would give it (`\n` and three spaces are one token: a cut after 11 of 12).
    lead = n[0][: len(n[0]) - len(n[0].lstrip())]
    own_depth = (
        not content
        and bool(n[0].strip())
        and _indents_to(p[:-1], lead)
        and not _indents_to(p[:-1], partial + lead)
    )
    if indented or whole_indent or own_depth or len(set(content)) > 1:
        return readings + [retyped, concat]
    if content and _run_known(partial, n[0], prev[: -len(partial)] + new[len(n[0]) :]):
        return readings + [retyped, concat]
    return readings + [concat, retyped]


def _indents_to(lines: list[str], indent: str) -> bool:
    """Whether some line with content starts at exactly `indent`."""
    return any(line.startswith(indent) and line[len(indent) :][:1] not in ("", " ", "\t") for line in lines)


def _run_known(partial: str, line: str, elsewhere: str) -> bool:
    """After a cut in a run of one character at column 0 (`c`, `>>`), whether the file
    knows the run `line` opens with (`c`, `>>>`) but not the longer one joining them
    exactly would make (`cc`, `>>>>>`): a name used elsewhere, a doctest prompt."""
    char = partial[0]
    word = char.isalnum() or char == "_"
    run = re.match(r"\w+" if word else f"{re.escape(char)}+", line)
    if run is None:
        return False

    def seen(token: str) -> bool:
        edge = r"\w" if word else re.escape(char)
        return re.search(f"(?<!{edge}){re.escape(token)}(?!{edge})", elsewhere) is not None

    return seen(run.group()) and not seen(partial + run.group())


def _first_reading(prev: str, piece: _Piece, language: str = "python") -> str:
    """The most likely join that is valid code so far in `language` (for "", any text is)."""
    readings = list(join_readings(prev, piece.code, fresh=piece.fresh))
    if len(readings) == 1 or not language:
        return readings[0]
    seam = prev.count("\n") + 1
    if language != "python":
        return next((r for r in readings if _tree_valid_so_far(r, language, above=seam)), readings[0])
    return next((r for r in readings if _valid_so_far(r, above=seam)), readings[0])


Skip = tuple[int, bool]  # (line, sure): see `_skips_ahead`


def _best_join(
    pieces: list[_Piece], *, language: str, finish: Callable[[str], str]
) -> tuple[str, bool, tuple[Skip, ...]]:
    """The first combination of seam readings that parses, else the most likely one,
    and the lines where a continuation skipped ahead (`Stitched.unfinished`, `unsure`).

    `language`: "python", a tree-sitter language of `_JUDGED`, or "" (no parser: the
    most likely join). A skip-ahead is judged in Python only (`_skips_ahead` reads
    Python's definitions). `finish` tidies a whole candidate
    (drops prose after unfenced code) before it is judged.
    """
    code, seam_lines, skipped = _greedy_join(pieces, {}, language)
    code = finish(code)
    if not language:
        return code, False, ()
    error_line = _error_line(code, language)
    if error_line is None:
        return code, True, skipped
    # Some seam was read wrongly, most likely the last one before the error: try the
    # other readings of the seams nearest to it, one seam at a time.
    nearest = sorted(
        range(len(seam_lines)), key=lambda k: (seam_lines[k] > error_line, abs(error_line - seam_lines[k]))
    )
    tries = 0
    for k in nearest:
        for choice in range(1, 4):
            tries += 1
            if tries > (_MAX_READINGS if language == "python" else _MAX_TREE_READINGS):
                return code, False, skipped
            candidate, _, skips = _greedy_join(pieces, {k: choice}, language)
            if candidate is None:
                break
            candidate = finish(candidate)
            if _error_line(candidate, language) is None:
                return candidate, True, skips
    return code, False, skipped


def _greedy_join(
    pieces: list[_Piece], forced: dict[int, int], language: str = "python"
) -> tuple[Any, list[int], tuple[Skip, ...]]:
    """Join left to right, taking at each seam the first reading that is valid Python so
    far, or the reading `forced[seam]` (None when that seam has no such reading).

    Also returns the line each seam falls on, and the lines a continuation skipped
    ahead from."""
    code = pieces[0].code
    seam_lines: list[int] = []
    skipped: list[Skip] = []
    for k, piece in enumerate(pieces[1:]):
        seam_lines.append(code.count("\n") + 1)
        if k in forced:
            readings = list(join_readings(code, piece.code, fresh=piece.fresh))
            if forced[k] >= len(readings):
                return None, seam_lines, ()
            joined = readings[forced[k]]
        else:
            joined = _first_reading(code, piece, language)
        if (
            language == "python"
            and piece.fresh
            and (skip := _skips_ahead(code, piece.code, joined, piece.asked_after))
        ):
            skipped.append(skip)
        code = joined
    return code, seam_lines, tuple(skipped)


_OPENS_DEFINITION = re.compile(r"^[ \t]*(@|def\s|async\s+def\s|class\s)")


def _skips_ahead(prev: str, new: str, joined: str, asked_after: bool = False) -> Skip | None:
    """Where `new`, after prose or a fence, may have left the definition it was cut in
    for the next one: `new` was joined whole and opens a definition at the depth of a
    definition the cut is in, or outside it. None when it did not.

    A cut inside a line with content leaves that line unfinished: (its line, True). A
    cut at the end of a line cannot be judged from the text, the definition may be
    whole: (the last line with content, False). After a request that quoted the end of
    the text and asked for what follows (`asked_after`), a new definition right after
    a whole line is the answer asked for, and is not judged."""
    p = prev.split("\n")
    sure = bool(p[-1].strip())
    if sure:
        if joined != prev + "\n" + new:
            return None
    elif asked_after or not (
        joined.endswith(new) and joined[: len(joined) - len(new)].strip() == prev.strip()
    ):
        return None
    head = next((line for line in new.split("\n") if line.strip()), "")
    if not _OPENS_DEFINITION.match(head):
        return None
    # The definitions whose bodies hold the cut line (a comment too: cut in a class
    # body, a skip to the next top-level definition leaves the class unfinished).
    depths = [len(p[x]) - len(p[x].lstrip()) for x in _enclosing_starts(p) if x < len(p) - 1]
    inner = max(depths, default=-1)
    if not 0 <= len(head) - len(head.lstrip()) <= inner:
        return None
    if sure:
        return len(p), True
    last = max(x for x, line in enumerate(p) if line.strip())
    return last + 1, False


def _error_line(code: str, language: str = "python") -> int | None:
    """The line of the first syntax error, or None when `code` parses."""
    if language != "python":
        lines = _tree_errors(code, language)
        return min(lines) if lines else None
    try:
        parse(code)
    except SyntaxError as exc:
        return exc.lineno or 1
    except ValueError:
        return 1
    return None


# The tree-sitter languages whose parser judges a seam: not C and C++, whose real files
# often do not parse (macros), so that a parse error says little about a join.
_JUDGED = frozenset({"typescript", "tsx", "javascript", "go", "rust", "java"})


def _tree_errors(code: str, language: str) -> list[int]:
    """The lines of the parse errors of `code` in `language` that are not where a cut
    code ends (those are `truncated`)."""
    try:
        return treesitter.mid_file_errors(code, language)
    except treesitter.GrammarMissing:
        return []


def _tree_valid_so_far(code: str, language: str, *, above: int = 0) -> bool:
    """`_valid_so_far` for a tree-sitter language: no parse error from the seam's line
    on but where the code ends."""
    return all(line < above for line in _tree_errors(code, language))


_CUT_ERRORS = re.compile(
    r"was never closed|unexpected EOF|unterminated triple-quoted|expected an indented block"
    r"|expected 'except' or 'finally'"
)


def _valid_so_far(code: str, *, above: int = 0) -> bool:
    """Whether `code` is valid Python but for being cut: any syntax error is one an
    unfinished file has (an open bracket or string, a missing block) or sits at its end.

    An error on a line before `above` (a seam's line) is in the text every reading of
    that seam shares (a definition an answer skipped): it says nothing of the seam.
    Else every later seam would take a reading that leaves a string open, the one
    error the tokenizer reports before the parser's."""
    try:
        parse(code)
    except SyntaxError as exc:
        if _CUT_ERRORS.search(exc.msg or ""):
            return True
        line = exc.lineno or 0
        return line >= code.count("\n") or line < above
    except ValueError:
        return False
    return True


def _parses(code: str) -> bool:
    try:
        parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _tidy(code: str) -> str:
    """Drop blank lines around the code and end it with one newline."""
    code = code.strip("\n")
    return code + "\n" if code.strip() else ""
