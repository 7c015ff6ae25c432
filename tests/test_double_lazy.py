"""The double as a lazy author, through the real SDK: placeholders and an early end on the
first write, then the repairs codegen asks for (a definition, the rest of the file).

Every expectation is checked against the original stdlib module or `validators`, not
against the double's own helpers: a definition answer is unwrapped by hand and compared
with the module's definition by AST; the first write's findings come from
`validators.check`.
"""

from __future__ import annotations

import ast
import textwrap
from typing import Any

import anthropic
import pytest

from tests.double import (
    DEFINITION_SHAPES,
    FILE,
    DefinitionStyle,
    Laziness,
    MessagesDouble,
    ModuleAuthor,
    Seams,
    Wrapping,
    laziness,
)
from tests.support import MODEL, original_text, sdk, stdlib_source, text_of, without_seam
from validators import Code, check

Definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
FINISH = (
    "Your answer ended before the file was complete: it stops with a remark instead "
    "of the rest of the code. Continue the file from exactly after the last line."
)


def answer(client: anthropic.Anthropic, messages: list[dict[str, Any]], max_tokens: int) -> tuple[str, str]:
    """One streamed answer: its text and stop reason."""
    request: dict[str, Any] = {"model": MODEL, "max_tokens": max_tokens, "messages": messages}
    with client.messages.stream(**request) as stream:
        message = stream.get_final_message()
    return text_of(message), str(message.stop_reason)


def by_prefill(client: anthropic.Anthropic, prompt: str, max_tokens: int, text: str = "") -> tuple[str, int]:
    """Ask (going on from `text`, if any); while cut, prefill with the text so far."""
    calls = 0
    while True:
        messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
        if text:
            text = text.rstrip()  # the API refuses a prefill that ends with whitespace
            messages.append({"role": "assistant", "content": text})
        piece, stop = answer(client, messages, max_tokens)
        text += piece
        calls += 1
        if stop == "end_turn":
            return text, calls
        assert stop == "max_tokens"


def by_user_turn(
    client: anthropic.Anthropic, messages: list[dict[str, Any]], max_tokens: int
) -> tuple[list[str], list[dict[str, Any]]]:
    """While cut, send the answer back and ask to go on: the answers, the conversation."""
    answers = []
    while True:
        piece, stop = answer(client, messages, max_tokens)
        answers.append(piece)
        messages = [*messages, {"role": "assistant", "content": piece}]
        if stop == "end_turn":
            return answers, messages
        assert stop == "max_tokens"
        messages.append({"role": "user", "content": "Continue exactly where you stopped."})


def write_file(path: str) -> str:
    return f"Write the file `{path}`."


def repair(path: str, name: str) -> str:
    """A definition repair as codegen words it (`codegen.prompts.definition_prompt`)."""
    return (
        f"Repair the file `{path}`, written for this request:\n\nWrite it.\n\n"
        "The file as it stands:\n```python\npass\n```\n\nIt has a placeholder.\n\n"
        f"Write the complete definition of `{name}`: that function alone, every line "
        "of it in full (with its decorators), in one ```python code block."
    )


def lazy_author(names: list[str], **options: Any) -> ModuleAuthor:
    options.setdefault("laziness", Laziness())
    return ModuleAuthor({name: stdlib_source(name) for name in names}, **options)


def boundary(author: ModuleAuthor, path: str) -> int:
    """Where, in the meant answer, the first pass stops."""
    lazy = author.lazy(path)
    assert lazy is not None and lazy.early_end is not None
    return author.meant(path).code_start + lazy.early_end.offset


def findings(code: str) -> set[tuple[Code, str]]:
    return {(f.code, f.scope) for f in check(code)}


# -- by hand: the original definitions, and the code out of an answer ---------------


