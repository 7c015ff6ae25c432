"""The Message Batches API (`codegen build --batch`): create a batch, retrieve its state,
read its results, cancel it. `MessageBatches` calls the SDK's `messages.batches`
through a `MessagesClient` (its retries, its waits told, its errors), and turns what
comes back into the plain values below; `rounds.py` decides what goes into a batch.

A batch holds non-streaming Messages requests, each under a `custom_id` of ours. It is
processed within 24 hours (usually much sooner) at half the price; its results come as
JSON lines in any order, each `succeeded` (a whole message), `errored` (the API's error),
`canceled` or `expired`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from ..errors import APIError

if TYPE_CHECKING:
    import anthropic

    from .anthropic import MessagesClient

ProcessingStatus = Literal["in_progress", "canceling", "ended"]
ItemKind = Literal["succeeded", "errored", "canceled", "expired"]

# Statuses of a create that a smaller batch may pass: too large (413), or more than the
# queue takes at once (429). The caller splits the batch in halves.
SPLIT_STATUSES = frozenset({413, 429})


@dataclass(frozen=True)
class Counts:
    """`request_counts`: requests still processing, and each outcome (the outcomes stay
    0 until the whole batch has ended)."""

    processing: int = 0
    succeeded: int = 0
    errored: int = 0
    canceled: int = 0
    expired: int = 0

    @property
    def total(self) -> int:
        return self.processing + self.succeeded + self.errored + self.canceled + self.expired

    @property
    def done(self) -> int:
        return self.total - self.processing


@dataclass(frozen=True)
class BatchState:
    """What `retrieve` (or `create`) says of a batch."""

    id: str
    status: ProcessingStatus
    counts: Counts
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ended(self) -> bool:
        return self.status == "ended"


@dataclass(frozen=True)
class Refused:
    """A create refused with a status a smaller batch may pass (`SPLIT_STATUSES`)."""

    status: int
    message: str


@dataclass(frozen=True)
class ItemResult:
    """One line of a batch's results."""

    custom_id: str
    kind: ItemKind
    message: Any = None  # succeeded: the SDK's Message
    error_type: str = ""  # errored: the API's error type (overloaded_error, ...)
    error_message: str = ""


class MessageBatches:
    """The batch endpoints, called through `client` (see the module docstring)."""

    def __init__(self, client: MessagesClient) -> None:
        self._client = client

    def create(
        self, items: Sequence[tuple[str, dict[str, Any]]], *, split: bool = True
    ) -> BatchState | Refused:
        """Submit (custom_id, params) pairs as one batch. With `split`, a refusal a
        smaller batch may pass is returned as `Refused` instead of raised (and a 429 is
        not waited out: halves are tried at once)."""
        import anthropic

        requests: list[Any] = [{"custom_id": custom_id, "params": params} for custom_id, params in items]

        def send(sdk: anthropic.Anthropic) -> BatchState | Refused:
            try:
                return _state(sdk.messages.batches.create(requests=requests))
            except anthropic.APIStatusError as exc:
                if split and exc.status_code in SPLIT_STATUSES:
                    return Refused(exc.status_code, _said(exc))
                raise

        return self._client.sdk_call(send)

    def retrieve(self, batch_id: str) -> BatchState | None:
        """The batch's state; None when the API does not know it (deleted, or another
        organisation's)."""
        import anthropic

        def send(sdk: anthropic.Anthropic) -> BatchState | None:
            try:
                return _state(sdk.messages.batches.retrieve(batch_id))
            except anthropic.NotFoundError:
                return None

        return self._client.sdk_call(send)

    def results(self, batch_id: str) -> list[ItemResult]:
        """Every line of an ended batch's results, read whole (a connection lost half-way
        reads them again)."""

        def send(sdk: anthropic.Anthropic) -> list[ItemResult]:
            return [_item(line) for line in sdk.messages.batches.results(batch_id)]

        return self._client.sdk_call(send)

    def cancel(self, batch_id: str) -> BatchState:
        return self._client.sdk_call(lambda sdk: _state(sdk.messages.batches.cancel(batch_id)))


def _state(batch: Any) -> BatchState:
    counts = batch.request_counts
    return BatchState(
        id=batch.id,
        status=batch.processing_status,
        counts=Counts(
            processing=counts.processing,
            succeeded=counts.succeeded,
            errored=counts.errored,
            canceled=counts.canceled,
            expired=counts.expired,
        ),
        created_at=batch.created_at,
    )


def _item(line: Any) -> ItemResult:
    result = line.result
    kind = result.type
    if kind == "succeeded":
        return ItemResult(line.custom_id, "succeeded", message=result.message)
    if kind == "errored":
        error = getattr(result.error, "error", None)
        return ItemResult(
            line.custom_id,
            "errored",
            error_type=str(getattr(error, "type", "") or "api_error"),
            error_message=" ".join(str(getattr(error, "message", "") or "no message").split()),
        )
    if kind in ("canceled", "expired"):
        return ItemResult(line.custom_id, kind)
    raise APIError(f"a batch result of an unknown type {kind!r} (custom_id {line.custom_id})")


def _said(exc: anthropic.APIStatusError) -> str:
    """The API's message of an error status, on one line."""
    body = exc.body
    error = body.get("error", body) if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    text = str(message or exc).strip() or type(exc).__name__
    return " ".join(text.split())
