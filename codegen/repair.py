"""What to ask for to fix each finding, and how to put the answer in place.

Pure functions of text: `plan` turns the validators' findings into the smallest
requests that fix them; `apply` splices an answer into the file. The loop that sends
the requests lives in mend.py.

| finding | repair |
|---|---|
| truncated, premature-end | `finish`: the file's own conversation goes on from where the code stopped |
| placeholder in `X` | `regenerate`: `X` alone (the outermost function around the placeholder) |
| missing `Name`, `Class.member` | `add`: that definition, inserted at its scope |
| unfinished `X` (a continuation skipped ahead) | `regenerate`: `X` by name, spliced over its lines |
| syntax error mid-file | the first way not tried and failed (`_syntax_repairs`) |

Every syntax finding gets a repair while one is left to try; `plan` never parses a
file that does not parse but to test a candidate.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from validators import Code, Finding

from .models import Usage
from .splice import (
    Region,
    SpliceError,
    broken_definition,
    broken_statement,
    defines,
    definition_around,
    definition_target,
    find_definition,
    insert_definition,
    merge_imports,
    parses,
    replace_definition,
    replace_lines,
    replace_region,
    statement_around,
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
    # Lines: a statement's; a regenerate's in a file that does not parse (spliced over
    # them, not found by name); a finish's first line left out (0: none).
    first: int = 0
    last: int = 0
    # Required names not written yet: a finish is asked for them; an add takes those its
    # answer also defines (a small model asked for one writes the file over).
    names: tuple[str, ...] = ()

    @property
    def why(self) -> str:
        """The findings as the model is told them."""
        return "\n".join(f"Line {f.line}: {f.message}." for f in self.findings)

    @property
    def label(self) -> str:
        """What the report calls it: "regenerate TodoList.add"."""
        if self.action == "finish":
            return f"finish the file from line {self.first}" if self.first else "finish the file"
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
    round: int = 1  # the repair round it was asked in (max_repairs rounds at most)

    def to_dict(self) -> dict[str, object]:
        return {
            "round": self.round,
            "action": self.action,
            "target": self.target,
            "findings": list(self.findings),
            "outcome": self.outcome,
            "detail": self.detail,
            "calls": self.calls,
            "input_tokens": self.usage.input_tokens,
            "output_tokens": self.usage.output_tokens,
            "cache_read_tokens": self.usage.cache_read_tokens,
            "cache_write_tokens": self.usage.cache_write_tokens,
        }


def plan(code: str, findings: Sequence[Finding], tried: Collection[str] = ()) -> list[Repair]:
    """The repairs for `findings` in `code`, in the order to run them: a finish first
    (it goes on from the end of the file as the model left it), then one request per
    definition. Findings no request can fix are left out (they stay in the report).
    `tried` are the labels of repairs that failed before: a syntax finding is then
    asked for another way."""
    syntax = [f for f in findings if f.code == Code.SYNTAX]
    ends = [f for f in findings if f.code in (Code.TRUNCATED, Code.PREMATURE_END)]
    missing = [f for f in findings if f.code == Code.MISSING]
    unfinished = [f for f in findings if f.code == Code.UNFINISHED]
    if unfinished:
        repairs = _unfinished_round(code, unfinished, tried)
        if repairs:
            return repairs
    if ends:
        return _end_round(code, ends, missing, tried)  # the rest is judged on the finished file
    if syntax:
        # Python reports one syntax error: one repair, the first way not tried yet.
        finding = syntax[0]
        way = next((r for r in _syntax_repairs(code, finding) if r.label not in tried), None)
        return [way] if way is not None else []
    return _definition_round(code, findings, missing, tried)


def _unfinished_round(code: str, unfinished: Sequence[Finding], tried: Collection[str]) -> list[Repair]:
    """Unfinished definitions: a round of their own, bottom up so that each splice
    leaves the lines of the others where they were; what else is wrong is judged on
    the result."""
    regions: dict[int, tuple[Region, list[Finding]]] = {}
    for finding in unfinished:
        region = definition_around(code, finding.line)
        if region is not None and finding.end_line >= region.first:
            region = replace(region, last=finding.end_line)
        if region is not None:
            regions.setdefault(region.first, (region, []))[1].append(finding)
    repairs: list[Repair] = []
    for _, (region, found) in sorted(regions.items(), reverse=True):
        step = _regenerate(region, tuple(found))
        if step.label in tried:
            # Asked by name and failed (an answer cut and broken in turn): the file's
            # own conversation writes it again, and everything after it.
            return [Repair("finish", tuple(found), first=region.first)]
        repairs.append(step)
    return repairs


def _end_round(
    code: str, ends: Sequence[Finding], missing: Sequence[Finding], tried: Collection[str]
) -> list[Repair]:
    """A file cut or ended early: a finish, naming the required names not written yet;
    where a finish failed, the definition holding the cut, by name."""
    names = tuple(_missing_name(f) for f in missing)
    finish = Repair("finish", tuple([*ends, *missing]), names=tuple(n for n in names if n))
    region = definition_around(code, ends[-1].line)
    if finish.label in tried and region is not None:
        step = _regenerate(region, tuple(ends))
        if step.label in tried:
            return []  # both ways failed: the finding stays in the report

        # The file's own conversation could not get past the cut (its answer only
        # repeated what was written): the definition holding it, by name, in a
        # fresh one; what follows it is judged on the result.
        return [step]
    return [finish]


def _definition_round(
    code: str, findings: Sequence[Finding], missing: Sequence[Finding], tried: Collection[str]
) -> list[Repair]:
    """Placeholders (each outermost definition once) and missing names, one request
    each; names an add failed to get are asked of the file's own conversation."""
    placeholders = [f for f in findings if f.code == Code.PLACEHOLDER]
    if placeholders and not parses(code):
        # A comment where a body should be is not Python: the definitions are found by
        # their lines, and spliced over them.
        return _regenerate_by_lines(code, placeholders)
    by_target: dict[str, list[Finding]] = {}
    kinds: dict[str, str] = {}
    for finding in placeholders:
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
    repairs = [
        Repair("regenerate", tuple(found), target=name, kind=kinds[name]) for name, found in by_target.items()
    ]
    wanted = [(f, name) for f in missing if (name := _missing_name(f))]
    adds = [
        Repair(
            "add",
            (f,),
            target=name,
            kind="method" if "." in name else "definition",
            names=tuple(n for _, n in wanted if n != name),
        )
        for f, name in wanted
    ]
    retry = [step for step in adds if step.label in tried]
    finish = Repair(
        "finish",
        tuple(f for step in retry for f in step.findings),
        names=tuple(step.target for step in retry),
    )
    if retry and finish.label not in tried:
        # Asked alone, the model did not write them (a small one writes the file over
        # instead): the file's own conversation goes on with them, in a round of its own.
        return [finish]
    return repairs + adds


