"""Reading a verify command's output, on real output: pytest run (in every --tb style)
on a small project with known bugs, unittest, and a plain script's traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path, PurePosixPath

import pytest

from codegen.verify.failures import Failure, Frame, clip, parse_failures
from codegen.verify.suspects import GeneratedPaths, Suspects, assign, at_line, suspects, used_by_test

CALC = '''\
"""A calculator with bugs."""


def add(a, b):
    return a - b


class Stack:
    def __init__(self):
        self.items = []

    def push(self, x):
        self.items.append(x)

    def pop(self):
        return self.items.pop(0) if self.items else self._empty()

    def _empty(self):
        raise IndexError("pop from an empty stack")
'''

TESTS = """\
import pytest

from pkg.calc import Stack, add


def test_add():
    assert add(1, 2) == 3


def test_add_zero():
    assert add(2, 0) == 2


class TestStack:
    def test_pop_order(self):
        s = Stack()
        s.push(1)
        s.push(2)
        assert s.pop() == 2

    def test_pop_empty(self):
        s = Stack()
        assert s.pop() is None


@pytest.mark.parametrize("a,b,c", [(1, 1, 2), (0, 0, 0)])
def test_param(a, b, c):
    assert add(a, b) == c
"""

BROKEN = "from pkg.calc import multiply\n"

FILES = {
    "pkg/__init__.py": "",
    "pkg/calc.py": CALC,
    "tests/test_calc.py": TESTS,
    "tests/test_broken.py": BROKEN,
}
STYLES = ("auto", "short", "native", "line", "no")
# pytest without the plugins installed here: a second less to start, and the same report.
QUICK_PYTEST = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    for path, text in FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


@pytest.fixture(scope="module")
def outputs(project: Path) -> dict[str, str]:
    """pytest's real output in each --tb style, run as a verify command would run it."""
    found = {}
    for style in STYLES:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--tb={style}",
                "--continue-on-collection-errors",
            ],
            cwd=project,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            env=QUICK_PYTEST,
        )
        assert done.returncode == 1, done.stdout + done.stderr
        found[style] = done.stdout + done.stderr
    return found


def sources(project: Path) -> dict[str, str]:
    return {p: (project / p).read_text() for p in FILES}


def paths_of(project: Path) -> GeneratedPaths:
    return GeneratedPaths([project], FILES)


def by_key(output: str) -> dict[str, Failure]:
    return {f.key: f for f in parse_failures(output)}


def labels(found: tuple) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(s.path, s.label) for s in found]


@pytest.mark.parametrize("style", STYLES)
def test_every_failing_test_is_found_in_every_traceback_style(outputs: dict[str, str], style: str) -> None:
    assert set(by_key(outputs[style])) == {
        "tests/test_broken.py",
        "tests/test_calc.py::test_add",
        "tests/test_calc.py::TestStack::test_pop_order",
        "tests/test_calc.py::TestStack::test_pop_empty",
        "tests/test_calc.py::test_param[1-1-2]",
    }


@pytest.mark.parametrize("style", STYLES)
def test_an_assert_on_a_wrong_value_suspects_the_function_it_called(
    project: Path, outputs: dict[str, str], style: str
) -> None:
    failure = by_key(outputs[style])["tests/test_calc.py::test_add"]
    found = suspects(failure, sources(project), paths_of(project))
    assert labels(found.under_test) == [("pkg/calc.py", "regenerate add")]
    assert labels(found.tests) == [("tests/test_calc.py", "regenerate test_add")]
    assert all(s.test for s in found.tests) and not any(s.test for s in found.under_test)


@pytest.mark.parametrize("style", ["auto", "short", "native"])
def test_the_failing_statement_names_the_method(project: Path, outputs: dict[str, str], style: str) -> None:
    # `assert s.pop() == 2`: pop, not push, which the test also called.
    failure = by_key(outputs[style])["tests/test_calc.py::TestStack::test_pop_order"]
    found = suspects(failure, sources(project), paths_of(project))
    assert labels(found.under_test) == [("pkg/calc.py", "regenerate Stack.pop")]
    assert labels(found.tests) == [("tests/test_calc.py", "regenerate TestStack.test_pop_order")]


@pytest.mark.parametrize("style", ["line", "no"])
def test_without_a_traceback_every_method_the_test_calls_is_suspect(
    project: Path, outputs: dict[str, str], style: str
) -> None:
    failure = by_key(outputs[style])["tests/test_calc.py::TestStack::test_pop_order"]
    found = suspects(failure, sources(project), paths_of(project))
    assert labels(found.under_test) == [
        ("pkg/calc.py", "regenerate Stack.push"),
        ("pkg/calc.py", "regenerate Stack.pop"),
    ]


