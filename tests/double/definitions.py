"""Definitions of a module, found by qualified name, and written back in a model's shapes.

codegen repairs a placeholder by asking, in a new conversation, for one definition
whole ("Write the complete definition of `Cls.method`"). A model answers with that
definition, but not always as it sits in the file. `shaped_definition` gives the
double's answer: the definition's exact lines from the ORIGINAL module (first
decorator to last statement, comments inside included), in one of `DEFINITION_SHAPES`:

- ``dedented``: moved left to column 0;
- ``class_indent``: indented as in its class, as in the module (members only);
- ``wrapped``: under its class's real header line(s) (the class's decorators
  sometimes), maybe with a placeholder line for the other members before and/or after
  it (members of a class only);
- ``with_imports``: one or two of the module's own import lines, a blank line, then the
  definition at column 0.

Shapes that move lines are offered only when moving them back restores every line:
every non-blank line of the definition must start with the spaces removed (a line of
a multi-line string may sit further left, and a splice that shifts lines would then
change the string). The definition as the module has it is always available.

Names follow `validators`' scopes: `f`, `Cls.method`, `Outer.Inner.method`, and
`f.inner` for a function inside a function; a definition inside an `if` or `try`
is named as if it were not. A name defined twice at one scope (a property's getter
and setter, a conditional definition) is ambiguous, and is not answered.

Pure: text in, text out, `ast` to find the definition.
"""

from __future__ import annotations

import ast
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from validators.parsing import parse

DefinitionShape = Literal["dedented", "class_indent", "wrapped", "with_imports"]
DEFINITION_SHAPES: tuple[DefinitionShape, ...] = ("dedented", "class_indent", "wrapped", "with_imports")

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef

# What a model writes where the rest of a class would be, around the one member it gives.
OTHER_MEMBERS: tuple[str, ...] = (
    "# ... other methods unchanged ...",
    "# ... existing code ...",
    "# (the other members stay as they are)",
)


@dataclass(frozen=True)
class DefinitionStyle:
    """How the double answers a definition request: which shapes, how wrapped in prose.

    The shape is drawn among those in `shapes` that apply to the definition (the
    module's own indentation when none does).
    """

    shapes: tuple[DefinitionShape, ...] = DEFINITION_SHAPES
    prose_before: float = 0.5
    fenced: float = 0.85
    prose_after: float = 0.3
    # In a wrapped answer: a placeholder line for the other members before the member,
    # and (independently) after it.
    other_members: float = 0.4
    class_decorators: float = 0.5  # a wrapped answer repeats the class's decorators


@dataclass(frozen=True)
class ShapedDefinition:
    """The code of a definition answer, and the shape it was written in."""

    code: str
    shape: DefinitionShape
    kind: str  # "function", "method" or "class", for the prose around it


@dataclass(frozen=True)
class Site:
    """Where a definition sits in a module."""

    qualname: str
    node: Definition
    parent: Definition | None  # the innermost enclosing def or class
    member: bool  # a direct child of its class's body


def definitions(tree: ast.Module) -> Iterator[Site]:
    """Every def and class of a module, at any depth, named as `validators` names scopes."""

    def visit(node: ast.AST, prefix: str, parent: Definition | None) -> Iterator[Site]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, Definition):
                name = f"{prefix}.{child.name}" if prefix else child.name
                member = isinstance(parent, ast.ClassDef) and child in parent.body
                yield Site(name, child, parent, member)
                yield from visit(child, name, child)
            else:
                yield from visit(child, prefix, parent)

    return visit(tree, "", None)


def find_site(tree: ast.Module, qualname: str) -> Site | None:
    """The one definition named `qualname`; None when there is none, or more than one."""
    found = [site for site in definitions(tree) if site.qualname == qualname]
    return found[0] if len(found) == 1 else None


def first_line(node: ast.stmt) -> int:
    """The 1-based line a statement starts on, its first decorator's for a definition."""
    decorators = getattr(node, "decorator_list", ())
    return min([node.lineno, *(d.lineno for d in decorators)])


def indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def shifts_back(text: str, columns: int) -> bool:
    """Whether moving every non-blank line of `text` left by `columns` spaces can be
    undone by moving it right again: each of them starts with that many spaces."""
    pad = " " * columns
    return all(line.startswith(pad) for line in text.splitlines() if line.strip())


def shift_left(text: str, columns: int) -> str:
    """Every non-blank line of `text` without its first `columns` spaces."""
    if columns == 0:
        return text
    return "".join(line[columns:] if line.strip() else line for line in text.splitlines(keepends=True))