def _regenerate_by_lines(code: str, findings: Sequence[Finding]) -> list[Repair]:
    """A regenerate of each definition around `findings`, found by indentation, bottom
    up so that each splice leaves the lines of the others where they were."""
    regions: dict[int, tuple[Region, list[Finding]]] = {}
    for finding in findings:
        region = definition_around(code, finding.line)
        if region is not None:
            regions.setdefault(region.first, (region, []))[1].append(finding)
    # One region inside another (a class and its method): the outer one covers both.
    outer = [
        (r, f)
        for r, f in regions.values()
        if not any(o.first <= r.first and r.last <= o.last and o is not r for o, _ in regions.values())
    ]
    return [_regenerate(r, f) for r, f in sorted(outer, key=lambda rf: -rf[0].first)]


def _regenerate(region: Region, findings: Sequence[Finding]) -> Repair:
    """Regenerate the definition at `region`, spliced over its lines (the file may not parse)."""
    return Repair(
        "regenerate",
        tuple(findings),
        target=region.name,
        kind=region.kind,
        first=region.first,
        last=region.last,
    )


def _syntax_repairs(code: str, finding: Finding) -> Iterator[Repair]:
    """The ways to repair a file that does not parse at `finding`, the likeliest first:
    the definition that does not parse, asked for by name (a model asked for "the
    statement" `def c_to_k(c` writes `def c_to_k(c` again); the top-level statement
    whose removal makes the file parse, or failing that the one around the error;
    the rest of the file from the last top-level statement before the error."""
    region = broken_definition(code, finding.line)
    if region is not None:
        yield _regenerate(region, (finding,))
    span = broken_statement(code, finding.line) or statement_around(code, finding.line)
    if span is not None:
        yield Repair("statement", (finding,), kind="statement", first=span.first, last=span.last)
    if span is not None and span.first > 1:
        yield Repair("finish", (finding,), first=span.first)


