"""`validators.check` on CPython's standard library: real code as test data.

A sample of modules has no finding; the same modules cut at random points are
truncated; placeholders injected into them are found, and found whether or not
`screening` sends the file to libcst; required names removed from them are missing.
The full scan of every module is `benchmarks/stdlib_scan.py`.
"""

from __future__ import annotations

import ast
import functools
import random
import sysconfig
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import libcst as cst
import pytest

from benchmarks.site_scan import intent
from validators import Code, Finding, check
from validators.python import _inspect
from validators.python.reading import cpython_verdict

# Slow (the validators over stdlib modules, whole and mangled): not in the quick loop;
# `.ci/run` and `python -m pytest -m ""` run it.
pytestmark = pytest.mark.slow

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SEED = 20240611


@functools.cache
def stdlib_modules(count: int, max_chars: int) -> tuple[tuple[str, str], ...]:
    """`count` modules, chosen by a fixed seed among those both parsers accept."""
    paths = sorted(
        path
        for path in STDLIB.rglob("*.py")
        if "site-packages" not in path.parts and path.stat().st_size <= max_chars
    )
    random.Random(SEED).shuffle(paths)
    chosen: list[tuple[str, str]] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(text)
            cst.parse_module(text)
        except (UnicodeDecodeError, SyntaxError, ValueError, cst.ParserSyntaxError):
            # Test data with deliberate errors, and the two modules whose grammar
            # libcst does not support (a parenthesized annotated target).
            continue
        if intent(path) is not None:
            continue  # stubs by intent, each with its reason (benchmarks/site_scan.py)
        chosen.append((str(path.relative_to(STDLIB)), text))
        if len(chosen) == count:
            break
    return tuple(chosen)


def thorough(text: str, requires: Sequence[str] = ()) -> list[Finding]:
    """`check` without its screening: every check on libcst's tree."""
    verdict = cpython_verdict(text)
    assert verdict.fatal is None
    return _inspect(text, tuple(requires), stubs_allowed=False, verdict=verdict)


def test_the_sample_is_large_enough() -> None:
    assert len(stdlib_modules(200, 40_000)) == 200


def test_stdlib_modules_have_no_findings() -> None:
    flagged = {name: findings for name, text in stdlib_modules(200, 40_000) if (findings := check(text))}
    assert flagged == {}


def test_stdlib_modules_have_no_findings_without_screening() -> None:
    flagged = {name: findings for name, text in stdlib_modules(40, 20_000) if (findings := thorough(text))}
    assert flagged == {}


# -- truncation ------------------------------------------------------------------------

CUTS = 250


def test_stdlib_modules_cut_where_they_no_longer_parse_are_truncated() -> None:
    modules = [text for _, text in stdlib_modules(200, 40_000) if 1 < len(text) <= 20_000]
    rng = random.Random(SEED)
    cuts, wrong = 0, []
    while cuts < CUTS:
        text = rng.choice(modules)
        cut = rng.randrange(1, len(text))
        prefix = text[:cut]
        try:
            cst.parse_module(prefix)
            continue
        except cst.ParserSyntaxError:
            cuts += 1
        findings = check(prefix)
        if [finding.code for finding in findings] != [Code.TRUNCATED]:
            wrong.append((prefix[-60:], findings))
    assert wrong == []


def test_cuts_at_every_line_end_of_a_module_are_truncated_or_parse() -> None:
    text = (STDLIB / "fnmatch.py").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        prefix = "".join(lines[:index])
        try:
            cst.parse_module(prefix)
            expected: list[Code] = []
        except cst.ParserSyntaxError:
            expected = [Code.TRUNCATED]
        found = [finding.code for finding in check(prefix)]
        assert found == expected, (index, prefix[-80:])


# -- injected placeholders -------------------------------------------------------------


