"""Repairs of files in the tree-sitter languages (TypeScript, Go, Rust...): `mend_other`.

Python's repairs (mend.py) splice by libcst and ast. Here a placeholder in a definition
is mended the same way, by a `regenerate` of that definition, but the definition is
found by the validators' tree-sitter spans (`validators.definition_spans`): the answer's
definition of that name replaces the old one's characters, every other character of
the file kept. Other findings (a cut file, a missing name) are reported, not repaired.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import validators
from validators import Code, Finding, Severity

from . import prompts
from .calls import FileCalls
from .repair import RepairRecord
from .request import Request
from .stitch import stitch


def mend_other(
    calls: FileCalls,
    request: Request,
    code: str,
    findings: list[Finding],
    records: list[RepairRecord],
) -> tuple[str, list[Finding]]:
    """`code` with its placeholders regenerated, for up to max_repairs rounds, and what
    is still wrong with it."""
    file, language = calls.file, calls.file.checked_as
    if language is None or language not in validators.LANGUAGES or language == "python":
        return code, findings
    for round_ in range(1, calls.spec.max_repairs + 1):
        spans = _spans(code, language)
        targets = _targets(findings, spans)
        if not targets:
            break
        for name, found in targets.items():
            calls.doing = f"regenerate {name}"
            before_calls, before_usage = calls.calls, calls.usage
            code, outcome, detail = _regenerate(calls, request, code, language, name, found)
            records.append(
                RepairRecord(
                    "regenerate",
                    name,
                    f"regenerate {name}",
                    tuple(f"{f.code} at line {f.line}" for f in found),
                    outcome,
                    detail,
                    calls=calls.calls - before_calls,
                    usage=calls.usage - before_usage,
                    round=round_,
                )
            )
        calls.doing = ""
        findings = [
            f
            for f in validators.check_source(code, language=language, requires=file.requires)
            if f.severity is not Severity.WARNING
        ]
        if not findings:
            break
    return code, findings


def _spans(code: str, language: str) -> dict[str, tuple[int, int]]:
    try:
        return validators.definition_spans(code, language=language)
    except (ValueError, validators.GrammarMissing):
        return {}


def _targets(findings: list[Finding], spans: dict[str, tuple[int, int]]) -> dict[str, list[Finding]]:
    """The definitions to regenerate, by name: each placeholder's scope, or the nearest
    enclosing one the spans know."""
    targets: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.code != Code.PLACEHOLDER or not finding.scope:
            continue
        parts = finding.scope.split(".")
        name = next(
            (".".join(parts[:n]) for n in range(len(parts), 0, -1) if ".".join(parts[:n]) in spans), ""
        )
        if name:
            targets.setdefault(name, []).append(finding)
    return targets


Outcome = Literal["applied", "failed", "unchanged"]


def _regenerate(
    calls: FileCalls, request: Request, code: str, language: str, name: str, found: list[Finding]
) -> tuple[str, Outcome, str]:
    """(code, outcome, detail) after asking for `name` whole and splicing it in."""
    file = calls.file
    why = f"`{name}` is not written out in full:\n" + "\n".join(f"Line {f.line}: {f.message}." for f in found)
    kind = "method" if "." in name else "definition"
    prompt = prompts.definition_prompt(file.path, file.prompt, code, name, kind, why)
    generation = calls.generate(replace(request, prompt=prompt.blocks(None), cache_prompt=False))
    if generation.status != "complete":
        return code, "failed", generation.detail or generation.status
    answer = stitch(generation.chunks, python=False).code
    where = _found(answer, language, name)
    if where is None:
        return code, "failed", f"the answer does not define `{name}`"
    old_start, old_end = _spans(code, language)[name]
    new = _moved(answer[where[0] : where[1]], len(_column(answer, where[0])), len(_column(code, old_start)))
    if new.strip() == code[old_start:old_end].strip():
        return code, "unchanged", "the answer is the same code"
    return code[:old_start] + new + code[old_end:], "applied", ""


# A method asked for alone is not a definition at the top of a file in these languages:
# it is read inside a wrapper of its kind, and its offsets taken back out.
_WRAPPERS = {
    "typescript": ("class __Wrapped__ {\n", "\n}\n"),
    "tsx": ("class __Wrapped__ {\n", "\n}\n"),
    "javascript": ("class __Wrapped__ {\n", "\n}\n"),
    "java": ("class __Wrapped__ {\n", "\n}\n"),
    "rust": ("impl __Wrapped__ {\n", "\n}\n"),
    "cpp": ("struct __Wrapped__ {\n", "\n};\n"),
}


def _found(answer: str, language: str, name: str) -> tuple[int, int] | None:
    """Where the answer defines `name` (or its last part: a method written alone)."""
    short = name.rsplit(".", 1)[-1]

    def lookup(spans: dict[str, tuple[int, int]]) -> tuple[int, int] | None:
        return spans.get(name) or next((s for n, s in spans.items() if n.rsplit(".", 1)[-1] == short), None)

    where = lookup(_spans(answer, language))
    if where is not None or "." not in name or language not in _WRAPPERS:
        return where
    head, tail = _WRAPPERS[language]
    inside = lookup(
        {n: s for n, s in _spans(head + answer + tail, language).items() if n.startswith("__Wrapped__.")}
    )
    if inside is None:
        return None
    start, end = inside[0] - len(head), inside[1] - len(head)
    return (start, end) if 0 <= start < end <= len(answer) else None


def _column(code: str, offset: int) -> str:
    """The indentation of the line `offset` stands on, up to it."""
    line_start = code.rfind("\n", 0, offset) + 1
    head = code[line_start:offset]
    return head if not head.strip() else ""


def _moved(definition: str, at: int, to: int) -> str:
    """`definition`, which stood at column `at`, with its lines after the first moved to
    stand as it will at column `to` (the first line goes where the old one began)."""
    lines = definition.split("\n")
    shift = to - at
    if shift == 0:
        return definition
    moved = [lines[0]]
    for line in lines[1:]:
        if shift > 0:
            moved.append(" " * shift + line if line.strip() else line)
        else:
            cut = min(-shift, len(line) - len(line.lstrip()))
            moved.append(line[cut:])
    return "\n".join(moved)