@pytest.mark.parametrize("style", ["auto", "short", "native"])
def test_an_exception_raised_in_the_code_suspects_its_frames_innermost_first(
    project: Path, outputs: dict[str, str], style: str
) -> None:
    failure = by_key(outputs[style])["tests/test_calc.py::TestStack::test_pop_empty"]
    assert failure.message.startswith("IndexError")
    found = suspects(failure, sources(project), paths_of(project))
    assert labels(found.under_test) == [
        ("pkg/calc.py", "regenerate Stack._empty"),
        ("pkg/calc.py", "regenerate Stack.pop"),
    ]
    assert "raise IndexError" in failure.text


@pytest.mark.parametrize("style", ["auto", "short", "native", "line"])
def test_a_name_a_test_cannot_import_is_added_to_its_module(
    project: Path, outputs: dict[str, str], style: str
) -> None:
    failure = by_key(outputs[style])["tests/test_broken.py"]
    found = suspects(failure, sources(project), paths_of(project))
    [missing] = found.under_test
    assert (missing.path, missing.repair.action, missing.repair.target) == ("pkg/calc.py", "add", "multiply")
    # The test's own import line is the test's side.
    assert [(s.path, s.repair.action, s.repair.first) for s in found.tests] == [
        ("tests/test_broken.py", "statement", 1)
    ]


def test_a_parametrized_test_is_named_without_its_parameters(outputs: dict[str, str]) -> None:
    failure = by_key(outputs["auto"])["tests/test_calc.py::test_param[1-1-2]"]
    assert failure.test_name == "test_param" and failure.test_path == "tests/test_calc.py"
    assert failure.text.startswith("___ test_param[1-1-2] ___") and "assert 0 == 2" in failure.text


@pytest.mark.parametrize("style", ["auto", "no"])
def test_a_hand_written_test_is_read_to_find_what_it_used_and_never_repaired(
    project: Path, outputs: dict[str, str], style: str
) -> None:
    generated = {p: t for p, t in sources(project).items() if p != "tests/test_calc.py"}
    paths = GeneratedPaths([project], generated)
    failure = by_key(outputs[style])["tests/test_calc.py::test_add"]
    assert suspects(failure, generated, paths) == Suspects()  # without the test's text: nothing
    found = suspects(failure, generated, paths, hand_written={"tests/test_calc.py": TESTS})
    assert labels(found.under_test) == [("pkg/calc.py", "regenerate add")] and found.tests == ()


def test_sections_keep_to_their_failure(outputs: dict[str, str]) -> None:
    found = by_key(outputs["auto"])
    assert "IndexError" not in found["tests/test_calc.py::test_add"].text
    assert "multiply" in found["tests/test_broken.py"].text
    assert "multiply" not in found["tests/test_calc.py::test_add"].text
    assert [f.path for f in found["tests/test_calc.py::test_add"].frames] == ["tests/test_calc.py"]


def test_a_round_asks_about_the_code_first_then_the_test(project: Path, outputs: dict[str, str]) -> None:
    failures = [
        f
        for f in parse_failures(outputs["auto"])
        if f.key in ("tests/test_calc.py::test_add", "tests/test_calc.py::test_param[1-1-2]")
    ]
    first = assign(failures, sources(project), paths_of(project))
    # Both failures go through `add`: one request, quoting both.
    [only] = first
    assert (only.suspect.path, only.suspect.label) == ("pkg/calc.py", "regenerate add")
    assert [f.key for f in only.failures] == [f.key for f in failures]
    tried = frozenset((f.key, "pkg/calc.py", "regenerate add") for f in failures)
    second = assign(failures, sources(project), paths_of(project), tried)
    assert sorted((a.suspect.label, a.suspect.test) for a in second) == [
        ("regenerate test_add", True),
        ("regenerate test_param", True),
    ]
    # A file the build may not touch (--only) is not asked about.
    assert assign(failures, sources(project), paths_of(project), allowed=lambda path: path != "pkg/calc.py")[
        0
    ].suspect.test


