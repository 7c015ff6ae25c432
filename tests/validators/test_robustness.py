"""The validator never raises on any text, and every result renders."""

from __future__ import annotations

import sysconfig
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from validators import FORMATS, Code, check, render

STDLIB = Path(sysconfig.get_paths()["stdlib"])
REAL_CODE = [
    (STDLIB / name).read_text(encoding="utf-8")
    for name in ("textwrap.py", "bisect.py", "fnmatch.py", "colorsys.py", "shlex.py")
]
PIECES = list("()[]{}'\"\\#:.,=+-*@ \t\n\r") + [
    "def ",
    "class ",
    "pass",
    "...",
    "if x:",
    "\n    ",
    '"""',
    "'''",
    'f"{',
    "rb'",
    "lambda",
    "# TODO: implement",
    "# ... rest of the code ...",
    "raise NotImplementedError",
    "and so on",
    "é",
    "\x00",
    "\ufeff",
    "\x0c",
]


def _sound(source: str, requires: tuple[str, ...] = ()) -> None:
    findings = check(source, requires=requires)
    for finding in findings:
        assert finding.line >= 1 and finding.column >= 1
        assert "\n" not in finding.message
    if any(f.code in (Code.SYNTAX, Code.TRUNCATED) for f in findings):
        assert len([f for f in findings if f.code in (Code.SYNTAX, Code.TRUNCATED)]) == 1
    for format in FORMATS:
        render([("x.py", findings)], format)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text(source: str) -> None:
    _sound(source)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_python_like_fragments(source: str) -> None:
    _sound(source)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(REAL_CODE),
    st.lists(
        st.tuples(
            st.integers(0, 10**6),
            st.integers(0, 40),
            st.sampled_from(PIECES + ["", "\n", "# ... existing code ...\n"]),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mangled_real_code(source: str, edits: list[tuple[int, int, str]]) -> None:
    for position, length, inserted in edits:
        position %= len(source) + 1
        source = source[:position] + inserted + source[position + length :]
    _sound(source, requires=("TextWrapper", "TextWrapper.wrap", "bisect", "missing.name"))