def code_of(text: str, name: str) -> str:
    """The code of a definition answer: inside its fence, or without its prose."""
    if "```python\n" in text:
        return text.split("```python\n", 1)[1].split("```", 1)[0]
    lines = text.split("\n")
    if f"`{name}`" in lines[0]:
        lines = lines[2:]  # a sentence, a blank line
    if f"`{name}`" in lines[-1] or lines[-1] == "Let me know if anything else needs fixing.":
        lines = lines[:-2]
    return "\n".join(lines)


def unshaped(code: str, shape: str) -> str:
    """The definition alone at column 0, out of an answer's code of `shape`."""
    if shape == "with_imports":
        imports, code = code.split("\n\n", 1)
        assert all(line.startswith(("import ", "from ")) for line in imports.split("\n"))
    if shape == "wrapped":
        wrapper = ast.parse(textwrap.dedent(code)).body[0]
        assert isinstance(wrapper, ast.ClassDef)
        member = next(n for n in wrapper.body if isinstance(n, Definitions))
        first = min([member.lineno, *(d.lineno for d in member.decorator_list)])
        code = "".join(textwrap.dedent(code).splitlines(keepends=True)[first - 1 : member.end_lineno])
    return textwrap.dedent(code)


# -- the first write --------------------------------------------------------------


@pytest.mark.parametrize("name", ["textwrap.py", "shlex.py"])
def test_first_write_has_placeholders_and_ends_early(name: str) -> None:
    author = lazy_author([name], seams=Seams(seed=4))
    double = MessagesDouble(author)
    text, calls = by_prefill(sdk(double), write_file(name), max_tokens=512)
    early = author.early_answer(name)
    lazy = author.lazy(name)
    assert early is not None and lazy is not None and lazy.early_end is not None
    assert text == early.text  # the prefill continuations, joined, are the first pass
    assert calls > 3
    placeholders = author.placeholders[name]
    assert len(placeholders) == 2
    # The whole lazy file: each placeholder reported in its function, nothing else.
    assert findings(lazy.code) == {(Code.PLACEHOLDER, n) for n in placeholders}
    # The first pass: the placeholders it holds, and the remark at its end.
    first = findings(early.code)
    assert {s for c, s in first if c == Code.PLACEHOLDER} <= set(placeholders)
    ended = [f for f in check(early.code) if f.code == Code.PREMATURE_END]
    assert len(ended) == 1
    assert early.code.rstrip().endswith(lazy.early_end.remark)
    assert ended[0].line == early.code.rstrip().count("\n") + 1
    assert lazy.early_end.remark.strip() in laziness.MODULE_REMARKS + laziness.MEMBER_REMARKS
    # Up to the boundary the first pass is the lazy file; the file is the original but
    # for the bodies left out.
    assert text[: boundary(author, name)] == author.meant(name).text[: boundary(author, name)]
    assert author.meant(name).code == lazy.code
    assert without_bodies(lazy.code, placeholders) == without_bodies(stdlib_source(name), placeholders)
    assert author.early_end[name] == lazy.early_end.line
    double.check()


def without_bodies(source: str, names: list[str]) -> str:
    """The module's AST with the bodies of `names` emptied."""

    class Empty(ast.NodeTransformer):
        def __init__(self) -> None:
            self.scope: list[str] = []

        def visit_def(self, node: Any) -> Any:
            self.scope.append(node.name)
            if ".".join(self.scope) in names:
                node.body = []
            else:
                self.generic_visit(node)
            self.scope.pop()
            return node

        visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_def

    return ast.dump(Empty().visit(ast.parse(source)))


@pytest.mark.parametrize("name", ["csv.py", "fnmatch.py", "colorsys.py", "bisect.py"])
def test_each_placeholder_and_remark_is_a_finding(name: str) -> None:
    source = stdlib_source(name)
    for seed in (1, 2):
        lazy = laziness.make_lazy(source, name, Laziness(seed=seed, placeholders=3))
        assert lazy is not None and lazy.early_end is not None and lazy.placeholders
        assert findings(lazy.code) == {(Code.PLACEHOLDER, n) for n in lazy.placeholders}
        first = check(lazy.early_end.first_pass(lazy.code))
        assert [f.code for f in first].count(Code.PREMATURE_END) == 1
        assert {(f.code, f.scope) for f in first if f.code != Code.PREMATURE_END} <= findings(lazy.code)
        share = lazy.early_end.offset / len(lazy.code)
        assert 0.5 <= share <= 0.85


