"""What kind of remark a comment is, and which NotImplementedError messages are
placeholders."""

from __future__ import annotations

import pytest

from validators.placeholders import (
    Remark,
    classify,
    empty_on_purpose,
    is_commented_code,
    is_placeholder_message,
    is_pragma,
    is_prose_ending,
    sentences,
)

ELISIONS = [
    "# ... existing code ...",
    "# ...existing code...",
    "# ... (rest of the code remains the same)",
    "# Rest of the code remains unchanged",
    "# rest of the implementation",
    "# [Previous code remains unchanged]",
    "# (omitted for brevity)",
    "# Other methods omitted for brevity",
    "# Implementation details omitted",
    "# Implement the logic here",
    "# Add your implementation here",
    "# Code goes here",
    "# (existing methods unchanged)",
    "# ... previous implementation ...",
    "# Keep existing implementation",
]
STUB_NOTES = [
    "# TODO: implement",
    "# TODO: Implement this method",
    "# TODO: add implementation",
    "# Same as above",
    "# placeholder",
    "# stub",
    "# Fill in the rest",
    "# ...",
    "# TODO",
    "# not implemented yet",
]
ENDINGS = [
    "# The remaining methods follow the same pattern.",
    "# ... and so on for the other commands",
    "# and so on",
    "# etc.",
    "# Similarly for remove, complete and filter_by_tag.",
    "# More tests would follow",
    "# Continue with the remaining handlers...",
]
# Comments from CPython's standard library that use the same words as prose.
PROSE = [
    "# Now work on the rest of the attributes.  Any attribute that's",
    "# handle rest of line, special case if line ends in whitespace",
    "# Return already resolved part + rest of the path unchanged.",
    "# Same as above, but with assertWarnsRegex as a context manager",
    "# Remaining base class code",
    "# Other helper functions",
    "# final NEWLINE are omitted for brevity.",
    "# The code here calls January 1 of year 1 day number 1.  This is",
    "# Original code by Kevin O'Connor, augmented by Tim Peters and Raymond Hettinger",
    "# trailing space and our existing logic...  YUCK...",
    "# Message body is omitted for cases described in:",
    "# TODO: Implement this in C.",
    "# XXX: implement",
]


@pytest.mark.parametrize("comment", ELISIONS)
def test_elisions(comment: str) -> None:
    assert Remark.ELISION in classify(comment)


@pytest.mark.parametrize("comment", STUB_NOTES)
def test_stub_notes(comment: str) -> None:
    assert Remark.STUB_NOTE in classify(comment)


@pytest.mark.parametrize("comment", ENDINGS)
def test_endings(comment: str) -> None:
    assert classify(comment) & {Remark.ENDING, Remark.ELISION}


@pytest.mark.parametrize("comment", PROSE)
def test_prose_is_never_an_elision(comment: str) -> None:
    assert Remark.ELISION not in classify(comment)


@pytest.mark.parametrize("comment", ["#", "#####", "# -----", "# noqa: E501", "# type: ignore"])
def test_separators_and_pragmas_are_no_remark(comment: str) -> None:
    assert classify(comment) == frozenset()


def test_indented_comment_lines_are_read_whole() -> None:
    assert Remark.ELISION in classify("        # ... rest of the method ...")


@pytest.mark.parametrize(
    "message", ["TODO", "not implemented yet", "Not implemented", "implement me", "stub"]
)
def test_placeholder_messages(message: str) -> None:
    assert is_placeholder_message(message)


@pytest.mark.parametrize(
    "message",
    [
        "subclasses must implement this",
        "Method must be implemented by subclass",
        "haven't written this yet",
        "You should not call an overloaded function. A series of @overload-decorated "
        "functions outside a stub module should always be followed by an implementation",
        "Path.is_mount() is unsupported on this system",
    ],
)
def test_interface_messages_are_not_placeholders(message: str) -> None:
    assert not is_placeholder_message(message)


def test_prose_ending() -> None:
    assert is_prose_ending("The remaining methods follow the same pattern.")
    assert is_prose_ending("... rest of the code remains the same ...")
    assert not is_prose_ending("return self.items")


# -- comment blocks ----------------------------------------------------------------------


def test_a_sentence_runs_on_over_lines() -> None:
    lines = [
        "# Parso's tokenizer tracks this internally, but doesn't expose it, so we have to",
        "# duplicate that logic here.",
    ]
    assert sentences(lines) == [(0, " ".join(line[2:] for line in lines))]


def test_sentences_end_at_stops_frames_list_items_and_bare_lines() -> None:
    lines = [
        "# Nothing to do. TODO: implement",
        "#",
        "# - one item",
        "# - another",
        "# (same logic as above)",
        "# ... existing code",
        "# remains unchanged ...",
    ]
    assert sentences(lines) == [
        (0, "Nothing to do."),
        (0, "TODO: implement"),
        (2, "- one item"),
        (3, "- another"),
        (4, "(same logic as above)"),
        (5, "... existing code remains unchanged ..."),
    ]


def test_a_comment_of_ellipses_alone_is_a_sentence() -> None:
    assert sentences(["# ..."]) == [(0, "...")]
    assert sentences(["# ... ..."]) == [(0, "... ...")]
    assert sentences(["# -----"]) == []


# -- what a stub body's comment says ------------------------------------------------------


@pytest.mark.parametrize(
    "comment",
    ["# (same logic as above)", "# ... as above ...", "# (code continues as before)", "# [unchanged]"],
)
def test_framed_gaps_are_elisions(comment: str) -> None:
    assert Remark.ELISION in classify(comment)


@pytest.mark.parametrize(
    "comment",
    ["# Original logic", "# (must be implemented by subclasses)", "# (the rest is just indented code block)"],
)
def test_headings_and_framed_prose_are_no_elision(comment: str) -> None:
    assert Remark.ELISION not in classify(comment)


@pytest.mark.parametrize(
    "text",
    [
        "Nothing to do.",
        "no-op",
        "Override to add widgets.",
        "Handled by LogCaptureHandler.",
        "we're read only, so there are no changes to broadcast.",
        "Events are processed in the IocpProactor._poll() method",
        "What does it mean to clear a document?",
    ],
)
def test_reasons_for_an_empty_body(text: str) -> None:
    assert empty_on_purpose(text)


@pytest.mark.parametrize(
    "text",
    [
        "this part does not change",
        "ignore comments, then tokenize",
        "skip blank lines and parse the rest",
        "validate input, then store the result",
        "same logic as above",
    ],
)
def test_descriptions_of_unwritten_code_are_no_reason(text: str) -> None:
    assert not empty_on_purpose(text)


def test_pragmas_and_commented_code() -> None:
    assert is_pragma("# type: ignore[empty-body]") and is_pragma("# noqa: E501")
    assert not is_pragma("# TODO")
    assert is_commented_code("# self.cur.close()") and is_commented_code("# x = compute(y)")
    assert not is_commented_code("# FIXME: fill in ...")  # parses as an annotation
    assert not is_commented_code("# (existing code)")
