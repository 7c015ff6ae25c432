"""A generator of placeholder bodies, put in place of real function bodies in real
stdlib modules: what a model writes when it leaves a function unwritten.

Each case takes one phrase (a comment a model writes for elided code), frames it or
not (`... x ...`, `(x)`, `[x]`), gives it a shape (alone, above `pass` or `...`, after
a docstring, beside `raise NotImplementedError`, on the `def` line) and puts it in
place of the body of one function of one module. The phrases are split in two by a
fixed seed (`SPLIT_SEED`): the validators were tuned on the `tuning` half only, and
`held_out` measures recall on wordings they were not tuned on
(`benchmarks/placeholder_recall.py`; `tests/validators/test_recall.py` runs a sample).

A second kind of case, `beside_code`, keeps the first statement of the body and puts
the comment in place of the rest: there only the wording (or a frame) can tell, and
its recall is reported on its own.
"""

from __future__ import annotations

import ast
import functools
import random
import sysconfig
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Fixes which phrases are tuned on and which are held out; chosen before any tuning.
SPLIT_SEED = 19
# Fixes which modules, functions, shapes and frames each phrase is tried with.
CASE_SEED = 20240619

# One entry per phrase; a tuple is a comment block of several lines.
PHRASES: tuple[str | tuple[str, ...], ...] = (
    # the code is elsewhere, or the same as before
    "existing code",
    "existing code remains the same",
    "existing implementation unchanged",
    "rest of the code unchanged",
    "rest of the method stays as it was",
    "same as before",
    "same as the original",
    "unchanged from the original",
    "unchanged",
    "no changes",
    "no changes to this method",
    "no changes here",
    "keep the original implementation",
    "keep the existing logic",
    "original implementation",
    "original body goes here",
    "insert the original body here",
    "previous implementation here",
    "implementation as above",
    "same logic as above",
    "same logic as the previous version",
    "logic identical to the previous method",
    "identical to the method above",
    "identical to the sync version",
    "this is identical to what we had before",
    "body unchanged",
    "the body of this function is unchanged",
    "function body is the same as before",
    "method body as in the original file",
    "as in the original file",
    "as in the original",
    "as before",
    "as above",
    "see above",
    "like above",
    "same as above",
    "same as encode()",
    "same pattern as the other handlers",
    "similar to the method above",
    "mirrors the previous method",
    "analogous to the function above",
    "copy the logic from above",
    "reuse the loop from the previous function",
    "see the previous implementation",
    "refer to the original code",
    "full implementation in the original module",
    "full logic lives in the original version",
    "left as is",
    "kept as-is",
    "leave this as it was",
    "this part does not change",
    "nothing changes in this function",
    "everything else stays the same",
    "the remaining logic is the same",
    "the rest is unchanged",
    "rest unchanged",
    "rest as before",
    "the rest of the function follows",
    "rest of the implementation goes here",
    "remaining implementation",
    "remaining code omitted",
    "other branches omitted",
    "the other cases are handled the same way",
    "continue as before",
    "code continues as before",
    "code continues",
    "continued from above",
    "and the rest",
    "and so on",
    "etc.",
    "and so forth for the remaining cases",
    # left out, for a reason given
    "omitted for brevity",
    "code omitted for brevity",
    "implementation omitted",
    "implementation elided",
    "body elided",
    "details omitted",
    "details not shown",
    "not shown",
    "not shown here",
    "snip",
    "snipped",
    "truncated for length",
    "skipped for space",
    "abbreviated",
    "left out to keep this short",
    "elided to save space",
    "shortened for the example",
    "full body removed for readability",
    "long implementation not reproduced here",
    "trimmed",
    # to be written
    "TODO",
    "TODO: implement",
    "TODO: port the original logic",
    "TODO: finish this",
    "TODO write this",
    "todo: fill in",
    "FIXME: fill in",
    "FIXME",
    "XXX: not yet written",
    "XXX fill this in",
    "to be implemented",
    "to be written",
    "to do",
    "not implemented yet",
    "not yet implemented",
    "unimplemented",
    "implement me",
    "implement this",
    "implement later",
    "implementation pending",
    "implementation needed",
    "needs implementing",
    "placeholder",
    "placeholder implementation",
    "stub",
    "stub for now",
    "WIP",
    "work in progress",
    "coming soon",
    "fill in later",
    "fill in the details",
    "write the implementation here",
    "write the body",
    "add the logic here",
    "add implementation",
    "your code here",
    "put your code here",
    "put the parsing code here",
    "logic goes here",
    "code goes here",
    "implementation goes here",
    "the real work happens here",
    "more code here",
    "more logic would go here",
    "body",
    "implementation",
    "logic",
    "code",
    "...",
    # what the code would do, in words
    "parse the arguments and dispatch",
    "validate input, then store the result",
    "compute the checksum over the buffer",
    "handle the edge cases here",
    "return the formatted string",
    "walk the tree and collect the names",
    "open the file and read the header",
    "update the cache",
    "loop over the items and yield each one",
    "build the result dict",
    "convert and return",
    "delegate to the helper",
    "normalize the path, then look it up",
    "skip blank lines and parse the rest",
    "ignore comments, then tokenize",
    "check the arguments",
    "Return the value for this key.",
    "Read the next chunk and decode it.",
    "iterate and accumulate",
    "error handling",
    "the main loop",
    "cleanup",
    "set up the state",
    "emit the event to every listener",
    "split on whitespace and wrap",
    "call the underlying implementation",
    "send the request and wait for the reply",
    "resolve the name in the enclosing scope",
    "find the first match",
    "fall back to the default",
    # several lines
    ("existing code for the loop", "remains unchanged"),
    ("Same as the previous method, but", "for the reverse direction."),
    ("This works like the function above:", "only the keys differ."),
    ("Parse the header,", "then the body."),
    ("TODO: implement", "(see the issue for details)"),
    ("The implementation is the same as in", "the base version of this module."),
    ("rest of the logic", "omitted for brevity"),
    ("Validate the arguments.", "Then do the work."),
    ("implementation unchanged;", "see above"),
    ("Keep whatever was here before.",),
    ("Original code here.", "Nothing new in this part."),
    ("Handle each case", "as the previous branch does"),
)