def test_every_placeholder_body_is_reported_in_its_function() -> None:
    source = (
        "class Outer:\n    class Inner:\n        def method(self):\n"
        '            """Doc."""\n{body}\n\ndef function(x):\n{top}'
    )
    for body in laziness.PLACEHOLDER_BODIES:
        code = source.format(body=body.format(i=" " * 12), top=body.format(i="    "))
        assert findings(code) == {(Code.PLACEHOLDER, "Outer.Inner.method"), (Code.PLACEHOLDER, "function")}


def test_laziness_is_deterministic_and_off_by_default() -> None:
    source = stdlib_source("textwrap.py")
    first = laziness.make_lazy(source, "textwrap.py", Laziness(seed=3))
    assert first == laziness.make_lazy(source, "textwrap.py", Laziness(seed=3))
    assert first != laziness.make_lazy(source, "textwrap.py", Laziness(seed=4))
    plain = ModuleAuthor({"textwrap.py": source})
    idle = ModuleAuthor({"textwrap.py": source}, laziness=Laziness(placeholders=0, early_end=False))
    assert plain.meant("textwrap.py") == idle.meant("textwrap.py")
    assert plain.meant("textwrap.py").code == source
    assert plain.lazy("textwrap.py") is None and plain.early_answer("textwrap.py") is None
    assert plain.placeholders == {} and plain.early_end == {}


# -- finishing the file -----------------------------------------------------------


def test_finish_by_prefill_goes_on_from_the_boundary() -> None:
    name = "textwrap.py"
    author = lazy_author([name], seams=Seams(seed=1))
    double = MessagesDouble(author)
    client = sdk(double)
    first, _ = by_prefill(client, write_file(name), max_tokens=512)
    lazy = author.lazy(name)
    assert lazy is not None and lazy.early_end is not None
    # What codegen sends: the first pass without its remark and fence, rstripped.
    head = first[: first.rindex("\n" + lazy.early_end.remark)].rstrip()
    whole, calls = by_prefill(client, write_file(name), max_tokens=512, text=head)
    assert whole == author.meant(name).text
    assert calls > 1
    assert author.repairs == [(name, "finish", "")]
    # The first pass keeping its remark is no prefix of the file: the double says so.
    with pytest.raises(anthropic.InternalServerError, match="holds the remark"):
        client.messages.create(
            model=MODEL,
            max_tokens=512,
            messages=[
                {"role": "user", "content": write_file(name)},
                {"role": "assistant", "content": first.rstrip()},
            ],
        )
    double.failures.clear()
    # A new conversation is a new first pass: it ends early again.
    again, _ = by_prefill(client, write_file(name), max_tokens=100_000)
    assert again == first
    double.check()


def test_a_cut_just_before_the_boundary_still_ends_early_then_finishes() -> None:
    name = "colorsys.py"
    author = lazy_author([name], wrapping=Wrapping(prose_before=0, prose_after=0))
    client = sdk(MessagesDouble(author))
    early = author.early_answer(name)
    assert early is not None
    at = boundary(author, name)
    text, cuts = "", []
    while True:  # the first pass by prefill, at a budget that cuts in the blank line
        messages: list[dict[str, Any]] = [{"role": "user", "content": write_file(name)}]
        if text:
            text = text.rstrip()
            messages.append({"role": "assistant", "content": text})
        piece, stop = answer(client, messages, max_tokens=20)
        text += piece
        if stop == "end_turn":
            break
        cuts.append(len(text))
    # One answer stopped where its prefill is the same as the finish's: it went on to
    # the remark all the same, because the author had not ended the file yet.
    assert any(len(early.text[:at].rstrip()) <= cut <= at for cut in cuts)
    assert text == early.text
    lazy = author.lazy(name)
    assert lazy is not None and lazy.early_end is not None
    head = text[: text.rindex("\n" + lazy.early_end.remark)].rstrip()
    whole, _ = by_prefill(client, write_file(name), max_tokens=20, text=head)
    assert whole == author.meant(name).text
    assert author.repairs == [(name, "finish", "")]


