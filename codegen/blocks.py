"""Which code block of an answer is the file that was asked for: `choose`.

Asked for `a.py`, a model may answer with more than one file ("Here is b.py first:
```...``` And a.py: ```...```"). The stitcher reads the first block, and b.py's code
would be written as a.py. This picks the block meant for the path: the one labelled
with it (in the line before its fence, in the fence's info string, or in a comment on
its first line), else the only one that defines the file's required names. When
neither tells, the first block is kept, and the note says so: codegen never writes
another file's code without saying it.

Pure: a function of the answer's text. Markdown outputs are not read this way (their
code blocks are their content).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_OPEN = re.compile(r"^(`{3,}|~{3,})(.*)$")
# A file name as a label gives it: `a.py`, `lib/a.py`, "src/main.ts".
_NAME = re.compile(r"[\w][\w./-]*\.\w+")
_COMMENT = re.compile(r"^\s*(#|//|/\*|--|<!--|;)")


@dataclass(frozen=True)
class Block:
    """One closed fenced block: where it stands in the answer, and what names it."""

    start: int  # offset of its opening fence line
    end: int  # offset just past its closing fence line
    label: str  # the prose line before it, its info string and a first-line comment
    body: str


@dataclass(frozen=True)
class Choice:
    text: str  # the answer as the stitcher should read it
    note: str = ""  # what was chosen and why, when the answer held several blocks


def blocks(text: str) -> list[Block]:
    """The closed fenced blocks of an answer, in order."""
    found: list[Block] = []
    lines = text.splitlines(keepends=True)
    offset = 0
    prose: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        opening = _OPEN.match(line.rstrip("\r\n"))
        if not opening:
            prose.append(line)
            offset += len(line)
            i += 1
            continue
        fence, info = opening.group(1), opening.group(2)
        start = offset
        body: list[str] = []
        j = i + 1
        end = None
        at = offset + len(line)
        while j < len(lines):
            inner = lines[j].rstrip("\r\n").strip()
            if inner and set(inner) == {fence[0]} and len(inner) >= len(fence):
                end = at + len(lines[j])
                break
            body.append(lines[j])
            at += len(lines[j])
            j += 1
        if end is None:
            break  # an unclosed block: the answer was cut in it
        before = next((p.strip() for p in reversed(prose) if p.strip()), "")
        first = body[0] if body and _COMMENT.match(body[0]) else ""
        found.append(Block(start, end, f"{before} {info} {first}", "".join(body)))
        prose = []
        offset = end
        i = j + 1
    return found


def choose(text: str, path: str, requires: tuple[str, ...], *, python: bool) -> Choice:
    """The answer with only the block meant for `path`, when it holds several."""
    found = blocks(text)
    if len(found) < 2:
        return Choice(text)
    labelled = [b for b in found if _names(b.label, path)]
    if len(labelled) == 1:
        return _take(text, found, labelled[0], f"the one labelled {path}")
    defining = [b for b in found if requires and _defines(b.body, requires, python=python)]
    if len(defining) == 1:
        return _take(text, found, defining[0], "the one that defines its required names")
    return _take(text, found, found[0], f"the first: none is labelled {path} alone")


def _take(text: str, found: list[Block], block: Block, why: str) -> Choice:
    position = found.index(block) + 1
    note = f"the answer held {len(found)} code blocks; took block {position}, {why}"
    return Choice(text[block.start : block.end], note)


def _names(label: str, path: str) -> bool:
    """Whether a label names `path` (in full, or by the file name alone)."""
    base = path.rsplit("/", 1)[-1]
    for name in _NAME.findall(label):
        name = name.strip("./")
        if name == path or name.endswith("/" + path) or path.endswith("/" + name) or name == base:
            return True
    return False


def _defines(body: str, requires: tuple[str, ...], *, python: bool) -> bool:
    """Whether a block defines every required top-level name."""
    wanted = {r.split(".", 1)[0] for r in requires}
    if not python:
        return all(re.search(rf"\b{re.escape(w)}\b", body) for w in wanted)
    try:
        tree = ast.parse(body)
    except (SyntaxError, ValueError):
        return False
    defined: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
    return wanted <= defined
