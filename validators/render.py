"""Findings for many files, rendered for `--format text|json|problems`.

Pure functions: they return the text and leave writing it to the caller. Each result
is a (path, findings) pair, in the order the files were given. A non-empty rendering
ends with a newline; `problems` with no finding is the empty string, so that a
problem matcher or CI annotation step sees no line at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from validators.findings import Finding

FORMATS = ("text", "json", "problems")

Results = Sequence[tuple[str, Sequence[Finding]]]

# What a terminal, an editor or a problem matcher would not show as written on one line:
# C0 and C1 controls and DEL (a newline forges a line, ESC drives the terminal), line and
# paragraph separators, and the bidirectional controls (which reorder what follows).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with each character that could forge a line or hide what it says escaped
    as Python writes it (`\\n`, `\\x1b`, `\\u202e`): a path or message shown as one line."""
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text)


def render(results: Results, format: str) -> str:
    """The results in one of `FORMATS`."""
    if format == "text":
        return render_text(results)
    if format == "json":
        return render_json(results)
    if format == "problems":
        return render_problems(results)
    raise ValueError(f"unknown format {format!r}: use one of {', '.join(FORMATS)}")


def render_problems(results: Results) -> str:
    """One `path:line:col: severity: message [code]` line per finding.

    The shape gcc uses, which VS Code problem matchers and CI annotators parse.
    """
    return "".join(
        f"{printable(path)}:{finding.line}:{finding.column}: {finding.severity}: "
        f"{_one_line(finding.message)} [{finding.code}]\n"
        for path, findings in results
        for finding in findings
    )


def render_json(results: Results) -> str:
    """One JSON object with every file and finding; keys and their order are stable."""
    files = [
        {"path": path, "findings": [finding.to_dict() for finding in findings]} for path, findings in results
    ]
    document = {
        "files": files,
        "summary": {
            "files": len(files),
            "files_with_findings": sum(1 for _, findings in results if findings),
            "findings": sum(len(findings) for _, findings in results),
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_text(results: Results) -> str:
    """Findings grouped by file, for people, with a count at the end."""
    lines = []
    for path, findings in results:
        if not findings:
            lines.append(f"{printable(path)}: complete")
            continue
        lines.append(f"{printable(path)}: {_count(len(findings))}")
        width = max(len(f"{finding.line}:{finding.column}") for finding in findings)
        code_width = max(len(finding.code) for finding in findings)
        for finding in findings:
            where = f"{finding.line}:{finding.column}".ljust(width)
            scope = f"in {finding.scope}: " if finding.scope else ""
            lines.append(
                f"  {where}  {finding.severity}  {finding.code.ljust(code_width)}  "
                f"{scope}{_one_line(finding.message)}"
            )
    total = sum(len(findings) for _, findings in results)
    flagged = sum(1 for _, findings in results if findings)
    files = f"{len(results)} file" + ("" if len(results) == 1 else "s")
    if total:
        lines.append(f"{_count(total)} in {flagged} of {files}")
    else:
        lines.append(f"no findings in {files}")
    return "\n".join(lines) + "\n"


def _count(number: int) -> str:
    return f"{number} finding" + ("" if number == 1 else "s")


def _one_line(message: str) -> str:
    return printable(" ".join(message.split()))