def test_finish_by_user_turn_goes_on_from_the_boundary() -> None:
    name = "shlex.py"
    author = lazy_author([name], prefill_accepted=False, seams=Seams(seed=2))
    double = MessagesDouble(author)
    client = sdk(double)
    answers, conversation = by_user_turn(
        client, [{"role": "user", "content": write_file(name)}], max_tokens=300
    )
    early = author.early_answer(name)
    meant = author.meant(name)
    assert early is not None
    assert early.text.endswith(answers[-1][-20:])  # the first pass ended as it meant to
    rest, _ = by_user_turn(client, [*conversation, {"role": "user", "content": FINISH}], max_tokens=300)
    at = boundary(author, name)
    opening = without_seam(rest[0])  # (which also drops blank lines at its start)
    starts = meant.text.find(opening)
    blank = len(meant.text[at:]) - len(meant.text[at:].lstrip("\n"))
    assert starts <= at + blank < starts + len(opening)  # it goes on from the boundary
    bodies = [without_seam(piece) for piece in rest]
    assert all(body in meant.text for body in bodies)
    assert meant.text.endswith(bodies[-1])
    assert author.repairs == [(name, "finish", "")]
    double.check()


def test_finish_without_seams_is_the_rest_exactly() -> None:
    name = "textwrap.py"
    author = lazy_author([name], prefill_accepted=False, seams=Seams(kinds=("none",)))
    client = sdk(MessagesDouble(author))
    answers, conversation = by_user_turn(
        client, [{"role": "user", "content": write_file(name)}], max_tokens=400
    )
    early = author.early_answer(name)
    assert early is not None and "".join(answers) == early.text
    rest, _ = by_user_turn(client, [*conversation, {"role": "user", "content": FINISH}], max_tokens=400)
    meant = author.meant(name).text
    assert "".join(rest) == meant[boundary(author, name) :]


# -- definition repairs -----------------------------------------------------------


def test_definition_answers_give_back_the_original_in_every_shape() -> None:
    names = ["textwrap.py", "shlex.py", "csv.py"]
    shapes = set()
    for seed in (1, 2):
        author = lazy_author(names, seams=Seams(seed=seed))
        double = MessagesDouble(author)
        client = sdk(double)
        for path in names:
            source = stdlib_source(path)
            lazy = author.lazy(path)
            assert lazy is not None
            wanted = list(lazy.placeholders)
            wanted += [n for n in _qualnames(source) if n not in wanted][seed::6]
            for name in wanted:
                text, _ = by_prefill(client, repair(path, name), max_tokens=4096)
                shape = author.shapes[(path, name)]
                shapes.add(shape)
                got = unshaped(code_of(text, name), shape)
                assert ast.dump(ast.parse(got)) == ast.dump(
                    ast.parse(textwrap.dedent(original_text(source, name)))
                ), (path, name, shape)
                opening = code_of(text, name).lstrip("\n")[:1]
                assert (opening == " ") == (shape == "class_indent"), (path, name, shape)
        assert author.repairs == [(p, "definition", n) for p, n in author.shapes]
        double.check()
    assert shapes == set(DEFINITION_SHAPES)


def _qualnames(source: str) -> list[str]:
    """Functions and classes at module level and in classes, as validators name them."""
    found = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, Definitions):
                found.append(prefix + node.name)
                if isinstance(node, ast.ClassDef):
                    visit(node.body, f"{prefix}{node.name}.")

    visit(ast.parse(source).body, "")
    return [n for n in found if found.count(n) == 1]


