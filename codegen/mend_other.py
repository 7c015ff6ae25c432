"""Repairs of files in the other languages (TypeScript, Go, Rust... and JSON, TOML,
YAML): `mend_other`.

Python's repairs (mend.py) splice by libcst and ast. Here the same three repairs are
made with what the validators' tree-sitter backend knows:

- truncated, premature-end: `finish`, the file's own conversation goes on from where
  the code stopped (`mend.finish`, as for Python); not for Markdown, whose inner
  fences the finish would misread.
- placeholder in `X`: `regenerate`, `X` alone, its answer put over the characters of
  the old one (`validators.definition_spans`), every other character of the file kept.
- missing `Name`, `Type.member`: `add`, that definition appended to the file, or put
  before the `}` that closes `Type`'s body (`validators.member_slot`; in Go at the end
  of the file, in Rust in an `impl Type` block).

The imports an answer to either brings that the file lacks go in after the file's own
(`with_imports`; Python's merge is `splice.merge_imports`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import validators
from validators import Code, Finding, Severity

from . import prompts
from .calls import FileCalls
from .continuation import Generation
from .markup import is_markup
from .mend import Unfinished, finish
from .models import Usage
from .progress import Repairing
from .repair import Action, Repair, RepairRecord
from .request import Request
from .stitch import stitch

Outcome = Literal["applied", "failed", "unchanged"]


def mend_other(
    calls: FileCalls,
    request: Request,
    generation: Generation,
    code: str,
    findings: list[Finding],
    records: list[RepairRecord],
) -> tuple[str, list[Finding]]:
    """`code` repaired, for up to max_repairs rounds, and what is still wrong with it:
    a round finishes a file that stops early, else regenerates each definition with a
    placeholder and adds each required name not defined."""
    file, language = calls.file, calls.file.checked_as
    if language is None or language not in validators.LANGUAGES or language == "python":
        return code, findings
    conversation = generation.conversation
    as_answered = True  # the code is still the text of the conversation's last answer
    failed: set[str] = set()
    for round_ in range(1, calls.spec.max_repairs + 1):
        ends = [f for f in findings if f.code in (Code.TRUNCATED, Code.PREMATURE_END)]
        missing = [f for f in findings if f.code == Code.MISSING]
        if ends and "finish" not in failed and not is_markup(file.path):
            step = Repair("finish", (*ends, *missing), names=tuple(f.name for f in missing if f.name))
            before = calls.calls, calls.usage
            outcome: Outcome = "applied"
            detail = ""
            calls.doing = step.label
            calls.observe(Repairing(file.path, step.label))
            stopped = False
            try:
                code, conversation, prefilled = finish(
                    calls, request, conversation, code, step, as_answered, {}, set()
                )
                as_answered = as_answered and prefilled
            except Unfinished as exc:
                outcome, detail, stopped = "failed", str(exc), exc.stopped
                failed.add("finish")
            records.append(
                _record("finish", "", step.label, step.findings, outcome, detail, calls, before, round_)
            )
            if stopped:  # --max-cost: no more calls for this file
                calls.doing = ""
                return code, _errors(code, language, file.requires)
        else:
            spans = _spans(code, language)
            jobs: list[tuple[Action, str, list[Finding]]] = [
                ("regenerate", name, found) for name, found in _targets(findings, spans).items()
            ]
            if language in validators.treesitter.GRAMMARS:
                jobs += [("add", name, found) for name, found in _additions(missing).items()]
            jobs = [job for job in jobs if f"{job[0]} {job[1]}" not in failed]
            if not jobs:
                break
            for action, name, found in jobs:
                label = f"{action} {name}"
                calls.doing = label
                calls.observe(Repairing(file.path, label))
                before = calls.calls, calls.usage
                if action == "regenerate":
                    code, outcome, detail = _regenerate(calls, request, code, language, name, found)
                else:
                    code, outcome, detail = _add(calls, request, code, language, name, found)
                if outcome != "applied":
                    failed.add(label)
                else:
                    as_answered = False
                records.append(_record(action, name, label, found, outcome, detail, calls, before, round_))
        calls.doing = ""
        findings = _errors(code, language, file.requires)
        if not findings:
            break
    return code, findings


def _errors(code: str, language: str, requires: Sequence[str]) -> list[Finding]:
    """The findings that keep the file from being written (a warning does not)."""
    found = validators.check_source(code, language=language, requires=requires)
    return [f for f in found if f.severity is not Severity.WARNING]


def _record(
    action: Action,
    target: str,
    label: str,
    found: Sequence[Finding],
    outcome: Outcome,
    detail: str,
    calls: FileCalls,
    before: tuple[int, Usage],
    round_: int,
) -> RepairRecord:
    """The report's record of one repair, with the calls and tokens it took since `before`."""
    return RepairRecord(
        action,
        target,
        label,
        tuple(f"{f.code} at line {f.line}" for f in found),
        outcome,
        detail,
        calls=calls.calls - before[0],
        usage=calls.usage - before[1],
        round=round_,
    )


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


