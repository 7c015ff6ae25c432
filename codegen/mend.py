"""Mending a file the validators found wrong: the repair loop of a build (plan a round
with `repair.plan`, ask for each repair, splice the answers in, check again), the
finish that goes on with the file's own conversation, and the one ask-and-splice that
the verify step's repairs share. What to repair and how an answer goes in are pure
(`repair.py`, `splice.py`); this module holds the asking.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import replace
from typing import Any, Literal

import libcst

import validators
from validators import Code, Finding
from validators.parsing import parse

from . import prompts, repair, splice
from .calls import FileCalls
from .continuation import Generation, Opening
from .progress import Repairing
from .repair import Repair, RepairRecord
from .request import Request
from .spec import FileSpec
from .splice import SpliceError
from .stitch import Chunk, Stitched, has_fence, stitch


def mend(
    calls: FileCalls,
    request: Request,
    generation: Generation,
    code: str,
    findings: tuple[Finding, ...],
    records: list[RepairRecord],
    unfinished: dict[str, Finding],
) -> tuple[str, tuple[Finding, ...]]:
    """Fix what the validators found, one small request per repair, for up to
    max_repairs rounds. Returns the code and what is still wrong with it.
    `unfinished`: definitions the stitcher saw left unfinished, by name; each stays a
    finding until a repair rewrites it (the file may parse with them)."""
    file = calls.file
    conversation = generation.conversation
    # Whether the code is still the text of the conversation's last turn, which a
    # finish by prefill cuts and goes on from.
    as_answered = True
    failed: set[str] = set()  # labels of repairs that failed: asked another way next time
    # Definitions a repair wrote out in full: a later finish that ends after one of them
    # and opens a new definition does not make it unsure again.
    rewritten: set[str] = set()
    for round_ in range(1, calls.spec.max_repairs + 1):
        planned = repair.plan(code, findings, failed)
        if not planned:
            break
        # A finish is a round of its own (`repair.plan`): the rest quote the same code.
        splices = sum(step.action != "finish" for step in planned)
        shared = prompts.SharedQuote.of_round(code, splices, request.cache_control)
        for step in planned:
            if step.action == "add" and _defines(code, step.target):
                # An earlier answer of this round wrote it too (`Repair.names`).
                records.append(
                    RepairRecord(
                        step.action,
                        step.target,
                        step.label,
                        tuple(f"{f.code} at line {f.line}" for f in step.findings),
                        "applied",
                        "written in an earlier answer of this round",
                        round=round_,
                    )
                )
                continue
            calls.doing = step.label
            calls.observe(Repairing(file.path, step.label))
            before_calls, before_usage = calls.calls, calls.usage
            outcome: Literal["applied", "failed"] = "applied"
            detail = ""
            stopped = False
            left = dict(unfinished)  # a finish may find definitions unfinished anew
            try:
                if step.action == "finish":
                    code, conversation, prefilled = finish(
                        calls, request, conversation, code, step, as_answered, unfinished, rewritten
                    )
                    as_answered = as_answered and prefilled
                else:
                    code = _splice(calls, request, code, step, shared)
                    as_answered = False
            except SpliceError as exc:
                outcome, detail = "failed", str(exc)
            except Unfinished as exc:
                outcome, detail, stopped = "failed", str(exc), exc.stopped
            if outcome == "failed":
                failed.add(step.label)
            else:  # what this step rewrote is no longer unfinished (unless found so again)
                if step.action == "regenerate":
                    rewritten.add(step.target)
                for name in {step.target, *(f.scope for f in step.findings if f.code == Code.UNFINISHED)}:
                    if name in unfinished and unfinished[name] is left.get(name):
                        del unfinished[name]
            records.append(
                RepairRecord(
                    step.action,
                    step.target,
                    step.label,
                    tuple(f"{f.code} at line {f.line}" for f in step.findings),
                    outcome,
                    detail,
                    calls=calls.calls - before_calls,
                    usage=calls.usage - before_usage,
                    round=round_,
                )
            )
            if stopped:
                calls.doing = ""
                return code, check(code, file, unfinished)
        calls.doing = ""
        findings = check(code, file, unfinished)
        if not findings:
            break
    return code, findings


def stuck_at(code: str, found: Mapping[str, Finding]) -> dict[str, Finding]:
    """The definition holding the last line of a file whose answers got stuck there,
    as unfinished (none when that line is outside any definition: the validators see
    the cut, and a finish goes on from it)."""
    lines = code.rstrip().splitlines()
    region = splice.definition_around(code, len(lines)) if lines else None
    if region is None or region.name in found:
        return {}
    message = (
        f"`{region.name}` was cut at `{lines[-1].strip()}` and the answers after it only "
        "repeated what was already written; it is asked for in full"
    )
    return {region.name: Finding(Code.UNFINISHED, region.first, 1, region.name, message, end_line=len(lines))}


def _defines(code: str, qualname: str) -> bool:
    try:
        return splice.defines(code, qualname)
    except (SyntaxError, ValueError):
        return False


class Unfinished(Exception):
    """A repair's own conversation did not end with an answer."""

    def __init__(self, message: str, *, stopped: bool = False) -> None:
        super().__init__(message)
        self.stopped = stopped  # --max-cost: no more calls for this file


