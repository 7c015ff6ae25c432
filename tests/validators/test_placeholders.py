"""What kind of remark a comment is, and which NotImplementedError messages are
placeholders."""

from __future__ import annotations

import pytest

from validators.placeholders import Remark, classify, is_placeholder_message, is_prose_ending

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
