"""What a failed verify command says: its failures, each with its traceback frames.

Pure functions of text. `parse_failures` reads a command's output: pytest's report
(its FAILURES and ERRORS sections, the short test summary, traceback frames in any
`--tb` style) or, for any other command, Python's own tracebacks. `suspects.py` maps
each failure to the definitions that may be at fault, in two groups:

- the code under test: every frame of the traceback inside a generated file other
  than the failing test's own file (innermost first), the name a test could not
  import (`cannot import name 'x' from 'm'`), or, when the test failed in its own body
  (an `assert` that compared a wrong value), the generated definitions the failing
  statement uses, found through the test module's imports (a hand-written test file is
  read for this too);
- the test itself, when it is a generated file: the test function (or the frames
  inside the test file).

The verify loop repairs the code under test first and the test only when the same
test fails again, since a wrong test is the rarer case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_HEADER = re.compile(r"^={3,} (?P<name>.+?) ={3,}$")
_SECTION = re.compile(r"^_{3,} (?P<title>.+?) _{3,}$")
# `FAILED tests/test_m.py::test_f[a b] - assert 1 == 2`, `ERROR tests/test_m.py` (collection).
_SUMMARY = re.compile(r"^(?P<kind>FAILED|ERROR) (?P<id>[^\s(]\S*?\.py(?:::.+?)?)(?: - (?P<message>.*))?$")
# `path.py:12: in name`, `path.py:12: AssertionError`, `path.py:12: ` (pytest's styles);
# not the `E   ...` lines, nor source lines (indented, or marked `>`).
_PYTEST_FRAME = re.compile(r"^(?!E\s)(?P<path>[^\s>][^:]*?\.pyi?):(?P<line>\d+):(?:\s|$)")
_NATIVE_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)')


@dataclass(frozen=True)
class Frame:
    """One traceback entry: a path as the output shows it, and a 1-based line."""

    path: str
    line: int


@dataclass(frozen=True)
class Failure:
    """One failing test (or one traceback, for a command that is not pytest)."""

    title: str  # "test_add", "TestStack.test_pop", "ERROR collecting tests/test_m.py", "traceback"
    test_id: str = ""  # "tests/test_m.py::TestStack::test_pop" ("" when not known)
    text: str = ""  # the report's section for it (or its summary line)
    frames: tuple[Frame, ...] = ()  # outermost first
    message: str = ""  # the summary's one line: "assert -1 == 3"

    @property
    def key(self) -> str:
        return self.test_id or self.title

    @property
    def test_path(self) -> str:
        """The test's file as the test id names it ("" when there is no id)."""
        return self.test_id.split("::")[0] if self.test_id else ""

    @property
    def test_name(self) -> str:
        """The test's qualified name in its file: `TestStack.test_pop` (no parameters)."""
        if "::" in self.test_id:
            parts = self.test_id.split("::")[1:]
        elif not self.test_id and " " not in self.title and self.title.split(".")[-1].startswith("test"):
            parts = self.title.split(".")  # a section whose summary line was not shown (-rN)
        else:
            return ""
        return ".".join(parts).split("[")[0]


# -- reading the output ----------------------------------------------------------------


def parse_failures(output: str) -> tuple[Failure, ...]:
    """The failures a command's output reports: pytest's (by test), else each Python
    traceback in it; () when it holds neither."""
    lines = output.splitlines()
    if any(_SUMMARY.match(line) for line in lines) or any(
        (h := _HEADER.match(line)) and h.group("name") in ("FAILURES", "ERRORS") for line in lines
    ):
        return _pytest_failures(lines)
    return _tracebacks(lines)