def test_unittest_output(project: Path, tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(CALC)
    (tmp_path / "test_calc.py").write_text(
        textwrap.dedent("""\
        import unittest

        import calc


        class TestCalc(unittest.TestCase):
            def test_add(self):
                self.assertEqual(calc.add(1, 2), 3)
        """)
    )
    done = subprocess.run(
        [sys.executable, "-m", "unittest", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == 1
    [failure] = parse_failures(done.stdout + done.stderr)
    files = {"calc.py": CALC, "test_calc.py": (tmp_path / "test_calc.py").read_text()}
    found = suspects(failure, files, GeneratedPaths([tmp_path], files))
    assert labels(found.under_test) == [("calc.py", "regenerate add")]
    assert labels(found.tests) == [("test_calc.py", "regenerate TestCalc.test_add")]


def test_a_scripts_traceback(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(CALC)
    (tmp_path / "main.py").write_text("from calc import Stack\n\nStack().pop()\n")
    done = subprocess.run(
        [sys.executable, "main.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    [failure] = parse_failures(done.stdout + done.stderr)
    assert failure.title == "traceback" and failure.message == "IndexError: pop from an empty stack"
    files = {"calc.py": CALC, "main.py": (tmp_path / "main.py").read_text()}
    found = suspects(failure, files, GeneratedPaths([tmp_path], files))
    # main.py is not named like a test: every generated frame is code under test.
    assert labels(found.under_test) == [
        ("calc.py", "regenerate Stack._empty"),
        ("calc.py", "regenerate Stack.pop"),
        ("main.py", "rewrite lines 3-3"),
    ]
    assert found.tests == ()


def test_output_without_failures_names_none() -> None:
    assert parse_failures("") == ()
    assert parse_failures("make: *** [check] Error 1\n") == ()


# -- pure parts on their own ----------------------------------------------------------------


def test_paths_in_the_output_are_found_relative_absolute_and_by_their_end() -> None:
    paths = GeneratedPaths(
        [PurePosixPath("/work/out"), PurePosixPath("/real/out")], ["todo/models.py", "tests/test_models.py"]
    )
    assert paths.find("todo/models.py") == "todo/models.py"
    assert paths.find("./todo/../todo/models.py") == "todo/models.py"
    assert paths.find("/work/out/todo/models.py") == "todo/models.py"
    assert paths.find("/real/out/todo/models.py") == "todo/models.py"  # output_dir through a symlink
    # A test id relative to a rootdir above output_dir.
    assert paths.find("examples/out/tests/test_models.py") == "tests/test_models.py"
    assert paths.find("/usr/lib/python3.11/json/__init__.py") is None
    assert paths.find("../elsewhere/todo/models.py") is None
    assert paths.module("todo.models") == "todo/models.py"
    assert paths.module("json") is None


def test_the_definition_around_a_line() -> None:
    code = textwrap.dedent("""\
        import functools

        LIMIT = (
            10
        )


        @functools.cache
        def outer(x):
            def inner(y):
                return y + 1
            return inner(x)


        class Box:
            size = outer(LIMIT)

            def grow(self):
                return self.size + 1
        """)
    assert at_line(code, 4).label == "rewrite lines 3-5"  # type: ignore[union-attr]
    assert at_line(code, 8).label == "regenerate outer"  # type: ignore[union-attr]  # its decorator
    assert at_line(code, 11).label == "regenerate outer"  # type: ignore[union-attr]  # not `inner` alone
    assert at_line(code, 16).label == "regenerate Box"  # type: ignore[union-attr]  # the class body itself
    found = at_line(code, 19)
    assert found is not None and (found.target, found.kind) == ("Box.grow", "method")
    assert at_line(code, 2) is None and at_line("def f(:\n", 1) is None


def test_what_a_test_uses_through_each_kind_of_import() -> None:
    models = "class Todo:\n    def done(self):\n        return False\n\n\ndef parse(t):\n    return Todo()\n"
    files = {
        "app/models.py": models,
        "app/tests/test_m.py": textwrap.dedent("""\
        import app.models
        import app.models as m
        from ..models import parse


        def test_chain():
            assert app.models.parse("x")


        def test_alias():
            t = m.Todo()
            assert t.done()


        def test_relative():
            assert parse("x").done()
        """),
    }
    paths = GeneratedPaths([PurePosixPath("/out")], files)

    def used(test: str, line: int | None = None) -> list[str]:
        return [r.label for _, r in used_by_test("app/tests/test_m.py", files, test, line, paths.module)]

    assert used("test_chain") == ["regenerate parse"]
    assert used("test_alias", 12) == ["regenerate Todo.done"]
    assert used("test_relative") == ["regenerate parse"]  # `.done()` of what it returns: not followed
    assert used("test_missing") == []


def test_clip_keeps_the_start_and_more_of_the_end() -> None:
    text = "\n".join(f"line {n}" for n in range(1000))
    clipped = clip(text, 500)
    assert len(clipped) <= 500
    assert clipped.startswith("line 0\n") and clipped.endswith("line 999")
    assert "lines cut ..." in clipped
    assert clip("short", 500) == "short"
    one_line = "x" * 10_000
    assert len(clip(one_line, 300)) < 400 and "characters cut" in clip(one_line, 300)


def test_a_failure_without_a_summary_line_is_named_by_its_section() -> None:
    output = (
        "=================================== FAILURES ===================================\n"
        "___________________________________ test_add ___________________________________\n"
        "tests/test_calc.py:7: in test_add\n    assert add(1, 2) == 3\nE   assert -1 == 3\n"
    )
    [failure] = parse_failures(output)
    assert failure.test_id == "" and failure.test_name == "test_add"
    assert failure.frames == (Frame("tests/test_calc.py", 7),)
