"""One file's pipeline (prompt, generate, stitch, finish, write), then a spec's files.

`build_spec` is the library entry point behind `codegen build`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import black
import libcst

import validators
from validators import Code, Finding
from validators.parsing import parse

from . import lock, prompts, repair, splice
from .client import Answer, MessagesClient, connection_from_env, requested_ttl
from .continuation import (
    CallEvent,
    Generation,
    Opening,
    PrefillMemory,
    Request,
    StopBuild,
    Streamer,
    generate,
)
from .errors import (
    EXIT_API,
    EXIT_FINDINGS,
    EXIT_OK,
    APIError,
    AuthenticationError,
    CodegenError,
    MissingCredentialsError,
    UsageError,
)
from .files import read_text, resolve_inside, write_atomic
from .journal import Journal, JournalledStreamer
from .models import ModelInfo, Usage, cache_savings, cost, lookup
from .progress import (
    CHARS_PER_TOKEN,
    Calling,
    Finished,
    Note,
    Observer,
    Repairing,
    Tokens,
    Waiting,
    ignore,
)
from .repair import Repair, RepairRecord
from .spec import FileSpec, Spec
from .splice import SpliceError
from .stitch import Chunk, Stitched, has_fence, stitch
from .verify import Verification, check_command

FileStatus = Literal[
    "written", "unchanged", "incomplete", "refused", "failed", "skipped", "planned"
]


@dataclass(frozen=True)
class BuildOptions:
    only: tuple[str, ...] = ()
    jobs: int = 1  # files generated at once (threads; the SDK client is thread-safe)
    max_cost: float | None = None
    offline: bool = False
    force: bool = False
    dry_run: bool = False
    verbose: bool = False  # a progress line per call: stop reason and tokens
    # False: never prefill, continue in user turns (a server that takes no prefill and
    # says nothing, like llama-server --no-prefill-assistant).
    prefill: bool = True
    verify: bool = True  # run the spec's verify command after the build (--no-verify: False)


@dataclass(frozen=True)
class FileResult:
    path: str
    status: FileStatus
    model: str
    calls: int = 0
    continuations: int = 0
    # User-turn answers that added nothing (only repeated what was written): each was
    # followed by a turn quoting the end of the code.
    stalls: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: float | None = 0.0
    detail: str = ""
    validated: bool = False  # checked by the validators before writing
    findings: tuple[Finding, ...] = ()  # what made a Python file incomplete
    kept: str | None = None  # where an incomplete result was kept
    api_error: bool = False
    repairs: tuple[RepairRecord, ...] = ()
    replayed: int = 0  # answers that came from the journal, not paid again
    cache_savings: float | None = 0.0  # USD, `models.cache_savings`; None: prices unknown


@dataclass(frozen=True)
class BuildResult:
    spec: Path
    model: str
    files: tuple[FileResult, ...]
    output_dir: Path = Path(".")
    warnings: tuple[str, ...] = ()
    verification: Verification | None = None  # the spec's verify step, when it has one

    @property
    def usage(self) -> Usage:
        return Usage.total(f.usage for f in self.files)

    @property
    def cost(self) -> float | None:
        costs = [f.cost for f in self.files]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    @property
    def cache_savings(self) -> float | None:
        saved = [f.cache_savings for f in self.files]
        return None if any(c is None for c in saved) else sum(c for c in saved if c is not None)

    @property
    def exit_code(self) -> int:
        if any(f.api_error for f in self.files):
            return EXIT_API
        if any(f.status not in ("written", "unchanged", "planned") for f in self.files):
            return EXIT_FINDINGS
        return self.verification.exit_code if self.verification is not None else EXIT_OK


class Budget:
    """--max-cost, across files built at once: stop before a call whose worst case,
    with what finished files cost, what running files spent so far and the worst case
    of every other call in flight, could pass the limit."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.spent = 0.0  # by finished files, in this run
        self._running: dict[str, tuple[float, float]] = {}  # path -> (spent so far, call in flight)
        self._lock = threading.Lock()

    @property
    def reached(self) -> bool:
        return self.limit is not None and self.spent >= self.limit

    def check(self, path: str, event: CallEvent, info: ModelInfo, earlier: Usage | None = None) -> None:
        """`earlier`: what the file's finished conversations used (repairs come after)."""
        if self.limit is None or info.prices is None:
            return
        # Worst case: every input token (about 3 characters a token for code) billed
        # as a cache write at the lifetime asked for, the dearest input price, and the
        # whole max_tokens written.
        p = info.prices
        per_input = max(p.input, p.cache_write_1h if requested_ttl(event.request) == "1h"
                        else p.cache_write_5m)
        input_tokens = len(repr(event.request["messages"])) // 3 + len(repr(event.request["system"])) // 3
        worst = (input_tokens * per_input + event.request["max_tokens"] * p.output) / 1_000_000
        mine = cost((earlier or Usage()) + event.spent, info) or 0.0
        with self._lock:
            others = sum(done + flying for p, (done, flying) in self._running.items() if p != path)
            spent = self.spent + others + mine
            if spent + worst > self.limit:
                raise StopBuild(
                    f"--max-cost {self.limit:g}: the next call could cost up to ${worst:.4f} "
                    f"and ${spent:.4f} is spent or under way"
                )
            self._running[path] = (mine, worst)

    def finish(self, path: str, paid: float) -> None:
        with self._lock:
            self._running.pop(path, None)
            self.spent += paid


