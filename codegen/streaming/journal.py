"""The response journal: every streamed answer kept in SQLite as it arrives, for resuming.

A build killed mid-way (Ctrl-C, SIGKILL, a dropped network, a crash) has paid for what
was streamed; the next build answers those requests from here instead of buying them
again, and a stream that was cut is continued from its journalled text.

Rows are keyed by the request (sha256 of its canonical JSON) and by the request's
ordinal within a run. The ordinal is there because the continuation loop sends the same
request twice when an answer left nothing to send back (a cut with no text): replaying
the first answer for the second call would loop, and a resumed run must see the same
sequence of answers as the run it resumes. So a `JournalledStreamer` belongs to one run.

Text arrives in pieces, appended to a table of its own (rewriting a growing row would
cost the square of the answer's length); the finished answer replaces its pieces.

A partial row has an owner (pid, host and the process's start, and `updated_at` as its
heartbeat): the journal is shared by every spec of a folder, and a partial answer that
another build is still streaming is neither resumed (it would be continued from half an
answer that is still growing) nor written to by a second stream (their pieces would
interleave). Only an answer whose owner is gone is resumed.

The request goes to `messages.stream(**request)`: model, messages, system, thinking...
The API key lives in the SDK client and never in a request, and only the request's
hash, its model and the answer are stored; nothing from the environment.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ..errors import CodegenError, OfflineMissError, PrefillRejectedError
from ..models import Usage
from .base import Answer, Streamer

EntryStatus = Literal["partial", "complete", "prefill-refused"]

# "cgjl" in PRAGMA application_id tells our file from any other SQLite database.
APPLICATION_ID = 0x63676A6C
SCHEMA_VERSION = 1

# Partial text goes to disk at least this often: a SIGKILL loses at most this much.
FLUSH_CHARS = 2048
FLUSH_SECONDS = 0.25

# How long a write waits for another connection's transaction before it fails.
BUSY_SECONDS = 10.0

# A partial row of another host counts as still streaming until its heartbeat is this
# old (the owner's pid means nothing there).
STALE_SECONDS = 600.0

# Request keys under which credentials could travel; a request never carries them.
_CREDENTIAL_KEYS = frozenset({"api_key", "auth_token", "extra_headers", "extra_query"})

_NO_USAGE = Usage()

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS answers (
        key TEXT NOT NULL,              -- sha256 of the request's canonical JSON
        attempt INTEGER NOT NULL,       -- 0 the first time a run sends it, then 1...
        status TEXT NOT NULL CHECK (status IN ('partial', 'complete', 'prefill-refused')),
        model TEXT NOT NULL,
        answer TEXT,                    -- complete: the Answer as JSON
        error TEXT,                     -- prefill-refused: the API's message
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,       -- a partial's heartbeat
        owner TEXT,                     -- partial: the streaming process, as JSON
        PRIMARY KEY (key, attempt)
    )""",
    # The text of a partial answer, in arrival order.
    """CREATE TABLE IF NOT EXISTS pieces (
        key TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (key, attempt, seq)
    )""",
)


