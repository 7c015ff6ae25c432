"""One build of a spec at a time: `exclusive`, an OS file lock held for the whole build.

Two builds of one spec (a pre-commit hook and an IDE task, or `--only` builds started
together) each read the lock file at their start and write it at their end, and the
last writer would drop the other's records; they would also stream the same requests
into the same journal rows. So a build takes `.codegen/<spec>.building` exclusively
(`fcntl.flock`, `msvcrt.locking` on Windows: both released by the OS when the process
dies, however it dies) and a second build waits for it, saying who holds it, or fails
at once with --no-wait.

The file holds a line about its holder (pid, host, start, command), for that message.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from ..errors import CodegenError
from ..spec import Spec

# How often a waiting build tries again: flock's blocking wait cannot be interrupted by
# Ctrl-C on every platform, so it polls.
POLL_SECONDS = 0.2


class BuildBusyError(CodegenError):
    """Another build of the same spec holds it, and --no-wait was given."""


def building_path(spec: Spec) -> Path:
    """The lock of a spec's builds, beside its journal (meant to be git-ignored)."""
    resolved = spec.path.resolve()
    return resolved.parent / ".codegen" / f"{resolved.name}.building"


@contextmanager
def exclusive(
    spec: Spec,
    *,
    wait: bool = True,
    say: Callable[[str], None] = lambda line: None,
    warn: Callable[[str], None] = lambda line: None,
    poll: float = POLL_SECONDS,
) -> Iterator[None]:
    """Hold the spec's build lock for the block. A lock that cannot be created (a
    read-only folder) is a warning, not an error: the build then runs unguarded, and
    whatever it cannot write fails on its own with one line."""
    path = building_path(spec)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the block)
    except OSError as exc:
        warn(
            f"{path}: cannot take the build lock ({exc.strerror or exc}); another build "
            "of this spec at the same time could undo this one's lock records"
        )
        yield
        return
    try:
        _acquire(handle, path, wait=wait, say=say, poll=poll)
        _describe_holder(handle)
        yield
    finally:
        handle.close()  # releases the lock


def _acquire(handle: IO[str], path: Path, *, wait: bool, say: Callable[[str], None], poll: float) -> None:
    said = False
    while not _try_lock(handle):
        holder = _holder(path)
        if not wait:
            raise BuildBusyError(
                f"{path.name.removesuffix('.building')} is being built by {holder}; "
                "wait for it, or run again without --no-wait to wait"
            )
        if not said:
            say(f"waiting for the build by {holder} to finish (--no-wait fails at once instead)")
            said = True
        time.sleep(poll)


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _describe_holder(handle: IO[str]) -> None:
    """Say who holds the lock, for a build that finds it taken."""
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:200] if sys.argv else "",
    }
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(holder) + "\n")
        handle.flush()
    except OSError:
        pass  # the message of a waiting build is less precise; the lock still holds


def _holder(path: Path) -> str:
    """ "process 1234 on host (since 21:40:03 UTC: codegen build spec.yaml)", from what
    the holder wrote; "another process" when it has not written yet."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict) or "pid" not in data:
        return "another process"
    where = f"process {data['pid']}"
    if data.get("host") and data["host"] != socket.gethostname():
        where += f" on {data['host']}"
    since = str(data.get("started", ""))
    details = [f"since {since.replace('T', ' ').replace('+00:00', ' UTC')}" if since else ""]
    if data.get("command"):
        details.append(f"`{data['command']}`")
    shown = ", ".join(d for d in details if d)
    return f"{where} ({shown})" if shown else where
