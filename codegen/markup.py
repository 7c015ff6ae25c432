"""The text of a Markdown (or other prose) file in an answer: `stitch_markup`.

The code stitcher reads an answer as code in a fence with prose around it, and strips
the prose. For a README that is data loss: its prose is the file, and its own code
blocks are fences inside the fence the model may have put the file in. So here:

- The answer's outer fence is a wrapper only when it stands first (after a short
  preface at most), is labelled as the file's kind (``` markdown, md, text, or none)
  or is longer than three backticks, and only talk follows its close. Otherwise the
  answer is the file as it stands, prose included.
- Inside a wrapper, fences nest: a fence with an info string (```` ```sh ````) opens an
  inner block and the next bare fence closes it; a bare fence closes the wrapper when
  only talk follows it. A wrapper longer than three (````) is closed only by a bare
  fence of at least its length, as CommonMark says.
- A continuation in a user turn loses a preface ("Continuing:"), a fence that opens the
  file's kind again, the lines it typed again at the seam, and what follows the
  wrapper's close.

Pure: a function of the chunks' text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .stitch import Chunk, Stitched

MARKUP_SUFFIXES = (".md", ".markdown", ".mdx", ".rst", ".txt", ".adoc")
_WRAPPER_INFO = frozenset(
    {"", "markdown", "md", "mdx", "rst", "text", "txt", "plaintext", "asciidoc", "adoc"}
)
_FENCE = re.compile(r"^(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$")
_PREFACE = re.compile(r"^(sure|certainly|here|below|continu|picking up|resuming|the rest)", re.IGNORECASE)
# A line of a document, not of talk about it: a heading, a list, a table, a quote...
_STRUCTURE = re.compile(r"^(\s|#|[-*+] |\d+[.)] |\||>|`|~|<|!\[|\[)")
_MAX_TALK_LINES = 3


def is_markup(path: str) -> bool:
    """Whether a file's text is prose with code blocks in it, not code."""
    return path.lower().endswith(MARKUP_SUFFIXES)


@dataclass(frozen=True)
class _Wrapper:
    fence: str  # the opening marker: ``` or ```` or ~~~


def stitch_markup(chunks: Sequence[Chunk]) -> Stitched:
    """The file the chunks of one answer carry, every line the model wrote of it kept."""
    groups: list[str] = []
    for chunk in chunks:
        text = chunk.text.replace("\r\n", "\n")
        if groups and chunk.joins == "prefill":
            groups[-1] += text  # an exact continuation
        else:
            groups.append(text)
    if not groups:
        return Stitched("", fence_closed=True, parses=True)
    wrapper, body = _opening(groups[0])
    for raw in groups[1:]:
        body = _join(body, _continuation(raw, wrapper, body))
    if wrapper is None:
        return Stitched(
            body if body.endswith("\n") or not body else body + "\n", fence_closed=True, parses=True
        )
    # Where the file ends is read once, on the whole text: a fence at the very end of an
    # answer that was continued is no close (the answer was cut there).
    lines = body.split("\n")
    end = _close(lines, wrapper, depth=0)
    if end is None:
        return Stitched(body, fence_closed=False, parses=True)
    return Stitched("\n".join(lines[:end]) + "\n", fence_closed=True, parses=True)


def _opening(raw: str) -> tuple[_Wrapper | None, str]:
    """The wrapper a first answer put the file in (None: the answer is the file), and
    the text after its opening fence."""
    lines = raw.split("\n")
    at = next((i for i, line in enumerate(lines) if _FENCE.match(line)), None)
    if at is None or not _is_preface(lines[:at]):
        return None, raw
    fence = _FENCE.match(lines[at])
    assert fence is not None
    marker, info = fence.group(1), fence.group(2).lower()
    if info not in _WRAPPER_INFO and len(marker) == 3:
        return None, raw  # the file starts with a code block of its own
    return _Wrapper(marker), "\n".join(lines[at + 1 :])