def _additions(missing: list[Finding]) -> dict[str, list[Finding]]:
    """The definitions to add, by name: each missing name, or, when what it is a
    member of is missing too, the outermost part not defined (asked for whole, members
    and all)."""
    additions: dict[str, list[Finding]] = {}
    for finding in missing:
        if not finding.name:
            continue
        parts = finding.name.split(".")
        known = len(finding.scope.split(".")) if finding.scope else 0
        additions.setdefault(".".join(parts[: known + 1]), []).append(finding)
    return additions


def _ask(
    calls: FileCalls, request: Request, code: str, language: str, name: str, why: str
) -> tuple[str, tuple[int, int]] | str:
    """Ask a fresh conversation for the definition `name` alone: (the answer's code,
    where in it `name` is defined), or why there is none to put in."""
    file = calls.file
    kind = "method" if "." in name else "definition"
    prompt = prompts.definition_prompt(file.path, file.prompt, code, name, kind, why)
    generation = calls.generate(replace(request, prompt=prompt.blocks(None), cache_prompt=False))
    if generation.status != "complete":
        return generation.detail or generation.status
    answer = stitch(generation.chunks, python=False, language=language).code
    where = _found(answer, language, name)
    if where is None:
        return f"the answer does not define `{name}`"
    return answer, where


def _regenerate(
    calls: FileCalls, request: Request, code: str, language: str, name: str, found: list[Finding]
) -> tuple[str, Outcome, str]:
    """(code, outcome, detail) after asking for `name` whole and splicing it in."""
    why = f"`{name}` is not written out in full:\n" + "\n".join(f"Line {f.line}: {f.message}." for f in found)
    asked = _ask(calls, request, code, language, name, why)
    if isinstance(asked, str):
        return code, "failed", asked
    answer, where = asked
    old_start, old_end = _spans(code, language)[name]
    new = _moved(answer[where[0] : where[1]], len(_column(answer, where[0])), len(_column(code, old_start)))
    if new.strip() == code[old_start:old_end].strip():
        return code, "unchanged", "the answer is the same code"
    return with_imports(code[:old_start] + new + code[old_end:], answer, language), "applied", ""