def finish_cut(code: str, repair: Repair) -> str:
    """The code a finish goes on from: without the closing remark ("the rest follows
    the same pattern") and the blank lines before it, or before the line it starts
    from."""
    if repair.first:
        return "".join(code.splitlines(keepends=True)[: repair.first - 1]).rstrip() + "\n"
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
    removed = code[len(kept.rstrip()) :].strip()
    limit = raw.rfind(removed.splitlines()[0].strip()) if removed else len(raw)
    at = raw.rfind(last, 0, max(limit, 0))
    if at < 0:
        return None
    text = raw[: at + len(last)]
    return text if extract_code(text).rstrip() == kept.rstrip() else None


def apply(code: str, repair: Repair, answer: str) -> str:
    """`code` with `answer` (the repair's stitched code) put in place. Raises
    SpliceError when the answer does not hold what was asked for, or when the splice
    needs the file to parse and it does not."""
    try:
        return _apply(code, repair, answer)
    except (SyntaxError, RecursionError, MemoryError) as exc:
        raise SpliceError(f"cannot put the answer in place: the file does not parse ({exc})") from None


def _apply(code: str, repair: Repair, answer: str) -> str:
    if repair.action == "regenerate" and repair.first:
        definition = find_definition(answer, repair.target)
        broken = statement_text(code, repair)
        if _same_lines(definition.text, broken):
            if all(f.code == Code.UNFINISHED for f in repair.findings):
                return code  # the model writes it as it stands: it was whole after all
            raise SpliceError(f"the answer repeats the broken lines of `{repair.target}`")
        spliced = replace_region(
            code, Region(repair.target, repair.kind, repair.first, repair.last), definition
        )
        try:
            return merge_imports(spliced, definition.imports)
        except SyntaxError:  # the rest of the file still does not parse: imports later
            return spliced
    if repair.action == "regenerate":
        definition = find_definition(answer, repair.target)
        return merge_imports(replace_definition(code, repair.target, definition), definition.imports)
    if repair.action == "add":
        definition = find_definition(answer, repair.target)
        code = merge_imports(insert_definition(code, repair.target, definition), definition.imports)
        return _add_also(code, repair.names, answer)
    if repair.action == "statement":
        statement = statement_from_answer(answer)
        if _same_lines(statement, statement_text(code, repair)):
            raise SpliceError(f"the answer repeats the broken lines {repair.first}-{repair.last}")
        return replace_lines(code, repair.first, repair.last, statement)
    raise SpliceError(f"{repair.action} is not a splice")


def _add_also(code: str, names: Sequence[str], answer: str) -> str:
    """`code` with those of `names` it lacks that `answer` defines as well: a model that
    writes the whole file over when asked for one definition often writes the other
    missing ones in it, and asked for them in turn it may not write them again."""
    for name in names:
        if defines(code, name):
            continue
        try:
            definition = find_definition(answer, name)
            code = merge_imports(insert_definition(code, name, definition), definition.imports)
        except SpliceError:
            continue
    return code


def statement_text(code: str, repair: Repair) -> str:
    lines = code.splitlines(keepends=True)
    return "".join(lines[repair.first - 1 : repair.last])


def _same_lines(a: str, b: str) -> bool:
    """Whether two texts hold the same lines but for indentation and blank lines."""

    def lines(text: str) -> list[str]:
        return [x.strip() for x in text.splitlines() if x.strip()]

    return lines(a) == lines(b)


def _missing_name(finding: Finding) -> str:
    """The required name a `missing` finding is about ("" for a finding made without
    one)."""
    return finding.name