def test_a_wrapped_member_keeps_its_class_header() -> None:
    source = stdlib_source("textwrap.py")
    header = next(line for line in source.split("\n") if line.startswith("class TextWrapper"))
    seen = 0
    for seed in range(12):
        author = ModuleAuthor({"textwrap.py": source}, seams=Seams(seed=seed))
        text, _ = by_prefill(
            sdk(MessagesDouble(author)), repair("textwrap.py", "TextWrapper.wrap"), max_tokens=4096
        )
        if author.shapes[("textwrap.py", "TextWrapper.wrap")] == "wrapped":
            code = code_of(text, "TextWrapper.wrap")
            assert header in code.split("\n")[:3]
            seen += 1
    assert seen


def test_a_definition_answer_is_cut_and_continued() -> None:
    path, name = "textwrap.py", "TextWrapper._wrap_chunks"
    purpose = ("definition", name)
    author = lazy_author([path], seams=Seams(seed=6))
    client = sdk(MessagesDouble(author))
    text, calls = by_prefill(client, repair(path, name), max_tokens=64)
    meant = author.meant(path, purpose)
    assert text == meant.text and calls > 5
    assert author.meant(path, FILE) != meant

    refusing = lazy_author([path], prefill_accepted=False, seams=Seams(seed=6))
    double = MessagesDouble(refusing)
    answers, _ = by_user_turn(sdk(double), [{"role": "user", "content": repair(path, name)}], max_tokens=80)
    assert len(answers) > 5
    assert answers[0] == meant.text[: len(answers[0])]
    bodies = [without_seam(piece) for piece in answers[1:]]
    assert all(body in meant.text for body in bodies)
    assert meant.text.endswith(bodies[-1])
    assert len(refusing.continuations) == len(answers) - 1
    assert refusing.repairs == [(path, "definition", name)]
    double.check()


@pytest.mark.parametrize("name", ["Nowhere", "DictReader.fieldnames", "DictReader.nothing"])
def test_a_name_defined_nowhere_or_twice_gets_no_definition(name: str) -> None:
    author = ModuleAuthor({"csv.py": stdlib_source("csv.py")})
    text, _ = by_prefill(sdk(MessagesDouble(author)), repair("csv.py", name), max_tokens=512)
    assert text.startswith(f"I cannot find `{name}`")
    assert "```" not in text and ("csv.py", name) not in author.shapes


def statement_repair(path: str, statement: str) -> str:
    """A statement repair as codegen words it (`codegen.prompts.statement_prompt`)."""
    return (
        f"Repair the file `{path}`, written for this request:\n\nWrite it.\n\n"
        "The file as it stands:\n```python\npass\n```\n\nIt does not parse.\n\n"
        "Write the corrected top-level statement that begins at line 40:\n"
        f"```python\n{statement.rstrip()}\n```\nAnswer with that statement alone, "
        "complete and valid, in one ```python code block."
    )


def test_a_broken_statement_gets_the_original_back() -> None:
    path = "textwrap.py"
    source = stdlib_source(path)
    meant = original_text(source, "dedent")
    lines = meant.splitlines(keepends=True)
    # A bad join: a line typed twice, the next one cut short.
    broken = "".join(lines[:5] + [lines[4], lines[5][:9] + "\n"] + lines[6:])
    author = ModuleAuthor({path: source}, seams=Seams(seed=3), definitions=DefinitionStyle(fenced=1.0))
    double = MessagesDouble(author)
    client = sdk(double)
    text, calls = by_prefill(client, statement_repair(path, broken), max_tokens=64)
    assert calls > 3
    assert code_of(text, "dedent") == meant
    assert author.repairs == [(path, "statement", lines[0].strip())]
    nonsense, _ = by_prefill(client, statement_repair(path, "x = )(\n"), max_tokens=64)
    assert nonsense.startswith("I cannot tell") and "```" not in nonsense
    with pytest.raises(anthropic.InternalServerError, match="cannot tell what to write"):
        client.messages.create(
            model=MODEL,
            max_tokens=100,
            messages=[{"role": "user", "content": "Repair the file `textwrap.py`: make it nicer."}],
        )
    double.failures.clear()
    double.check()