def request_key(request: dict[str, Any]) -> str:
    """sha256 of the request's canonical JSON: equal requests, equal keys."""
    leaked = _CREDENTIAL_KEYS & request.keys()
    if leaked:
        raise ValueError(f"a request must not carry credentials ({', '.join(sorted(leaked))})")
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One journalled response: a complete answer, a refused prefill, or the text so far."""

    status: EntryStatus
    model: str
    text: str = ""  # partial: what arrived before the stream was cut
    answer: Answer | None = None  # complete
    error: str | None = None  # prefill-refused: the API's message
    # partial: still being streamed, by another process or another run of this one
    live: bool = False


@dataclass(frozen=True)
class JournalStats:
    complete: int = 0
    partial: int = 0
    refused: int = 0
    usage: Usage = Usage()  # what the complete answers were billed


class _Unusable(Exception):
    """The file at the journal's path is not a journal this codegen can use."""

    def __init__(self, kind: Literal["corrupt", "foreign"], reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class Journal:
    """The SQLite file of responses; safe to share between threads (one locked connection)."""

    def __init__(self, path: Path, connection: sqlite3.Connection, warning: str | None) -> None:
        self.path = path
        self.warning = warning  # one line when an unusable file was moved aside
        self._db = connection
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path) -> Journal:
        """Open or create the journal at `path`; an unusable file is moved aside, not lost."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CodegenError(f"{path}: cannot create the journal: {exc.strerror or exc}") from None
        if path.is_dir():
            raise CodegenError(f"{path}: is a folder, where the journal file is expected")
        try:
            return cls(path, _writable(path, _connect(path)), None)
        except _Unusable as unusable:
            aside = _move_aside(path, unusable.kind)
            warning = f"{path}: {unusable.reason}; moved it to {aside.name} and started a fresh journal"
        try:
            return cls(path, _writable(path, _connect(path)), warning)
        except _Unusable as again:
            raise CodegenError(f"{path}: cannot start a fresh journal: {again.reason}") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def find(self, key: str, attempt: int = 0) -> Entry | None:
        """What the journal holds for the `attempt`-th sending of the request `key`."""
        with self._guard("read"):
            row = self._db.execute(
                "SELECT status, model, answer, error, owner, updated_at FROM answers "
                "WHERE key = ? AND attempt = ?",
                (key, attempt),
            ).fetchone()
            if row is None:
                return None
            status, model, answer, error, owner, updated_at = row
            if status == "complete":
                return Entry("complete", model, answer=_answer_from_json(answer))
            if status == "prefill-refused":
                return Entry("prefill-refused", model, error=error)
            pieces = self._db.execute(
                "SELECT text FROM pieces WHERE key = ? AND attempt = ? ORDER BY seq", (key, attempt)
            ).fetchall()
            live = self._streaming_elsewhere(key, attempt, owner, updated_at)
            return Entry("partial", model, text="".join(p for (p,) in pieces), live=live)

    def append(self, key: str, attempt: int, model: str, text: str, *, first: bool) -> bool:
        """Add streamed text to a partial answer; `first` starts it over and takes the row
        for the calling stream until `release`. False, and nothing written, when the row
        is another stream's (it started first and is still going) or no longer partial."""
        now = _now()
        me = _owner()
        with self._guard("write"), self._transaction():
            row = self._db.execute(
                "SELECT status, owner, updated_at FROM answers WHERE key = ? AND attempt = ?", (key, attempt)
            ).fetchone()
            if first:
                if (
                    row is not None
                    and row[0] == "partial"
                    and self._streaming_elsewhere(key, attempt, *row[1:])
                ):
                    return False
                self._db.execute("DELETE FROM pieces WHERE key = ? AND attempt = ?", (key, attempt))
                self._db.execute(
                    "INSERT OR REPLACE INTO answers (key, attempt, status, model, created_at, "
                    "updated_at, owner) VALUES (?, ?, 'partial', ?, ?, ?, ?)",
                    (key, attempt, model, now, now, me),
                )
                # Marked before the commit, so another stream of this process that looks
                # next sees the row as taken.
                with _STREAMING_LOCK:
                    _STREAMING.add((str(self.path), key, attempt))
            else:
                if row is None or row[0] != "partial" or row[1] != me:
                    return False
                self._db.execute(
                    "UPDATE answers SET updated_at = ? WHERE key = ? AND attempt = ?", (now, key, attempt)
                )
            self._db.execute(
                "INSERT INTO pieces (key, attempt, seq, text) VALUES (?, ?, "
                "(SELECT COALESCE(MAX(seq), -1) + 1 FROM pieces WHERE key = ? AND attempt = ?), ?)",
                (key, attempt, key, attempt, text),
            )
        return True

    def release(self, key: str, attempt: int) -> None:
        """The stream that took a row (`append` with `first`) ended: killed, cut or
        answered. From then on its partial text may be resumed."""
        with _STREAMING_LOCK:
            _STREAMING.discard((str(self.path), key, attempt))

    def _streaming_elsewhere(self, key: str, attempt: int, owner: str | None, updated_at: str) -> bool:
        """Whether a partial row is still being streamed by someone other than the caller:
        another process that is alive, or another stream of this process."""
        if owner is None:
            return False  # an older codegen's row, or one written without a stream
        if owner == _owner():
            with _STREAMING_LOCK:
                return (str(self.path), key, attempt) in _STREAMING
        return _alive(owner, updated_at)

    def complete(self, key: str, attempt: int, model: str, answer: Answer) -> None:
        """Record a finished answer (or one the client returned cut), replacing its pieces."""
        self._finish(key, attempt, model, "complete", answer=_answer_to_json(answer), usage=answer.usage)

    def refused(self, key: str, attempt: int, model: str, message: str) -> None:
        """Record that the API refused this request's prefill."""
        self._finish(key, attempt, model, "prefill-refused", error=message)

    def stats(self) -> JournalStats:
        with self._guard("read"):
            counts = dict(self._db.execute("SELECT status, COUNT(*) FROM answers GROUP BY status").fetchall())
            tokens = self._db.execute(
                "SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
                "COALESCE(SUM(cache_write_tokens), 0), COALESCE(SUM(cache_read_tokens), 0), "
                # The 1-hour part of the writes is in the answer's JSON only (no column:
                # a schema change would set every existing journal aside).
                "COALESCE(SUM(json_extract(answer, '$.usage.cache_write_1h_tokens')), 0) "
                "FROM answers WHERE status = 'complete'"
            ).fetchone()
        return JournalStats(
            counts.get("complete", 0),
            counts.get("partial", 0),
            counts.get("prefill-refused", 0),
            Usage(*tokens),
        )

    def _finish(
        self,
        key: str,
        attempt: int,
        model: str,
        status: EntryStatus,
        *,
        answer: str | None = None,
        error: str | None = None,
        usage: Usage = _NO_USAGE,
    ) -> None:
        now = _now()
        with self._guard("write"), self._transaction():
            created = self._db.execute(
                "SELECT created_at FROM answers WHERE key = ? AND attempt = ?", (key, attempt)
            ).fetchone()
            self._db.execute("DELETE FROM pieces WHERE key = ? AND attempt = ?", (key, attempt))
            self._db.execute(
                "INSERT OR REPLACE INTO answers (key, attempt, status, model, answer, error, "
                "input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, "
                "created_at, updated_at, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    key,
                    attempt,
                    status,
                    model,
                    answer,
                    error,
                    usage.input_tokens,
                    usage.output_tokens,
                    usage.cache_write_tokens,
                    usage.cache_read_tokens,
                    created[0] if created else now,
                    now,
                ),
            )

    def _transaction(self) -> AbstractContextManager[None]:
        return immediate(self._db)

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """One thread at a time; a failing database is a CodegenError, not a traceback."""
        with self._lock:
            try:
                yield
            except sqlite3.Error as exc:
                raise CodegenError(f"{self.path}: cannot {doing} the journal: {exc}") from None


