"""`codegen validate`: read files (or folders, or stdin) and run the validators on them.

Every language the validators read (`validators.language_of`: Python, TypeScript,
JavaScript, Go, Rust, Java, C, C++, JSON, TOML, YAML, Markdown). As ruff and black do:
a folder is walked for the files a validator reads (skipping
hidden folders, virtual environments, caches, and what a `.gitignore` at its top
ignores by simple name patterns); `-` reads stdin, shown as `--stdin-filename`; the
encoding is what Python would read (a PEP 263 coding cookie, a BOM, else UTF-8). A file
that cannot be read or decoded is one `unreadable` finding, and the run goes on.
"""

from __future__ import annotations

import fnmatch
import io
import os
import sys
import tokenize
from collections.abc import Iterator, Sequence
from pathlib import Path

import validators
from validators import Code, Finding
from validators.python import MAX_BYTES

from .errors import UsageError

STDIN = "-"
# Folders a walk never enters: they hold other people's code, or none.
_SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".codegen",
        "__pycache__",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "build",
        "dist",
    }
)


def validate_files(
    paths: Sequence[Path],
    requires: Sequence[str] = (),
    *,
    max_bytes: int | None = MAX_BYTES,
    stdin_filename: str | None = None,
) -> list[tuple[str, list[Finding]]]:
    """Findings for each file, in the order given (a folder's files sorted). A path
    that does not exist, or a file no validator reads, is a usage error."""
    results: list[tuple[str, list[Finding]]] = []
    for shown, path in _sources(paths, stdin_filename):
        text = _read(path)
        if isinstance(text, Finding):
            results.append((shown, [text]))
            continue
        language = validators.language_of(shown) or "python"  # stdin with no name: Python
        try:
            found = validators.check_source(
                text, language=language, requires=requires, filename=shown, max_bytes=max_bytes
            )
        except ValueError as exc:
            raise UsageError(f"--requires: {exc}") from None
        except validators.GrammarMissing as exc:
            raise UsageError(f"{shown}: {exc}") from None
        results.append((shown, found))
    return results


def _sources(paths: Sequence[Path], stdin_filename: str | None) -> Iterator[tuple[str, Path | None]]:
    """(the name shown, the path: None for stdin) of every file to check."""
    for path in paths:
        if str(path) == STDIN:
            yield (stdin_filename or "<stdin>"), None
            continue
        if path.is_dir():
            yield from ((str(p), p) for p in _walk(path))
            continue
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{path}: no such file or folder")
        if validators.language_of(path) is None:
            raise UsageError(f"{path}: no validator reads {path.suffix or 'a file with no suffix'} files")
        yield str(path), path


def _walk(root: Path) -> list[Path]:
    """The files under `root` a validator reads, sorted; see the module docstring."""
    ignored = _gitignore_patterns(root)
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and d not in _SKIPPED_DIRS and not _ignored(here / d, root, ignored)
        )
        found += [
            here / f
            for f in sorted(files)
            if validators.language_of(f) is not None and not _ignored(here / f, root, ignored)
        ]
    return found


def _gitignore_patterns(root: Path) -> list[str]:
    """The simple patterns of `root/.gitignore` (no negations: those are not read)."""
    try:
        lines = (root / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [x.strip().rstrip("/") for x in lines if x.strip() and not x.startswith(("#", "!"))]


def _ignored(path: Path, root: Path, patterns: Sequence[str]) -> bool:
    rel = path.relative_to(root).as_posix()
    for pattern in patterns:
        anchored = pattern.lstrip("/")
        if "/" in anchored:
            if fnmatch.fnmatch(rel, anchored):
                return True
        elif fnmatch.fnmatch(path.name, anchored):
            return True
    return False


def _read(path: Path | None) -> str | Finding:
    """The file's text as Python reads it (other languages are UTF-8, where a coding
    cookie means nothing and is not there), or the `unreadable` finding that says why."""
    try:
        data = sys.stdin.buffer.read() if path is None else path.read_bytes()
    except OSError as exc:
        return _unreadable(f"cannot read it: {exc.strerror or exc}")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "unknown encoding" in str(exc) or "encoding problem" in str(exc):
            return _unreadable(f"cannot decode it: {exc}")  # a cookie Python does not know
        encoding = "utf-8"  # no cookie, and not UTF-8: say where, below
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        return _unreadable(f"cannot decode it as {encoding}: {exc}")
    return text.removeprefix("\ufeff")


def _unreadable(why: str) -> Finding:
    return Finding(Code.UNREADABLE, 1, 1, "", why)
