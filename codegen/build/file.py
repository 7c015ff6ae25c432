"""One file's pipeline: prompt, generate, stitch, mend, format, write."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import validators
from validators import Finding, Severity

from .. import lock, prompts
from ..blocks import choose
from ..calls import FileCalls
from ..continuation import Generation
from ..errors import CodegenError, UsageError
from ..files import read_text, resolve_inside, write_atomic, write_inside
from ..formatting import finish_python, format_with
from ..markup import is_markup, stitch_markup
from ..mend import check, mend, stuck_at, unfinished_findings
from ..mend_other import mend_other
from ..pricing import cache_savings, cost
from ..repair import RepairRecord
from ..request import Request, file_request
from ..spec import FileSpec, Spec
from ..stitch import stitch
from .results import FileResult, FileStatus


def build_file(calls: FileCalls, *, write: bool = True) -> FileResult:
    """Generate, stitch, finish and write one file, every call through `calls` (which
    holds the spec, the file and the model; `write=False`: only say whether the result
    is the file on disk: "unchanged", or "skipped")."""
    spec, file, info = calls.spec, calls.file, calls.info
    dependencies = [(d, _read_dependency(spec, d)) for d in file.depends_on]
    request = file_request(
        spec, file, info, prompts.file_prompt(file.path, file.prompt, file.requires, dependencies)
    )
    generation = calls.generate(request)
    python = file.language == "python"
    chunks, picked = generation.chunks, ""
    markup = is_markup(file.path)  # a README: its prose and its code blocks are the file
    if len(chunks) == 1 and not markup:
        # One whole answer that may hold other files' code too: read only this file's block.
        choice = choose(chunks[0].text, file.path, file.requires, python=python)
        chunks, picked = (replace(chunks[0], text=choice.text),), choice.note
    stitched = (
        stitch_markup(chunks) if markup else stitch(chunks, python=python, language=file.checked_as or "")
    )
    base = FileResult(file.path, "incomplete", spec.model)

    def done(code: str, **changes: Any) -> FileResult:
        result = replace(
            base,
            calls=calls.calls,
            continuations=calls.continuations,
            stalls=calls.stalls,
            usage=calls.usage,
            cost=cost(calls.usage, info),
            cache_savings=cache_savings(calls.usage, info),
            repairs=tuple(records),
            **changes,
        )
        if result.status == "incomplete" and "kept" not in changes:
            result = replace(result, kept=_keep(spec, file, code, generation))
        return result

    records: list[RepairRecord] = []
    # Stuck (its answers kept repeating what was written): the file's conversation
    # cannot find its place, but a repair of the cut definition, in a fresh one, may.
    stuck = generation.stuck and python and spec.max_repairs > 0 and bool(stitched.code.strip())
    if generation.status != "complete" and not stuck:
        status: FileStatus = "refused" if generation.status == "refused" else "incomplete"
        return done(stitched.code, status=status, detail=generation.detail)
    if not stitched.code.strip():
        return done("", detail="the answer held no code", kept=None)
    code = stitched.code
    if python:
        left = unfinished_findings(code, stitched)
        if stuck:
            left.update(stuck_at(code, left))
        findings = check(code, file, left)
        if findings and spec.max_repairs:
            code, findings = mend(calls, request, generation, code, findings, records, left)
        if findings:
            first = findings[0]
            more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
            rounds = f" after {spec.max_repairs} repair rounds" if records else ""
            return done(
                code,
                detail=f"line {first.line}: {first.message} [{first.code}]{more}{rounds}",
                validated=True,
                findings=findings,
            )
        final, problem = finish_python(code, pyi=file.path.endswith(".pyi"))
        if final is None:
            return done(code, detail=problem, validated=True)
    else:
        code, final, stopped = _finished_other(calls, request, generation, code, records)
        if stopped is not None:
            detail, found, validated = stopped
            return done(code, detail=detail, validated=validated, findings=found)
    destination = resolve_inside(spec.output_dir, file.path)
    if read_text(destination) == final:
        return done(final, status="unchanged", validated=python)
    if not write:
        return done(final, status="skipped", validated=python, kept=None)
    try:
        write_inside(spec.output_dir, file.path, final)
    except CodegenError as exc:  # the calls were paid for: report them with the failure
        return done(final, status="failed", detail=exc.message, kept=None)
    checked = python or file.checked_as is not None
    detail = "" if checked else "not validated (no validator for this language yet)"
    detail = "; ".join(d for d in (picked, detail) if d)
    return done(final, status="written", validated=checked, detail=detail)


def _finished_other(
    calls: FileCalls, request: Request, generation: Generation, code: str, records: list[RepairRecord]
) -> tuple[str, str, tuple[str, tuple[Finding, ...], bool] | None]:
    """A file in another language than Python, finished, its placeholders regenerated
    and its missing names added (`mend_other`), then formatted by the spec's command:
    (code, what to write, None), or why it is not complete (the detail, the findings,
    whether the validators read it)."""
    stopped = _not_complete(code, calls.file)
    if stopped is not None and stopped[1] and calls.spec.max_repairs:
        code, left = mend_other(calls, request, generation, code, list(stopped[1]), records)
        stopped = None
        if left:
            first = left[0]
            more = f" (and {len(left) - 1} more)" if len(left) > 1 else ""
            rounds = f" after {calls.spec.max_repairs} repair rounds" if records else ""
            stopped = (f"line {first.line}: {first.message} [{first.code}]{more}{rounds}", tuple(left))
    if stopped is not None:
        return code, code, (stopped[0], stopped[1], bool(stopped[1]))
    file, spec = calls.file, calls.spec
    if not file.format_argv:
        return code, code, None
    where = spec.output_dir if spec.output_dir.is_dir() else spec.path.parent
    formatted, problem = format_with(code, file.format_argv, file.path, where)
    if formatted is None:
        return code, code, (problem, (), file.checked_as is not None)
    return code, formatted, None


def _not_complete(code: str, file: FileSpec) -> tuple[str, tuple[Finding, ...]] | None:
    """Why a file in another language than Python is not written (the detail, and the
    findings), or None when the validators find nothing (or none reads it)."""
    findings, problem = check_other(code, file)
    if problem:
        return problem, ()
    # A warning (a mid-file parse error in C, `unimplemented!()`) may be fine: written.
    findings = [f for f in findings if f.severity is not Severity.WARNING]
    if not findings:
        return None
    first = findings[0]
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    return f"line {first.line}: {first.message} [{first.code}]{more}", tuple(findings)


def check_other(code: str, file: FileSpec) -> tuple[list[Finding], str]:
    """The validators' findings for a file in another language than Python, and "" (or
    the reason it cannot be checked: a grammar not installed)."""
    language = file.checked_as
    if language is None:
        return [], ""
    try:
        return validators.check_source(code, language=language, requires=file.requires), ""
    except validators.GrammarMissing as exc:
        return [], f"cannot check it: {exc}"
    except ValueError as exc:  # a required name this language cannot have
        return [], f"cannot check it: {exc}"


def lock_record(spec: Spec, file: FileSpec, result: FileResult) -> lock.Record:
    """The lock file's record of a file just written (or found up to date)."""
    written = read_text(resolve_inside(spec.output_dir, file.path)) or ""
    return lock.Record(
        entry=lock.entry_hash(spec, file),
        depends={
            d: lock.digest(read_text(resolve_inside(spec.output_dir, d)) or "") for d in file.depends_on
        },
        output=lock.digest(written),
        model=result.model,
        calls=result.calls,
        input_tokens=result.usage.input_tokens,
        output_tokens=result.usage.output_tokens,
        cost_usd=None if result.cost is None else round(result.cost, 6),
    )


def _read_dependency(spec: Spec, dep: str) -> str:
    text = read_text(resolve_inside(spec.output_dir, dep))
    if text is None:
        raise UsageError(f"{dep} is needed as context but not written yet: build it first")
    return text


def incomplete_dir(spec: Spec) -> Path:
    resolved = spec.path.resolve()  # a spec that is a symlink: beside its target
    return resolved.parent / ".codegen" / "incomplete" / resolved.stem


def _keep(spec: Spec, file: FileSpec, code: str, generation: Generation) -> str | None:
    """Keep an unfinished result for inspection; the destination is left as it was."""
    text = code or "".join(c.text for c in generation.chunks)
    if not text.strip():
        return None
    path = incomplete_dir(spec) / file.path
    write_atomic(path, text)
    return str(path)