@dataclass(frozen=True)
class Tally:
    """What a JournalledStreamer did: calls sent, answers replayed or resumed."""

    sent: int = 0  # requests passed on to the API
    replayed: int = 0  # complete answers and refused prefills answered from the journal
    resumed: int = 0  # cut streams whose journalled text was returned to be continued
    saved: Usage = Usage()  # the billed usage of the replayed answers, not paid again


class JournalledStreamer:
    """A Streamer that answers from the journal what it can, and journals what it sends.

    One per run (see the module docstring); it may be shared by the run's threads.
    """

    def __init__(
        self,
        inner: Streamer | None,
        journal: Journal,
        *,
        offline: bool = False,
        flush_chars: int = FLUSH_CHARS,
        flush_seconds: float = FLUSH_SECONDS,
        on_broken: Callable[[str], None] | None = None,
    ) -> None:
        if inner is None and not offline:
            raise ValueError("a JournalledStreamer without an inner streamer can only be offline")
        self._inner = inner
        self._journal = journal
        self.offline = offline
        self._flush_chars = flush_chars
        self._flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._attempts: dict[str, int] = {}
        self._tally = Tally()
        # The journal could not be written (disk full, held by another program): what
        # streams then is paid for and would be lost by a kill, so nothing more is sent.
        # `on_broken` hears of it once (a build halts every file).
        self.broken: str | None = None
        self._on_broken = on_broken

    @property
    def tally(self) -> Tally:
        with self._lock:
            return self._tally

    def stream(self, request: dict[str, Any], on_text: Callable[[str], None] | None = None) -> Answer:
        key = request_key(request)
        with self._lock:
            attempt = self._attempts.get(key, 0)
            self._attempts[key] = attempt + 1
        try:
            return self._answer(key, attempt, request, on_text)
        except PrefillRejectedError:
            raise  # an answer the conversation saw: the attempt counts
        except BaseException:
            # No answer reached the caller, so a retry is this same attempt again.
            with self._lock:
                if self._attempts[key] == attempt + 1:
                    self._attempts[key] = attempt
            raise

    def _answer(
        self, key: str, attempt: int, request: dict[str, Any], on_text: Callable[[str], None] | None
    ) -> Answer:
        entry = self._journal.find(key, attempt)
        if entry is not None and entry.answer is not None:
            self._count(replayed=1, saved=entry.answer.usage)
            if on_text is not None and entry.answer.text:
                on_text(entry.answer.text)
            return entry.answer
        if entry is not None and entry.status == "prefill-refused":
            self._count(replayed=1)
            raise PrefillRejectedError(entry.error or "prefill refused")
        if entry is not None and entry.text.strip() and not entry.live:
            self._count(resumed=1)
            if on_text is not None:
                on_text(entry.text)
            return Answer(
                content=({"type": "text", "text": entry.text},),
                stop_reason=None,
                stop_details=None,
                usage=Usage(),  # paid in the run that was cut; how much is unknown
                interrupted=f"resumed: the stream was cut after {len(entry.text):,} characters",
            )
        if self.broken is not None:
            raise CodegenError(f"{self.broken}; no more requests are sent until it can be written")
        if self.offline or self._inner is None:
            raise OfflineMissError(
                f"--offline: no journalled answer in {self._journal.path}; "
                "run without --offline to send the request"
            )
        return self._send(key, attempt, request, on_text)

    def _send(
        self, key: str, attempt: int, request: dict[str, Any], on_text: Callable[[str], None] | None
    ) -> Answer:
        assert self._inner is not None
        model = str(request.get("model", ""))
        recorder = _Recorder(
            self._journal, key, attempt, model, self._flush_chars, self._flush_seconds, self._journal_failed
        )

        def record(text: str) -> None:
            recorder.add(text)
            if on_text is not None:
                on_text(text)

        self._count(sent=1)
        try:
            answer = self._inner.stream(request, record)
        except PrefillRejectedError as exc:
            self._keep(self._journal.refused, key, attempt, model, exc.message)
            raise
        except BaseException:
            # Killed, interrupted or failed mid-stream: what arrived stays, to be resumed.
            recorder.flush()
            raise
        finally:
            recorder.close()
        # Paid for: the answer is used even when the journal cannot keep it.
        self._keep(self._journal.complete, key, attempt, model, answer)
        return answer

    def _keep(self, write: Callable[[str, int, str, Any], None], *args: Any) -> None:
        try:
            write(*args)
        except CodegenError as exc:
            self._journal_failed(exc)

    def _journal_failed(self, exc: CodegenError) -> None:
        with self._lock:
            first = self.broken is None
            if first:
                self.broken = exc.message
        if first and self._on_broken is not None:
            self._on_broken(exc.message)

    def _count(self, *, sent: int = 0, replayed: int = 0, resumed: int = 0, saved: Usage = _NO_USAGE) -> None:
        with self._lock:
            t = self._tally
            self._tally = Tally(t.sent + sent, t.replayed + replayed, t.resumed + resumed, t.saved + saved)


