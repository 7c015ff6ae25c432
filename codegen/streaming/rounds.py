"""Rounds of Message Batches (`codegen build --batch`): `Rounds` and `BatchedStreamer`.

Every file of a batch build runs its usual pipeline on a thread of its own. Its
`BatchedStreamer` answers from the journal what it can, as a JournalledStreamer does;
a request the journal cannot answer is handed to the `Rounds` and the thread waits.
The scheduler (`codegen.build.batched`) waits until every file under way is finished
or waiting, then calls `run_round`: every waiting request goes into one batch (split
where the API's limits or its refusals say so), the batch is polled with progress
lines until it ends, and its results wake the threads. The next round forms by itself:
the continuations of cut answers, repairs, files whose dependencies were just written.

A request that an open batch of an earlier build holds (the ledger says so) is not
submitted again: the round waits for that batch, or reads its results when it has
ended. Results are journalled as they are read, whoever waits for them.

An item that `errored` with an error that may pass (overloaded, a server error, a rate
limit), `expired` or was `canceled` goes into the next round, up to `MAX_RETRIES`
times; any other error fails its file with one line; a refused prefill is the
continuation loop's to handle, as when streaming.

With --detach, a round that would wait leaves its batches open: the threads waiting
for them end (`Withdrawn`), and a later build collects.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import APIError, AuthenticationError, CodegenError, PrefillRejectedError
from .anthropic import answer_of
from .base import Answer, waits_told_to
from .batches import BatchState, ItemResult, MessageBatches
from .journal import Journal, JournalledStreamer
from .ledger import Item, Ledger

# The API's limits on one batch; the bytes less room for the body around the requests.
MAX_REQUESTS = 100_000
MAX_BYTES = 256 * 1024 * 1024 - 64 * 1024

# How many times a request may go into a later round after its item errored (with an
# error that may pass), expired or was canceled.
MAX_RETRIES = 3

# Item errors that may pass, as the streaming client retries them.
PASSING_ERRORS = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})

# A progress line per batch when its counts change, else at least this often.
NOTE_SECONDS = 300.0

# Polls in a row that may fail (the network, the API) before the build gives up: the
# batch goes on without us, and a later build collects it.
MAX_POLL_FAILURES = 10

Observe = Callable[[str, str], None]  # (who: a file's path or the spec's, line)


class Withdrawn(BaseException):
    """A request left in its open batch (--detach, or the build stopped): the file's
    thread ends here, and a later build collects the batch. A BaseException, so that no
    `except Exception` of the pipeline takes it for a failure of the file."""

    def __init__(self, batch_id: str | None) -> None:
        super().__init__(batch_id or "the build stopped")
        self.batch_id = batch_id


@dataclass(frozen=True)
class RoundSettings:
    poll_seconds: float = 30.0
    detach: bool = False
    max_requests: int = MAX_REQUESTS
    max_bytes: int = MAX_BYTES


@dataclass(eq=False)
class _Pending:
    """A request a thread waits on."""

    key: str
    attempt: int
    request: dict[str, Any]
    who: str
    order: tuple[int, int]  # the file's place in the spec, then arrival: a batch's order
    thread: int
    done: threading.Event = field(default_factory=threading.Event)
    answer: Answer | None = None
    error: BaseException | None = None
    retries: int = 0


@dataclass(eq=False)
class Entry:
    """One request of a batch to submit: its ledger item, its params, who waits on it."""

    item: Item
    params: dict[str, Any]
    waiting: list[_Pending]
    size: int  # bytes of its JSON in the create body


class Rounds:
    """The requests the file threads wait on, and the rounds that answer them (see the
    module docstring). `ask` is called on the file threads; everything else on the
    driver: the thread that made the Rounds (the build's), which answers its own
    requests (the verify step's repairs) by running a round at once."""

    def __init__(
        self,
        api: MessageBatches,
        ledger: Ledger,
        journal: Journal,
        *,
        spec: str,
        shown: str,
        observe: Observe,
        settings: RoundSettings = RoundSettings(),
        on_broken: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api, self._ledger, self._journal = api, ledger, journal
        self._spec, self._shown = spec, shown  # the spec as the ledger keys it, as the user reads it
        self._observe, self._settings, self._on_broken = observe, settings, on_broken
        self._sleep, self._clock = sleep, clock
        self._driver = threading.get_ident()
        self._cond = threading.Condition()
        self._pending: list[_Pending] = []
        self._live = 0  # file threads started and not ended
        self._finished: list[tuple[str, object]] = []
        self._arrivals = 0
        # What the summary says (`codegen.build.batched.BatchReport`).
        self.rounds = 0
        self.submitted: list[str] = []
        self.collected: list[str] = []  # batches of earlier builds read by this one
        self.requests = 0
        self.retried = 0
        self.left: list[str] = []  # batches left open for a later build

    # -- the file threads ----------------------------------------------------------

    def ask(self, key: str, attempt: int, request: dict[str, Any], *, who: str, order: int) -> Answer:
        """The answer to a request, from the next round's batch (or an earlier build's)."""
        with self._cond:
            self._arrivals += 1
            pending = _Pending(key, attempt, request, who, (order, self._arrivals), threading.get_ident())
            self._pending.append(pending)
            self._cond.notify_all()
        if pending.thread == self._driver:
            while not pending.done.is_set():
                self.run_round()
        else:
            pending.done.wait()
        if pending.error is not None:
            raise pending.error
        assert pending.answer is not None
        return pending.answer

    def started(self) -> None:
        """A file thread is about to start (counted before it runs, so that no round
        forms without its first request)."""
        with self._cond:
            self._live += 1

    def ended(self, path: str, outcome: object) -> None:
        """A file thread's last act: its result, or what it raised."""
        with self._cond:
            self._live -= 1
            self._finished.append((path, outcome))
            self._cond.notify_all()

    def settle(self) -> list[tuple[str, object]]:
        """Wait until a file thread ended (its outcomes returned) or every one under
        way waits on a request (nothing returned: time for a round)."""
        with self._cond:
            while not self._finished and not (self._live > 0 and self._waiting() >= self._live):
                self._cond.wait(timeout=0.2)  # a timeout keeps Ctrl-C deliverable
            finished, self._finished = self._finished, []
            return finished

    def _waiting(self) -> int:
        return sum(1 for p in self._pending if p.thread != self._driver)

    def withdraw(self) -> None:
        """The build stops: every thread still waiting ends (`Withdrawn`)."""
        with self._cond:
            pending = list(self._pending)
        self._deliver(pending, error=functools.partial(Withdrawn, None))

    # -- the driver ------------------------------------------------------------------

    def run_round(self) -> None:
        """One round: every waiting request submitted (or found in an open batch), the
        batches waited for, their results delivered."""
        with self._cond:
            pending = sorted(self._pending, key=lambda p: p.order)
        if not pending:
            return
        self.rounds += 1
        with waits_told_to(lambda line: self._say(line)):
            waiting, fresh = self._sort(pending)
            if waiting:
                earlier = sum(len(by_id) for by_id in waiting.values())
                self._say(
                    f"round {self.rounds}: {_count(earlier, 'request')} already in "
                    f"{', '.join(waiting)}, submitted by an earlier build: not submitted again"
                )
            for chunk in split_round(fresh, self._settings.max_requests, self._settings.max_bytes):
                self._submit(chunk, waiting)
            self._wait(waiting)

    def _sort(self, pending: Sequence[_Pending]) -> tuple[dict[str, dict[str, list[_Pending]]], list[Entry]]:
        """The requests an open batch holds already (by batch and custom_id), and the
        others as entries to submit; equal requests go in once."""
        groups: dict[tuple[str, int], list[_Pending]] = {}
        for p in pending:
            groups.setdefault((p.key, p.attempt), []).append(p)
        waiting: dict[str, dict[str, list[_Pending]]] = {}
        fresh: list[Entry] = []
        for (key, attempt), group in groups.items():
            found = self._ledger.waiting_for(key, attempt)
            if found is not None:
                waiting.setdefault(found[0], {})[found[1]] = group
                continue
            request = group[0].request
            params = batch_params(request)
            item = Item(custom_id_of(key, attempt), key, attempt, str(request.get("model", "")), "1h")
            size = len(json.dumps({"custom_id": item.custom_id, "params": params}).encode("utf-8")) + 1
            fresh.append(Entry(item, params, group, size))
        return waiting, fresh

    def _submit(self, chunk: Sequence[Entry], waiting: dict[str, dict[str, list[_Pending]]]) -> None:
        """Create a batch of `chunk`, in halves while the API refuses it as too large."""
        try:
            created = self._api.create([(e.item.custom_id, e.params) for e in chunk], split=len(chunk) > 1)
        except AuthenticationError:
            raise
        except APIError as exc:  # each file of the batch fails with the line
            for entry in chunk:
                self._deliver(entry.waiting, error=functools.partial(APIError, exc.message))
            return
        if not isinstance(created, BatchState):
            half = len(chunk) // 2
            self._say(
                f"round {self.rounds}: the API refused a batch of {len(chunk):,} requests "
                f"({created.status}: {created.message}): submitting it as two, "
                f"of {half:,} and {len(chunk) - half:,}"
            )
            self._submit(chunk[:half], waiting)
            self._submit(chunk[half:], waiting)
            return
        model = chunk[0].item.model
        self._keep(lambda: self._ledger.record(created, self._spec, model, [e.item for e in chunk]))
        self.submitted.append(created.id)
        self.requests += len(chunk)
        self._say(f"round {self.rounds}: batch {created.id}: {_count(len(chunk), 'request')} submitted")
        waiting[created.id] = {e.item.custom_id: e.waiting for e in chunk}

    def _wait(self, waiting: dict[str, dict[str, list[_Pending]]]) -> None:
        """Poll every batch of the round until it ends, collecting each as it does."""
        told: dict[str, tuple[object, float]] = {}
        failures = 0
        while waiting:
            for batch_id in list(waiting):
                try:
                    state = self._api.retrieve(batch_id)
                except AuthenticationError:
                    raise
                except APIError as exc:
                    failures += 1
                    if failures >= MAX_POLL_FAILURES:
                        raise
                    self._say(f"batch {batch_id}: cannot check it ({exc.message}); trying again")
                    continue
                failures = 0
                if state is None:
                    self._say(
                        f"batch {batch_id}: the API no longer knows it; its requests go into the next round"
                    )
                    self._keep(functools.partial(self._ledger.collected, batch_id))
                    for group in waiting.pop(batch_id).values():
                        self._retry(group, f"batch {batch_id} is gone")
                    continue
                self._keep(functools.partial(self._ledger.update, state))
                self._tell(state, told)
                if state.ended:
                    self._collect(batch_id, waiting.pop(batch_id))
            if not waiting:
                return
            if self._settings.detach and not self._drives(waiting):
                self._leave(waiting)
                return
            self._sleep(self._settings.poll_seconds)

    def _drives(self, waiting: dict[str, dict[str, list[_Pending]]]) -> bool:
        """Whether the driver itself waits on one of these batches (it cannot detach)."""
        return any(p.thread == self._driver for by_id in waiting.values() for g in by_id.values() for p in g)

    def _leave(self, waiting: dict[str, dict[str, list[_Pending]]]) -> None:
        """--detach: the batches stay open, and their threads end."""
        for batch_id, by_id in waiting.items():
            self.left.append(batch_id)
            for group in by_id.values():
                self._deliver(group, error=functools.partial(Withdrawn, batch_id))

    def _tell(self, state: BatchState, told: dict[str, tuple[object, float]]) -> None:
        """ "batch msgbatch_…: 37/120 done, 3 errored, 12 min", when the counts change
        and now and then while they do not."""
        now = self._clock()
        last = told.get(state.id)
        seen = (state.status, state.counts)
        if last is not None and last[0] == seen and now - last[1] < NOTE_SECONDS and not state.ended:
            return
        told[state.id] = (seen, now)
        c = state.counts
        parts = [f"{c.done:,}/{c.total:,} done"]
        parts += [
            f"{n:,} {what}"
            for n, what in ((c.errored, "errored"), (c.expired, "expired"), (c.canceled, "canceled"))
            if n
        ]
        if state.ended:
            parts.insert(0, "ended")
        elif state.status == "canceling":
            parts.insert(0, "canceling")
        parts.append(_age(state.created_at))
        self._say(f"batch {state.id}: {', '.join(parts)}")

    def _collect(self, batch_id: str, by_id: dict[str, list[_Pending]]) -> None:
        """Read an ended batch's results: journal each, wake who waits on it."""
        results = self._api.results(batch_id)
        items = self._ledger.items(batch_id)
        if batch_id not in self.submitted:
            self.collected.append(batch_id)
        seen: set[str] = set()
        for result in results:
            item = items.get(result.custom_id)
            if item is None:
                continue  # not a request of ours
            seen.add(result.custom_id)
            self._settle(batch_id, item, result, by_id.get(result.custom_id, []))
        for custom_id, group in by_id.items():
            if custom_id not in seen:
                self._keep(functools.partial(self._ledger.outcome, batch_id, custom_id, "missing"))
                self._retry(group, f"batch {batch_id} has no result for it")
        self._keep(functools.partial(self._ledger.collected, batch_id))

    def _settle(self, batch_id: str, item: Item, result: ItemResult, group: list[_Pending]) -> None:
        """One result: journalled, and given to the threads waiting on it (or kept for
        a later round)."""
        if result.kind == "succeeded":
            answer = answer_of(result.message, group[0].request if group else _stand_in(item.ttl))
            self._journal_answer(item, answer)
            self._keep(lambda: self._ledger.outcome(batch_id, item.custom_id, "succeeded"))
            self._deliver(group, answer=answer)
            return
        detail = f"{result.error_type}: {result.error_message}" if result.kind == "errored" else ""
        self._keep(lambda: self._ledger.outcome(batch_id, item.custom_id, result.kind, detail))
        if result.kind == "errored":
            if result.error_type == "invalid_request_error" and "prefill" in result.error_message.lower():
                self._keep(
                    lambda: self._journal.refused(item.key, item.attempt, item.model, result.error_message)
                )
                self._deliver(group, error=functools.partial(PrefillRejectedError, result.error_message))
            elif result.error_type in PASSING_ERRORS:
                self._retry(group, f"batch {batch_id}: {detail}")
            else:
                self._deliver(group, error=functools.partial(APIError, f"batch {batch_id}: {detail}"))
        elif result.kind == "expired":
            self._retry(group, f"batch {batch_id}: expired (not processed within 24 hours)")
        else:
            self._retry(group, f"batch {batch_id}: canceled")

    def _retry(self, group: list[_Pending], why: str) -> None:
        """The requests stay waiting: the next round sends them again."""
        for p in group:
            p.retries += 1
            if p.retries > MAX_RETRIES:
                self._deliver(
                    [p], error=functools.partial(APIError, f"{why}, {MAX_RETRIES + 1} times: given up")
                )
                continue
            self.retried += 1
            self._observe(p.who, f"{why}: sent again in the next round")

    def _journal_answer(self, item: Item, answer: Answer) -> None:
        """Keep a result; never over an answer the journal holds already (one a
        streaming build bought meanwhile: the files written from it stay replayable)."""
        entry = self._journal.find(item.key, item.attempt)
        if entry is None or entry.status == "partial":
            self._keep(lambda: self._journal.complete(item.key, item.attempt, item.model, answer))

    def _deliver(
        self,
        group: Sequence[_Pending],
        *,
        answer: Answer | None = None,
        error: Callable[[], BaseException] | None = None,
    ) -> None:
        """Wake the threads of `group` with the answer, or each with an error of its own
        (an exception raised on several threads at once would share its traceback)."""
        with self._cond:
            for p in group:
                if p.done.is_set():
                    continue
                p.answer, p.error = answer, None if error is None else error()
                if p in self._pending:
                    self._pending.remove(p)
                p.done.set()
            self._cond.notify_all()

    def _keep(self, write: Callable[[], None]) -> None:
        """A journal write; one that fails stops the build (what is paid for could not
        be kept), once."""
        try:
            write()
        except CodegenError as exc:
            broken, self._on_broken = self._on_broken, None
            if broken is not None:
                broken(exc.message)

    def _say(self, line: str) -> None:
        self._observe(self._shown, line)


class BatchedStreamer(JournalledStreamer):
    """A file's JournalledStreamer whose requests the journal cannot answer go into the
    next batch round (`Rounds.ask`) instead of a stream."""

    def __init__(
        self,
        rounds: Rounds,
        journal: Journal,
        *,
        who: str,
        order: int,
        on_broken: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(_NoStream(), journal, on_broken=on_broken)
        self._rounds, self.who, self.order = rounds, who, order

    def _send(
        self, key: str, attempt: int, request: dict[str, Any], on_text: Callable[[str], None] | None
    ) -> Answer:
        self._count(sent=1)
        # Journalled by the rounds as the results were read (refused prefills too).
        answer = self._rounds.ask(key, attempt, request, who=self.who, order=self.order)
        if on_text is not None and answer.text:
            on_text(answer.text)
        return answer


class _NoStream:
    """The inner streamer of a BatchedStreamer, which never streams."""

    def stream(self, request: dict[str, Any], on_text: Callable[[str], None] | None = None) -> Answer:
        raise AssertionError("a BatchedStreamer sends through its rounds")


def batch_params(request: dict[str, Any]) -> dict[str, Any]:
    """A request as a batch item's params: not streamed, and every cache breakpoint
    with the 1-hour lifetime. Rounds are minutes to hours apart, so a 5-minute cache
    entry is gone before the next round reads it; the 1-hour write costs 2x the input
    price instead of 1.25x, and is read back at 0.1x by the next round (the docs
    advise the same for batches). The journal keys the request as it was asked, so a
    streaming build replays what a batch build bought, and the other way round."""
    params = {k: v for k, v in request.items() if k != "stream"}
    if isinstance(params.get("system"), list):
        params["system"] = _one_hour(params["system"])
    params["messages"] = [
        {**m, "content": _one_hour(m["content"])} if isinstance(m.get("content"), list) else m
        for m in params.get("messages") or []
    ]
    return params


def _one_hour(blocks: list[Any]) -> list[Any]:
    return [
        {**b, "cache_control": {**b["cache_control"], "ttl": "1h"}}
        if isinstance(b, dict) and isinstance(b.get("cache_control"), dict)
        else b
        for b in blocks
    ]


def custom_id_of(key: str, attempt: int) -> str:
    """A batch item's custom_id (at most 64 of [A-Za-z0-9_-]): the request's journal key
    and attempt, unique within a batch."""
    return f"{key[:48]}-{attempt}"


def split_round(entries: Sequence[Entry], max_requests: int, max_bytes: int) -> Iterator[list[Entry]]:
    """The round's entries in batches within the API's limits, in order. An entry over
    `max_bytes` on its own goes alone (the API refuses it, and its file fails)."""
    chunk: list[Entry] = []
    size = 0
    for entry in entries:
        if chunk and (len(chunk) >= max_requests or size + entry.size > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(entry)
        size += entry.size
    if chunk:
        yield chunk


def _stand_in(ttl: str) -> dict[str, Any]:
    """What `answer_of` reads of a request it does not have (an earlier build's): the
    cache lifetime, for usage that does not split its writes by lifetime."""
    return {"system": [{"type": "text", "text": "", "cache_control": {"type": "ephemeral", "ttl": ttl}}]}


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' if n != 1 else ''}"


def _age(created: datetime) -> str:
    """ "under a minute", "12 min", "2 h 05 min": how long a batch has been running."""
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    minutes = int((datetime.now(UTC) - created).total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