def check(code: str, file: FileSpec, unfinished: dict[str, Finding] | None = None) -> tuple[Finding, ...]:
    """The validators' findings, and those of the definitions still unfinished (found
    again by name: the lines move as repairs go in)."""
    found = list(validators.check(code, requires=file.requires, filename=file.path))
    for name, finding in (unfinished or {}).items():
        region = splice.definition_named(code, name)
        if region is not None:
            moved = region.first - finding.line
            found.append(
                replace(
                    finding, line=region.first, end_line=finding.end_line + moved if finding.end_line else 0
                )
            )
    return tuple(sorted(found, key=lambda f: (f.line, f.column)))


def unfinished_findings(
    code: str, stitched: Stitched, rewritten: Set[str] = frozenset()
) -> dict[str, Finding]:
    """Findings for the definitions a continuation left unfinished, or may have
    (`Stitched.unfinished`, `unsure`), by the name of the definition to regenerate;
    none for a definition a repair has written out in full (`rewritten`)."""
    found: dict[str, Finding] = {}
    text = code.splitlines()
    for line, sure in [*((n, True) for n in stitched.unfinished), *((n, False) for n in stitched.unsure)]:
        region = splice.definition_around(code, line)
        if region is None or region.name in found or (not sure and region.name in rewritten):
            continue
        cut = text[line - 1].strip()
        message = (
            (
                f"`{region.name}` was left unfinished (cut at `{cut}`): the answer went on to the "
                "next definition"
            )
            if sure
            else (
                f"`{region.name}` may be unfinished: an answer stopped after `{cut}` and the next "
                "one began a new definition; it is asked for in full"
            )
        )
        # It ends where it was cut: what follows is the definition the answer went on to.
        found[region.name] = Finding(Code.UNFINISHED, region.first, 1, region.name, message, end_line=line)
    return found


def finish(
    calls: FileCalls,
    request: Request,
    conversation: tuple[dict[str, Any], ...],
    code: str,
    step: Repair,
    as_answered: bool,
    unfinished: dict[str, Finding],
    rewritten: Set[str],
) -> tuple[str, tuple[dict[str, Any], ...], bool]:
    """Go on with the file's own conversation from where its code stopped: by prefill
    (the last answer cut after its last good line) where the model takes it, else a
    user turn quoting the end of the file. Returns the code, the conversation to go
    on from next time, and whether it went by prefill."""
    python = calls.file.language == "python"
    language = "python" if python else ""
    kept = repair.finish_cut(code, step)
    last = conversation[-1] if conversation and conversation[-1]["role"] == "assistant" else None
    prefill = None
    if as_answered and last is not None and calls.memory.allows(request.model, request.prefill):
        raw = "".join(b.get("text", "") for b in last["content"] if b.get("type") == "text")
        prefill = repair.prefill_text(raw, code, kept)
    if prefill is not None and last is not None:
        blocks = [b for b in last["content"] if b.get("type") != "text"]
        opening = Opening(conversation[:-1], (*blocks, {"type": "text", "text": prefill}))
        start = Chunk(prefill)
    else:
        tail = "".join(kept.splitlines(keepends=True)[-8:])
        ask = prompts.finish_prompt(_first_line(step.why), tail, step.names, language)
        opening = Opening((*conversation, {"role": "user", "content": ask}))
        # The code so far, as the answers held it: fenced or not, so that what follows
        # the code in the new answer (a closing fence, a sentence) is read the same way.
        fenced = any(has_fence(m_text) for m_text in _assistant_texts(conversation))
        start = Chunk(f"```{language}\n{kept}" if fenced else kept)
    generation = calls.generate(request, opening)
    if generation.status == "stopped":
        raise Unfinished(generation.detail, stopped=True)
    if generation.status != "complete":
        # Still cut: what it wrote may well parse, and stop at a line boundary.
        raise Unfinished(generation.detail or generation.status)
    chunks = list(generation.chunks)
    if chunks and chunks[0].joins == "user_turn" and not start.text.endswith("\n"):
        # The prefill was refused: the kept lines are whole, not a line cut short.
        start = Chunk(start.text + "\n")
    if chunks and chunks[0].joins == "user_turn":
        # The kept code ends where codegen cut it, after a whole line, and the answer
        # was asked for what follows: a new definition may well open it.
        chunks[0] = Chunk(chunks[0].text, "answer")
    stitched = stitch([start, *chunks], python=python, language=calls.file.checked_as or "")
    finished = stitched.code
    if python and not stitched.unfinished and not stitched.unsure:  # (their lines would move)
        finished = splice.drop_repeats(finished, len(kept.splitlines()))
    if finished.rstrip() in (kept.rstrip(), code.rstrip()):
        # Asked again, it would answer the same: the next round asks another way.
        raise Unfinished("the answer only repeated what was already written")
    if python:  # (definitions by indentation: another language's are not read so)
        unfinished.update(unfinished_findings(finished, stitched, rewritten))
    return finished, generation.conversation, prefill is not None and generation.prefill_used