def build_spec(spec: Spec, options: BuildOptions, *, client: Streamer | None = None,
               progress: Observer | None = None,
               memory: PrefillMemory | None = None) -> BuildResult:
    """Generate every file of `spec` (or those named by --only): up to `options.jobs` at
    once, each starting when the files it depends on are written. `progress` receives
    the build's events (`codegen.progress`), from worker threads when jobs > 1."""
    info = lookup(spec.model)
    if not options.prefill:
        info = replace(info, prefill=False)
    if options.max_cost is not None and info.prices is None:
        raise UsageError(f"--max-cost needs prices, and the model table has none for {spec.model}")
    if spec.thinking == "off" and info.thinking == "always":
        raise UsageError(f"{spec.path}: thinking: {spec.model} always thinks; remove `thinking: off`")
    if options.verify:
        check_command(spec)  # before anything is spent
    run = _Run(spec, options, client, progress or ignore, memory or PrefillMemory(), info)
    try:
        run.all()
        verification = _verify(run)
    finally:
        run.close()
    return BuildResult(spec.path, spec.model, tuple(run.results[f.path] for f in spec.files
                                                    if f.path in run.results), spec.output_dir,
                       tuple(run.warnings), verification)


def _verify(run: _Run) -> Verification | None:
    """The spec's verify step (verification.py builds on this module, so it comes late)."""
    from .verification import verify_build

    verification = verify_build(run)
    if verification is not None and verification.status not in ("skipped", "planned", "not-run"):
        # The progress lines end with what came of it, not with "running ...".
        run.observe(Note("verify", f"{verification.status}"
                         + (f": {verification.detail}" if verification.detail else "")))
    return verification


