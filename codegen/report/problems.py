"""Problem-matcher lines for `--format problems`: `path:line:col: severity: message [code]`.

The shape gcc prints, which VS Code's problem matchers, JetBrains' output filters and CI
annotators read: one line per finding, the message on one line, nothing else on stdout.
Pure: results in, text out; the working folder that paths are shown against is passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from validators.render import printable

if TYPE_CHECKING:  # names for annotations: `codegen check` need not load the SDK the build uses
    from ..build import BuildResult
    from ..check import Problem
    from ..spec import Spec

# A file with no finding to point at is reported at its start.
START = (1, 1)


def problem_line(path: str, line: int, column: int, severity: str, message: str, code: str) -> str:
    """One problem, newline-terminated; whitespace in the message (newlines too) folds to
    spaces, and what else could forge a line, in the path too, is escaped (`printable`)."""
    return f"{printable(path)}:{line}:{column}: {severity}: {printable(' '.join(message.split()))} [{code}]\n"


def shown(path: Path, cwd: Path) -> str:
    """Relative to the working folder when inside it (what editors resolve), else absolute."""
    try:
        return str(path.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(path.resolve())


def build_problems(results: Sequence[BuildResult], cwd: Path) -> str:
    """A file left incomplete: its findings, in the text kept under `.codegen/incomplete/`
    (the lines they name are there; the destination was left as it was). A file refused,
    failed or skipped: one line at its start, coded with its status."""
    lines = []
    for result in results:
        for f in result.files:
            if f.findings:
                where = shown(Path(f.kept), cwd) if f.kept else shown(result.output_dir / f.path, cwd)
                lines += [
                    problem_line(where, g.line, g.column, str(g.severity), g.message, str(g.code))
                    for g in f.findings
                ]
            elif f.status not in ("written", "unchanged", "planned", "submitted"):
                lines.append(
                    problem_line(
                        shown(result.output_dir / f.path, cwd),
                        *START,
                        "error",
                        f"{f.status}: {f.detail or f.status}",
                        f.status,
                    )
                )
    for result in results:
        # The spec's verify command still failing: reported at the spec, after its files.
        v = result.verification
        if v is not None and v.status in ("failed", "timeout", "error"):
            lines.append(
                problem_line(
                    shown(result.spec, cwd), *START, "error", f"verify {v.status}: {v.detail}", "verify"
                )
            )
    return "".join(lines)


def check_problems(results: Sequence[tuple[Spec, Sequence[Problem]]], cwd: Path) -> str:
    """Each output `check` found wanting; an incomplete one at each validator finding."""
    lines = []
    for spec, problems in results:
        for p in problems:
            where = shown(spec.output_dir / p.path, cwd)
            if p.finding is not None:
                g = p.finding
                lines.append(
                    problem_line(where, g.line, g.column, str(g.severity), f"incomplete: {g.message}", p.code)
                )
            else:
                lines.append(problem_line(where, *START, "error", p.message, p.code))
    return "".join(lines)
