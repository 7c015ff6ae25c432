"""The Message Batches endpoints of the double: `BatchDesk`, at `MessagesDouble.batches`.

    POST /v1/messages/batches                 create: {"requests": [{custom_id, params}]}
    GET  /v1/messages/batches/{id}            retrieve: the MessageBatch
    GET  /v1/messages/batches/{id}/results    the results as JSON lines, shuffled
    POST /v1/messages/batches/{id}/cancel     cancel: canceling, then ended

with the API's shapes (`anthropic.types.messages.MessageBatch`, `...IndividualResponse`).
Each item is answered by the double's author when the batch is created, in the order
of its requests, as a whole message (the same author, cache and quirks as a streamed
request; `stream` in params is refused, as the API does). The batch then stays
`in_progress` for `polls` retrieves (its request_counts all `processing`, as the API
keeps them until the end) and ends on the next; a double kept between two builds keeps
a batch in progress across them.

Switches: `polls`; `refuse`, statuses the next creates answer in turn (413
request_too_large, 429 rate_limit_error); `max_requests`, above which a create is
refused 413; `faults`, by the index of an item in `items` (every item ever submitted):
"expired", "canceled", or an error type the item is `errored` with (overloaded_error,
invalid_request_error...).

What happened, for tests: `items` (every item's params, in submission order),
`created` (the custom_ids of each batch created), `refused` (the statuses answered to
creates), `retrieves`, `result_reads`, `cancels`.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .wire import STATUS_OF_ERROR, ErrorReply, Ids, WireResponse, _message, render_error, render_json

if TYPE_CHECKING:
    from .server import MessagesDouble

BATCHES = "/v1/messages/batches"

_CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ERROR_TYPES = {status: kind for kind, status in STATUS_OF_ERROR.items()}


@dataclass
class _Batch:
    id: str
    created_at: datetime
    results: dict[str, dict[str, Any]]  # custom_id -> the result, in request order
    polls_left: int
    status: str = "in_progress"
    ended_at: datetime | None = None
    cancel_initiated_at: datetime | None = None
    seed: str = ""

    def counts(self) -> dict[str, int]:
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if self.status != "ended":
            counts["processing"] = len(self.results)
            return counts
        for result in self.results.values():
            counts[result["type"]] += 1
        return counts


@dataclass
class BatchDesk:
    double: MessagesDouble = field(repr=False)
    polls: int = 0
    refuse: list[int] = field(default_factory=list)
    max_requests: int | None = None
    faults: dict[int, str] = field(default_factory=dict)
    seed: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)
    created: list[list[str]] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    retrieves: int = 0
    result_reads: int = 0
    cancels: int = 0
    _batches: dict[str, _Batch] = field(default_factory=dict, repr=False)

    def open_batches(self) -> list[str]:
        return [b.id for b in self._batches.values() if b.status != "ended"]

    def handle(self, method: str, path: str, body: bytes, ids: Ids, base: str) -> WireResponse:
        """Answer one request to the batch endpoints (called under the double's lock)."""
        rest = path[len(BATCHES) :].strip("/").split("/")
        if method == "POST" and rest == [""]:
            return self._create(body, ids)
        batch = self._batches.get(rest[0]) if rest[0] else None
        if batch is None:
            return _error(404, "not_found_error", f"No batch with id {rest[0]!r}", ids)
        if method == "GET" and len(rest) == 1:
            self.retrieves += 1
            self._advance(batch)
            return render_json(200, self._shape(batch, base), ids.request_id)
        if method == "GET" and rest[1:] == ["results"]:
            return self._results(batch, ids)
        if method == "POST" and rest[1:] == ["cancel"]:
            self.cancels += 1
            if batch.status == "in_progress":
                batch.status, batch.cancel_initiated_at = "canceling", datetime.now(UTC)
            return render_json(200, self._shape(batch, base), ids.request_id)
        return _error(404, "not_found_error", f"Not found: {method} {path}", ids)

    def _create(self, body: bytes, ids: Ids) -> WireResponse:
        try:
            requests = json.loads(body or b"null")["requests"]
        except (ValueError, KeyError, TypeError):
            return _error(400, "invalid_request_error", "requests: Field required", ids)
        if not isinstance(requests, list) or not requests:
            return _error(400, "invalid_request_error", "requests: at least one request is required", ids)
        custom_ids = [r.get("custom_id") for r in requests]
        for custom_id in custom_ids:
            if not isinstance(custom_id, str) or not _CUSTOM_ID.match(custom_id):
                return _error(400, "invalid_request_error", f"custom_id {custom_id!r}: invalid", ids)
        if len(set(custom_ids)) != len(custom_ids):
            return _error(400, "invalid_request_error", "custom_id values must be unique within a batch", ids)
        status = self.refuse.pop(0) if self.refuse else None
        if status is None and self.max_requests is not None and len(requests) > self.max_requests:
            status = 413
        if status is not None:
            self.refused.append(status)
            kind = _ERROR_TYPES.get(status, "api_error")
            return _error(status, kind, f"test double: batch of {len(requests)} refused", ids)
        n = len(self._batches) + 1
        batch = _Batch(f"msgbatch_dbl{n:020d}", datetime.now(UTC), {}, self.polls, seed=f"{self.seed}|{n}")
        for i, request in enumerate(requests):
            index = len(self.items)
            params = request.get("params")
            self.items.append(params)
            message_id = f"msg_dblbatch{n:06d}{i:09d}"
            batch.results[request["custom_id"]] = self._result(index, params, message_id)
        self._batches[batch.id] = batch
        self.created.append([str(c) for c in custom_ids])
        return render_json(200, self._shape(batch, ""), ids.request_id)

    def _result(self, index: int, params: Any, message_id: str) -> dict[str, Any]:
        fault = self.faults.get(index)
        if fault in ("expired", "canceled"):
            return {"type": fault}
        if fault is not None:
            return _errored(fault, f"test double: {fault}")
        if not isinstance(params, dict):
            return _errored("invalid_request_error", "params: Field required")
        if "stream" in params:
            return _errored("invalid_request_error", "stream: not supported in a batch")
        answer = self.double.whole_message(params, message_id)
        if isinstance(answer, ErrorReply):
            return _errored(answer.type, answer.message)
        return {"type": "succeeded", "message": answer}

    def _advance(self, batch: _Batch) -> None:
        """One retrieve: a batch in progress ends once its polls are spent; one being
        canceled ends at once, its items canceled."""
        if batch.status == "canceling":
            batch.results = {c: {"type": "canceled"} for c in batch.results}
        elif batch.status == "in_progress" and batch.polls_left > 0:
            batch.polls_left -= 1
            return
        if batch.status != "ended":
            batch.status, batch.ended_at = "ended", datetime.now(UTC)

    def _results(self, batch: _Batch, ids: Ids) -> WireResponse:
        if batch.status != "ended":
            return _error(400, "invalid_request_error", f"batch {batch.id} has not ended", ids)
        self.result_reads += 1
        lines = [{"custom_id": c, "result": r} for c, r in batch.results.items()]
        random.Random(batch.seed).shuffle(lines)  # the API gives them in any order
        body = b"".join((json.dumps(line) + "\n").encode("utf-8") for line in lines)
        headers = (
            ("content-type", "application/binary"),
            ("request-id", ids.request_id),
            ("content-length", str(len(body))),
        )
        return WireResponse(200, headers, (body,))

    @staticmethod
    def _shape(batch: _Batch, base: str) -> dict[str, Any]:
        def stamp(when: datetime | None) -> str | None:
            return None if when is None else when.isoformat().replace("+00:00", "Z")

        ended = batch.status == "ended"
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": batch.status,
            "request_counts": batch.counts(),
            "created_at": stamp(batch.created_at),
            "expires_at": stamp(batch.created_at + timedelta(hours=24)),
            "ended_at": stamp(batch.ended_at),
            "cancel_initiated_at": stamp(batch.cancel_initiated_at),
            "archived_at": None,
            "results_url": f"{base}{BATCHES}/{batch.id}/results" if ended else None,
        }


