"""`codegen build --batch`: the build over the Message Batches API, in rounds.

Each file runs its usual pipeline (`build_file`, through a `BatchSession`) on a thread
of its own, as soon as the files it depends on are written; `--jobs` does not apply.
Its calls go through a `BatchedStreamer` (`codegen.streaming.rounds`): the journal
answers what it holds, and every other request waits for the next round. `run_rounds`
waits until each file under way is finished or waiting, then runs a round: one batch
of every waiting request, polled until it ends, its results handed back. The rounds go
on until every file is done: first answers, then continuations of cut answers, repairs,
and files whose dependencies were just written.

Prices are the Batch API's, half of the streaming ones for input, output and the
cache alike: the session's model info carries them, so the summary, the lock file and
--max-cost all count half. Cache breakpoints are sent with the 1-hour lifetime (see
`rounds.batch_params`), and --max-cost counts them so.

With --offline nothing is submitted or collected: the build replays the journal as any
--offline build does. With --dry-run nothing is called: the plan says how many requests
the first round would submit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

from ..continuation import CallEvent, PrefillMemory
from ..errors import CodegenError, UsageError
from ..models import ModelInfo, Usage
from ..pricing import Budget
from ..progress import Note, Observer, Waiting
from ..spec import FileSpec, Spec
from ..streaming import Streamer
from ..streaming.journal import JournalledStreamer
from ..streaming.ledger import Ledger
from ..streaming.rounds import BatchedStreamer, Rounds, RoundSettings, Withdrawn, batch_params
from .results import BuildOptions, FileResult
from .scheduler import run_files
from .session import BuildSession, journal_path


@dataclass(frozen=True)
class BatchReport:
    """What a --batch build did with batches, for its summary."""

    rounds: int = 0
    submitted: tuple[str, ...] = ()  # batches this build created
    collected: tuple[str, ...] = ()  # batches of earlier builds whose results it read
    requests: int = 0  # requests it submitted
    retried: int = 0  # requests sent again after they errored, expired or were canceled
    left: tuple[str, ...] = ()  # batches left open for a later build (--detach)
    first_round: int = 0  # --dry-run: requests the first round would submit
    dry_run: bool = False
    offline: bool = False
    open_batches: int = 0  # --offline: open batches of the spec the journal records


class BatchSession(BuildSession):
    """A build whose files' requests go into rounds of batches (`Rounds`)."""

    def __init__(
        self,
        spec: Spec,
        options: BuildOptions,
        client: Streamer | None,
        observe: Observer,
        memory: PrefillMemory,
        info: ModelInfo,
    ) -> None:
        super().__init__(spec, options, client, observe, memory, info)
        self.budget = _BatchBudget(options.max_cost)
        self.rounds: Rounds | None = None
        self._ledger: Ledger | None = None
        self._order = {f.path: n for n, f in enumerate(spec.files)}
        self.held: set[str] = set()  # files waiting in a batch left open, and those after them
        self.announced = False

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
        super().close()

    def streamer(self, *, offline: bool = False) -> JournalledStreamer:
        """The journal first; then the next round (the verify step's repairs come here)."""
        return self._streamer("verify", len(self._order), offline=offline)

    def file_streamer(self, file: FileSpec) -> JournalledStreamer:
        return self._streamer(file.path, self._order[file.path])

    def _streamer(self, who: str, order: int, *, offline: bool = False) -> JournalledStreamer:
        plain = super().streamer(offline=offline)  # opens the journal, connects the client
        if offline or self.options.offline:
            return plain
        rounds = self.open_rounds()
        assert self.journal is not None
        return BatchedStreamer(rounds, self.journal, who=who, order=order, on_broken=self._journal_broken)

    def open_rounds(self) -> Rounds:
        """The rounds, opened with the journal (by `streamer`) and the client's batch
        endpoints."""
        if self.rounds is None:
            assert self.journal is not None
            batches = getattr(self.client, "batches", None)
            if not callable(batches):
                raise UsageError("--batch needs the Messages API client: this one cannot send batches")
            self._ledger = Ledger.open(self.journal.path)
            self.rounds = Rounds(
                batches(),
                self._ledger,
                self.journal,
                spec=str(self.spec.path.resolve()),
                shown=str(self.spec.path),
                observe=lambda who, line: self.observe(Note(who, line)),
                settings=RoundSettings(poll_seconds=self.options.batch_poll, detach=self.options.detach),
                on_broken=self._journal_broken,
            )
        return self.rounds

    def submitted(self, file: FileSpec, withdrawn: Withdrawn) -> FileResult:
        """The result of a file left waiting in an open batch."""
        self.held.add(file.path)
        where = f"in batch {withdrawn.batch_id}" if withdrawn.batch_id else "in a batch"
        return FileResult(
            file.path, "submitted", self.spec.model, detail=f"{where}: build again with --batch to collect it"
        )

    def report(self) -> BatchReport:
        rounds = self.rounds
        if self.options.dry_run:
            planned = {p for p, r in self.results.items() if r.status == "planned"}
            first = [f for f in self.spec.files if f.path in planned and not set(f.depends_on) & planned]
            return BatchReport(dry_run=True, first_round=len(first))
        if self.options.offline:
            return BatchReport(offline=True, open_batches=self._open_batches())
        if rounds is None:
            return BatchReport()
        return BatchReport(
            rounds=rounds.rounds,
            submitted=tuple(rounds.submitted),
            collected=tuple(rounds.collected),
            requests=rounds.requests,
            retried=rounds.retried,
            left=tuple(rounds.left),
        )

    def _open_batches(self) -> int:
        ledger = Ledger.read(journal_path(self.spec))
        if ledger is None:
            return 0
        try:
            return len(ledger.batches(str(self.spec.path.resolve())))
        finally:
            ledger.close()


