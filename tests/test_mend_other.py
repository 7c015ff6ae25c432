"""`insert_member`: where an added member goes and how it is indented (pure text)."""

from __future__ import annotations

import pytest

from codegen.mend_other import insert_member


@pytest.mark.parametrize(
    ("code", "definition", "at", "expected"),
    [
        # After the last member, at its indentation, a blank line between.
        (
            "class A {\n  f() {\n    return 1;\n  }\n|}\n",
            "g() {\n  return 2;\n}",
            0,
            "class A {\n  f() {\n    return 1;\n  }\n\n  g() {\n    return 2;\n  }\n}\n",
        ),
        # An answer's method written inside its class: its column taken off.
        (
            "class A {\n  f() {}\n|}\n",
            "g() {\n        return 2;\n    }",
            4,
            "class A {\n  f() {}\n\n  g() {\n      return 2;\n  }\n}\n",
        ),
        # A body on one line: opened onto lines of its own.
        ("class A {|}\n", "g() {}", 0, "class A {\n\n    g() {}\n}\n"),
        # An empty body of its own lines, in a file indented with tabs: one tab in.
        (
            "func x() {\n\ty()\n}\ntype A struct {\n|}\n",
            "b int",
            0,
            "func x() {\n\ty()\n}\ntype A struct {\n\n\tb int\n}\n",
        ),
        # Nested: one level in from the brace's own indentation.
        (
            "namespace N {\n    class A {\n    |}\n}\n",
            "void g() {\n    h();\n}",
            0,
            "namespace N {\n    class A {\n\n        void g() {\n            h();\n        }\n    }\n}\n",
        ),
    ],
)
def test_a_member_goes_before_the_closing_brace_indented_as_its_neighbours(
    code: str, definition: str, at: int, expected: str
) -> None:
    slot = code.index("|")  # where the slot is marked
    assert insert_member(code.replace("|", ""), slot, definition, at) == expected
