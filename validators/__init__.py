"""Completeness checks for source files: text in, findings out.

No network, no model, no printing. `check` reads one Python source text;
`render` turns the findings for many files into text, JSON or problem-matcher lines.
"""

from validators.findings import Code, Finding, Severity
from validators.python import check
from validators.render import FORMATS, render, render_json, render_problems, render_text

__all__ = [
    "FORMATS",
    "Code",
    "Finding",
    "Severity",
    "check",
    "render",
    "render_json",
    "render_problems",
    "render_text",
]
