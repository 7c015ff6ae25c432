"""`codegen validate`: read files from disk and run the validators on them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import validators
from validators import Finding

from .errors import UsageError
from .spec import PYTHON_SUFFIXES


def validate_files(paths: Sequence[Path], requires: Sequence[str] = ()) -> list[tuple[str, list[Finding]]]:
    """Findings for each file, in the order given; a missing or non-Python file is a usage error."""
    sources: list[tuple[str, str]] = []
    for path in paths:
        if path.suffix not in PYTHON_SUFFIXES:
            raise UsageError(f"{path}: not a Python file (no validator for {path.suffix or 'it'} yet)")
        try:
            sources.append((str(path), path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise UsageError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise UsageError(f"{path}: is a folder, not a file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: cannot read: {exc}") from None
    try:
        return [(shown, validators.check(text, requires=requires, filename=shown)) for shown, text in sources]
    except ValueError as exc:
        raise UsageError(f"--requires: {exc}") from None
