"""`codegen` run in this process, as `python -m codegen` runs it in one of its own.

    result = run_codegen("build", str(spec), env=environment, cwd=folder)
    assert result.returncode == 0, result.stderr

`run_codegen` calls the console entry point (`codegen.cli.main`, what `__main__.py`
and the installed `codegen` script call) with `sys.argv` set to the arguments, the
process environment set to exactly `env` (the verify commands a build starts inherit
it, as they would from a subprocess), the working folder set to `cwd`, stdin empty,
and stdout and stderr captured; the exit code is what `sys.exit` was given. The result
has the fields of `subprocess.CompletedProcess` that tests read, so a test reads it the
same either way (text as `text=True` gives it: decoded, newlines translated).

A subprocess costs seconds (importing the SDK), this a few milliseconds. Tests that
need a process of their own keep one: signals and kills, pipes, the installed
command, the README's commands, concurrent processes.
"""

from __future__ import annotations

import io
import os
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from codegen.cli import main


@dataclass(frozen=True)
class CommandResult:
    """What a run of `codegen` gave, named as in `subprocess.CompletedProcess`."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def run_codegen(*args: str, env: Mapping[str, str], cwd: Path | str | None = None) -> CommandResult:
    """`codegen *args` in this process, in environment `env` (all of it) and folder `cwd`."""
    stdout, stderr = _captured(), _captured()
    with pytest.MonkeyPatch.context() as patch:
        for name in set(os.environ) - set(env):
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        if cwd is not None:
            patch.chdir(cwd)
        patch.setattr(sys, "argv", ["codegen", *args])
        patch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))
        patch.setattr(sys, "stdout", stdout)
        patch.setattr(sys, "stderr", stderr)
        try:
            main()
            code = 0
        except SystemExit as stop:
            code = _exit_code(stop.code, stderr)
        except Exception:  # what Python does with an uncaught exception: a traceback, exit 1
            traceback.print_exc(file=stderr)
            code = 1
        finally:
            stdout.flush()
            stderr.flush()
    return CommandResult(args, code, _text(stdout), _text(stderr))


def _captured() -> io.TextIOWrapper:
    """A text stream over bytes, as a pipe is: UTF-8, not a terminal, written through."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)


def _exit_code(code: object, stderr: io.TextIOWrapper) -> int:
    """The process's exit status for `sys.exit(code)`."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=stderr)
    return 1


def _text(stream: io.TextIOWrapper) -> str:
    """What `subprocess.run(..., text=True)` makes of the bytes: decoded, newlines
    translated (a lone carriage return too, as universal newlines do)."""
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
