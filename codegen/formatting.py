"""The last step before a file is written: a Python file must parse, and black formats
it; a file in another language goes through the formatter the spec names, if any."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import black
import libcst
from black.parsing import InvalidInput


def finish_python(code: str, *, pyi: bool = False) -> tuple[str | None, str]:
    """(formatted code, "") or (None, what is wrong). Pure."""
    try:
        libcst.parse_module(code)
    except libcst.ParserSyntaxError as exc:
        return None, f"does not parse: line {exc.raw_line}: {exc.message}"
    try:
        return black.format_str(code, mode=black.Mode(is_pyi=pyi)), ""
    except InvalidInput as exc:
        return None, f"black cannot format it: {exc}"


def format_with(
    code: str, argv: tuple[str, ...], path: str, cwd: Path, *, timeout: float = 60
) -> tuple[str | None, str]:
    """(code formatted by the spec's command for a file in another language, "") or
    (None, what went wrong). `argv` is the command's words, `{path}` in them replaced
    by `path` (the file's, relative to the output folder, where the command runs). The
    code goes in on stdin; what the command writes on stdout is the file."""
    words = [word.replace("{path}", path) for word in argv]
    shown = shlex.join(words)
    try:
        done = subprocess.run(
            words, input=code, capture_output=True, text=True, encoding="utf-8", cwd=cwd, timeout=timeout
        )
    except FileNotFoundError:
        return (
            None,
            f"the format command `{words[0]}` was not found: install it, or change `format` in the spec",
        )
    except subprocess.TimeoutExpired:
        return None, f"the format command `{shown}` did not finish in {timeout:.0f} s"
    except OSError as exc:
        return None, f"the format command `{shown}` could not run: {exc.strerror or exc}"
    if done.returncode != 0:
        said = next((line.strip() for line in done.stderr.splitlines() if line.strip()), "")
        return None, f"the format command `{shown}` failed (exit {done.returncode})" + (
            f": {said}" if said else ""
        )
    if code.strip() and not done.stdout.strip():
        return (
            None,
            f"the format command `{shown}` wrote nothing on stdout (it must print the formatted file)",
        )
    return done.stdout, ""
