"""`insert_member`: where an added member goes and how it is indented (pure text)."""

from __future__ import annotations

import pytest

from codegen.mend_other import insert_member, with_imports


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


@pytest.mark.parametrize(
    ("language", "code", "answer", "expected"),
    [
        # After the last import; one the file has already is not added twice.
        (
            "typescript",
            'import { a } from "./a";\n\nexport function f() {}\n',
            'import { a } from "./a";\nimport { b } from "./b";\n\nfunction g() { return b; }\n',
            'import { a } from "./a";\nimport { b } from "./b";\n\nexport function f() {}\n',
        ),
        # None yet: after the package clause.
        (
            "go",
            "package p\n\nfunc F() {}\n",
            'import "strings"\n\nfunc G() string { return strings.ToUpper("x") }\n',
            'package p\n\nimport "strings"\n\nfunc F() {}\n',
        ),
        # None yet and no package: at the top.
        ("rust", "fn f() {}\n", "use std::io;\n\nfn g() {}\n", "use std::io;\n\nfn f() {}\n"),
        # The same import spelt with other spacing is the same.
        ("java", "import java.util.List;\nclass A {}\n", "import  java.util.List ;\nclass A {}\n", None),
    ],
)
def test_the_imports_an_answer_brings_go_with_the_files_own(
    language: str, code: str, answer: str, expected: str | None
) -> None:
    assert with_imports(code, answer, language) == (code if expected is None else expected)