def _continuation(raw: str, wrapper: _Wrapper | None, body: str) -> str:
    """What a user-turn answer adds to `body` (the seam's preface and a fence that
    opens the file again left out)."""
    partial = body.rpartition("\n")[2]
    lines = raw.split("\n")
    # A preface ("Continuing:") is talk only before the file's fence opened again: a
    # line like it with no fence after it may be the document's own.
    i = 0
    while i < len(lines) and (not lines[i].strip() or _PREFACE.match(lines[i].strip())):
        i += 1
    whole = body[: len(body) - len(partial)]  # the cut line may be a fence not yet whole
    # A bare fence after a cut inside a line is that line typed again (`_join` drops it).
    inner = bool(partial) or (wrapper is not None and _depth(whole, wrapper) > 0)
    if i < len(lines) and _reopens(lines[i], wrapper, inner=inner):
        return "\n".join(lines[i + 1 :])
    return raw


def _reopens(line: str, wrapper: _Wrapper | None, *, inner: bool) -> bool:
    """Whether a continuation's first line opens the file's fence again. A bare fence
    does when it is the wrapper's own, unless the cut fell inside an inner block
    (`inner`), which the fence then closes."""
    fence = _FENCE.match(line)
    if not fence:
        return False
    info = fence.group(2).lower()
    if info:
        return info in _WRAPPER_INFO
    return wrapper is not None and line.strip() == wrapper.fence and not inner


def _close(lines: Sequence[str], wrapper: _Wrapper, *, depth: int) -> int | None:
    """The index of the line that closes the wrapper (inner blocks `depth` deep open
    at the start), or None when the text ends inside it."""
    long = len(wrapper.fence) > 3 or wrapper.fence[0] == "~"
    for j, line in enumerate(lines):
        fence = _FENCE.match(line)
        if not fence:
            continue
        marker, info = fence.group(1), fence.group(2)
        bare = not info and line.strip() == marker
        if long:
            if bare and marker[0] == wrapper.fence[0] and len(marker) >= len(wrapper.fence):
                return j
            continue
        if info:
            depth += 1
        elif bare and depth:
            depth -= 1
        elif bare and _only_talk(lines[j + 1 :]):
            return j
        elif bare:
            depth += 1  # an unlabelled inner block: more of the file follows its end
    return None


def _depth(body: str, wrapper: _Wrapper) -> int:
    """How many inner blocks are open at the end of `body` (inside a ``` wrapper)."""
    if len(wrapper.fence) > 3 or wrapper.fence[0] == "~":
        return 0
    depth = 0
    for line in body.split("\n"):
        fence = _FENCE.match(line)
        if not fence:
            continue
        if fence.group(2):
            depth += 1
        elif depth:
            depth -= 1
        else:
            depth += 1
    return depth


def _join(body: str, piece: str) -> str:
    """`body` and what a continuation wrote, without what it typed again at the seam:
    the cut line typed again in full, or whole lines the body already ends with."""
    if not piece:
        return body
    head, _, partial = body.rpartition("\n")
    if partial and piece.startswith(partial):
        return _join(head + "\n" if head else "", piece)  # the cut line, retyped
    if partial and not piece.startswith("\n"):
        # The cut line's end typed again ("pip install c" + " install calc").
        first = piece.split("\n", 1)[0]
        for size in range(min(len(partial), len(first)), 3, -1):
            if partial.endswith(first[:size]):
                return body + piece[size:]
    old = body.split("\n")[:-1] if body.endswith("\n") else body.split("\n")
    new = piece.split("\n")
    for size in range(min(len(old), len(new)), 0, -1):
        overlap = new[:size]
        # Blank lines repeat by themselves: an overlap needs a line with text. (A
        # document rarely says one line twice in a row; a model at a seam often does.)
        if old[-size:] == overlap and any(x.strip() for x in overlap):
            piece = "\n".join(new[size:])
            break
    if body and not body.endswith("\n") and piece and not piece.startswith("\n"):
        return body + piece  # the cut line goes on
    return body + piece


def _is_preface(lines: Sequence[str]) -> bool:
    """Whether what stands before the first fence is a preface at most ("Here is the
    README:"), not a part of the document."""
    said = [x.strip() for x in lines if x.strip()]
    return len(said) <= 2 and not any(_STRUCTURE.match(x) for x in said)


def _only_talk(lines: Sequence[str]) -> bool:
    """Whether `lines` are at most a remark or two after the file, not more of it."""
    said = [x for x in lines if x.strip()]
    return len(said) <= _MAX_TALK_LINES and not any(_STRUCTURE.match(x) for x in said)