class _BatchBudget(Budget):
    """--max-cost of a batch build: each request's worst case as it is sent, with its
    cache breakpoints at the 1-hour lifetime (and the model info's batch prices)."""

    def check(self, path: str, event: CallEvent, info: ModelInfo, earlier: Usage | None = None) -> None:
        super().check(path, replace(event, request=batch_params(event.request)), info, earlier)


def run_rounds(session: BatchSession) -> None:
    """Build the session's files in rounds of batches (see the module docstring)."""
    if session.options.offline or session.options.dry_run:
        run_files(session)  # nothing is submitted: the journal, or the plan
        return
    waiting = [f for f in session.spec.files if f.path in session.selected]
    running: dict[str, tuple[FileSpec, JournalledStreamer]] = {}
    try:
        while waiting or running:
            _start_ready(session, waiting, running)
            if not running:
                if waiting:
                    raise CodegenError("no file can start: their dependencies are not built")
                break
            rounds = session.open_rounds()
            finished = rounds.settle()
            for path, outcome in finished:
                file, streamer = running.pop(path)
                if isinstance(outcome, Withdrawn):
                    session.record(file, session.submitted(file, outcome))
                elif isinstance(outcome, BaseException):
                    raise outcome
                else:
                    session.finish(file, outcome, streamer)  # type: ignore[arg-type]
            if not finished:
                rounds.run_round()  # every file under way waits on a request
    except BaseException:
        # Ctrl-C or a fatal error: the files under way stop; what is in a batch stays
        # there, recorded, for the next build to collect.
        session.halt.set()
        if session.rounds is not None:
            session.rounds.withdraw()
        raise


def _start_ready(
    session: BatchSession, waiting: list[FileSpec], running: dict[str, tuple[FileSpec, JournalledStreamer]]
) -> None:
    """Start every file whose dependencies are written, each on a thread of its own."""
    for file in list(waiting):
        if any(d in running or d in {w.path for w in waiting} for d in file.depends_on):
            continue  # what it builds on is not written yet
        waiting.remove(file)
        held = [d for d in file.depends_on if d in session.held]
        if held:
            session.held.add(file.path)
            session.record(
                file,
                FileResult(
                    file.path,
                    "planned",
                    session.spec.model,
                    detail=f"after {', '.join(held)}, which waits in a batch: build again with --batch",
                ),
            )
            continue
        immediate = session.without_call(file)
        if immediate is not None:
            session.record(file, immediate)
            continue
        streamer = session.file_streamer(file)
        if not session.announced:
            # Once connected (a missing key is the only line a build says), every file
            # still to build, in the spec's order.
            session.announced = True
            for other in session.spec.files:
                if other is file or other in waiting:
                    session.observe(Waiting(other.path))
        running[file.path] = (file, streamer)
        rounds = session.open_rounds()
        rounds.started()
        threading.Thread(
            target=_work, args=(session, file, streamer, rounds), daemon=True, name=f"codegen {file.path}"
        ).start()


def _work(session: BatchSession, file: FileSpec, streamer: JournalledStreamer, rounds: Rounds) -> None:
    outcome: Any
    try:
        outcome = session.build(file, streamer)
    except BaseException as exc:  # handed to the scheduler, which raises it (or records a Withdrawn)
        outcome = exc
    rounds.ended(file.path, outcome)