class _Run:
    """One build of one spec: which files to generate, when, and their bookkeeping.

    Results, the lock file and the journal's opening are handled on the calling
    thread; only `build_file` runs on worker threads (when --jobs > 1).
    """

    def __init__(self, spec: Spec, options: BuildOptions, client: Streamer | None,
                 observe: Observer, memory: PrefillMemory, info: ModelInfo) -> None:
        self.spec, self.options, self.client, self.observe = spec, options, client, observe
        self.memory, self.info = memory, info
        self.selected = select_files(spec, options.only)
        self.budget = Budget(options.max_cost)
        self.results: dict[str, FileResult] = {}
        self.records = lock.load(spec)
        self.journal: Journal | None = None
        self.warnings: list[str] = []
        self.halt = threading.Event()  # Ctrl-C or a fatal error: start no more calls
        self._done: queue.Queue[tuple[str, FileResult | BaseException, JournalledStreamer]] = queue.Queue()

    def all(self) -> None:
        waiting = [f for f in self.spec.files if f.path in self.selected]
        announced = False
        running: set[str] = set()
        try:
            while waiting or running:
                before = len(waiting)
                for file in list(waiting):
                    if any(d in running or d in {w.path for w in waiting} for d in file.depends_on):
                        continue  # what it builds on is not written yet
                    immediate = self._without_call(file)
                    if immediate is not None:
                        waiting.remove(file)
                        self._record(file, immediate)
                        continue
                    if len(running) >= max(1, self.options.jobs):
                        break
                    waiting.remove(file)
                    streamer = self._streamer()
                    if not announced:
                        # Once connected (a missing key is the only line a build says),
                        # every file still to build, in the spec's order.
                        announced = True
                        for other in self.spec.files:
                            if other is file or other in waiting:
                                self.observe(Waiting(other.path))
                    if self.options.jobs <= 1:
                        self._finish(file, self._build(file, streamer), streamer)
                    else:
                        running.add(file.path)
                        threading.Thread(target=self._work, args=(file, streamer), daemon=True,
                                         name=f"codegen {file.path}").start()
                if not running and len(waiting) == before:
                    raise CodegenError("no file can start: their dependencies are not built")
                if running:
                    path, outcome, streamer = self._next()
                    running.discard(path)
                    file = next(f for f in self.spec.files if f.path == path)
                    if isinstance(outcome, BaseException):
                        raise outcome
                    self._finish(file, outcome, streamer)
        except BaseException:
            # Ctrl-C or a fatal error: the files under way stop before their next call;
            # what they streamed so far is in the journal.
            self.halt.set()
            raise

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()

    def _next(self) -> tuple[str, FileResult | BaseException, JournalledStreamer]:
        while True:
            try:  # a timeout keeps Ctrl-C deliverable while waiting
                return self._done.get(timeout=0.2)
            except queue.Empty:
                continue

    def _without_call(self, file: FileSpec) -> FileResult | None:
        """The file's result when it needs no generation (up to date, skipped...)."""
        spec, options = self.spec, self.options
        try:
            where = lock.current_state(spec, file, self.records)
        except CodegenError as exc:
            return FileResult(file.path, "failed", spec.model, detail=exc.message)
        if not where.problem:
            return FileResult(file.path, "unchanged", spec.model, detail="up to date",
                              validated=file.language == "python")
        if where.edited and not options.force:
            adopted = self._adopt(file)
            if adopted is not None:
                return adopted
            return FileResult(file.path, "skipped", spec.model,
                              detail=f"{where.problem}: not overwritten (--force does)")
        if options.dry_run:
            return FileResult(file.path, "planned", spec.model,
                              detail=f"{where.problem}; max_tokens {file.max_tokens}")
        blocked = [d for d in file.depends_on
                   if d in self.results and self.results[d].status not in ("written", "unchanged")]
        if blocked:
            return FileResult(file.path, "skipped", spec.model,
                              detail=f"depends on {', '.join(blocked)}, which was not written")
        if self.budget.reached:
            return FileResult(file.path, "skipped", spec.model, detail="--max-cost reached")
        if self.halt.is_set():
            return FileResult(file.path, "skipped", spec.model, detail="the build was stopped")
        return None

    def _adopt(self, file: FileSpec) -> FileResult | None:
        """An output codegen wrote but could not record (killed between the rename and
        the lock file) is what the journal's answers give: recognise it, for free."""
        if self.options.dry_run or not journal_path(self.spec).exists():
            return None
        streamer = self._streamer(offline=True)
        try:
            result = build_file(self.spec, file, streamer, info=self.info, memory=self.memory,
                                budget=Budget(None), observe=ignore, write=False)
        except CodegenError:
            return None  # the journal cannot rebuild it: someone else's file
        if result.status != "unchanged":
            return None
        try:
            self.records[file.path] = _record(self.spec, file, result)
            lock.save(self.spec, self.records)
        except CodegenError as exc:
            return replace(result, status="failed", detail=exc.message)
        return replace(result, detail="written by an earlier build; now recorded",
                       replayed=streamer.tally.replayed)

    def _streamer(self, *, offline: bool = False) -> JournalledStreamer:
        """A file's way to the API: through the journal, which answers what was paid for."""
        client, options = self.client, self.options
        offline = offline or options.offline
        if client is None and not offline:
            raise UsageError("no client to send requests with")
        if isinstance(client, LazyClient) and not offline:
            client.connect()  # a missing key is one line, before any progress
        if self.journal is None:
            # Opened only when a file needs answers: an up-to-date build writes nothing.
            self.journal = Journal.open(journal_path(self.spec))
            if self.journal.warning:
                self.warnings.append(self.journal.warning)
                self.observe(Note(str(self.spec.path), f"warning: {self.journal.warning}"))
        return JournalledStreamer(None if offline else client, self.journal, offline=offline)

    def _work(self, file: FileSpec, streamer: JournalledStreamer) -> None:
        try:
            outcome: FileResult | BaseException = self._build(file, streamer)
        except BaseException as exc:  # handed to the calling thread, which raises it
            outcome = exc
        self._done.put((file.path, outcome, streamer))

    def _build(self, file: FileSpec, streamer: JournalledStreamer) -> FileResult:
        spec = self.spec
        try:
            return build_file(spec, file, streamer, info=self.info, memory=self.memory,
                              budget=self.budget, observe=self.observe, verbose=self.options.verbose,
                              halt=self.halt)
        except (AuthenticationError, MissingCredentialsError):
            raise  # every other file would fail the same way
        except APIError as exc:
            return FileResult(file.path, "failed", spec.model, detail=exc.message, api_error=True)
        except CodegenError as exc:  # a file that cannot be read or written
            return FileResult(file.path, "failed", spec.model, detail=exc.message)

    def _finish(self, file: FileSpec, result: FileResult, streamer: JournalledStreamer) -> None:
        tally = streamer.tally
        result = replace(result, replayed=tally.replayed + tally.resumed)
        self.budget.finish(file.path, cost(result.usage - tally.saved, self.info) or 0.0)
        if result.status in ("written", "unchanged"):
            try:
                self.records[file.path] = _record(self.spec, file, result)
                lock.save(self.spec, self.records)
            except CodegenError as exc:
                result = replace(result, status="failed", detail=exc.message)
        self._record(file, result)

    def _record(self, file: FileSpec, result: FileResult) -> None:
        self.results[file.path] = result
        self.observe(Finished(file.path, result.status, result.detail))


