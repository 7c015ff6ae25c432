"""`screening` may send a clean file to libcst, but must never clear a file that has a
finding: `check` with screening and without agree on generated code full of stub
bodies and remarks in every position."""

from __future__ import annotations

import ast

from hypothesis import given, settings
from hypothesis import strategies as st

from validators import check
from validators.python import _inspect
from validators.python.reading import cpython_verdict

REMARKS = [
    "# ... existing code ...",
    "# TODO: implement",
    "# same as above",
    "# and so on",
    "# The remaining methods follow the same pattern.",
    "# ...",
    "# etc.",
    "# a note about the rest of the line",
    "# stub",
]
SIMPLE = [
    "x = 1",
    "pass",
    "...",
    "raise NotImplementedError",
    "raise NotImplementedError('TODO')",
    "raise NotImplementedError('subclasses must implement this')",
    '"""Docstring."""',
    "y = [  # ... other items ...\n{indent}    1]",
]
HEADERS = ["def f(self):", "def g():", "class C:", "class P(Protocol):", "if x:", "try:"]


def _lines(draw: st.DrawFn, indent: str, depth: int) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            lines.append(indent + draw(st.sampled_from(REMARKS)))
        if depth < 3 and draw(st.integers(0, 2)) == 0:
            header = draw(st.sampled_from(HEADERS))
            lines.append(indent + header)
            lines += _lines(draw, indent + "    ", depth + 1)
            if header == "try:":
                lines += [indent + "except ValueError:", indent + "    pass"]
        else:
            statement = draw(st.sampled_from(SIMPLE)).format(indent=indent)
            if draw(st.booleans()):
                statement += "  " + draw(st.sampled_from(REMARKS))
            lines.append(indent + statement)
    if draw(st.booleans()):
        lines.append(indent + draw(st.sampled_from(REMARKS)))
    return lines


@st.composite
def modules(draw: st.DrawFn) -> str:
    return "\n".join(_lines(draw, "", 0)) + "\n"


@settings(max_examples=300, deadline=None)
@given(modules())
def test_screening_never_hides_a_finding(source: str) -> None:
    ast.parse(source)
    verdict = cpython_verdict(source)
    assert check(source) == _inspect(source, (), stubs_allowed=False, verdict=verdict)
