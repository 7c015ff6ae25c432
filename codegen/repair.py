"""What to ask for to fix each finding, and how to put the answer in place.

Pure functions of text: `plan` turns the validators' findings into the smallest
requests that fix them; `apply` splices an answer into the file. The loop that sends
the requests lives in build.py.

| finding | repair |
|---|---|
| truncated, premature-end | `finish`: the file's own conversation goes on from where the code stopped |
| placeholder in `X` | `regenerate`: `X` alone (the outermost function around the placeholder) |
| missing `Name`, `Class.member` | `add`: that definition, inserted at its scope |
| syntax error mid-file | `statement`: the top-level statement that does not parse |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from validators import Code, Finding

from .models import Usage
from .splice import (
    SpliceError,
    broken_statement,
    definition_target,
    find_definition,
    insert_definition,
    merge_imports,
    replace_definition,
    replace_lines,
    statement_from_answer,
)
from .stitch import extract_code

Action = Literal["finish", "regenerate", "add", "statement"]


@dataclass(frozen=True)
class Repair:
    """One request that fixes one or more findings."""

    action: Action
    findings: tuple[Finding, ...]
    target: str = ""  # the qualified name to regenerate or add
    kind: str = "file"  # function | method | class | statement | file
    first: int = 0  # statement: its lines
    last: int = 0
    names: tuple[str, ...] = ()  # finish: required names not written yet

    @property
    def why(self) -> str:
        """The findings as the model is told them."""
        return "\n".join(f"Line {f.line}: {f.message}." for f in self.findings)

    @property
    def label(self) -> str:
        """What the report calls it: "regenerate TodoList.add"."""
        if self.action == "finish":
            return "finish the file"
        if self.action == "statement":
            return f"rewrite lines {self.first}-{self.last}"
        return f"{self.action} {self.target}"


@dataclass(frozen=True)
class RepairRecord:
    """One repair as the report shows it."""

    action: Action
    target: str
    label: str
    findings: tuple[str, ...]  # "placeholder at line 12"
    outcome: Literal["applied", "failed", "unchanged"]  # unchanged: the answer was the same code
    detail: str = ""
    calls: int = 0
    usage: Usage = field(default_factory=Usage)

    def to_dict(self) -> dict[str, object]:
        return {
            "action": self.action, "target": self.target, "findings": list(self.findings),
            "outcome": self.outcome, "detail": self.detail, "calls": self.calls,
            "input_tokens": self.usage.input_tokens, "output_tokens": self.usage.output_tokens,
            "cache_read_tokens": self.usage.cache_read_tokens,
            "cache_write_tokens": self.usage.cache_write_tokens,
        }


def plan(code: str, findings: Sequence[Finding]) -> list[Repair]:
    """The repairs for `findings` in `code`, in the order to run them: a finish first
    (it goes on from the end of the file as the model left it), then one request per
    definition. Findings no request can fix are left out (they stay in the report)."""
    syntax = [f for f in findings if f.code == Code.SYNTAX]
    ends = [f for f in findings if f.code in (Code.TRUNCATED, Code.PREMATURE_END)]
    missing = [f for f in findings if f.code == Code.MISSING]
    repairs: list[Repair] = []
    if ends:
        names = tuple(_missing_name(f) for f in missing)
        repairs.append(Repair("finish", tuple(ends + missing), names=tuple(n for n in names if n)))
        return repairs  # what else is wrong is judged on the finished file
    if syntax:
        seen: set[int] = set()
        for finding in syntax:
            span = broken_statement(code, finding.line)
            if span is not None and span.first not in seen:
                seen.add(span.first)
                repairs.append(Repair("statement", (finding,), kind="statement",
                                      first=span.first, last=span.last))
        return repairs  # names cannot be placed in a file that does not parse
    by_target: dict[str, list[Finding]] = {}
    kinds: dict[str, str] = {}
    for finding in findings:
        if finding.code != Code.PLACEHOLDER:
            continue
        target = definition_target(code, finding.scope)
        if target is None:
            continue
        by_target.setdefault(target[0], []).append(finding)
        kinds[target[0]] = target[1]
    # A placeholder inside a class body itself regenerates the class, which covers
    # every placeholder in its methods too.
    for name in list(by_target):
        outer = next((o for o in by_target if name.startswith(o + ".")), None)
        if outer is not None:
            by_target[outer] += by_target.pop(name)
    for name, found in by_target.items():
        repairs.append(Repair("regenerate", tuple(found), target=name, kind=kinds[name]))
    for finding in missing:
        name = _missing_name(finding)
        if name:
            kind = "method" if "." in name else "definition"
            repairs.append(Repair("add", (finding,), target=name, kind=kind))
    return repairs


def finish_cut(code: str, repair: Repair) -> str:
    """The code a finish goes on from: without the closing remark ("the rest follows
    the same pattern") and the blank lines before it."""
    remark = min((f.line for f in repair.findings if f.code == Code.PREMATURE_END), default=0)
    if not remark:
        return code
    lines = code.splitlines(keepends=True)
    return "".join(lines[: remark - 1]).rstrip() + "\n"


def prefill_text(raw: str, code: str, kept: str) -> str | None:
    """The answer text `raw` (prose, fence and all) cut where `kept` ends, to resume by
    prefill; None when that place cannot be found for sure. `code` is the code `raw`
    holds and `kept` the start of it that the finish goes on from."""
    if not kept.strip() or not code.startswith(kept.rstrip()):
        return None
    last = kept.rstrip().splitlines()[-1].strip()
    removed = code[len(kept.rstrip()):].strip()
    limit = raw.rfind(removed.splitlines()[0].strip()) if removed else len(raw)
    at = raw.rfind(last, 0, max(limit, 0))
    if at < 0:
        return None
    text = raw[: at + len(last)]
    return text if extract_code(text).rstrip() == kept.rstrip() else None


def apply(code: str, repair: Repair, answer: str) -> str:
    """`code` with `answer` (the repair's stitched code) put in place. Raises
    SpliceError when the answer does not hold what was asked for."""
    if repair.action == "regenerate":
        definition = find_definition(answer, repair.target)
        return merge_imports(replace_definition(code, repair.target, definition), definition.imports)
    if repair.action == "add":
        definition = find_definition(answer, repair.target)
        return merge_imports(insert_definition(code, repair.target, definition), definition.imports)
    if repair.action == "statement":
        return replace_lines(code, repair.first, repair.last, statement_from_answer(answer))
    raise SpliceError(f"{repair.action} is not a splice")


def statement_text(code: str, repair: Repair) -> str:
    lines = code.splitlines(keepends=True)
    return "".join(lines[repair.first - 1 : repair.last])


def _missing_name(finding: Finding) -> str:
    """`TodoList.add` out of "required name `TodoList.add` is not defined ..."."""
    start = finding.message.find("`")
    end = finding.message.find("`", start + 1)
    return finding.message[start + 1 : end] if 0 <= start < end else ""