def _errored(kind: str, message: str) -> dict[str, Any]:
    return {"type": "errored", "error": {"type": "error", "error": {"type": kind, "message": message}}}


def _error(status: int, kind: str, message: str, ids: Ids) -> WireResponse:
    return render_error(ErrorReply(status, kind, message), ids.request_id)


def whole_message(
    double: MessagesDouble, request: dict[str, Any], message_id: str
) -> dict[str, Any] | ErrorReply:
    """The author's answer to `request` as a whole message, or the error it gets: what a
    batch item holds (a reply that would break off a stream errors with its error)."""
    from .server import _messages_problem

    problem = _messages_problem(request) if double.validate else None
    if problem:
        return ErrorReply(400, "invalid_request_error", problem)
    try:
        reply = double.author(request)
    except Exception as exc:  # reported to the test, not swallowed: see MessagesDouble.check
        double.failures.append(f"batch item {message_id}: {type(exc).__name__}: {exc}")
        return ErrorReply(500, "api_error", f"test double: {type(exc).__name__}: {exc}")
    if isinstance(reply, ErrorReply):
        return reply
    reply = double.quirks.apply(reply, request)
    if reply.error_after is not None:
        kind, text = reply.stream_error
        return ErrorReply(STATUS_OF_ERROR.get(kind, 500), kind, text)
    return _message(reply, request, Ids(message_id, ""))
