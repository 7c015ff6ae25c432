"""The verify step of a build: run the spec's command, and repair what its failures
go through, for up to `max_rounds` rounds.

After every file is written, the command runs in output_dir (`command.py`). When it
fails, its output is read for failures and each is traced to the definitions of
generated files it goes through (`failures.py`, `suspects.py`); each such definition is asked for
again in a fresh conversation that quotes the failure, spliced in place of the old one
(`repair.apply`: every other line of the file stays as it was), validated, formatted,
written and recorded in the lock file; then the command runs again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

import validators

from .. import lock, prompts, repair
from ..calls import FileCalls
from ..errors import (
    APIError,
    AuthenticationError,
    CodegenError,
    MissingCredentialsError,
    OfflineMissError,
)
from ..files import read_text, resolve_inside, write_inside
from ..formatting import finish_python
from ..mend import Unfinished, ask_and_splice
from ..models import Usage
from ..pricing import cache_savings, cost
from ..progress import Finished, Note, Repairing
from ..repair import RepairRecord
from ..request import Request, file_request
from ..spec import FileSpec, Verify
from ..splice import SpliceError
from .command import CommandRun, command_environment, run_command
from .failures import Failure, clip, parse_failures
from .results import Verification, VerifyRepair, VerifyRound
from .suspects import Assignment, GeneratedPaths, assign

if TYPE_CHECKING:
    from ..build.session import BuildSession

# How much failure output one repair request quotes: each failure, and all together.
FAILURE_CHARS = 4_000
REQUEST_FAILURE_CHARS = 12_000
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")

Outcome = Literal["applied", "failed", "unchanged"]


def verify_build(run: BuildSession) -> Verification | None:
    """The verify step after `run` built its files; None when the spec has no verify."""
    spec, options = run.spec, run.options
    settings = spec.verify
    if settings is None:
        return None
    base = Verification(settings.command, str(spec.output_dir), "skipped")
    if not options.verify:
        return replace(base, detail="--no-verify")
    if options.dry_run:
        rounds = f"up to {settings.max_rounds} repair round{'s' if settings.max_rounds != 1 else ''}"
        return replace(
            base,
            status="planned",
            detail=f"would run `{settings.command}` in {spec.output_dir} after the build "
            f"(timeout {settings.timeout:g} s, {rounds})",
        )
    unwritten = [r.path for r in run.results.values() if r.status not in ("written", "unchanged")]
    if unwritten:
        return replace(
            base,
            status="not-run",
            detail=f"not run: {', '.join(unwritten)} {'was' if len(unwritten) == 1 else 'were'} not written",
        )
    return _Verifier(run, settings).verify(base)


class _Verifier:
    """The rounds of one verify step."""

    def __init__(self, run: BuildSession, settings: Verify) -> None:
        self.run, self.settings = run, settings
        spec = run.spec
        self.env = command_environment(os.environ)
        roots = {spec.output_dir, spec.output_dir.resolve()}
        self.python = [f for f in spec.files if f.language == "python"]
        self.paths = GeneratedPaths(roots, [f.path for f in spec.files])
        self.tried: set[tuple[str, str, str]] = set()
        self.api_error = False

    def verify(self, base: Verification) -> Verification:
        """Run, and after each failure one repair round, for up to max_rounds rounds.
        The command runs again only when a round changed some code: otherwise the same
        failures go on to the suspects not yet asked (the test, after its code)."""
        settings = self.settings
        rounds: list[VerifyRound] = []
        last = self._run(0)
        outcome: CommandRun | None = last  # None: the last round changed no code
        failures: tuple[Failure, ...] = ()
        while True:
            if outcome is not None:
                last = outcome
                if outcome.error:
                    rounds.append(VerifyRound(outcome))
                    return replace(base, status="error", detail=outcome.error, rounds=tuple(rounds))
                if outcome.timed_out:
                    rounds.append(VerifyRound(outcome))
                    return replace(
                        base,
                        status="timeout",
                        rounds=tuple(rounds),
                        detail=f"still running after {settings.timeout:g} s: killed, with "
                        "every process it started",
                    )
                if outcome.passed:
                    rounds.append(VerifyRound(outcome))
                    return replace(base, status="passed", rounds=tuple(rounds), detail=_passed(rounds))
                failures = parse_failures(outcome.output)
                self.run.observe(
                    Note("verify", f"exit {outcome.returncode}: {_count(len(failures), 'failure')}")
                )
            failed = tuple(f.key for f in failures)
            if len(rounds) == settings.max_rounds:
                if outcome is not None:
                    rounds.append(VerifyRound(outcome, failed))
                break
            assignments = self._assign(failures)
            if not assignments:
                why = (
                    "no failure goes through a generated definition not asked about yet"
                    if failures
                    else "its output names no failing test or traceback"
                )
                rounds.append(VerifyRound(outcome, failed, note=why))
                break
            repairs, stopped = self._repair(assignments)
            rounds.append(VerifyRound(outcome, failed, tuple(repairs)))
            if stopped:
                return replace(
                    base, status="failed", rounds=tuple(rounds), detail=stopped, api_error=self.api_error
                )
            changed = any(r.record.outcome == "applied" for r in repairs)
            outcome = self._run(len(rounds)) if changed else None
        detail = f"exit {last.returncode}"
        if any(r.repairs for r in rounds):
            detail += f" after {_repair_rounds(rounds)}"
        if rounds[-1].note:
            detail += f": {rounds[-1].note}"
        return replace(base, status="failed", rounds=tuple(rounds), detail=detail)

    def _run(self, after: int) -> CommandRun:
        settings = self.settings
        self.run.observe(
            Note(
                "verify",
                f"running `{settings.command}`" + (f" (after repair round {after})" if after else ""),
            )
        )
        return run_command(settings.argv, self.run.spec.output_dir, settings.timeout, self.env)

    def _assign(self, failures: Sequence[Failure]) -> list[Assignment]:
        spec = self.run.spec
        sources: dict[str, str] = {}
        for file in self.python:
            text = read_text(resolve_inside(spec.output_dir, file.path))
            if text is not None:
                sources[file.path] = text
        hand_written: dict[str, str] = {}
        for failure in failures:
            if failure.test_path and self.paths.find(failure.test_path) is None:
                try:
                    text = read_text(resolve_inside(spec.output_dir, failure.test_path))
                except CodegenError:
                    text = None  # outside output_dir, a folder, not UTF-8: not read
                if text is not None:
                    hand_written[failure.test_path] = text
        assignments = assign(
            failures,
            sources,
            self.paths,
            frozenset(self.tried),
            allowed=lambda path: path in self.run.selected,
            hand_written=hand_written,
        )
        for a in assignments:
            self.tried |= {(f.key, a.suspect.path, a.suspect.label) for f in a.failures}
        return assignments

    def _repair(self, assignments: Sequence[Assignment]) -> tuple[list[VerifyRepair], str]:
        """Each file's definitions asked for again; returns the repairs and, when the
        repairs had to stop (--max-cost, the API, Ctrl-C elsewhere), why."""
        by_file: dict[str, list[Assignment]] = {}
        for a in assignments:
            by_file.setdefault(a.suspect.path, []).append(a)
        done: list[VerifyRepair] = []
        for path, mine in by_file.items():
            repairs, stopped = self._repair_file(self.run.spec.file(path), mine)
            done += repairs
            if stopped:
                return done, stopped
        return done, ""

    def _repair_file(
        self, file: FileSpec, assignments: Sequence[Assignment]
    ) -> tuple[list[VerifyRepair], str]:
        run, spec = self.run, self.run.spec
        destination = resolve_inside(spec.output_dir, file.path)
        code = read_text(destination) or ""
        streamer = run.streamer()
        calls = run.calls_for(file, streamer, earlier_output=run.results[file.path].usage.output_tokens)
        request = file_request(spec, file, run.info, "")  # each repair gives its prompt
        repairs: list[VerifyRepair] = []
        stopped = ""
        changed = False
        # Every request quotes the file as the checks ran it.
        shared = prompts.SharedQuote.of_round(code, len(assignments), request.cache_control)
        try:
            for assignment in _splice_order(assignments):
                step = assignment.suspect.repair
                calls.doing = f"after verify: {step.label}"
                run.observe(Repairing(file.path, calls.doing))
                before_calls, before_usage = calls.calls, calls.usage
                try:
                    outcome, detail, code_after, stopped = self._ask(
                        calls, request, file, code, assignment, shared
                    )
                except (MissingCredentialsError, OfflineMissError) as exc:
                    # No key, or --offline and the journal lacks the answer: the checks
                    # failed and are reported as such (exit 1), not lost to this one line.
                    outcome, detail, code_after, stopped = "failed", exc.message, code, exc.message
                except APIError as exc:
                    if isinstance(exc, AuthenticationError):
                        raise
                    self.api_error = True
                    outcome, detail, code_after, stopped = "failed", exc.message, code, exc.message
                if outcome == "applied":
                    code, changed = code_after, True
                repairs.append(
                    VerifyRepair(
                        file.path,
                        RepairRecord(
                            step.action,
                            step.target,
                            step.label,
                            tuple(f"{f.key} failed" for f in assignment.failures),
                            outcome,
                            detail,
                            calls=calls.calls - before_calls,
                            usage=calls.usage - before_usage,
                        ),
                        test=assignment.suspect.test,
                    )
                )
                if stopped:
                    break
        finally:
            calls.doing = ""
            tally = streamer.tally
            run.budget.finish(file.path, cost(calls.usage - tally.saved, run.info) or 0.0)
        # What the requests cost counts for the file, whatever came of them.
        result = run.results[file.path]
        total = result.usage + calls.usage
        run.results[file.path] = replace(
            result,
            calls=result.calls + calls.calls,
            usage=total,
            continuations=result.continuations + calls.continuations,
            cost=cost(total, run.info),
            cache_savings=cache_savings(total, run.info),
            replayed=result.replayed + tally.replayed + tally.resumed,
        )
        if changed:
            problem = self._write(file, code, calls.calls, calls.usage)
            if problem:
                repairs = [
                    replace(r, record=replace(r.record, outcome="failed", detail=problem))
                    if r.record.outcome == "applied"
                    else r
                    for r in repairs
                ]
                stopped = stopped or problem
        finished = run.results[file.path]
        run.observe(Finished(file.path, finished.status, finished.detail))
        return repairs, stopped

    def _ask(
        self,
        calls: FileCalls,
        request: Request,
        file: FileSpec,
        code: str,
        assignment: Assignment,
        shared: prompts.SharedQuote,
    ) -> tuple[Outcome, str, str, str]:
        """One request: (outcome, detail, the code after it, why repairs must stop)."""
        step, suspect = assignment.suspect.repair, assignment.suspect
        failures = _quote(assignment.failures)
        command = self.settings.command
        quoted = shared.code
        if step.action == "statement":
            prompt = prompts.verify_statement_prompt(
                file.path,
                file.prompt,
                quoted,
                step.first,
                repair.statement_text(quoted, step),
                command,
                failures,
            )
        else:
            prompt = prompts.verify_prompt(
                file.path, file.prompt, quoted, step.target, step.kind, command, failures, test=suspect.test
            )
        try:
            spliced = ask_and_splice(calls, request, code, step, prompt, shared)
        except Unfinished as exc:
            return "failed", str(exc), code, str(exc) if exc.stopped else ""
        except SpliceError as exc:
            return "failed", str(exc), code, ""
        findings = validators.check(spliced, requires=file.requires, filename=file.path)
        if findings:
            first = findings[0]
            return (
                "failed",
                f"the answer leaves line {first.line}: {first.message} [{first.code}]",
                code,
                "",
            )
        if _formatted(spliced) == _formatted(code):
            return "unchanged", "answered with the same code", code, ""
        return "applied", "", spliced, ""

    def _write(self, file: FileSpec, code: str, calls: int, usage: Usage) -> str:
        """Format, write and record a repaired file; returns what went wrong, or ""."""
        run, spec = self.run, self.run.spec
        final, problem = finish_python(code, pyi=file.path.endswith(".pyi"))
        if final is None:
            return problem
        try:
            write_inside(spec.output_dir, file.path, final)
        except CodegenError as exc:
            return exc.message
        run.results[file.path] = replace(
            run.results[file.path], status="written", detail="repaired after verify"
        )
        try:
            self._record(file, final, calls, usage)
        except CodegenError as exc:
            return exc.message
        return ""

    def _record(self, file: FileSpec, final: str, calls: int, usage: Usage) -> None:
        """The lock file after a repair: the file's record holds its new text and what the
        repair cost; the files that depend on it were verified with the new text, so their
        records name it (else they would be stale and built again)."""
        run, spec = self.run, self.run.spec
        digest = lock.digest(final)
        old = run.records[file.path]
        spent = cost(usage, run.info)
        run.records[file.path] = replace(
            old,
            output=digest,
            calls=old.calls + calls,
            input_tokens=old.input_tokens + usage.input_tokens,
            output_tokens=old.output_tokens + usage.output_tokens,
            cost_usd=None if old.cost_usd is None or spent is None else round(old.cost_usd + spent, 6),
        )
        changed = [file.path]
        for other in spec.files:
            record = run.records.get(other.path)
            if record is not None and file.path in other.depends_on:
                run.records[other.path] = replace(record, depends={**record.depends, file.path: digest})
                changed.append(other.path)
        run.save_lock(*changed)


def _splice_order(assignments: Sequence[Assignment]) -> list[Assignment]:
    """Statements (found by line) bottom up, before definitions (found by name), so
    that no splice moves the lines of one still to come."""
    statements = sorted(
        (a for a in assignments if a.suspect.repair.action == "statement"),
        key=lambda a: -a.suspect.repair.first,
    )
    return statements + [a for a in assignments if a.suspect.repair.action != "statement"]


def _quote(failures: Sequence[Failure]) -> str:
    """The failures' output as a request quotes it; object addresses (`at 0x7f...`) are
    blanked so that the same failure makes the same request, which the journal replays."""
    text = "\n\n".join(clip(f.text or f.message, FAILURE_CHARS) for f in failures)
    return _ADDRESS.sub("0x…", clip(text, REQUEST_FAILURE_CHARS))


def _formatted(code: str) -> str:
    final, _ = finish_python(code)
    return final if final is not None else code


def _count(n: int, noun: str) -> str:
    return f"{n or 'no'} {noun}{'' if n == 1 else 's'}"


def _passed(rounds: Sequence[VerifyRound]) -> str:
    return f"passed after {_repair_rounds(rounds)}" if any(r.repairs for r in rounds) else "passed"


def _repair_rounds(rounds: Sequence[VerifyRound]) -> str:
    return _count(sum(1 for r in rounds if r.repairs), "repair round")