def _block_end(lines: list[str], end: int, indent: int) -> int:
    """Past `end` (1-based, the node's last line), the comments indented deeper than
    the definition are still its text (`# repeat with next file` closing a loop): a
    model writing the definition out writes them too. `ast` ends the node before."""
    last = end
    for x in range(end, len(lines)):
        text = lines[x].strip()
        if not text:
            continue
        if not text.startswith("#") or len(indent_of(lines[x])) <= indent:
            break
        last = x + 1
    return last


def shaped_definition(
    source: str, qualname: str, rng: random.Random, style: DefinitionStyle = DefinitionStyle()
) -> ShapedDefinition | None:
    """The double's code for a request of `qualname`'s definition in `source`; None
    when `source` does not define it, or defines it more than once."""
    try:
        tree = parse(source)
    except SyntaxError:
        return None
    site = find_site(tree, qualname)
    if site is None:
        return None
    lines = source.splitlines(keepends=True)
    node = site.node
    indent = len(indent_of(lines[first_line(node) - 1]))
    text = _ends_line("".join(lines[first_line(node) - 1 : _block_end(lines, node.end_lineno, indent)]))
    movable = indent == 0 or shifts_back(text, indent)
    header = _class_header(site, lines, rng, style) if site.member else None
    imports = _imports(tree, lines, node, rng)

    applies = {
        "dedented": movable,
        "class_indent": bool(indent) and site.member,
        "wrapped": header is not None,
        "with_imports": bool(imports) and movable,
    }
    options = [each for each in style.shapes if applies[each]]
    shape: DefinitionShape = rng.choice(options) if options else ("class_indent" if indent else "dedented")

    if shape == "dedented":
        code = shift_left(text, indent)
    elif shape == "class_indent":
        code = text
    elif shape == "wrapped":
        assert header is not None
        code = _wrapped(header, text, lines, site, rng, style)
    else:
        code = "".join(imports) + "\n" + shift_left(text, indent)
    kind = "class" if isinstance(node, ast.ClassDef) else ("method" if site.member else "function")
    return ShapedDefinition(code, shape, kind)


def _ends_line(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _class_header(site: Site, lines: list[str], rng: random.Random, style: DefinitionStyle) -> str | None:
    """The lines of the class statement above its body (its decorators sometimes); None
    when the body starts on the header's line or moving the lines left is not exact."""
    owner = site.parent
    assert isinstance(owner, ast.ClassDef)
    body_start = first_line(owner.body[0])
    if body_start <= owner.lineno:
        return None
    start = first_line(owner) if rng.random() < style.class_decorators else owner.lineno
    header = lines[start - 1 : body_start - 1]
    while header and (not header[-1].strip() or header[-1].lstrip().startswith("#")):
        header.pop()  # blank lines and comments between the header and the first member
    text = _ends_line("".join(header))
    member = "".join(lines[first_line(site.node) - 1 : site.node.end_lineno])
    columns = len(indent_of(lines[owner.lineno - 1]))
    if columns and not shifts_back(text + member, columns):
        return None
    return text


def _wrapped(
    header: str, member: str, lines: list[str], site: Site, rng: random.Random, style: DefinitionStyle
) -> str:
    owner = site.parent
    assert isinstance(owner, ast.ClassDef)
    inner = indent_of(lines[first_line(site.node) - 1])
    before = after = ""
    if rng.random() < style.other_members:
        before = inner + rng.choice(OTHER_MEMBERS) + "\n\n"
    if rng.random() < style.other_members:
        after = "\n" + inner + rng.choice(OTHER_MEMBERS) + "\n"
    columns = len(indent_of(lines[owner.lineno - 1]))
    return shift_left(header + before + member + after, columns)


def _imports(tree: ast.Module, lines: list[str], node: Definition, rng: random.Random) -> list[str]:
    """One or two import lines the module has at its top, the ones the definition uses
    first; [] when the module has none.

    Only plain one-line imports in the module's opening block count: an import inside
    a `try`, or further down the module, is not one a splice may add at the top.
    """
    top: list[ast.Import | ast.ImportFrom] = []
    for statement in tree.body:
        if isinstance(statement, Definition):
            break
        if (
            isinstance(statement, ast.Import | ast.ImportFrom)
            and statement.lineno == statement.end_lineno
            and statement.col_offset == 0
            and ";" not in lines[statement.lineno - 1]
            and not (isinstance(statement, ast.ImportFrom) and statement.module == "__future__")
        ):
            top.append(statement)
    if not top:
        return []
    used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    needed = [s for s in top if _bound(s) & used]
    pool = needed or top
    chosen = sorted(rng.sample(pool, min(len(pool), rng.choice((1, 2)))), key=lambda s: s.lineno)
    return [_ends_line(lines[s.lineno - 1].rstrip()) for s in chosen]


def _bound(statement: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(statement, ast.Import):
        return {(a.asname or a.name).split(".")[0] for a in statement.names}
    return {a.asname or a.name for a in statement.names}