class _Functions(cst.CSTVisitor):
    """Qualified names of functions whose body can be rewritten, and whether each is
    a statement of the module itself (not in a class, function, `if` or `try`)."""

    def __init__(self) -> None:
        super().__init__()
        self.scope: list[str] = []
        self.found: list[tuple[str, bool]] = []
        self.module_statements: set[int] = set()

    def visit_Module(self, node: cst.Module) -> None:
        self.module_statements = {id(statement) for statement in node.body}

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scope.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = ".".join([*self.scope, node.name.value])
        if not node.decorators and isinstance(node.body, cst.IndentedBlock):
            if len(node.body.body) >= 2:
                self.found.append((name, id(node) in self.module_statements))
        self.scope.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scope.pop()


class _Rewrite(cst.CSTTransformer):
    """Replace the body of the function `target` (a qualified name) using `change`."""

    def __init__(self, target: str, change: Callable[[cst.IndentedBlock], cst.IndentedBlock]) -> None:
        super().__init__()
        self.target = target
        self.change = change
        self.scope: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self.scope.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scope.append(node.name.value)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        name = ".".join(self.scope)
        self.scope.pop()
        if name != self.target:
            return updated_node
        assert isinstance(updated_node.body, cst.IndentedBlock)
        return updated_node.with_changes(body=self.change(updated_node.body))


def _statement(code: str) -> cst.BaseStatement:
    return cst.parse_statement(code)


def _comment_before_second(comment: str) -> Callable[[cst.IndentedBlock], cst.IndentedBlock]:
    def change(body: cst.IndentedBlock) -> cst.IndentedBlock:
        second = body.body[1]
        assert isinstance(second, cst.SimpleStatementLine | cst.BaseCompoundStatement)
        line = cst.EmptyLine(comment=cst.Comment(comment))
        moved = second.with_changes(leading_lines=[*second.leading_lines, line])
        return body.with_changes(body=[body.body[0], moved, *body.body[2:]])

    return change


def _ellipsis_before_second(body: cst.IndentedBlock) -> cst.IndentedBlock:
    return body.with_changes(body=[body.body[0], _statement("...\n"), *body.body[1:]])


def _only(code: str) -> Callable[[cst.IndentedBlock], cst.IndentedBlock]:
    def change(body: cst.IndentedBlock) -> cst.IndentedBlock:
        return body.with_changes(body=[_statement(code)], footer=[])

    return change


MARKER = "MARKER-0f3a"


def _line_of(text: str, needle: str) -> int:
    (line,) = [n for n, each in enumerate(text.splitlines(), start=1) if needle in each]
    return line


# Each kind: how to rewrite a function body, whether it must be a module-level
# function, and the comment or statement the finding points at (None: the def).
INJECTIONS: dict[str, tuple[Callable[[cst.IndentedBlock], cst.IndentedBlock], bool, str | None]] = {
    "elision among statements": (
        _comment_before_second("# ... existing code ..."),
        False,
        "# ... existing code ...",
    ),
    "ellipsis among statements": (_ellipsis_before_second, False, None),
    "pass beside a stub note": (_only("pass  # TODO: implement\n"), False, "# TODO: implement"),
    "ellipsis beside a stub note": (_only("...  # same as above\n"), False, "# same as above"),
    "raise with a placeholder message": (
        _only("raise NotImplementedError('TODO')\n"),
        False,
        None,
    ),
    "raise in a module function": (_only("raise NotImplementedError\n"), True, None),
}


@functools.cache
def injection_sites(top_level: bool) -> tuple[tuple[str, str, str], ...]:
    """(module name, text, function) to rewrite: one function from each of a dozen
    small modules."""
    sites = []
    rng = random.Random(SEED)
    for name, text in stdlib_modules(80, 10_000):
        visitor = _Functions()
        cst.parse_module(text).visit(visitor)
        names = [each for each, top in visitor.found if top or not top_level]
        # A name defined twice (a redefinition) would make the expected scope ambiguous.
        unique = [each for each in names if names.count(each) == 1]
        if unique:
            sites.append((name, text, rng.choice(unique)))
        if len(sites) == 12:
            break
    return tuple(sites)


