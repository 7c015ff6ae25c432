"""Building a spec: `build_spec`, the library entry point behind `codegen build`.

results.py holds what a build is asked and what it gives, session.py a build's
state, scheduler.py the order and threads files are built in, file.py one file's
pipeline. The verify step (`codegen.verify`) goes on from the session. batched.py
is the build over the Message Batches API (--batch): the same pipeline, in rounds.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

from ..continuation import PrefillMemory
from ..errors import SpecError, UsageError
from ..models import lookup, retirement
from ..pricing import batch_prices
from ..progress import Note, Observer, ignore
from ..spec import Spec, check_inside_project, select_files
from ..streaming import Streamer
from ..verify.command import check_command
from ..verify.loop import verify_build
from ..verify.results import Verification
from .batched import BatchReport, BatchSession, run_rounds
from .exclusive import exclusive
from .file import build_file, incomplete_dir, lock_record
from .results import BuildOptions, BuildResult, FileResult, FileStatus
from .scheduler import run_files
from .session import BuildSession, journal_path

__all__ = [
    "BatchReport",
    "BuildOptions",
    "BuildResult",
    "BuildSession",
    "FileResult",
    "FileStatus",
    "build_file",
    "build_spec",
    "incomplete_dir",
    "journal_path",
    "lock_record",
    "select_files",
]


def build_spec(
    spec: Spec,
    options: BuildOptions,
    *,
    client: Streamer | None = None,
    progress: Observer | None = None,
    memory: PrefillMemory | None = None,
) -> BuildResult:
    """Generate every file of `spec` (or those named by --only): up to `options.jobs` at
    once, each starting when the files it depends on are written. `progress` receives
    the build's events (`codegen.progress`), from worker threads when jobs > 1."""
    info = lookup(spec.model)
    retired, retiring = retirement(info)
    if retired:
        raise SpecError(str(spec.path), "model", retired)
    if not options.prefill:
        info = replace(info, prefill=False)
    if options.detach and not options.batch:
        raise UsageError("--detach goes with --batch: it submits the round's batch and exits")
    if options.batch and not options.offline and info.prices is not None:
        info = replace(info, prices=batch_prices(info.prices))  # the Batch API's half
    if options.max_cost is not None and info.prices is None:
        raise UsageError(f"--max-cost needs prices, and the model table has none for {spec.model}")
    if spec.thinking == "off" and info.thinking == "always":
        raise UsageError(f"{spec.path}: thinking: {spec.model} always thinks; remove `thinking: off`")
    if not options.allow_outside:
        check_inside_project(spec, Path.cwd())
    if options.verify:
        check_command(spec)  # before anything is spent
    observe = progress or ignore
    warnings: list[str] = []

    def say(line: str) -> None:
        observe(Note(str(spec.path), line))

    def warn(line: str) -> None:
        warnings.append(line)
        say(f"warning: {line}")

    if retiring and not options.dry_run:
        warn(retiring)
    # The lock file is read (by the session) and written under the build lock, so
    # builds of one spec take turns and none writes back a stale copy of it.
    guard = (
        nullcontext()
        if options.dry_run
        else exclusive(spec, wait=options.wait_for_others, say=say, warn=warn)
    )
    with guard:
        kind = BatchSession if options.batch else BuildSession
        session = kind(spec, options, client, observe, memory or PrefillMemory(), info)
        session.warnings += warnings
        try:
            if isinstance(session, BatchSession):
                run_rounds(session)
            else:
                run_files(session)
            verification = _verify(session)
        finally:
            session.close()
    return BuildResult(
        spec.path,
        spec.model,
        tuple(session.results[f.path] for f in spec.files if f.path in session.results),
        spec.output_dir,
        tuple(session.warnings),
        verification,
        session.report() if isinstance(session, BatchSession) else None,
    )


def _verify(session: BuildSession) -> Verification | None:
    """The spec's verify step, and a last progress line saying what came of it."""
    verification = verify_build(session)
    if verification is not None and verification.status not in ("skipped", "planned", "not-run"):
        # The progress lines end with what came of it, not with "running ...".
        session.observe(
            Note(
                "verify",
                f"{verification.status}" + (f": {verification.detail}" if verification.detail else ""),
            )
        )
    return verification
