"""`screening` may send a clean file to libcst, but must never clear a file that has a
finding: `check` with screening and without agree on generated code full of stub
bodies and remarks in every position."""

from __future__ import annotations

import ast

from hypothesis import assume, given, settings
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
    # any remark, which counts in a function body with no statement of its own
    "# compute the result",
    "# Nothing to do.",
    "# (same logic as above)",
    "# type: ignore[empty-body]",
    "# noqa: E501",
    "# self.close()",
    "# What does it mean?",
    # a comment block, read as one remark
    "# so we have to\n{indent}# duplicate that logic here.",
    "# Parse the header,\n{indent}# then the rest of the code remains unchanged.",
    "# Nothing to do here,\n{indent}# see above",
]
SIMPLE = [
    "x = 1",
    "pass",
    "...",
    "raise NotImplementedError",
    "raise NotImplementedError('TODO')",
    "raise NotImplementedError('subclasses must implement this')",
    '"""Docstring."""',
    '"""Does nothing."""',
    "y = [  # ... other items ...\n{indent}    1]",
]
HEADERS = [
    "def f(self):",
    "def g():",
    "def visit_Name(self, node):",
    "def h(x: int) -> int:",
    "@abstractmethod\n{indent}def a(self):",
    "@unittest.skip('later')\n{indent}def test_x(self):",
    "class C:",
    "class P(Protocol):",
    "class Q(asyncio.Protocol):",
    "class AbstractStore:",
    "if x:",
    "if TYPE_CHECKING:",
    "try:",
]
# One-line definitions: `def f(): ...` and the like.
ONE_LINERS = [
    "def o(): ...",
    "def o() -> int: ...",
    "def o(): pass  # gui method",
    "def o(): pass  # TODO: implement",
]


def _lines(draw: st.DrawFn, indent: str, depth: int) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            lines.append(indent + draw(st.sampled_from(REMARKS)).format(indent=indent))
        if draw(st.integers(0, 6)) == 0:
            lines.append(indent + draw(st.sampled_from(ONE_LINERS)))
        elif depth < 3 and draw(st.integers(0, 2)) == 0:
            header = draw(st.sampled_from(HEADERS))
            lines.append(indent + header.format(indent=indent))
            lines += _lines(draw, indent + "    ", depth + 1)
            if header == "try:":
                lines += [indent + "except ValueError:", indent + "    pass"]
        else:
            statement = draw(st.sampled_from(SIMPLE)).format(indent=indent)
            if draw(st.booleans()):
                statement += "  " + draw(st.sampled_from(REMARKS)).format(indent=indent)
            lines.append(indent + statement)
    if draw(st.booleans()):
        lines.append(indent + draw(st.sampled_from(REMARKS)).format(indent=indent))
    return lines


@st.composite
def modules(draw: st.DrawFn) -> str:
    # Sometimes with no newline at the end, where a cut that parses is seen.
    return "\n".join(_lines(draw, "", 0)) + draw(st.sampled_from(["\n", "\n", ""]))


@settings(max_examples=500, deadline=None)
@given(modules())
def test_screening_never_hides_a_finding(source: str) -> None:
    try:
        ast.parse(source)
    except SyntaxError:
        assume(False)  # a header left with no body, say: screening is not asked
    verdict = cpython_verdict(source)
    assert check(source) == _inspect(source, (), stubs_allowed=False, verdict=verdict)
