"""`codegen check`: every output against its lock record and the validators. No network."""

from __future__ import annotations

from dataclasses import dataclass

import validators
from validators import Finding

from . import lock
from .errors import CodegenError
from .files import read_text, resolve_inside
from .spec import Spec


@dataclass(frozen=True)
class Problem:
    path: str  # as the spec names it
    message: str
    # For problem matchers: not-generated, missing-output, edited, stale or unreadable, or
    # the code of a validator's finding in the output, which is then `finding`.
    code: str
    finding: Finding | None = None


def check_spec(spec: Spec) -> list[Problem]:
    """What keeps each output from being present, complete, fresh and as generated."""
    records = lock.load(spec)
    problems: list[Problem] = []
    for file in spec.files:
        try:
            where = lock.current_state(spec, file, records)
        except CodegenError as exc:
            problems.append(Problem(file.path, exc.message, "unreadable"))
            continue
        if where.problem:
            problems.append(Problem(file.path, where.problem, where.code))
        elif file.language == "python":
            output = read_text(resolve_inside(spec.output_dir, file.path)) or ""
            for finding in validators.check(output, requires=file.requires, filename=file.path):
                problems.append(
                    Problem(
                        file.path,
                        f"incomplete: line {finding.line}: {finding.message} [{finding.code}]",
                        str(finding.code),
                        finding,
                    )
                )
    return problems