def journal_path(spec: Spec) -> Path:
    """Where a spec's answers are journalled (beside the spec, meant to be git-ignored)."""
    return spec.path.resolve().parent / ".codegen" / "journal.sqlite3"


def build_file(spec: Spec, file: FileSpec, client: Streamer, *, info: ModelInfo,
               memory: PrefillMemory, budget: Budget, observe: Observer = ignore,
               verbose: bool = False, halt: threading.Event | None = None,
               write: bool = True) -> FileResult:
    """Generate, stitch, finish and write one file (`write=False`: only say whether the
    result is the file on disk: "unchanged", or "skipped")."""
    dependencies = [(d, _read_dependency(spec, d)) for d in file.depends_on]
    request = file_request(spec, file, info,
                           prompts.file_prompt(file.path, file.prompt, file.requires, dependencies))

    calls = _Calls(spec, file, client, info=info, memory=memory, budget=budget, observe=observe,
                   verbose=verbose, halt=halt)
    generation = calls.generate(request)
    python = file.language == "python"
    stitched = stitch(generation.chunks, python=python)
    base = FileResult(file.path, "incomplete", spec.model)

    def done(code: str, **changes: Any) -> FileResult:
        result = replace(base, calls=calls.calls, continuations=calls.continuations,
                         stalls=calls.stalls, usage=calls.usage, cost=cost(calls.usage, info),
                         cache_savings=cache_savings(calls.usage, info), repairs=tuple(records),
                         **changes)
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
        left = _unfinished(code, stitched)
        if stuck:
            left.update(_stuck_at(code, left))
        findings = _check(code, file, left)
        if findings and spec.max_repairs:
            code, findings = _repair(calls, request, generation, code, findings, records, left)
        if findings:
            first = findings[0]
            more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
            rounds = f" after {spec.max_repairs} repair rounds" if records else ""
            return done(code, detail=f"line {first.line}: {first.message} [{first.code}]{more}{rounds}",
                        validated=True, findings=findings)
        final, problem = finish_python(code, pyi=file.path.endswith(".pyi"))
        if final is None:
            return done(code, detail=problem, validated=True)
    else:
        final = code
    destination = resolve_inside(spec.output_dir, file.path)
    if read_text(destination) == final:
        return done(final, status="unchanged", validated=python)
    if not write:
        return done(final, status="skipped", validated=python, kept=None)
    try:
        write_atomic(destination, final)
    except CodegenError as exc:  # the calls were paid for: report them with the failure
        return done(final, status="failed", detail=exc.message, kept=None)
    detail = "" if python else "not validated (no validator for this language yet)"
    return done(final, status="written", validated=python, detail=detail)