class _Recorder:
    """Appends streamed text to a partial answer, in pieces of a few KB or a fraction of
    a second; the first piece at once, so the row exists as soon as text does."""

    def __init__(
        self,
        journal: Journal,
        key: str,
        attempt: int,
        model: str,
        flush_chars: int,
        flush_seconds: float,
        on_error: Callable[[CodegenError], None],
    ) -> None:
        self._journal = journal
        self._on_error = on_error
        self._where = (key, attempt, model)
        self._flush_chars = flush_chars
        self._flush_seconds = flush_seconds
        self._buffer: list[str] = []
        self._buffered = 0
        self._flushed_at: float | None = None
        # False once the row turned out to be another stream's: this one goes unjournalled.
        self._owned: bool | None = None
        self._took = False  # this stream started the row (and so releases it at the end)

    def add(self, text: str) -> None:
        self._buffer.append(text)
        self._buffered += len(text)
        if (
            self._flushed_at is None
            or self._buffered >= self._flush_chars
            or time.monotonic() - self._flushed_at >= self._flush_seconds
        ):
            self.flush()

    def flush(self) -> None:
        if not self._buffer or self._owned is False:
            self._buffer.clear()
            return
        key, attempt, model = self._where
        first = self._flushed_at is None
        try:
            written = self._journal.append(key, attempt, model, "".join(self._buffer), first=first)
        except CodegenError as exc:
            # The stream goes on (it is paid for, and its text is used); its row does not.
            self._on_error(exc)
            self._journal.release(key, attempt)
            written = False
        # Not written: another stream started the row first, or its complete answer took it.
        self._owned = written
        self._took = self._took or (first and written)
        self._buffer.clear()
        self._buffered = 0
        self._flushed_at = time.monotonic()

    def close(self) -> None:
        """The stream ended (answered, cut or killed): the row is no longer streamed."""
        if self._took:
            key, attempt, _ = self._where
            self._journal.release(key, attempt)