def _add(
    calls: FileCalls, request: Request, code: str, language: str, name: str, found: list[Finding]
) -> tuple[str, Outcome, str]:
    """(code, outcome, detail) after asking for the required `name` and putting it in:
    at the end of the file, or in the body of what it is a member of."""
    wanted = ", ".join(f"`{f.name}`" for f in found if f.name and f.name != name)
    why = f"`{name}` is required but not defined" + (f" (with {wanted} in it)" if wanted else "") + ":\n"
    why += "\n".join(f"Line {f.line}: {f.message}." for f in found)
    parent = name.rpartition(".")[0]
    asked = _ask(calls, request, code, language, name, why)
    if isinstance(asked, str):
        return code, "failed", asked
    answer, where = asked
    text, at = answer[where[0] : where[1]], len(_column(answer, where[0]))
    if not parent or language == "go":  # Go's methods stand at the top level
        added = code.rstrip("\n") + "\n\n" + _moved(text, at, 0) + "\n"
    else:
        slot = validators.member_slot(code, language=language, parent=parent)
        if slot is None and language == "rust":  # no `impl` block yet: one of its own
            block = f"impl {parent.rsplit('.', 1)[-1]} {{\n    " + _moved(text, at, 4) + "\n}\n"
            added = code.rstrip("\n") + "\n\n" + block
        elif slot is None:
            return code, "failed", f"no body of `{parent}` to put `{name}` in"
        else:
            added = insert_member(code, slot, text, at)
    return with_imports(added, answer, language), "applied", ""


def with_imports(code: str, answer: str, language: str) -> str:
    """`code` with the imports of `answer` that it does not have yet (the answer was
    asked to add the ones its definition needs): after the file's last import, else
    after its package clause, else at its top."""
    try:
        theirs, _ = validators.import_spans(answer, language=language)
        ours, header = validators.import_spans(code, language=language)
    except (ValueError, validators.GrammarMissing):
        return code
    have = {"".join(code[a:b].split()) for a, b in ours}  # spacing aside
    new = [answer[a:b] for a, b in theirs if "".join(answer[a:b].split()) not in have]
    new = list(dict.fromkeys(new))
    if not new:
        return code
    lines = "\n".join(new)
    if ours:
        at = ours[-1][1]
        return code[:at] + "\n" + lines + code[at:]
    if header:
        return code[:header] + "\n\n" + lines + code[header:]
    return lines + "\n\n" + code.lstrip("\n")


def insert_member(code: str, slot: int, definition: str, at: int) -> str:
    """`code` with `definition` (which stood at column `at` in its answer) put before
    the `}` at `slot`, indented as the members above it, after a blank line."""
    line_start = code.rfind("\n", 0, slot) + 1
    closing = code[line_start:slot]
    own_line = not closing.strip()
    outer = closing if own_line else closing[: len(closing) - len(closing.lstrip())]
    above = [line for line in code[:line_start].splitlines() if line.strip()]
    last = above[-1] if above and own_line else ""
    indent = last[: len(last) - len(last.lstrip())]
    if len(indent) <= len(outer):  # an empty body: one level in, as the file indents
        indent = outer + ("\t" if "\n\t" in code else "    ")
    member = _reindented(definition, at, indent)
    if own_line:
        return code[:line_start] + "\n" + member + "\n" + code[line_start:]
    head = code[:slot].rstrip(" \t")
    return head + "\n\n" + member + "\n" + outer + code[slot:]


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


def _reindented(definition: str, at: int, indent: str) -> str:
    """`definition`, which stood at column `at`, moved to stand at `indent`: its first
    line prefixed, each later line's first `at` columns of whitespace replaced. In a
    file indented with tabs, the answer's levels of spaces become tabs."""
    lines = definition.split("\n")
    later = [line for line in lines[1:] if line.strip()]
    steps = [len(line) - len(line.lstrip(" ")) - at for line in later]
    unit = min((step for step in steps if step > 0), default=0)
    moved = [indent + lines[0]]
    for line in lines[1:]:
        if not line.strip():
            moved.append("")
            continue
        cut = min(at, len(line) - len(line.lstrip()))
        rest = line[cut:]
        if "\t" in indent and unit:
            spaces = len(rest) - len(rest.lstrip(" "))
            rest = "\t" * (spaces // unit) + " " * (spaces % unit) + rest.lstrip(" ")
        moved.append(indent + rest)
    return "\n".join(moved)


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
