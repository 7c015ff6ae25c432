"""`codegen check`: every output against its lock record and the validators. No network."""

from __future__ import annotations

from dataclasses import dataclass

import validators

from . import lock
from .files import read_text, resolve_inside
from .spec import Spec


@dataclass(frozen=True)
class Problem:
    path: str  # as the spec names it
    message: str


def check_spec(spec: Spec) -> list[Problem]:
    """What keeps each output from being present, complete, fresh and as generated."""
    records = lock.load(spec)
    problems: list[Problem] = []
    for file in spec.files:
        output = read_text(resolve_inside(spec.output_dir, file.path))
        deps = {d: read_text(resolve_inside(spec.output_dir, d)) for d in file.depends_on}
        where = lock.state(spec, file, records.get(file.path), output, deps)
        if where.problem:
            problems.append(Problem(file.path, where.problem))
        elif output is not None and file.language == "python":
            for finding in validators.check(output, requires=file.requires, filename=file.path):
                problems.append(Problem(file.path, f"incomplete: line {finding.line}: "
                                                   f"{finding.message} [{finding.code}]"))
    return problems