@contextmanager
def immediate(db: sqlite3.Connection) -> Iterator[None]:
    """A write transaction on `db` (taken at once, so two writers never deadlock on an
    upgrade), committed at the end of the block, rolled back if it raises. The journal's
    tables and the batch ledger's (`ledger.py`) write through it."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


# Rows this process streams now, by (journal path, key, attempt): another stream of the
# same process (another build, in the same interpreter) leaves them alone.
_STREAMING: set[tuple[str, str, int]] = set()
_STREAMING_LOCK = threading.Lock()


def _owner() -> str:
    """This process as the owner of a partial row."""
    return _owner_of(os.getpid())


@functools.cache
def _owner_of(pid: int) -> str:
    return json.dumps(
        {"pid": pid, "host": socket.gethostname(), "start": _process_start(pid)}, sort_keys=True
    )


def _process_start(pid: int) -> str | None:
    """When the process started (Linux: clock ticks since boot), so that a pid the system
    gave again to another process is not taken for the owner; None where unknown.
    A zombie (killed, not yet reaped) has started nothing: "zombie"."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # the name, in parentheses, may hold spaces
    if len(fields) < 20:
        return None
    return "zombie" if fields[0] in ("Z", "X") else fields[19]


def _alive(owner: str, updated_at: str) -> bool:
    """Whether the owner of a partial row is still running (and so may still stream)."""
    try:
        data = json.loads(owner)
        pid = int(data["pid"])
    except (ValueError, KeyError, TypeError):
        return False
    if data.get("host") != socket.gethostname() or sys.platform == "win32":
        # No way to ask about the process (on Windows os.kill would end it): its heartbeat.
        try:
            age = (datetime.now(UTC) - datetime.fromisoformat(updated_at)).total_seconds()
        except ValueError:
            return False
        return age < STALE_SECONDS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    except OSError:
        return False
    started = _process_start(pid)
    return started != "zombie" and (started is None or data.get("start") in (None, started))


def _writable(path: Path, db: sqlite3.Connection) -> sqlite3.Connection:
    """`db`, once a write transaction could start: a journal that cannot be written is
    found before any request is sent, not after answers were paid for."""
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")
    except sqlite3.Error as exc:
        db.close()
        held = "locked" in str(exc)
        raise CodegenError(
            f"{path}: the journal cannot be written ({exc}); "
            + (
                "another program holds it: close it, or wait for it"
                if held
                else "check the disk and its permissions"
            )
            + "; nothing was sent"
        ) from None
    return db


