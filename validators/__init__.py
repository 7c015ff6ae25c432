"""Completeness checks for source files: text in, findings out.

No network, no model, no printing. `check` reads one Python source text;
`check_source` one source in any language of `LANGUAGES` (`language_of(path)` says
which from its extension); `render` turns the findings for many files into text,
JSON or problem-matcher lines.
"""

from validators.findings import Code, Finding, Severity
from validators.languages import (
    LANGUAGES,
    check_source,
    definition_spans,
    import_spans,
    language_of,
    member_slot,
)
from validators.python import check
from validators.render import FORMATS, render, render_json, render_problems, render_text
from validators.treesitter import GrammarMissing

__all__ = [
    "FORMATS",
    "LANGUAGES",
    "Code",
    "Finding",
    "GrammarMissing",
    "Severity",
    "check",
    "check_source",
    "definition_spans",
    "import_spans",
    "language_of",
    "member_slot",
    "render",
    "render_json",
    "render_problems",
    "render_text",
]