@pytest.mark.parametrize("kind", list(INJECTIONS))
def test_injected_placeholders_are_found(kind: str) -> None:
    change, top_level, pointer = INJECTIONS[kind]
    sites = injection_sites(top_level)
    assert len(sites) >= 10
    for name, text, target in sites:
        injected = cst.parse_module(text).visit(_Rewrite(target, change)).code
        found = check(injected)
        assert found == thorough(injected), (name, target)
        assert [(f.code, f.scope) for f in found] == [(Code.PLACEHOLDER, target)], (
            name,
            target,
            found,
        )
        line = injected.splitlines()[found[0].line - 1]
        if pointer is not None:
            assert found[0].line == _line_of(injected, pointer)
        elif kind == "ellipsis among statements":
            assert line.strip() == "..."
        else:
            assert line.lstrip().startswith(("def ", "async def "))


def test_a_comment_standing_for_a_body_is_found_though_the_file_no_longer_parses() -> None:
    tried = 0
    for name, text, target in injection_sites(False):
        module = cst.parse_module(text).visit(_Rewrite(target, _only(f"pass  # {MARKER}\n")))
        injected = module.code.replace(f"pass  # {MARKER}", "# ... rest of the method ...")
        line = _line_of(injected, "# ... rest of the method ...")
        if not "".join(injected.splitlines(keepends=True)[line:]).strip():
            continue  # at the very end of the file this is a cut: truncated
        found = check(injected)
        assert [(f.code, f.line, f.scope) for f in found] == [(Code.PLACEHOLDER, line, target)], (
            name,
            target,
        )
        tried += 1
    assert tried >= 8


@pytest.mark.parametrize(
    ("remark", "commented"),
    [
        ("# The remaining methods follow the same pattern.", True),
        ("# ... and so on for the other functions", True),
        ("The remaining functions follow the same pattern.", False),
    ],
)
def test_a_trailing_remark_appended_to_a_module_is_a_premature_end(remark: str, commented: bool) -> None:
    for name, text in stdlib_modules(15, 10_000):
        ended = text.rstrip() + "\n\n" + remark + "\n"
        found = check(ended)
        assert found == thorough(ended)
        assert [(f.code, f.line) for f in found] == [(Code.PREMATURE_END, _line_of(ended, remark))], name


# -- required names --------------------------------------------------------------------


def _definitions(text: str) -> list[tuple[str, ast.stmt]]:
    """Module functions and classes, and methods, each bound exactly once in its scope."""
    tree = ast.parse(text)
    found: list[tuple[str, ast.stmt]] = []
    for scope, body in [("", tree.body)] + [
        (node.name, node.body) for node in tree.body if isinstance(node, ast.ClassDef)
    ]:
        bound: list[str] = []
        for node in ast.walk(ast.Module(body=body, type_ignores=[])):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                bound.append(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.append(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                bound.append(node.attr)
            elif isinstance(node, ast.alias):
                bound.append((node.asname or node.name).split(".")[0])
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and bound.count(node.name) == 1:
                if scope and len(body) < 2:
                    continue  # removing the only statement would leave no class
                if isinstance(node, ast.FunctionDef) and all(
                    isinstance(each, ast.Pass | ast.Expr | ast.Raise) for each in node.body
                ):
                    continue  # a required stub is a placeholder, not what is tested here
                found.append((f"{scope}.{node.name}" if scope else node.name, node))
    return found


def test_removed_required_names_are_missing() -> None:
    rng = random.Random(SEED)
    tried = 0
    for name, text in stdlib_modules(80, 10_000):
        if "import *" in text:
            continue
        definitions = _definitions(text)
        if len(definitions) < 3:
            continue
        removed, node = rng.choice(definitions)
        # Members of a removed class would be missing too; keep to one name.
        others = [q for q, _ in definitions if q != removed and not q.startswith(removed + ".")]
        required = [removed, *rng.sample(others, min(2, len(others)))]
        assert check(text, requires=required) == [], name
        lines = text.splitlines(keepends=True)
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        assert node.end_lineno is not None
        indent = lines[node.lineno - 1][: node.col_offset]
        # Keep a statement in its place, so a class body never goes empty.
        kept = lines[: first - 1] + [indent + "pass\n"] + lines[node.end_lineno :]
        found = check("".join(kept), requires=required)
        assert [f.code for f in found] == [Code.MISSING], (name, removed, found)
        assert f"`{removed}`" in found[0].message
        tried += 1
    assert tried >= 20