FRAMES = ("{}", "... {} ...", "...{}...", "({})", "[{}]", "{} ...", "... {}", "… {} …", "<{}>")

SHAPES = (
    "comment only",  # the body is only the comment: the file no longer parses
    "comment, pass",
    "pass  # comment",
    "comment, ...",
    "...  # comment",
    "docstring, comment",
    "docstring, comment, pass",
    "docstring, comment, ...",
    "docstring, pass  # comment",
    "comment, raise NotImplementedError",
    "def  # comment, pass",
    "pass, comment",
)

BESIDE_SHAPES = ("statement, comment", "statement, comment, statement")

_MARKER = "PLACEHOLDER_MARKER_5e1b"
_HEADER_MARKER = "PLACEHOLDER_HEADER_5e1b"


@dataclass(frozen=True)
class Case:
    """One injected placeholder: the module's text with it, and where it stands."""

    module: str  # the module's path under the stdlib
    function: str  # the qualified name whose body was replaced
    phrase: str  # the phrase, lines joined by " / "
    frame: str
    shape: str
    source: str


def split(seed: int = SPLIT_SEED) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The indices of `PHRASES` in the tuning half and in the held-out half."""
    indices = list(range(len(PHRASES)))
    random.Random(seed).shuffle(indices)
    half = len(indices) // 2
    return tuple(sorted(indices[:half])), tuple(sorted(indices[half:]))


def framed(phrase: str | tuple[str, ...], frame: str) -> list[str]:
    """The comment lines of a phrase in a frame (the frame around the whole block)."""
    lines = [phrase] if isinstance(phrase, str) else list(phrase)
    if frame == "{}":
        return [f"# {line}" for line in lines]
    opening, closing = frame.split("{}")
    if len(lines) == 1:
        return [f"# {opening}{lines[0]}{closing}"]
    return [f"# {opening}{lines[0]}"] + [f"# {line}" for line in lines[1:-1]] + [f"# {lines[-1]}{closing}"]


@dataclass(frozen=True)
class Site:
    """A function whose body can be replaced."""

    module: str
    text: str
    function: str
    # The docstring statement of the function, as written, or None.
    docstring: str | None
    # The code of the body's first statement other than the docstring, and its last.
    first_statement: str
    last_statement: str


@functools.cache
def modules(count: int = 60, max_chars: int = 30_000) -> tuple[tuple[str, str], ...]:
    """`count` stdlib modules, chosen by `CASE_SEED`, that both parsers accept and that
    the validators find complete (so that every finding comes from the injection)."""
    from validators import check

    paths = sorted(
        path
        for path in STDLIB.rglob("*.py")
        if "site-packages" not in path.parts and "test" not in path.parts and path.stat().st_size <= max_chars
    )
    random.Random(CASE_SEED).shuffle(paths)
    chosen: list[tuple[str, str]] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(text)
            cst.parse_module(text)
        except (UnicodeDecodeError, SyntaxError, ValueError, cst.ParserSyntaxError):
            continue
        if check(text, filename=path.name):
            continue
        chosen.append((str(path.relative_to(STDLIB)), text))
        if len(chosen) == count:
            break
    return tuple(chosen)


class _Sites(cst.CSTVisitor):
    """Functions with a written body, outside interfaces and stubs."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module = module
        self.scope: list[str] = []
        self.found: list[tuple[str, cst.FunctionDef]] = []
        self.interface: list[bool] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scope.append(node.name.value)
        code = self.module.code_for_node(node).split(":", 1)[0]
        self.interface.append(any(word in code for word in ("Protocol", "ABC", "abc.")))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scope.pop()
        self.interface.pop()

    def visit_If(self, node: cst.If) -> bool:
        return "TYPE_CHECKING" not in self.module.code_for_node(node.test)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = ".".join([*self.scope, node.name.value])
        decorators = " ".join(self.module.code_for_node(d.decorator) for d in node.decorators)
        stubbed = any(word in decorators for word in ("abstract", "overload"))
        inside_interface = bool(self.interface) and self.interface[-1]
        if isinstance(node.body, cst.IndentedBlock) and not stubbed and not inside_interface:
            self.found.append((name, node))
        self.scope.append(node.name.value)
        self.interface.append(False)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scope.pop()
        self.interface.pop()


