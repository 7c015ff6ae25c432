"""`codegen status`: the open Message Batches of a spec's --batch builds, with their counts.

A batch is open from its creation until a build has read its results into the journal:
in progress, or ended and waiting to be collected (`codegen build SPEC --batch` does).
The counts come from the API (and are written back to the journal's ledger), or, with
--offline or without a key, as a build last saw them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from .build.session import journal_path
from .errors import MissingCredentialsError
from .spec import Spec
from .streaming.batches import Counts, MessageBatches
from .streaming.ledger import Ledger


class BatchSource(Protocol):
    def batches(self) -> MessageBatches: ...


@dataclass(frozen=True)
class OpenBatch:
    id: str
    status: str  # in_progress, canceling, ended; "gone" when the API no longer knows it
    counts: Counts
    requests: int
    created_at: str
    seen_at: str  # when the counts were read


@dataclass(frozen=True)
class SpecBatches:
    spec: Path
    batches: tuple[OpenBatch, ...]
    live: bool  # counts from the API just now (else as a build last saw them)


def batch_status(spec: Spec, client: BatchSource | None) -> SpecBatches:
    """The spec's open batches; their counts asked of the API through `client`, unless
    it is None or has no key."""
    ledger = Ledger.read(journal_path(spec))
    if ledger is None:
        return SpecBatches(spec.path, (), True)
    try:
        found = [
            OpenBatch(r.id, r.status, r.counts, r.requests, r.created_at, r.updated_at)
            for r in ledger.batches(str(spec.path.resolve()))
        ]
        api = _api(client) if found else None
        if api is not None:
            found = [_refreshed(batch, api, ledger) for batch in found]
    finally:
        ledger.close()
    return SpecBatches(spec.path, tuple(found), api is not None or not found)


def _api(client: BatchSource | None) -> MessageBatches | None:
    if client is None:
        return None
    try:
        return client.batches()
    except MissingCredentialsError:
        return None  # no key: the journal's record, as with --offline


def _refreshed(batch: OpenBatch, api: MessageBatches, ledger: Ledger) -> OpenBatch:
    """The batch as the API sees it now (and the ledger with it)."""
    state = api.retrieve(batch.id)
    if state is None:
        return replace(batch, status="gone")
    ledger.update(state)
    return replace(batch, status=state.status, counts=state.counts, seen_at="now")