def _connect(path: Path) -> sqlite3.Connection:
    """A connection to a usable journal at `path`, created if the file is new or empty."""
    try:
        db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise CodegenError(f"{path}: cannot open the journal: {exc}") from None
    try:
        _check_or_create(db)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        return db
    except _Unusable:
        db.close()
        raise
    except sqlite3.DatabaseError as exc:
        db.close()
        if exc.sqlite_errorname in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
            raise _Unusable("corrupt", f"not a readable database ({exc})") from None
        raise CodegenError(f"{path}: cannot open the journal: {exc}") from None


def _check_or_create(db: sqlite3.Connection) -> None:
    """Raise _Unusable unless `db` is our journal at our schema; an empty file becomes one."""
    # Read-only checks first: a foreign database is moved aside exactly as it was.
    if _identity(db) == (0, 0, 0):
        db.execute("BEGIN IMMEDIATE")  # another process may be creating it too
        try:
            if _identity(db) == (0, 0, 0):
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        if db.in_transaction:
            db.execute("COMMIT")
    application_id, version, _ = _identity(db)
    if application_id != APPLICATION_ID:
        raise _Unusable("foreign", "not a codegen journal (another application's database)")
    if version != SCHEMA_VERSION:
        raise _Unusable(
            "foreign", f"journal schema version {version}, this codegen reads version {SCHEMA_VERSION}"
        )
    _add_owner_column(db)
    report = "\n".join(row[0] for row in db.execute("PRAGMA quick_check").fetchall())
    if report != "ok":
        # Lines such as "Page 4: btreeInitPage() returns error code 11" under a header.
        first = next((line for line in report.splitlines() if not line.startswith("***")), report)
        raise _Unusable("corrupt", f"corrupt ({first.strip()})")


def _add_owner_column(db: sqlite3.Connection) -> None:
    """A journal from before rows had owners gets the column (the schema version stays:
    an older codegen reads and writes the table as before, leaving owners empty)."""

    def has_owner() -> bool:
        return any(row[1] == "owner" for row in db.execute("PRAGMA table_info(answers)"))

    if has_owner():
        return
    with immediate(db):  # another process may be adding it too
        if not has_owner():
            db.execute("ALTER TABLE answers ADD COLUMN owner TEXT")


def _identity(db: sqlite3.Connection) -> tuple[int, int, int]:
    """(application_id, user_version, number of schema objects)."""
    application_id = db.execute("PRAGMA application_id").fetchone()[0]
    version = db.execute("PRAGMA user_version").fetchone()[0]
    objects = db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
    return application_id, version, objects


def _move_aside(path: Path, kind: str) -> Path:
    """Rename the file (and its -wal and -shm, which belong to it) to a free name."""
    n = 1
    while path.with_name(f"{path.name}.{kind}-{n}").exists():
        n += 1
    aside = path.with_name(f"{path.name}.{kind}-{n}")
    try:
        path.rename(aside)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                side.rename(aside.with_name(aside.name + suffix))
    except OSError as exc:
        raise CodegenError(
            f"{path}: unusable journal, and it cannot be moved aside: {exc.strerror or exc}"
        ) from None
    return aside


def _answer_to_json(answer: Answer) -> str:
    return json.dumps(
        {
            "content": list(answer.content),
            "stop_reason": answer.stop_reason,
            "stop_details": answer.stop_details,
            "interrupted": answer.interrupted,
            "usage": {
                "input_tokens": answer.usage.input_tokens,
                "output_tokens": answer.usage.output_tokens,
                "cache_write_tokens": answer.usage.cache_write_tokens,
                "cache_read_tokens": answer.usage.cache_read_tokens,
                "cache_write_1h_tokens": answer.usage.cache_write_1h_tokens,
            },
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _answer_from_json(text: str) -> Answer:
    data = json.loads(text)
    return Answer(
        content=tuple(data["content"]),
        stop_reason=data["stop_reason"],
        stop_details=data["stop_details"],
        usage=Usage(**data["usage"]),
        interrupted=data["interrupted"],
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
