"""The last step before a Python file is written: it must parse, and black formats it."""

from __future__ import annotations

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
