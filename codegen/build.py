"""One file's pipeline (prompt, generate, stitch, finish, write), then a spec's files.

`build_spec` is the library entry point behind `codegen build`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import black
import libcst

import validators
from validators import Finding

from . import lock, prompts
from .client import Answer, MessagesClient, connection_from_env
from .continuation import CallEvent, Generation, PrefillMemory, Request, StopBuild, Streamer, generate
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
from .models import ModelInfo, Usage, cost, lookup
from .spec import FileSpec, Spec
from .stitch import stitch

FileStatus = Literal[
    "written", "unchanged", "incomplete", "refused", "failed", "skipped", "planned"
]


@dataclass(frozen=True)
class BuildOptions:
    only: tuple[str, ...] = ()
    jobs: int = 1  # files run one at a time for now; the option is accepted
    max_cost: float | None = None
    offline: bool = False
    force: bool = False
    dry_run: bool = False
    verbose: bool = False  # a progress line per call: stop reason and tokens


@dataclass(frozen=True)
class FileResult:
    path: str
    status: FileStatus
    model: str
    calls: int = 0
    continuations: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: float | None = 0.0
    detail: str = ""
    validated: bool = False  # checked by the validators before writing
    findings: tuple[Finding, ...] = ()  # what made a Python file incomplete
    kept: str | None = None  # where an incomplete result was kept
    api_error: bool = False


@dataclass(frozen=True)
class BuildResult:
    spec: Path
    model: str
    files: tuple[FileResult, ...]
    output_dir: Path = Path(".")

    @property
    def usage(self) -> Usage:
        total = Usage()
        for f in self.files:
            total = total + f.usage
        return total

    @property
    def cost(self) -> float | None:
        costs = [f.cost for f in self.files]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    @property
    def exit_code(self) -> int:
        if any(f.api_error for f in self.files):
            return EXIT_API
        if any(f.status not in ("written", "unchanged", "planned") for f in self.files):
            return EXIT_FINDINGS
        return EXIT_OK


ProgressFn = Callable[[str, str], None]


@dataclass
class Budget:
    """--max-cost: stop before a call whose worst case would pass the limit."""

    limit: float | None
    spent: float = 0.0

    def check(self, event: CallEvent, info: ModelInfo) -> None:
        if self.limit is None or info.prices is None:
            return
        # Worst case: every input token billed at the full rate (about 3 characters a
        # token for code), and the whole max_tokens written.
        input_tokens = len(repr(event.request["messages"])) // 3 + len(repr(event.request["system"])) // 3
        worst = (input_tokens * info.prices.input
                 + event.request["max_tokens"] * info.prices.output) / 1_000_000
        spent = self.spent + (cost(event.spent, info) or 0.0)
        if spent + worst > self.limit:
            raise StopBuild(
                f"--max-cost {self.limit:g}: the next call could cost up to ${worst:.4f} "
                f"and ${spent:.4f} is spent"
            )


def build_spec(spec: Spec, options: BuildOptions, *, client: Streamer | None = None,
               progress: ProgressFn | None = None,
               memory: PrefillMemory | None = None) -> BuildResult:
    """Generate every file of `spec` (or those named by --only), in dependency order."""
    info = lookup(spec.model)
    if options.max_cost is not None and info.prices is None:
        raise UsageError(f"--max-cost needs prices, and the model table has none for {spec.model}")
    if spec.thinking == "off" and info.thinking == "always":
        raise UsageError(f"{spec.path}: thinking: {spec.model} always thinks; remove `thinking: off`")
    selected = _select(spec, options.only)
    note = progress or (lambda path, message: None)
    memory = memory or PrefillMemory()
    budget = Budget(options.max_cost)
    results: dict[str, FileResult] = {}
    records = lock.load(spec)

    for file in spec.files:
        if file.path not in selected:
            continue
        try:
            where = lock.current_state(spec, file, records)
        except CodegenError as exc:
            results[file.path] = FileResult(file.path, "failed", spec.model, detail=exc.message)
            continue
        if not where.problem:
            results[file.path] = FileResult(file.path, "unchanged", spec.model, detail="up to date",
                                            validated=file.language == "python")
            continue
        if where.edited and not options.force:
            results[file.path] = FileResult(file.path, "skipped", spec.model,
                                            detail=f"{where.problem}: not overwritten (--force does)")
            continue
        if options.dry_run:
            results[file.path] = FileResult(file.path, "planned", spec.model,
                                            detail=f"{where.problem}; max_tokens {file.max_tokens}")
            continue
        blocked = [d for d in file.depends_on
                   if d in results and results[d].status not in ("written", "unchanged")]
        if blocked:
            results[file.path] = FileResult(file.path, "skipped", spec.model,
                                            detail=f"depends on {', '.join(blocked)}, which was not written")
            continue
        if budget.limit is not None and budget.spent >= budget.limit:
            results[file.path] = FileResult(file.path, "skipped", spec.model,
                                            detail="--max-cost reached")
            continue
        if options.offline:
            results[file.path] = FileResult(
                file.path, "failed", spec.model, api_error=True,
                detail="--offline: no recorded answer in .codegen/; run without --offline to generate it",
            )
            continue
        if client is None:
            raise UsageError("no client to send requests with")
        if isinstance(client, LazyClient):
            client.connect()  # a missing key is one line, before any progress
        try:
            result = build_file(spec, file, client, info=info, memory=memory, budget=budget,
                                note=note, verbose=options.verbose)
        except (AuthenticationError, MissingCredentialsError):
            raise  # every other file would fail the same way
        except APIError as exc:
            result = FileResult(file.path, "failed", spec.model, detail=exc.message, api_error=True)
        except CodegenError as exc:  # a file that cannot be read or written
            result = FileResult(file.path, "failed", spec.model, detail=exc.message)
        budget.spent += result.cost or 0.0
        if result.status in ("written", "unchanged"):
            try:
                records[file.path] = _record(spec, file, result)
                lock.save(spec, records)
            except CodegenError as exc:
                result = replace(result, status="failed", detail=exc.message)
        results[file.path] = result
        note(file.path, result.status)
    return BuildResult(spec.path, spec.model, tuple(results[f.path] for f in spec.files
                                                    if f.path in results), spec.output_dir)


def build_file(spec: Spec, file: FileSpec, client: Streamer, *, info: ModelInfo,
               memory: PrefillMemory, budget: Budget, note: ProgressFn,
               verbose: bool = False) -> FileResult:
    """Generate, stitch, finish and write one file."""
    dependencies = [(d, _read_dependency(spec, d)) for d in file.depends_on]
    request = Request(
        model=spec.model,
        system=tuple(prompts.system_blocks(spec.context)),
        prompt=prompts.file_prompt(file.path, file.prompt, file.requires, dependencies),
        max_tokens=file.max_tokens,
        thinking=_thinking_param(spec.thinking),
        prefill=info.prefill,
    )

    continued = 0

    def before_call(event: CallEvent) -> None:
        nonlocal continued
        budget.check(event, info)
        if event.kind == "first":
            note(file.path, "streaming")
        elif event.kind == "no-prefill":
            note(file.path, f"{spec.model} refuses prefill: continuing in a user turn")
        else:
            continued += 1
            what = "continuing" if event.kind == "continue" else "asking again (empty answer)"
            note(file.path, f"{what} ({continued}/{spec.max_continuations})")

    streamer = _Traced(client, lambda line: note(file.path, line)) if verbose else client
    generation = generate(streamer, request, max_continuations=spec.max_continuations,
                          memory=memory, before_call=before_call)
    python = file.language == "python"
    stitched = stitch(generation.chunks, python=python)
    base = FileResult(
        file.path, "incomplete", spec.model,
        calls=generation.calls, continuations=generation.continuations,
        usage=generation.usage, cost=cost(generation.usage, info),
    )
    if generation.status != "complete":
        status: FileStatus = "refused" if generation.status == "refused" else "incomplete"
        return replace(base, status=status, detail=generation.detail,
                       kept=_keep(spec, file, stitched.code, generation))
    if not stitched.code.strip():
        return replace(base, detail="the answer held no code", kept=None)
    if python:
        findings = tuple(validators.check(stitched.code, requires=file.requires, filename=file.path))
        if findings:
            first = findings[0]
            more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
            return replace(base, detail=f"line {first.line}: {first.message} [{first.code}]{more}",
                           validated=True, findings=findings,
                           kept=_keep(spec, file, stitched.code, generation))
        final, problem = finish_python(stitched.code, pyi=file.path.endswith(".pyi"))
        if final is None:
            return replace(base, detail=problem, validated=True,
                           kept=_keep(spec, file, stitched.code, generation))
    else:
        final = stitched.code
    destination = resolve_inside(spec.output_dir, file.path)
    if read_text(destination) == final:
        return replace(base, status="unchanged", validated=python)
    write_atomic(destination, final)
    detail = "" if python else "not validated (no validator for this language yet)"
    return replace(base, status="written", validated=python, detail=detail)


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


def _thinking_param(thinking: Any) -> dict[str, Any] | None:
    if thinking is None:
        return None
    if thinking == "off":
        return {"type": "disabled"}
    if thinking == "adaptive":
        return {"type": "adaptive"}
    return {"type": "enabled", "budget_tokens": int(thinking)}


def _select(spec: Spec, only: tuple[str, ...]) -> set[str]:
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