def _docstring(module: cst.Module, body: cst.IndentedBlock) -> str | None:
    first = body.body[0]
    if (
        isinstance(first, cst.SimpleStatementLine)
        and len(first.body) == 1
        and isinstance(first.body[0], cst.Expr)
        and isinstance(first.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    ):
        return module.code_for_node(first.body[0])
    return None


@functools.cache
def sites(count: int = 60, max_chars: int = 30_000) -> tuple[Site, ...]:
    """Every replaceable function of `count` modules, names unique within their module."""
    found: list[Site] = []
    for name, text in modules(count, max_chars):
        module = cst.parse_module(text)
        visitor = _Sites(module)
        module.visit(visitor)
        names = [each for each, _ in visitor.found]
        for qualified, node in visitor.found:
            if names.count(qualified) != 1:
                continue
            assert isinstance(node.body, cst.IndentedBlock)
            docstring = _docstring(module, node.body)
            statements = node.body.body[1:] if docstring is not None else node.body.body
            simple = [s for s in statements if isinstance(s, cst.SimpleStatementLine)]
            if not simple or not statements:
                continue
            found.append(
                Site(
                    module=name,
                    text=text,
                    function=qualified,
                    docstring=docstring,
                    first_statement=_bare_code(module, simple[0]),
                    last_statement=_bare_code(module, simple[-1]),
                )
            )
    return tuple(found)


def _bare_code(module: cst.Module, statement: cst.SimpleStatementLine) -> str:
    """A statement's code without the comments above and beside it."""
    bare = statement.with_changes(leading_lines=[], trailing_whitespace=cst.TrailingWhitespace())
    return module.code_for_node(bare).strip()


class _Replace(cst.CSTTransformer):
    """Replace the body of the function `target` with a marker statement, and its
    `def` line's comment with a marker, to be swapped for the lines of the case."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target
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
        header = cst.TrailingWhitespace(
            whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(f"# {_HEADER_MARKER}")
        )
        body = updated_node.body.with_changes(
            body=[cst.parse_statement(f"{_MARKER}\n")], footer=[], header=header
        )
        return updated_node.with_changes(body=body)


def _body_lines(site: Site, shape: str, comment: list[str]) -> tuple[list[str], list[str]]:
    """The lines that replace the marker, and the comment lines for the `def` line."""
    doc = site.docstring or '"""Do the work."""'
    table: dict[str, list[str]] = {
        "comment only": comment,
        "comment, pass": [*comment, "pass"],
        "pass  # comment": [f"pass  {comment[0]}", *comment[1:]],
        "comment, ...": [*comment, "..."],
        "...  # comment": [f"...  {comment[0]}", *comment[1:]],
        "docstring, comment": [doc, *comment],
        "docstring, comment, pass": [doc, *comment, "pass"],
        "docstring, comment, ...": [doc, *comment, "..."],
        "docstring, pass  # comment": [doc, f"pass  {comment[0]}", *comment[1:]],
        "comment, raise NotImplementedError": [*comment, "raise NotImplementedError"],
        "def  # comment, pass": [*comment[1:], "pass"],
        "pass, comment": ["pass", *comment],
        "statement, comment": [site.first_statement, *comment],
        "statement, comment, statement": [site.first_statement, *comment, site.last_statement],
    }
    header = [comment[0]] if shape == "def  # comment, pass" else []
    return table[shape], header


def inject(site: Site, shape: str, comment: list[str]) -> tuple[str, bool]:
    """The site's module with the function's body replaced by the shape, and whether
    nothing but blank lines and comments follows the new body (a comment there would
    stand at the end of the file: a cut, not a placeholder)."""
    code = cst.parse_module(site.text).visit(_Replace(site.function)).code
    lines = code.splitlines(keepends=True)
    out: list[str] = []
    body, header = _body_lines(site, shape, comment)
    end = 0
    for line in lines:
        if _HEADER_MARKER in line:
            head = line.replace(f"  # {_HEADER_MARKER}", "")
            if header:
                head = head.rstrip("\r\n") + "  " + header[0] + "\n"
            out.append(head)
        elif _MARKER in line:
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(_indented(indent, each) for each in body)
            end = len(out)
        else:
            out.append(line)
    at_end = all(not each.strip() or each.lstrip().startswith("#") for each in out[end:])
    return "".join(out), at_end


def _indented(indent: str, text: str) -> str:
    """A line (or a multi-line docstring or statement, kept as written) at `indent`."""
    first, *rest = text.split("\n")
    return indent + first + "\n" + "".join(each + "\n" for each in rest)


def _phrase_text(phrase: str | tuple[str, ...]) -> str:
    return phrase if isinstance(phrase, str) else " / ".join(phrase)


def cases(
    indices: Sequence[int],
    per_phrase: int = 8,
    *,
    beside_code: bool = False,
    count: int = 60,
    max_chars: int = 30_000,
) -> Iterator[Case]:
    """`per_phrase` cases for each phrase of `indices`, each with a shape, frame and
    function drawn by `CASE_SEED` and the phrase's index (so a case does not depend on
    which other phrases are asked for)."""
    every = sites(count, max_chars)
    shapes = BESIDE_SHAPES if beside_code else SHAPES
    for index in indices:
        rng = random.Random(f"{CASE_SEED}:{index}:{beside_code}")
        phrase = PHRASES[index]
        for _ in range(per_phrase):
            shape = rng.choice(shapes)
            # Four cases in ten unframed; the rest in one of the frames.
            frame = "{}" if rng.random() < 0.4 else rng.choice(FRAMES[1:])
            comment = framed(phrase, frame)
            while True:
                site = rng.choice(every)
                source, at_end = inject(site, shape, comment)
                # A comment after the last statement of the file is where a cut file
                # ends: truncated or premature-end, not what is measured here.
                if not at_end or shape not in ("comment only", "pass, comment", "docstring, comment"):
                    break
            yield Case(
                module=site.module,
                function=site.function,
                phrase=_phrase_text(phrase),
                frame=frame,
                shape=shape,
                source=source,
            )
