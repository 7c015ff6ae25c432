"""What a validator reports: a `Finding`, with its code and severity."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    """Why a file is not complete. The values are the user-facing codes."""

    # The file does not parse, and no text appended at its end would make it parse.
    SYNTAX = "syntax"
    # The file stops inside something: a bracket, a string, a block with no body.
    TRUNCATED = "truncated"
    # Code that stands in for code not written: `...`, `pass # TODO: implement`.
    PLACEHOLDER = "placeholder"
    # A trailing remark that the rest is left out ("and so on").
    PREMATURE_END = "premature-end"
    # A required name that is not defined at its scope.
    MISSING = "missing"
    # A definition the answer left unfinished to write the next one (a continuation
    # that skipped ahead); found by the stitcher, which sees where the answer was cut.
    UNFINISHED = "unfinished"
    # Larger than the validators read (`check`'s max_bytes): not checked, so not known
    # to be complete. Parsing a file of tens of MB takes minutes and gigabytes.
    TOO_LARGE = "too-large"
    # The file could not be read or decoded (`codegen validate` on disk or stdin).
    UNREADABLE = "unreadable"


class Severity(StrEnum):
    """How a finding is shown to editors and CI.

    An error makes a file unusable. A warning is what may be fine: a mid-file parse
    error in C or C++ (where macros the parser does not expand break real headers),
    Rust's `unimplemented!()` (real code uses it for what it leaves out on purpose).
    """

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One place where a file is not complete.

    `line` and `column` are 1-based and count characters, as editors and problem
    matchers do. `scope` is the qualified name of the enclosing definition
    (`TodoList.add`), or "" at module level.
    """

    code: Code
    line: int
    column: int
    scope: str
    message: str
    severity: Severity = Severity.ERROR
    # The last line of what the finding covers, when that is known and not where the
    # indentation says (a definition a continuation left, which ends where it was
    # cut); 0 when not known. Not part of `to_dict`.
    end_line: int = 0
    # The required name a `missing` finding is about (`TodoList.add`); "" otherwise. Not
    # part of `to_dict`: the message says it.
    name: str = ""

    def to_dict(self) -> dict[str, str | int]:
        """The finding as JSON-ready data; these keys and their order are stable."""
        return {
            "code": str(self.code),
            "severity": str(self.severity),
            "line": self.line,
            "column": self.column,
            "scope": self.scope,
            "message": self.message,
        }