def ask_and_splice(
    calls: FileCalls,
    request: Request,
    code: str,
    step: Repair,
    prompt: prompts.RepairPrompt,
    shared: prompts.SharedQuote,
) -> str:
    """One request in a fresh conversation (`prompt`, quoting `shared`), its answer
    spliced into `code` in place of what `step` names (`repair.apply`). Raises
    Unfinished when no whole answer came, SpliceError when it cannot go in. The build's
    repairs and the verify step's both ask this way."""
    generation = calls.generate(
        replace(request, prompt=prompt.blocks(shared.cache_control), cache_prompt=False)
    )
    if generation.status == "stopped":
        raise Unfinished(generation.detail, stopped=True)
    if generation.status != "complete":
        raise Unfinished(generation.detail or generation.status)
    return repair.apply(code, step, stitch(generation.chunks, python=True).code)


def _splice(calls: FileCalls, request: Request, code: str, step: Repair, shared: prompts.SharedQuote) -> str:
    """Ask for one definition or statement and put it in place of the old one."""
    file = calls.file
    quoted = shared.code
    if step.action == "statement":
        prompt = prompts.statement_prompt(
            file.path, file.prompt, quoted, step.first, repair.statement_text(quoted, step), step.why
        )
    else:
        why = (
            f"`{step.target}` is not written out in full:\n{step.why}"
            if step.action == "regenerate"
            else f"`{step.target}` is required but not defined:\n{step.why}"
        )
        prompt = prompts.definition_prompt(file.path, file.prompt, quoted, step.target, step.kind, why)
    spliced = ask_and_splice(calls, request, code, step, prompt, shared)
    try:
        libcst.parse_module(spliced)
    except libcst.ParserSyntaxError as exc:
        if not _fault_elsewhere(code, spliced, step, exc.raw_line):
            raise SpliceError(
                f"the file would not parse with the answer: line {exc.raw_line}: {exc.message}"
            ) from None
    return spliced


def _fault_elsewhere(code: str, spliced: str, step: Repair, line: int) -> bool:
    """Whether a spliced file that does not parse fails outside the lines put in, in a
    file that did not parse before either (two definitions left unfinished: each is
    regenerated in turn)."""
    if not step.first or step.action == "add":
        return False
    try:
        parse(code)
        return False  # it parsed before: the answer broke it
    except (SyntaxError, ValueError):
        pass
    added = len(spliced.splitlines()) - len(code.splitlines()) + step.last - step.first + 1
    return not step.first <= line < step.first + added


def _assistant_texts(conversation: tuple[dict[str, Any], ...]) -> list[str]:
    texts = []
    for message in conversation:
        if message["role"] == "assistant":
            content = message["content"]
            texts.append(
                content
                if isinstance(content, str)
                else "".join(b.get("text", "") for b in content if b.get("type") == "text")
            )
    return texts


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""