def _pytest_failures(lines: Sequence[str]) -> tuple[Failure, ...]:
    sections: list[tuple[str, list[str]]] = []
    summary: list[tuple[str, str, str]] = []  # (kind, id, message)
    part = ""
    current: list[str] | None = None  # the lines of the section being read
    for line in lines:
        header = _HEADER.match(line)
        if header is not None:
            part, current = header.group("name"), None
            continue
        if part in ("FAILURES", "ERRORS"):
            section = _SECTION.match(line)
            if section is not None:
                current = []
                sections.append((section.group("title"), current))
            elif current is not None:
                current.append(line)
            continue
        found = _SUMMARY.match(line)
        if found is not None and part in ("short test summary info", ""):
            summary.append((found.group("kind"), found.group("id"), found.group("message") or ""))

    failures: list[Failure] = []
    matched: set[int] = set()
    for title, body in sections:
        at = next(
            (
                i
                for i, (kind, test_id, _) in enumerate(summary)
                if i not in matched and _same_test(title, kind, test_id)
            ),
            None,
        )
        test_id, message, verdict = "", "", []
        if at is not None:
            matched.add(at)
            kind, test_id, message = summary[at]
            verdict = [f"{kind} {test_id}" + (f" - {message}" if message else "")]
        text = "\n".join([f"___ {title} ___", *body]).rstrip() + "\n".join(["", *verdict])
        failures.append(Failure(title, test_id, text, _frames(body), message))
    for i, (kind, test_id, message) in enumerate(summary):
        if i not in matched:  # --tb=no or --tb=line: the summary is all there is
            line = f"{kind} {test_id}" + (f" - {message}" if message else "")
            failures.append(Failure(test_id.split("::")[-1], test_id, line, (), message))
    return tuple(failures)


def _same_test(title: str, kind: str, test_id: str) -> bool:
    """Whether a section titled `title` reports the summary line (`kind`, `test_id`)."""
    for prefix in ("ERROR at setup of ", "ERROR at teardown of "):
        if title.startswith(prefix):
            return kind == "ERROR" and ".".join(test_id.split("::")[1:]) == title.removeprefix(prefix)
    if title.startswith("ERROR collecting "):
        return kind == "ERROR" and test_id == title.removeprefix("ERROR collecting ")
    return kind == "FAILED" and ".".join(test_id.split("::")[1:]) == title


def _frames(body: Iterable[str]) -> tuple[Frame, ...]:
    frames = []
    for line in body:
        found = _PYTEST_FRAME.match(line) or _NATIVE_FRAME.match(line)
        if found is not None:
            frames.append(Frame(found.group("path"), int(found.group("line"))))
    return tuple(frames)


def _tracebacks(lines: Sequence[str]) -> tuple[Failure, ...]:
    """Each `Traceback (most recent call last):` block, up to its exception line."""
    failures = []
    i = 0
    while i < len(lines):
        if lines[i].strip() != "Traceback (most recent call last):":
            i += 1
            continue
        start = i
        i += 1
        while i < len(lines) and (lines[i].startswith((" ", "\t")) or not lines[i].strip()):
            i += 1
        end = min(i + 1, len(lines))  # the exception line itself
        block = lines[start:end]
        message = block[-1].strip() if len(block) > 1 else ""
        failures.append(Failure("traceback", "", "\n".join(block), _frames(block), message))
        i = end
    return tuple(failures)


def clip(text: str, limit: int) -> str:
    """`text` in at most `limit` characters (for a limit of 100 or more): its start and,
    twice as long, its end (where a report's verdict is), cut at line breaks where one
    is near, with a line saying what was left out."""
    if len(text) <= limit:
        return text
    room = limit - 40  # the line that says what was cut
    head, tail = text[: room // 3], text[len(text) - (room - room // 3) :]
    if (at := head.rfind("\n")) > len(head) // 2:
        head = head[: at + 1]
    if 0 <= (at := tail.find("\n")) < len(tail) // 2:
        tail = tail[at + 1 :]
    left_out = text[len(head) : len(text) - len(tail)]
    lines = left_out.count("\n")
    what = f"{lines:,} lines" if lines > 1 else f"{len(left_out):,} characters"
    return f"{head.rstrip(chr(10))}\n[... {what} cut ...]\n{tail}"