def file_request(spec: Spec, file: FileSpec, info: ModelInfo, prompt: str) -> Request:
    """The settings of every call about `file`: its build, its repairs (each with its
    own prompt) and its verify repairs."""
    breakpoint = prompts.cache_control(file.max_tokens)
    return Request(
        model=spec.model,
        system=tuple(prompts.system_blocks(spec.context, breakpoint)),
        prompt=prompt,
        max_tokens=file.max_tokens,
        thinking=thinking_param(spec.thinking),
        prefill=info.prefill,
        cache_control=breakpoint,
        # Line prefill reads the history from the cache: worth it where that saves money.
        line_prefill=info.prices is not None,
        language="python" if file.language == "python" else "",
    )


class _Calls:
    """One file's conversations: progress, the budget and the running totals."""

    def __init__(self, spec: Spec, file: FileSpec, client: Streamer, *, info: ModelInfo,
                 memory: PrefillMemory, budget: Budget, observe: Observer, verbose: bool,
                 halt: threading.Event | None = None, earlier_output: int = 0) -> None:
        self.spec, self.file, self.info, self.memory = spec, file, info, memory
        self.verbose = verbose
        # Output tokens the file took before these calls (a verify repair comes after
        # its build): the live count goes on from there instead of restarting at 0.
        self.earlier_output = earlier_output
        self.halt = halt
        self.budget, self.observe = budget, observe
        self.client = (_Traced(client, lambda line: observe(Note(file.path, line))) if verbose
                       else client)
        self.calls = self.continuations = self.stalls = 0
        self.usage = Usage()
        self.doing = ""  # the repair under way, for progress lines

    def generate(self, request: Request, opening: Opening | None = None) -> Generation:
        path = self.file.path
        continued = 0
        known = self.earlier_output + self.usage.output_tokens  # of the answers that ended
        streamed = 0  # characters of text of the answer in flight

        def before_call(event: CallEvent) -> None:
            nonlocal continued, known, streamed
            if self.halt is not None and self.halt.is_set():
                raise StopBuild("the build was stopped")
            self.budget.check(path, event, self.info, self.usage)
            if event.kind in ("continue", "retry-empty"):
                continued += 1
            self.observe(Calling(path, event.kind, continued, self.spec.max_continuations,
                                 self.doing, self.spec.model))
            known = self.earlier_output + self.usage.output_tokens + event.spent.output_tokens
            streamed = 0
            self.observe(Tokens(path, known, estimated=False))

        def on_text(text: str) -> None:
            nonlocal streamed
            streamed += len(text)
            self.observe(Tokens(path, known + round(streamed / CHARS_PER_TOKEN), estimated=True))

        generation = generate(self.client, request, max_continuations=self.spec.max_continuations,
                              memory=self.memory, before_call=before_call, on_text=on_text,
                              opening=opening)
        self.calls += generation.calls
        self.continuations += generation.continuations
        self.stalls += generation.stalls
        if generation.stalls and self.verbose:
            self.observe(Note(path, f"{generation.stalls} answer(s) added nothing (repeats of what "
                                    "was written); each was followed by a quote of the end of the code"))
        self.usage = self.usage + generation.usage
        self.observe(Tokens(path, self.earlier_output + self.usage.output_tokens, estimated=False))
        return generation


