"""Where string literals lie in Python text that need not parse."""

from __future__ import annotations

from codegen.literals import string_lines, top_level_start

TEXT = '''\
x = 1


def text(a):
    head = """
A problem occurred
in a script.
"""
    for y in a:
        z = 1
'''


def test_the_lines_of_a_string_after_its_first_are_found() -> None:
    lines = TEXT.splitlines()
    assert string_lines(lines) == {5, 6, 7}
    assert lines[5] == "A problem occurred" and lines[7] == '"""'


def test_a_text_cut_inside_a_string_has_the_rest_inside_it() -> None:
    lines = TEXT.splitlines()[:6]  # cut after "A problem occurred"
    assert string_lines(lines, top_level_start(lines, 5)) == {5}


def test_the_search_starts_at_the_top_level_block() -> None:
    lines = TEXT.splitlines()
    assert top_level_start(lines, 9) == 3
    assert top_level_start(lines, 0) == 0
    assert string_lines(lines, 3) == {5, 6, 7}


def test_a_definition_line_is_never_inside_a_string() -> None:
    # `get` was cut inside its docstring: every later quote is read the wrong way round.
    lines = [
        "class A:",
        "    def get(self):",
        '        """Get',
        "    def put(self):",
        '        """Put."""',
        "        return 1",
    ]
    inside = string_lines(lines)
    assert 3 not in inside and 4 in inside
