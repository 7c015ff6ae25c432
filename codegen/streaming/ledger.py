"""The journal's record of Message Batches (`codegen build --batch`): `Ledger`.

Every batch is written down as soon as it is created: its id, the spec whose build
submitted it, and for each of its requests the custom_id and the request's journal key
and attempt. A build killed while it waits (Ctrl-C, a kill, a closed laptop), or one
that exits at once (--detach), has paid for those requests; the next build finds the
open batch of a request it needs and waits for it, or reads its results, instead of
submitting the request again. Results are journalled as complete answers (`journal.py`)
under their keys, so any later build replays them for free; the ledger then marks the
batch collected.

The tables live in the journal's SQLite file beside its own (`answers`, `pieces`),
created with CREATE TABLE IF NOT EXISTS on first use: the journal's schema version is
unchanged, and a codegen that knows nothing of batches reads the file as before.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import CodegenError
from .batches import BatchState, Counts
from .journal import BUSY_SECONDS, immediate

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS batches (
        id TEXT PRIMARY KEY,            -- msgbatch_...
        spec TEXT NOT NULL,             -- the spec file (resolved) whose build submitted it
        model TEXT NOT NULL,
        requests INTEGER NOT NULL,
        status TEXT NOT NULL,           -- processing_status as last seen
        counts TEXT NOT NULL,           -- request_counts as last seen, JSON
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        collected_at TEXT               -- results read and journalled; NULL while open
    )""",
    """CREATE TABLE IF NOT EXISTS batch_items (
        batch_id TEXT NOT NULL,
        custom_id TEXT NOT NULL,
        key TEXT NOT NULL,              -- the request's journal key (journal.request_key)
        attempt INTEGER NOT NULL,       -- and its attempt, as the journal numbers them
        model TEXT NOT NULL,
        ttl TEXT NOT NULL,              -- the cache lifetime the request asked for
        outcome TEXT,                   -- NULL until read: succeeded, errored, canceled, expired, missing
        detail TEXT,
        PRIMARY KEY (batch_id, custom_id)
    )""",
    "CREATE INDEX IF NOT EXISTS batch_items_by_key ON batch_items (key, attempt)",
)


@dataclass(frozen=True)
class Item:
    """One request of a batch, as the ledger keeps it."""

    custom_id: str
    key: str
    attempt: int
    model: str
    ttl: str = "5m"


@dataclass(frozen=True)
class BatchRecord:
    """A batch as last seen."""

    id: str
    spec: str
    model: str
    requests: int
    status: str
    counts: Counts
    created_at: str
    updated_at: str
    collected_at: str | None = None


class Ledger:
    """The batch tables of a journal file; safe to share between threads."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path) -> Ledger:
        """The ledger of the journal at `path` (opened by `Journal.open` first), its
        tables created if they are not there yet."""
        ledger = cls(path, _connect(path))
        with ledger._guard("create"), ledger._transaction():
            for statement in _SCHEMA:
                ledger._db.execute(statement)
        return ledger

    @classmethod
    def read(cls, path: Path) -> Ledger | None:
        """The ledger to read (`codegen status`): None where no build has batched, so
        that reading creates nothing."""
        if not path.is_file():
            return None
        ledger = cls(path, _connect(path))
        with ledger._guard("read"):
            found = ledger._db.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'batches'"
            ).fetchone()[0]
        if not found:
            ledger.close()
            return None
        return ledger

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def record(self, state: BatchState, spec: str, model: str, items: Sequence[Item]) -> None:
        """A batch just created, with the request behind each custom_id."""
        now = _now()
        with self._guard("write"), self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO batches (id, spec, model, requests, status, counts, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    state.id,
                    spec,
                    model,
                    len(items),
                    state.status,
                    json.dumps(asdict(state.counts)),
                    state.created_at.isoformat(timespec="seconds"),
                    now,
                ),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO batch_items (batch_id, custom_id, key, attempt, model, ttl) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(state.id, i.custom_id, i.key, i.attempt, i.model, i.ttl) for i in items],
            )

    def update(self, state: BatchState) -> None:
        """The batch's state as just seen."""
        with self._guard("write"), self._transaction():
            self._db.execute(
                "UPDATE batches SET status = ?, counts = ?, updated_at = ? WHERE id = ?",
                (state.status, json.dumps(asdict(state.counts)), _now(), state.id),
            )

    def waiting_for(self, key: str, attempt: int) -> tuple[str, str] | None:
        """(batch id, custom_id) of an open batch that holds this request and whose
        result has not been read, or None."""
        with self._guard("read"):
            row = self._db.execute(
                "SELECT i.batch_id, i.custom_id FROM batch_items i JOIN batches b ON b.id = i.batch_id "
                "WHERE i.key = ? AND i.attempt = ? AND i.outcome IS NULL AND b.collected_at IS NULL "
                "ORDER BY b.created_at DESC LIMIT 1",
                (key, attempt),
            ).fetchone()
        return None if row is None else (row[0], row[1])

    def items(self, batch_id: str) -> dict[str, Item]:
        """The requests of a batch, by custom_id."""
        with self._guard("read"):
            rows = self._db.execute(
                "SELECT custom_id, key, attempt, model, ttl FROM batch_items WHERE batch_id = ?", (batch_id,)
            ).fetchall()
        return {row[0]: Item(*row) for row in rows}

    def outcome(self, batch_id: str, custom_id: str, outcome: str, detail: str = "") -> None:
        with self._guard("write"), self._transaction():
            self._db.execute(
                "UPDATE batch_items SET outcome = ?, detail = ? WHERE batch_id = ? AND custom_id = ?",
                (outcome, detail or None, batch_id, custom_id),
            )

    def collected(self, batch_id: str) -> None:
        """The batch's results are read and journalled (or it is gone): it is closed,
        and a request of it that had no result is sent again."""
        now = _now()
        with self._guard("write"), self._transaction():
            self._db.execute(
                "UPDATE batch_items SET outcome = 'missing' WHERE batch_id = ? AND outcome IS NULL",
                (batch_id,),
            )
            self._db.execute(
                "UPDATE batches SET collected_at = ?, updated_at = ? WHERE id = ?", (now, now, batch_id)
            )

    def batches(self, spec: str | None = None, *, open_only: bool = True) -> list[BatchRecord]:
        """The batches of `spec` (None: of every spec), oldest first."""
        query = (
            "SELECT id, spec, model, requests, status, counts, created_at, updated_at, collected_at "
            "FROM batches WHERE (? IS NULL OR spec = ?)"
        )
        if open_only:
            query += " AND collected_at IS NULL"
        with self._guard("read"):
            rows = self._db.execute(query + " ORDER BY created_at, id", (spec, spec)).fetchall()
        return [
            BatchRecord(row[0], row[1], row[2], row[3], row[4], Counts(**json.loads(row[5])), *row[6:])
            for row in rows
        ]

    def _transaction(self) -> AbstractContextManager[None]:
        return immediate(self._db)

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """One thread at a time; a failing database is a CodegenError, not a traceback."""
        with self._lock:
            try:
                yield
            except sqlite3.Error as exc:
                raise CodegenError(f"{self.path}: cannot {doing} the journal's batches: {exc}") from None


def _connect(path: Path) -> sqlite3.Connection:
    try:
        return sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise CodegenError(f"{path}: cannot open the journal: {exc}") from None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