def _repair(calls: _Calls, request: Request, generation: Generation, code: str,
            findings: tuple[Finding, ...], records: list[RepairRecord],
            unfinished: dict[str, Finding]) -> tuple[str, tuple[Finding, ...]]:
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
    for _ in range(calls.spec.max_repairs):
        planned = repair.plan(code, findings, failed)
        if not planned:
            break
        # A finish is a round of its own (`repair.plan`): the rest quote the same code.
        splices = sum(step.action != "finish" for step in planned)
        shared = prompts.SharedQuote.of_round(code, splices, request.cache_control)
        for step in planned:
            if step.action == "add" and _defines(code, step.target):
                # An earlier answer of this round wrote it too (`Repair.names`).
                records.append(RepairRecord(
                    step.action, step.target, step.label,
                    tuple(f"{f.code} at line {f.line}" for f in step.findings), "applied",
                    "written in an earlier answer of this round"))
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
                    code, conversation, prefilled = _finish(calls, request, conversation, code, step,
                                                            as_answered, unfinished, rewritten)
                    as_answered = as_answered and prefilled
                else:
                    code = _splice(calls, request, code, step, shared)
                    as_answered = False
            except SpliceError as exc:
                outcome, detail = "failed", str(exc)
            except _Unfinished as exc:
                outcome, detail, stopped = "failed", str(exc), exc.stopped
            if outcome == "failed":
                failed.add(step.label)
            else:  # what this step rewrote is no longer unfinished (unless found so again)
                if step.action == "regenerate":
                    rewritten.add(step.target)
                for name in {step.target, *(f.scope for f in step.findings if f.code == Code.UNFINISHED)}:
                    if name in unfinished and unfinished[name] is left.get(name):
                        del unfinished[name]
            records.append(RepairRecord(
                step.action, step.target, step.label,
                tuple(f"{f.code} at line {f.line}" for f in step.findings), outcome, detail,
                calls=calls.calls - before_calls, usage=calls.usage - before_usage))
            if stopped:
                calls.doing = ""
                return code, _check(code, file, unfinished)
        calls.doing = ""
        findings = _check(code, file, unfinished)
        if not findings:
            break
    return code, findings


def _stuck_at(code: str, found: Mapping[str, Finding]) -> dict[str, Finding]:
    """The definition holding the last line of a file whose answers got stuck there,
    as unfinished (none when that line is outside any definition: the validators see
    the cut, and a finish goes on from it)."""
    lines = code.rstrip().splitlines()
    region = splice.definition_around(code, len(lines)) if lines else None
    if region is None or region.name in found:
        return {}
    message = (f"`{region.name}` was cut at `{lines[-1].strip()}` and the answers after it only "
               "repeated what was already written; it is asked for in full")
    return {region.name: Finding(Code.UNFINISHED, region.first, 1, region.name, message,
                                 end_line=len(lines))}


def _defines(code: str, qualname: str) -> bool:
    try:
        return splice.defines(code, qualname)
    except (SyntaxError, ValueError):
        return False


class _Unfinished(Exception):
    """A repair's own conversation did not end with an answer."""

    def __init__(self, message: str, *, stopped: bool = False) -> None:
        super().__init__(message)
        self.stopped = stopped  # --max-cost: no more calls for this file


def _check(code: str, file: FileSpec, unfinished: dict[str, Finding] | None = None) -> tuple[Finding, ...]:
    """The validators' findings, and those of the definitions still unfinished (found
    again by name: the lines move as repairs go in)."""
    found = list(validators.check(code, requires=file.requires, filename=file.path))
    for name, finding in (unfinished or {}).items():
        region = splice.definition_named(code, name)
        if region is not None:
            moved = region.first - finding.line
            found.append(replace(finding, line=region.first,
                                 end_line=finding.end_line + moved if finding.end_line else 0))
    return tuple(sorted(found, key=lambda f: (f.line, f.column)))


