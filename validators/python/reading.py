"""What CPython's parser makes of the text (`cpython_verdict`), and reading past a
placeholder that keeps the text from parsing in the middle (`read_past_gap`): a line
of prose saying the rest is left out, or a block whose body is only comments."""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

import libcst as cst

from validators import placeholders, truncation
from validators.findings import Code, Finding
from validators.parsing import parse
from validators.python.blocks import shown

_HEADER_LINE = re.compile(r":[ \t]*(?:#[^\r\n]*)?(?:\r\n|\r|\n)?\Z")


@dataclass(frozen=True)
class Verdict:
    """What CPython's parser made of the text."""

    tree: ast.Module | None
    error: SyntaxError | None = None
    # A finding that makes handing the text to libcst pointless or unsafe.
    fatal: Finding | None = None


def cpython_verdict(source: str) -> Verdict:
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences warn; the validator prints nothing.
            warnings.simplefilter("ignore")
            tree = parse(source)
    except SyntaxError as error:
        if "too many nested parentheses" in str(error.msg):
            # libcst's native parser overflows the C stack on such nesting.
            line, column = error.lineno or 1, error.offset or 1
            return Verdict(None, error, unparsable(str(error.msg), line, column))
        return Verdict(None, error)
    except UnicodeEncodeError as error:
        # A lone surrogate (text decoded with surrogateescape): not UTF-8, not Python.
        line, column = _line_column(source, error.start)
        character = f"U+{ord(source[error.start]):04X}"
        return Verdict(None, None, unparsable(f"{character} is not valid UTF-8", line, column))
    except ValueError as error:
        # Null bytes, on Python 3.11: libcst reports them as a tokenizer error.
        return Verdict(None, SyntaxError(str(error)))
    except (RecursionError, MemoryError):
        # CPython's parser reports nesting past its limits this way; libcst would
        # overflow its stack on the same text, so it is never given it.
        return Verdict(None, None, unparsable("expressions nested too deeply to parse"))
    return Verdict(tree)


def unparsable(reason: str, line: int = 1, column: int = 1) -> Finding:
    return Finding(Code.SYNTAX, line, column, "", f"cannot parse: {reason}")


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of an offset."""
    lines = truncation.lines_of(text[:offset])
    if not lines or lines[-1].endswith(("\n", "\r")):
        return len(lines) + 1, 1
    return len(lines), len(lines[-1]) + 1


def read_past_gap(text: str, error: cst.ParserSyntaxError) -> tuple[str, Finding] | None:
    """A finding for what makes `text` fail to parse in the middle, when it is a
    placeholder, and the text with it turned into something that parses; else None.

    Two shapes are recognised, each kept on its line so positions stay true: a line
    of prose saying the rest is left out ("The remaining methods follow the same
    pattern."), which is commented out; and a block whose body is only comments, one
    of them a placeholder ("# ... rest of the method ..."), which gets a `pass`.
    A gap at the very end of the file is left to `truncation`: the file was cut.
    """
    if truncation.stops_at_end(text, error):
        return None
    position = truncation.error_position(text, error)
    if position is None:
        return None
    lines = truncation.lines_of(text)
    index = position[0] - 1
    patched = _prose_gap(text, lines, index) or _comment_body_gap(text, lines, index)
    if patched is None:
        return None
    new_text, finding = patched
    # A patch that does not move the error past the gap misread the text.
    try:
        cst.parse_module(new_text)
    except cst.ParserSyntaxError as after:
        moved = truncation.error_position(new_text, after)
        if moved is not None and moved[0] <= position[0]:
            return None
    except (cst.CSTValidationError, RecursionError):
        return None
    return new_text, finding


def _prose_gap(text: str, lines: list[str], index: int) -> tuple[str, Finding] | None:
    if index >= len(lines):
        return None
    content = lines[index].strip()
    if not content or content.startswith("#") or not placeholders.is_prose_ending(content):
        return None
    rest = lines[index + 1 :]
    at_end = all(not each.strip() or each.lstrip().startswith("#") for each in rest)
    column = len(lines[index]) - len(lines[index].lstrip()) + 1
    line = index + 1
    if at_end:
        finding = Finding(
            Code.PREMATURE_END,
            line,
            column,
            truncation.scope_at(text, line),
            f'the file ends with prose instead of the rest of the code: "{shown(content)}"',
        )
    else:
        finding = Finding(
            Code.PLACEHOLDER,
            line,
            column,
            truncation.scope_at(text, line),
            f'a line of prose stands in for code not written: "{shown(content)}"',
        )
    return "".join(lines[:index] + ["#" + lines[index]] + rest), finding


def _comment_body_gap(text: str, lines: list[str], index: int) -> tuple[str, Finding] | None:
    comments: list[int] = []
    header = min(index, len(lines)) - 1
    while header >= 0 and (not lines[header].strip() or lines[header].lstrip().startswith("#")):
        if lines[header].strip():
            comments.append(header)
        header -= 1
    if header < 0 or not comments or not _HEADER_LINE.search(lines[header]):
        return None
    comments.reverse()
    # Whatever the comments say, they stand where the body should be; the finding is
    # at the first that reads as a placeholder (where the walk of the patched text
    # reports it too), else at the first.
    first = comments[0]
    remark = _first_placeholder_remark(lines, comments)
    if remark is None:
        remark = first
    header_indent = _indent(lines[header])
    body_indent = _indent(lines[first])
    if len(body_indent) <= len(header_indent):
        body_indent = header_indent + "    "
    new_lines = list(lines)
    new_lines[first] = body_indent + "pass  " + lines[first].lstrip()
    line = remark + 1
    column = len(_indent(lines[remark])) + 1
    scope = truncation.scope_at(text, header + 2)
    where = f"the body of {scope}" if scope else "a block's body"
    finding = Finding(
        Code.PLACEHOLDER,
        line,
        column,
        scope,
        f'a comment stands where {where} should be: "{shown(lines[remark].strip())}"',
    )
    return "".join(new_lines), finding


def _first_placeholder_remark(lines: list[str], comments: list[int]) -> int | None:
    """The line index where the first sentence that reads as a placeholder starts,
    runs of consecutive comment lines read as one text, as the walk reads them."""
    runs: list[list[int]] = []
    for each in comments:
        if runs and runs[-1][-1] == each - 1:
            runs[-1].append(each)
        else:
            runs.append([each])
    for run in runs:
        for at, text in placeholders.sentences([lines[each] for each in run]):
            if placeholders.classify(text):
                return run[at]
    return None


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]
