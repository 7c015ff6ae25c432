"""Running a spec's verify command: `check_command` before a build, `run_command` after.

The generated code is untrusted: the command runs only when the spec has `verify`,
without a shell, in output_dir, in a session of its own (a timeout kills the whole
process group, whatever it started), with no stdin, and in an environment without
codegen's credentials. Its output (stdout and stderr, interleaved as written) goes to
a temporary file, so that a child left running cannot hold a pipe open and a flood of
output is read back clipped.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import UsageError
from ..spec import Spec

# Output kept from one run: the start and (mostly) the end, where a report's verdict is.
MAX_OUTPUT = 400_000
# Seconds to wait for the output file's last writes after the group is killed.
_REAP = 5.0
# What a variable holding a credential is recognised by (besides its name): its value.
_MIN_SECRET = 8


@dataclass(frozen=True)
class CommandRun:
    """One run of the verify command."""

    returncode: int | None  # None: it did not start, or was killed at its timeout
    output: str  # stdout and stderr, clipped to MAX_OUTPUT
    seconds: float
    timed_out: bool = False
    error: str = ""  # why it could not start

    @property
    def passed(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.error


def command_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment the command runs in: `environ` without ANTHROPIC_* (the key, the
    token and the server codegen talks to) and without any variable holding the key's or
    the token's value under another name. PYTHONDONTWRITEBYTECODE=1: a file repaired
    within the second it was first imported, at the same size, would otherwise be run
    from its stale bytecode (CPython and pytest check only the mtime's second and the size)."""
    secrets = [environ.get(n, "") for n in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")]
    secrets = [s for s in secrets if len(s) >= _MIN_SECRET]
    env = {
        name: value
        for name, value in environ.items()
        if not name.startswith("ANTHROPIC_") and not any(s in value for s in secrets)
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def check_command(spec: Spec, environ: Mapping[str, str] | None = None) -> None:
    """Before anything is spent: a command named without a folder must be on the PATH it
    will run with (`environ`: this process's). A command with a folder, `./run-checks`,
    may be one of the files the build writes."""
    verify = spec.verify
    if verify is None:
        return
    env = command_environment(os.environ if environ is None else environ)
    program = verify.argv[0]
    if "/" in program:
        return
    if shutil.which(program, path=env.get("PATH", os.defpath)) is None:
        raise UsageError(
            f"{spec.path}: verify.command: `{program}` is not on PATH; install it, "
            "name it by its path, or build with --no-verify"
        )


def run_command(argv: Sequence[str], cwd: Path, timeout: float, env: Mapping[str, str]) -> CommandRun:
    """Run `argv` in `cwd`; kill its process group after `timeout` seconds."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as sink:
        try:
            process = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except FileNotFoundError:
            return CommandRun(None, "", 0.0, error=_not_found(argv[0], cwd))
        except PermissionError:
            return CommandRun(None, "", 0.0, error=f"`{argv[0]}` is not executable")
        except OSError as exc:
            return CommandRun(None, "", 0.0, error=f"`{argv[0]}` cannot be run: {exc.strerror or exc}")
        timed_out = False
        try:
            returncode: int | None = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out, returncode = True, None
        except BaseException:  # Ctrl-C: nothing it started outlives codegen
            _kill_group(process)
            raise
        # Whatever it left running (a server a test started) ends with it.
        _kill_group(process)
        if timed_out:
            try:
                process.wait(timeout=_REAP)
            except subprocess.TimeoutExpired:
                pass  # unkillable for now (stuck in the kernel); its output so far is read

        seconds = time.monotonic() - start
        output = _read_clipped(sink)
    return CommandRun(returncode, output, seconds, timed_out=timed_out)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone already


def _not_found(program: str, cwd: Path) -> str:
    if "/" in program:
        return f"`{program}` not found (relative to {cwd})"
    return f"`{program}` not found on PATH"


def _read_clipped(handle: IO[bytes]) -> str:
    size = handle.seek(0, os.SEEK_END)
    handle.seek(0)
    if size <= MAX_OUTPUT:
        return handle.read().decode("utf-8", "replace")
    head = handle.read(MAX_OUTPUT // 4).decode("utf-8", "replace")
    handle.seek(size - MAX_OUTPUT * 3 // 4)
    tail = handle.read().decode("utf-8", "replace")
    return f"{head}\n[... {size - MAX_OUTPUT:,} bytes of output cut ...]\n{tail}"


# -- what came of it ---------------------------------------------------------------