def _unfinished(code: str, stitched: Stitched, rewritten: Set[str] = frozenset()) -> dict[str, Finding]:
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
        message = (f"`{region.name}` was left unfinished (cut at `{cut}`): the answer went on to the "
                   "next definition") if sure else (
                   f"`{region.name}` may be unfinished: an answer stopped after `{cut}` and the next "
                   "one began a new definition; it is asked for in full")
        # It ends where it was cut: what follows is the definition the answer went on to.
        found[region.name] = Finding(Code.UNFINISHED, region.first, 1, region.name, message, end_line=line)
    return found


def _finish(calls: _Calls, request: Request, conversation: tuple[dict[str, Any], ...], code: str,
            step: Repair, as_answered: bool, unfinished: dict[str, Finding],
            rewritten: Set[str]) -> tuple[str, tuple[dict[str, Any], ...], bool]:
    """Go on with the file's own conversation from where its code stopped: by prefill
    (the last answer cut after its last good line) where the model takes it, else a
    user turn quoting the end of the file. Returns the code, the conversation to go
    on from next time, and whether it went by prefill."""
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
        language = "python" if calls.file.language == "python" else ""
        ask = prompts.finish_prompt(_first_line(step.why), tail, step.names, language)
        opening = Opening((*conversation, {"role": "user", "content": ask}))
        # The code so far, as the answers held it: fenced or not, so that what follows
        # the code in the new answer (a closing fence, a sentence) is read the same way.
        fenced = any(has_fence(m_text) for m_text in _assistant_texts(conversation))
        start = Chunk(f"```{language}\n{kept}" if fenced else kept)
    generation = calls.generate(request, opening)
    if generation.status == "stopped":
        raise _Unfinished(generation.detail, stopped=True)
    if generation.status != "complete":
        # Still cut: what it wrote may well parse, and stop at a line boundary.
        raise _Unfinished(generation.detail or generation.status)
    chunks = list(generation.chunks)
    if chunks and chunks[0].joins == "user_turn" and not start.text.endswith("\n"):
        # The prefill was refused: the kept lines are whole, not a line cut short.
        start = Chunk(start.text + "\n")
    if chunks and chunks[0].joins == "user_turn":
        # The kept code ends where codegen cut it, after a whole line, and the answer
        # was asked for what follows: a new definition may well open it.
        chunks[0] = Chunk(chunks[0].text, "answer")
    stitched = stitch([start, *chunks], python=True)
    finished = stitched.code
    if finished.rstrip() in (kept.rstrip(), code.rstrip()):
        # Asked again, it would answer the same: the next round asks another way.
        raise _Unfinished("the answer only repeated what was already written")
    unfinished.update(_unfinished(finished, stitched, rewritten))
    return finished, generation.conversation, prefill is not None and generation.prefill_used


def _splice(calls: _Calls, request: Request, code: str, step: Repair,
            shared: prompts.SharedQuote) -> str:
    """Ask for one definition or statement and put it in place of the old one."""
    file = calls.file
    quoted = shared.code
    if step.action == "statement":
        prompt = prompts.statement_prompt(file.path, file.prompt, quoted, step.first,
                                          repair.statement_text(quoted, step), step.why)
    else:
        why = (f"`{step.target}` is not written out in full:\n{step.why}" if step.action == "regenerate"
               else f"`{step.target}` is required but not defined:\n{step.why}")
        prompt = prompts.definition_prompt(file.path, file.prompt, quoted, step.target, step.kind, why)
    generation = calls.generate(replace(request, prompt=prompt.blocks(shared.cache_control),
                                        cache_prompt=False))
    if generation.status == "stopped":
        raise _Unfinished(generation.detail, stopped=True)
    if generation.status != "complete":
        raise _Unfinished(generation.detail or generation.status)
    answer = stitch(generation.chunks, python=True).code
    spliced = repair.apply(code, step, answer)
    try:
        libcst.parse_module(spliced)
    except libcst.ParserSyntaxError as exc:
        if not _fault_elsewhere(code, spliced, step, exc.raw_line):
            raise SpliceError(f"the file would not parse with the answer: line {exc.raw_line}: "
                              f"{exc.message}") from None
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
            texts.append(content if isinstance(content, str) else
                         "".join(b.get("text", "") for b in content if b.get("type") == "text"))
    return texts


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


