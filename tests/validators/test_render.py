"""Rendering findings for `--format text|json|problems`."""

from __future__ import annotations

import dataclasses
import json

import pytest

from validators import FORMATS, Code, Finding, render, render_json, render_problems, render_text

TRUNCATED = Finding(Code.TRUNCATED, 40, 1, "", "the file ends inside '(' opened at 38:12")
PLACEHOLDER = Finding(Code.PLACEHOLDER, 12, 5, "TodoList.add", '"# ... existing code ..." stands in for code')
RESULTS = [("todo/models.py", [PLACEHOLDER, TRUNCATED]), ("todo/cli.py", [])]


def test_finding_to_dict_has_stable_keys() -> None:
    assert list(PLACEHOLDER.to_dict().items()) == [
        ("code", "placeholder"),
        ("severity", "error"),
        ("line", 12),
        ("column", 5),
        ("scope", "TodoList.add"),
        ("message", '"# ... existing code ..." stands in for code'),
    ]


def test_problems_is_one_line_per_finding_in_the_matcher_shape() -> None:
    assert render_problems(RESULTS) == (
        'todo/models.py:12:5: error: "# ... existing code ..." stands in for code [placeholder]\n'
        "todo/models.py:40:1: error: the file ends inside '(' opened at 38:12 [truncated]\n"
    )


def test_problems_without_findings_is_empty() -> None:
    assert render_problems([("a.py", []), ("b.py", [])]) == ""


def test_problems_keeps_each_finding_on_one_line() -> None:
    finding = Finding(Code.SYNTAX, 1, 1, "", "cannot parse:\nexpected INDENT")
    assert render_problems([("a.py", [finding])]) == (
        "a.py:1:1: error: cannot parse: expected INDENT [syntax]\n"
    )


def test_json_holds_every_file_and_finding() -> None:
    document = json.loads(render_json(RESULTS))
    assert list(document) == ["files", "summary"]
    assert document["files"] == [
        {"path": "todo/models.py", "findings": [PLACEHOLDER.to_dict(), TRUNCATED.to_dict()]},
        {"path": "todo/cli.py", "findings": []},
    ]
    assert document["summary"] == {"files": 2, "files_with_findings": 1, "findings": 2}


def test_text_groups_findings_by_file() -> None:
    assert render_text(RESULTS) == (
        "todo/models.py: 2 findings\n"
        "  12:5  error  placeholder  in TodoList.add: "
        '"# ... existing code ..." stands in for code\n'
        "  40:1  error  truncated    the file ends inside '(' opened at 38:12\n"
        "todo/cli.py: complete\n"
        "2 findings in 1 of 2 files\n"
    )


def test_text_without_findings_says_so() -> None:
    assert render_text([("a.py", [])]) == "a.py: complete\nno findings in 1 file\n"


@pytest.mark.parametrize("format", FORMATS)
def test_render_dispatches_on_format(format: str) -> None:
    expected = {"text": render_text, "json": render_json, "problems": render_problems}[format]
    assert render(RESULTS, format) == expected(RESULTS)


def test_unknown_format_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="use one of text, json, problems"):
        render(RESULTS, "xml")


def test_findings_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        PLACEHOLDER.line = 3  # type: ignore[misc]
