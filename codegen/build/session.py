"""The state of one build of one spec, which the scheduler runs files through and the
verify step goes on from: `BuildSession`."""

from __future__ import annotations

import threading
import traceback
from dataclasses import replace
from pathlib import Path

from .. import lock
from ..calls import FileCalls
from ..continuation import PrefillMemory
from ..errors import APIError, AuthenticationError, CodegenError, MissingCredentialsError, UsageError
from ..models import ModelInfo
from ..pricing import Budget, cost
from ..progress import Finished, Note, Observer, ignore
from ..spec import FileSpec, Spec, select_files
from ..streaming import Streamer
from ..streaming.anthropic import LazyClient
from ..streaming.journal import Journal, JournalledStreamer
from .file import build_file, lock_record
from .results import BuildOptions, FileResult, FileStatus


class BuildSession:
    """One build of one spec: its settings, what each file came to (`results`), the lock
    file's records (`records`), the journal, the budget and the halt that stops every
    call. The scheduler (`scheduler.py`) runs the files through it; the verify step
    goes on from it, updating `results` and `records` as its repairs go in.

    Results, the lock file and the journal's opening are handled on the calling
    thread; only `build` runs on worker threads (when --jobs > 1).
    """

    def __init__(
        self,
        spec: Spec,
        options: BuildOptions,
        client: Streamer | None,
        observe: Observer,
        memory: PrefillMemory,
        info: ModelInfo,
    ) -> None:
        self.spec, self.options, self.client, self.observe = spec, options, client, observe
        self.memory, self.info = memory, info
        self.selected = select_files(spec, options.only)
        self.budget = Budget(options.max_cost)
        self.results: dict[str, FileResult] = {}
        self.records = lock.load(spec)
        self.journal: Journal | None = None
        self.warnings: list[str] = []
        self.halt = threading.Event()  # Ctrl-C or a fatal error: start no more calls

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()

    def without_call(self, file: FileSpec) -> FileResult | None:
        """The file's result when it needs no generation (up to date, skipped...)."""
        spec, options = self.spec, self.options
        try:
            where = lock.current_state(spec, file, self.records)
        except CodegenError as exc:
            return FileResult(file.path, "failed", spec.model, detail=exc.message)
        if not where.problem:
            return FileResult(
                file.path, "unchanged", spec.model, detail="up to date", validated=file.language == "python"
            )
        if where.edited and not options.force:
            adopted = self._adopt(file)
            if adopted is not None:
                return adopted
            return FileResult(
                file.path, "skipped", spec.model, detail=f"{where.problem}: not overwritten (--force does)"
            )
        if options.dry_run:
            return FileResult(
                file.path, "planned", spec.model, detail=f"{where.problem}; max_tokens {file.max_tokens}"
            )
        blocked = [
            d
            for d in file.depends_on
            if d in self.results and self.results[d].status not in ("written", "unchanged")
        ]
        if blocked:
            return FileResult(
                file.path,
                "skipped",
                spec.model,
                detail=f"depends on {', '.join(blocked)}, which was not written",
            )
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
        streamer = self.streamer(offline=True)
        try:
            calls = FileCalls(
                self.spec,
                file,
                streamer,
                info=self.info,
                memory=self.memory,
                budget=Budget(None),
                observe=ignore,
                verbose=False,
            )
            result = build_file(calls, write=False)
        except CodegenError:
            return None  # the journal cannot rebuild it: someone else's file
        if result.status != "unchanged":
            return None
        try:
            self.records[file.path] = lock_record(self.spec, file, result)
            self.save_lock(file.path)
        except CodegenError as exc:
            return replace(result, status="failed", detail=exc.message)
        return replace(
            result, detail="written by an earlier build; now recorded", replayed=streamer.tally.replayed
        )

    def streamer(self, *, offline: bool = False) -> JournalledStreamer:
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
        return JournalledStreamer(
            None if offline else client, self.journal, offline=offline, on_broken=self._journal_broken
        )

    def _journal_broken(self, reason: str) -> None:
        """The journal failed a write: stop every file before its next call (the answer in
        flight is used and counted; one more would be paid for and not kept)."""
        self.warnings.append(
            f"{reason}; stopped sending requests (the answers so far are used, not journalled)"
        )
        self.observe(Note(str(self.spec.path), f"warning: {self.warnings[-1]}"))
        self.halt.set()

    def build(self, file: FileSpec, streamer: JournalledStreamer) -> FileResult:
        calls = self.calls_for(file, streamer)
        try:
            return build_file(calls)
        except (AuthenticationError, MissingCredentialsError):
            raise  # every other file would fail the same way
        except APIError as exc:
            return self._stopped(calls, "failed", exc.message, api_error=True)
        except CodegenError as exc:  # a file that cannot be read or written
            return self._stopped(calls, "failed", exc.message)
        except Exception as exc:
            # A bug of codegen's on this file's text: this file stops, the others go on.
            return self._stopped(calls, "incomplete", f"internal error: {_where(exc)}; please report it")

    def _stopped(
        self, calls: FileCalls, status: FileStatus, detail: str, *, api_error: bool = False
    ) -> FileResult:
        """The result of a file whose build raised: what its calls were paid, with why."""
        return FileResult(
            calls.file.path,
            status,
            self.spec.model,
            calls=calls.calls,
            continuations=calls.continuations,
            stalls=calls.stalls,
            usage=calls.usage,
            cost=cost(calls.usage, self.info),
            detail=detail,
            api_error=api_error,
        )

    def finish(self, file: FileSpec, result: FileResult, streamer: JournalledStreamer) -> None:
        tally = streamer.tally
        result = replace(result, replayed=tally.replayed + tally.resumed)
        paid = cost(result.usage - tally.saved, self.info)
        self.budget.finish(file.path, paid or 0.0)
        if result.status in ("written", "unchanged"):
            try:
                # The lock records what the file took to generate, journal or not.
                self.records[file.path] = lock_record(self.spec, file, result)
                self.save_lock(file.path)
            except CodegenError as exc:
                result = replace(result, status="failed", detail=exc.message)
        if tally.replayed:
            # The summary's cost is what this run paid; what the journal spared, apart.
            result = replace(result, cost=paid, journal_saved=cost(tally.saved, self.info))
        self.record(file, result)

    def record(self, file: FileSpec, result: FileResult) -> None:
        self.results[file.path] = result
        self.observe(Finished(file.path, result.status, result.detail))

    def calls_for(self, file: FileSpec, streamer: Streamer, *, earlier_output: int = 0) -> FileCalls:
        """A file's calls under this build's budget, halt, progress and prefill memory
        (the verify step's repairs of a file built already: `earlier_output`, its
        output tokens so far)."""
        return FileCalls(
            self.spec,
            file,
            streamer,
            info=self.info,
            memory=self.memory,
            budget=self.budget,
            observe=self.observe,
            verbose=self.options.verbose,
            halt=self.halt,
            earlier_output=earlier_output,
        )

    def save_lock(self, *paths: str) -> None:
        """The lock file with the records of `paths` as `records` hold them."""
        lock.save(self.spec, self.records, paths)


def _where(exc: BaseException) -> str:
    """ "IndentationError: expected an indented block (codegen/splice.py:193)": the
    exception and the innermost frame of codegen's that raised it."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [
        f for f in frames if "codegen" in Path(f.filename).parts or "validators" in Path(f.filename).parts
    ]
    chosen = ours or frames
    place = ""
    if chosen:
        frame = chosen[-1]
        parts = Path(frame.filename).parts
        root = max((i for i, p in enumerate(parts) if p in ("codegen", "validators")), default=len(parts) - 1)
        place = f" ({'/'.join(parts[root:])}:{frame.lineno})"
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}{': ' + message if message else ''}{place}"


def journal_path(spec: Spec) -> Path:
    """Where a spec's answers are journalled (beside the spec, meant to be git-ignored)."""
    return spec.path.resolve().parent / ".codegen" / "journal.sqlite3"