class _Traced:
    """A Streamer that reports each answer's stop reason and tokens (--verbose)."""

    def __init__(self, inner: Streamer, say: Callable[[str], None]) -> None:
        self._inner = inner
        self._say = say

    def stream(self, request: dict[str, Any], on_text: Callable[[str], None] | None = None) -> Answer:
        messages = request["messages"]
        answer = self._inner.stream(request, on_text)
        how = ("first" if len(messages) == 1 else
               "prefill" if messages[-1]["role"] == "assistant" else "user turn")
        stop = answer.interrupted or answer.stop_reason
        self._say(f"answer ({how}): {stop}; {answer.usage.input_tokens:,} in "
                  f"(cache read {answer.usage.cache_read_tokens:,}), "
                  f"{answer.usage.output_tokens:,} out, {len(answer.text):,} characters of text")
        return answer


def _record(spec: Spec, file: FileSpec, result: FileResult) -> lock.Record:
    written = read_text(resolve_inside(spec.output_dir, file.path)) or ""
    return lock.Record(
        entry=lock.entry_hash(spec, file),
        depends={d: lock.digest(read_text(resolve_inside(spec.output_dir, d)) or "")
                 for d in file.depends_on},
        output=lock.digest(written),
        model=result.model,
        calls=result.calls,
        input_tokens=result.usage.input_tokens,
        output_tokens=result.usage.output_tokens,
        cost_usd=None if result.cost is None else round(result.cost, 6),
    )


def finish_python(code: str, *, pyi: bool = False) -> tuple[str | None, str]:
    """(formatted code, "") or (None, what is wrong). Pure."""
    try:
        libcst.parse_module(code)
    except libcst.ParserSyntaxError as exc:
        return None, f"does not parse: line {exc.raw_line}: {exc.message}"
    try:
        return black.format_str(code, mode=black.Mode(is_pyi=pyi)), ""
    except black.InvalidInput as exc:
        return None, f"black cannot format it: {exc}"


def thinking_param(thinking: Any) -> dict[str, Any] | None:
    """The request's `thinking` for the spec's setting (None: the model's default)."""
    if thinking is None:
        return None
    if thinking == "off":
        return {"type": "disabled"}
    if thinking == "adaptive":
        return {"type": "adaptive"}
    return {"type": "enabled", "budget_tokens": int(thinking)}


def select_files(spec: Spec, only: tuple[str, ...]) -> set[str]:
    """The paths `--only` names (all when none); a path the spec lacks is a usage error."""
    if not only:
        return {f.path for f in spec.files}
    known = {f.path for f in spec.files}
    chosen = set()
    for path in only:
        normal = path.strip("/").removeprefix("./")
        if normal not in known:
            raise UsageError(f"--only {path}: {spec.path} has no file {path!r}")
        chosen.add(normal)
    return chosen


def _read_dependency(spec: Spec, dep: str) -> str:
    text = read_text(resolve_inside(spec.output_dir, dep))
    if text is None:
        raise UsageError(f"{dep} is needed as context but not written yet: build it first")
    return text


def incomplete_dir(spec: Spec) -> Path:
    return spec.path.resolve().parent / ".codegen" / "incomplete" / spec.path.stem


def _keep(spec: Spec, file: FileSpec, code: str, generation: Generation) -> str | None:
    """Keep an unfinished result for inspection; the destination is left as it was."""
    text = code or "".join(c.text for c in generation.chunks)
    if not text.strip():
        return None
    path = incomplete_dir(spec) / file.path
    write_atomic(path, text)
    return str(path)


class LazyClient:
    """Connects on the first request, so a build with nothing to generate needs no key."""

    def __init__(self, http_client: Any = None) -> None:
        self._http_client = http_client
        self._client: MessagesClient | None = None

    def connect(self) -> MessagesClient:
        if self._client is None:
            self._client = MessagesClient(connection_from_env(), http_client=self._http_client)
        return self._client

    def stream(self, request: dict[str, Any], on_text: Callable[[str], None] | None = None) -> Answer:
        return self.connect().stream(request, on_text)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
